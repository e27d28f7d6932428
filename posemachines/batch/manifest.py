"""Batch manifests: one video per CSV row or JSONL line, with optional per-video options.

    path,height_cm,focal_px,detector,formats
    trial01.mp4,172,,blazepose-full,json;npz
    trial02.mp4,,1450,,

    {"path": "trial01.mp4", "height_cm": 172, "formats": ["json", "npz"]}

Columns (keys): `path` (required; relative paths are relative to the manifest's folder),
`name` (the output folder; default the file stem), `height_cm`, `focal_px`, `detector`,
`correction`, `formats` (comma, semicolon or space separated, or a JSON list), `analyze`,
`flip_test`, `time_reversal` (true/false). An empty cell or null keeps the batch's default.
The standard library's csv and json modules read them: nothing here needs more.
"""

from __future__ import annotations

import csv
import json
import re
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from posemachines.errors import PoseInputError
from posemachines.export.writer import OUTPUT_FORMATS

MANIFEST_SUFFIXES: frozenset[str] = frozenset({".csv", ".jsonl"})
_NAME = re.compile(r"^[A-Za-z0-9_-][A-Za-z0-9._-]*$")
_TRUE, _FALSE = {"true", "yes", "1", "y"}, {"false", "no", "0", "n"}


@dataclass(frozen=True)
class ManifestRow:
    """One video of a manifest: its path, an explicit output name (or None), the options it
    overrides (VideoOptions field -> value) and where it was read ("m.csv line 3")."""

    path: Path
    name: str | None
    options: dict[str, Any]
    where: str


def parse_formats(spec: str | Sequence[str]) -> tuple[str, ...]:
    """'all', 'json,npz', 'json;npz' or a list of names -> a tuple of format names."""
    names = re.split(r"[,;\s]+", spec) if isinstance(spec, str) else [str(n) for n in spec]
    names = [name.strip() for name in names if name.strip()]
    return tuple(OUTPUT_FORMATS) if names == ["all"] else tuple(dict.fromkeys(names))


def _number(value: Any) -> float:
    try:
        if isinstance(value, bool):
            raise ValueError
        return float(value)
    except (TypeError, ValueError):
        raise ValueError("a number") from None


def _boolean(value: Any) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE | _FALSE:
        return text in _TRUE
    raise ValueError("true or false")


def _text(value: Any) -> str:
    if not isinstance(value, str):
        raise ValueError("text")
    return value.strip()


#: Option column -> its converter (raises ValueError naming what it expects).
_CONVERTERS: dict[str, Callable[[Any], Any]] = {
    "height_cm": _number, "focal_px": _number, "detector": _text, "correction": _text,
    "formats": parse_formats, "analyze": _boolean, "flip_test": _boolean,
    "time_reversal": _boolean,
}
KNOWN_COLUMNS: tuple[str, ...] = ("path", "name", *_CONVERTERS)


def _row(record: dict[str, Any], base: Path, where: str) -> ManifestRow:
    unknown = sorted(set(record) - set(KNOWN_COLUMNS))
    if unknown:
        raise PoseInputError(f"{where}: unknown column(s) {', '.join(unknown)}; known: "
                             f"{', '.join(KNOWN_COLUMNS)}.")
    present = {key: value for key, value in record.items()
               if value is not None and not (isinstance(value, str) and not value.strip())}
    if "path" not in present:
        raise PoseInputError(f"{where}: no path.")
    path = Path(_text(present.pop("path"))).expanduser()
    name = present.pop("name", None)
    if name is not None and not _NAME.match(str(name)):
        raise PoseInputError(f"{where}: name '{name}' is not a plain folder name "
                             "(letters, digits, '.', '_', '-').")
    options = {}
    for key, value in present.items():
        try:
            options[key] = _CONVERTERS[key](value)
        except (TypeError, ValueError) as error:
            raise PoseInputError(f"{where}: {key} {value!r} is not {error}.") from None
    return ManifestRow(path if path.is_absolute() else base / path,
                       None if name is None else str(name), options, where)


def _read_text(path: Path) -> str:
    try:
        return path.read_text(encoding="utf-8-sig")
    except (OSError, UnicodeDecodeError) as error:
        raise PoseInputError(f"Cannot read manifest {path}: {error}.") from None


def read_manifest(path: Path) -> list[ManifestRow]:
    """The rows of a `.csv` (with a header row) or `.jsonl` manifest, in file order."""
    text, base = _read_text(path), path.parent
    rows = []
    if path.suffix.lower() == ".csv":
        reader = csv.DictReader(text.splitlines())
        if reader.fieldnames is None or "path" not in reader.fieldnames:
            raise PoseInputError(f"Manifest {path} needs a header row with a 'path' column.")
        for record in reader:
            where = f"{path.name} line {reader.line_num}"
            if None in record:
                raise PoseInputError(f"{where}: more cells than header columns.")
            rows.append(_row(dict(record), base, where))
    else:
        for number, line in enumerate(text.splitlines(), start=1):
            if not line.strip():
                continue
            where = f"{path.name} line {number}"
            try:
                record = json.loads(line)
            except json.JSONDecodeError as error:
                raise PoseInputError(f"{where}: not JSON ({error.msg}).") from None
            if not isinstance(record, dict):
                raise PoseInputError(f"{where}: a JSON object per line is expected.")
            rows.append(_row(record, base, where))
    if not rows:
        raise PoseInputError(f"Manifest {path} lists no video.")
    return rows
