"""Outputs of a video with several people (`PeopleResult`): people3d.json / .npz / .csv and
one motion_<id>.bvh per person, written through the single-person writers of `formats` and
`bvh_export` (layouts in docs/people.md).

- people3d.json: {"format": "posemachines.people3d", "version", "source", "fps",
  "image_size", "num_frames", "people": [{"id": 1, "result": <that person's poses3d.json
  document>}, ...]}.
- people3d.npz: arrays with a person axis P (ids in `person_ids`) over every source frame F:
  pose3d_mm (P, F, 16, 3) and keypoints_px (P, F, 16, 2), NaN where the person is absent;
  confidence (P, F, 16), 0 there; present (P, F) bool; root_translation_mm (P, F, 3) when any
  person has one (NaN where absent or unsolved). A one-person clip has P = 1:
  `pose3d_mm[0][present[0]]` is that person's poses (the single-person path writes the old
  poses3d.npz instead, unchanged).
- people3d.csv: poses3d.csv's columns with a leading `person` column, rows by frame then id.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Sequence
from functools import partial
from pathlib import Path
from typing import Any

import numpy as np

from posemachines.data.npz import load_npz
from posemachines.errors import PoseDataError
from posemachines.export.bvh_export import write_motion_bvh
from posemachines.export.formats import result_to_json_dict, save_npz, write_csv, write_text
from posemachines.export.writer import output_folder
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from posemachines.staging import write_staged
from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult
from posemachines.version import __version__

PEOPLE_FORMAT_NAME = "posemachines.people3d"
PEOPLE_FORMAT_VERSION = 1
PEOPLE_JSON_NAME, PEOPLE_NPZ_NAME, PEOPLE_CSV_NAME = (
    "people3d.json", "people3d.npz", "people3d.csv")
PEOPLE_FORMATS: tuple[str, ...] = ("json", "npz", "csv", "bvh")


def bvh_name(person_id: int) -> str:
    return f"motion_{person_id}.bvh"


def people_to_json_dict(people: PeopleResult) -> dict[str, Any]:
    """The people3d.json document: the video's metadata and each person's poses3d document."""
    width, height = people.image_size
    return {
        "format": PEOPLE_FORMAT_NAME, "version": PEOPLE_FORMAT_VERSION,
        "generator": f"posemachines {__version__}", "source": people.source,
        "fps": float(people.fps), "image_size": {"width": int(width), "height": int(height)},
        "num_frames": int(people.num_frames),
        "people": [{"id": person_id, "result": result_to_json_dict(person)}
                   for person_id, person in people],
    }


def write_people_json(people: PeopleResult, path: Path | str) -> Path:
    """Write people3d.json (layout in the module docstring)."""
    text = json.dumps(people_to_json_dict(people), allow_nan=False, separators=(",", ":"))
    return write_text(Path(path), text + "\n", "JSON file")


def _per_frame(person: PoseResult, values: np.ndarray, num_frames: int, fill: float
               ) -> np.ndarray:
    """(T, ...) values of a person's rows spread over (num_frames, ...) source frames."""
    out = np.full((num_frames, *values.shape[1:]), fill, dtype=np.float32)
    out[np.asarray(person.frame_indices, dtype=np.int64)] = values
    return out


def people_arrays(people: PeopleResult) -> dict[str, np.ndarray]:
    """The person-axis arrays of people3d.npz (see the module docstring)."""
    count = people.num_frames
    results = [person for _, person in people]
    arrays = {
        "person_ids": np.array(people.ids, dtype=np.int64).reshape(-1),
        "frame_indices": np.arange(count, dtype=np.int64),
        "timestamps_s": np.arange(count, dtype=np.float64) / people.fps,
        "present": people.presence(),
        "pose3d_mm": np.stack([_per_frame(p, p.pose3d_mm, count, np.nan) for p in results]
                              ).reshape(-1, count, 16, 3),
        "keypoints_px": np.stack([_per_frame(p, p.keypoints_px, count, np.nan) for p in results]
                                 ).reshape(-1, count, 16, 2),
        "confidence": np.stack([_per_frame(p, p.confidence, count, 0.0) for p in results]
                               ).reshape(-1, count, 16),
    }
    if any(p.root_translation_mm is not None for p in results):
        arrays["root_translation_mm"] = np.stack([
            _per_frame(p, p.root_translation_mm, count, np.nan) if p.root_translation_mm
            is not None else np.full((count, 3), np.nan, dtype=np.float32) for p in results])
    return arrays


def write_people_npz(people: PeopleResult, path: Path | str) -> Path:
    """Write people3d.npz: the person-axis arrays plus the video's metadata."""
    arrays: dict[str, Any] = people_arrays(people) | {
        "format": np.array(PEOPLE_FORMAT_NAME), "version": np.array(PEOPLE_FORMAT_VERSION),
        "fps": np.array(float(people.fps)), "image_size": np.array(people.image_size),
        "source": np.array(people.source), "units_3d": np.array("mm"),
        "coordinate_frame": np.array("camera (x right, y down, z forward), root-relative"),
        "joint_names": np.array(JOINTS16_NAMES), "joint_parents": np.array(JOINTS16_PARENTS),
    }
    return save_npz(arrays, path)


def read_people_npz(path: Path | str) -> PeopleResult:
    """Read people3d.npz back: each person's poses, 2D, confidence and trajectory (the
    correction record and the scene are in people3d.json only)."""
    arrays = load_npz(path, ("format", "person_ids", "present", "pose3d_mm", "keypoints_px",
                             "confidence", "timestamps_s", "fps", "image_size", "source"))
    if str(arrays["format"]) != PEOPLE_FORMAT_NAME:
        raise PoseDataError(f"{path} is not a {PEOPLE_FORMAT_NAME} file.")
    fps = float(arrays["fps"])
    size = (int(arrays["image_size"][0]), int(arrays["image_size"][1]))
    people = {}
    try:
        for row, person_id in enumerate(arrays["person_ids"]):
            present = np.asarray(arrays["present"][row], dtype=bool)
            frames = np.flatnonzero(present)
            root = arrays.get("root_translation_mm")
            root_rows = None if root is None else root[row][present]
            people[int(person_id)] = PoseResult(
                pose3d_mm=arrays["pose3d_mm"][row][present],
                keypoints_px=arrays["keypoints_px"][row][present],
                confidence=arrays["confidence"][row][present],
                frame_indices=frames, timestamps_s=arrays["timestamps_s"][frames], fps=fps,
                image_size=size, source=str(arrays["source"]),
                missing_frames=tuple(int(i) for i in np.flatnonzero(~present)
                                     if len(frames) and frames[0] < i < frames[-1]),
                root_translation_mm=None if root_rows is None or np.isnan(root_rows).any()
                else root_rows,
            )
        return PeopleResult(people, len(arrays["timestamps_s"]), fps, size,
                            str(arrays["source"]))
    except PoseDataError as error:
        raise PoseDataError(f"{path} holds an invalid result: {error}") from None


def write_people_csv(people: PeopleResult, path: Path | str) -> Path:
    """Write people3d.csv: each person's poses3d.csv rows behind a `person` column, ordered by
    frame then id; a column only some people have is left empty for the others."""
    headers: list[list[str]] = []
    rows: list[tuple[int, int, dict[str, str]]] = []
    with tempfile.TemporaryDirectory() as folder:
        for person_id, person in people:
            single = write_csv(person, Path(folder) / f"{person_id}.csv")
            lines = single.read_text(encoding="utf-8").splitlines()
            header = lines[0].split(",")
            headers.append(header)
            for line in lines[1:]:
                cells = dict(zip(header, line.split(","), strict=True))
                rows.append((int(cells["frame"]), person_id, cells))
    columns = list(dict.fromkeys(name for header in headers for name in header))
    text = [",".join(["person", *columns])]
    for _, person_id, cells in sorted(rows, key=lambda row: row[:2]):
        text.append(",".join([str(person_id), *(cells.get(name, "") for name in columns)]))
    return write_text(Path(path), "\n".join(text) + "\n", "CSV file")


def write_people_outputs(people: PeopleResult, out_dir: Path | str,
                         formats: Sequence[str] = PEOPLE_FORMATS) -> list[Path]:
    """Write each of `formats` ("json", "npz", "csv", "bvh": one motion_<id>.bvh per person)
    into `out_dir`; return the written paths. Other names are left to the caller."""
    out_dir = output_folder(out_dir)
    written: list[Path] = []
    if "json" in formats:
        written.append(write_staged(out_dir / PEOPLE_JSON_NAME,
                                    partial(write_people_json, people)))
    if "npz" in formats:
        written.append(write_staged(out_dir / PEOPLE_NPZ_NAME, partial(write_people_npz, people)))
    if "csv" in formats:
        written.append(write_staged(out_dir / PEOPLE_CSV_NAME, partial(write_people_csv, people)))
    if "bvh" in formats:
        written += [write_staged(out_dir / bvh_name(person_id), partial(write_motion_bvh, person))
                    for person_id, person in people]
    return written
