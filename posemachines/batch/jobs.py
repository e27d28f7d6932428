"""What a batch does: the videos (`VideoJob`), each with its options and output folder name.

INPUTS are video files, folders (every video inside, sub-folders included), glob patterns, or
manifests (`.csv` / `.jsonl`, see `manifest.py`) that add per-video options.
"""

from __future__ import annotations

import glob
import hashlib
import json
import re
from collections.abc import Sequence
from dataclasses import asdict, dataclass, replace
from pathlib import Path

from posemachines.batch.manifest import MANIFEST_SUFFIXES, ManifestRow, read_manifest
from posemachines.correction.correctors import CORRECTION_METHODS
from posemachines.errors import PoseInputError
from posemachines.export.writer import OUTPUT_FORMATS
from posemachines.inference.detectors import DEFAULT_DETECTOR, DETECTOR_NAMES
from posemachines.inference.frames import VIDEO_EXTENSIONS

#: Where the workers run: local processes, or actors on Ray (`batch.ray_pool`).
BACKENDS: tuple[str, ...] = ("local", "ray")
_GLOB_CHARS = re.compile(r"[*?\[]")
_UNSAFE_NAME_CHARS = re.compile(r"[^A-Za-z0-9._-]+")


@dataclass(frozen=True)
class VideoOptions:
    """How one video is processed: the `Estimator` options and the outputs written.

    focal_px: the camera's focal length in px, if known; height_cm: the person's height, if
    known; formats: names from `export.writer.OUTPUT_FORMATS`; analyze: also write
    analysis.json and its plots and label the overlay (as `infer --analyze`).
    """

    detector: str = DEFAULT_DETECTOR
    correction: str = "geometric"
    focal_px: float | None = None
    height_cm: float | None = None
    formats: tuple[str, ...] = OUTPUT_FORMATS
    flip_test: bool = True
    time_reversal: bool = True
    analyze: bool = False

    def __post_init__(self) -> None:
        if self.detector not in DETECTOR_NAMES:
            raise PoseInputError(
                f"Unknown detector '{self.detector}'; known: {', '.join(DETECTOR_NAMES)}.")
        if self.correction not in CORRECTION_METHODS:
            raise PoseInputError(f"Unknown correction '{self.correction}'; known: "
                                 f"{', '.join(CORRECTION_METHODS)}.")
        unknown = [name for name in self.formats if name not in OUTPUT_FORMATS]
        if unknown or not self.formats:
            raise PoseInputError(f"Unknown or no output format(s) {', '.join(unknown)}; "
                                 f"known: {', '.join(OUTPUT_FORMATS)}.")
        for name in ("focal_px", "height_cm"):
            value = getattr(self, name)
            if value is not None and not value > 0:
                raise PoseInputError(f"{name} must be a positive number, got {value}.")

    def fingerprint(self) -> str:
        """The options as one stable JSON string (resume redoes a video when it changes)."""
        return json.dumps(asdict(self), sort_keys=True, separators=(",", ":"))


@dataclass(frozen=True)
class VideoJob:
    """One video of a batch: input path, output folder name (unique in the batch), options."""

    input: Path
    name: str
    options: VideoOptions


def _is_video(path: Path) -> bool:
    return path.is_file() and path.suffix.lower() in VIDEO_EXTENSIONS


def _expand(spec: str) -> list[Path]:
    """The paths one INPUT names: itself, the videos under a folder, or a glob's matches."""
    path = Path(spec)
    if path.is_dir():
        videos = sorted(p for p in path.rglob("*") if _is_video(p))
        if not videos:
            known = ", ".join(sorted(VIDEO_EXTENSIONS))
            raise PoseInputError(f"Folder {path} contains no videos ({known}).")
        return videos
    if path.exists():
        return [path]
    if _GLOB_CHARS.search(spec):
        matches = sorted(Path(p) for p in glob.glob(spec, recursive=True))
        matches = [p for p in matches if _is_video(p)]
        if not matches:
            raise PoseInputError(f"Pattern {spec} matches no video.")
        return matches
    raise PoseInputError(f"Input {path} does not exist.")


def _safe_name(stem: str) -> str:
    return _UNSAFE_NAME_CHARS.sub("_", stem).strip("._") or "video"


def _path_hash(path: Path) -> str:
    return hashlib.sha1(str(path).encode()).hexdigest()[:8]


def collect_jobs(inputs: Sequence[str | Path], defaults: VideoOptions) -> list[VideoJob]:
    """The batch's videos, in input order, each listed once (by its resolved path).

    Output folder names are the file stems (made filesystem-safe); where two videos share a
    stem, each gets its stem plus 8 hex digits of its path's hash, so that the names do not
    depend on the order of the inputs and a rerun finds its folders again. A manifest's `name`
    column sets a name explicitly (names must then be unique).
    """
    if not inputs:
        raise PoseInputError("Give at least one INPUT: a video, a folder, a glob or a manifest.")
    rows: list[ManifestRow] = []
    for spec in inputs:
        path = Path(spec)
        if path.suffix.lower() in MANIFEST_SUFFIXES and path.is_file():
            rows.extend(read_manifest(path))
        else:
            rows.extend(ManifestRow(video, None, {}, "") for video in _expand(str(spec)))
    seen: set[Path] = set()
    unique: list[ManifestRow] = []
    for row in rows:
        resolved = row.path.resolve()
        if resolved not in seen:
            seen.add(resolved)
            unique.append(replace(row, path=resolved))
    stems = [_safe_name(row.path.stem) for row in unique]
    jobs = []
    for row, stem in zip(unique, stems, strict=True):
        name = row.name or (stem if stems.count(stem) == 1 else f"{stem}_{_path_hash(row.path)}")
        try:
            options = replace(defaults, **row.options)
        except PoseInputError as error:
            raise PoseInputError(f"{row.where}: {error}") from None
        jobs.append(VideoJob(row.path, name, options))
    names = [job.name for job in jobs]
    duplicated = sorted({name for name in names if names.count(name) > 1})
    if duplicated:
        raise PoseInputError(f"Two videos would write to the same output folder: "
                             f"{', '.join(duplicated)} (give them distinct names).")
    return jobs
