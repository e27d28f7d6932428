"""poses3d.json / poses3d.npz / poses3d.csv writers and the JSON/NPZ readers (`load_result`).

The layouts are documented in docs/poses3d_schema.md; keep both in step (FORMAT_VERSION).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import numpy as np

from posemachines.data.npz import load_npz
from posemachines.errors import PoseDataError
from posemachines.export.scene_fields import (
    NPZ_SCENE_ARRAYS,
    camera_from_json,
    camera_to_json,
    scene_csv_columns,
    scene_from_npz,
    scene_to_npz,
    world_frame_to_json,
    world_from_json,
    world_header_to_json,
)
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from posemachines.structures import CorrectionInfo, PoseResult
from posemachines.version import __version__

FORMAT_NAME = "posemachines.poses3d"
FORMAT_VERSION = 2
#: Versions the readers accept: 1 (no scene: trajectory, camera, world) and 2.
READABLE_VERSIONS = (1, 2)
JSON_NAME, NPZ_NAME, CSV_NAME = "poses3d.json", "poses3d.npz", "poses3d.csv"
COORDINATE_FRAME = {
    "name": "camera",
    "x": "right",
    "y": "down",
    "z": "forward",
    "origin": "the root joint (Hip) of each frame: joints_3d are root-relative",
}
UNITS = {"joints_3d": "mm", "keypoints_2d": "px", "time": "s", "confidence": "0..1"}
_NPZ_ARRAYS = ("pose3d_mm", "keypoints_px", "confidence", "frame_indices", "timestamps_s")


def write_text(path: Path, text: str, what: str) -> Path:
    """Write `text` (UTF-8) to `path`; PoseDataError naming `what` when it cannot."""
    try:
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write {what} {path}: {error.strerror}.") from None
    return path


# ---------------------------------------------------------------------------------------------
# JSON
# ---------------------------------------------------------------------------------------------
def result_to_json_dict(result: PoseResult) -> dict[str, Any]:
    """The poses3d.json document of `result` as plain Python objects."""
    names = list(result.joint_names)
    poses = np.asarray(result.pose3d_mm, dtype=np.float64).tolist()
    keypoints = np.asarray(result.keypoints_px, dtype=np.float64).tolist()
    confidence = np.asarray(result.confidence, dtype=np.float64).tolist()
    correction = result.correction
    frames = []
    for t in range(result.num_frames):
        frame: dict[str, Any] = {
            "frame_index": int(result.frame_indices[t]),
            "timestamp_s": float(result.timestamps_s[t]),
            "joints": {
                name: {"xyz_mm": poses[t][j], "uv_px": keypoints[t][j],
                       "confidence": confidence[t][j]}
                for j, name in enumerate(names)
            },
        }
        if correction is not None:
            frame["correction"] = {
                "steps": int(correction.steps[t]), "kept": bool(correction.kept[t]),
                "displacement_mm": float(correction.displacement_mm[t]),
            }
        if result.root_translation_mm is not None:
            frame["root_translation_mm"] = [float(v) for v in result.root_translation_mm[t]]
        if result.world is not None:
            frame["world"] = world_frame_to_json(result.world, t, result.joint_names)
        frames.append(frame)
    width, height = result.image_size
    return {
        "format": FORMAT_NAME,
        "version": FORMAT_VERSION,
        "generator": f"posemachines {__version__}",
        "source": result.source,
        "fps": float(result.fps),
        "image_size": {"width": int(width), "height": int(height)},
        "units": UNITS,
        "coordinate_frame": COORDINATE_FRAME,
        "joint_names": names,
        "joint_parents": list(JOINTS16_PARENTS),
        "num_frames": result.num_frames,
        "missing_frames": [int(i) for i in result.missing_frames],
        "correction": None if correction is None else {"method": correction.method},
        "camera": None if result.camera is None else camera_to_json(result.camera),
        "world": None if result.world is None else world_header_to_json(result.world),
        "frames": frames,
    }


def write_json(result: PoseResult, path: Path | str) -> Path:
    """Write poses3d.json (schema in docs/poses3d_schema.md)."""
    text = json.dumps(result_to_json_dict(result), allow_nan=False, separators=(",", ":"))
    return write_text(Path(path), text + "\n", "JSON file")


def _result_from_json(document: dict[str, Any]) -> PoseResult:
    if document.get("format") != FORMAT_NAME:
        raise KeyError("format")
    if document.get("version") not in READABLE_VERSIONS:
        raise ValueError(f"version {document.get('version')} (this reader knows "
                         f"{', '.join(map(str, READABLE_VERSIONS))})")
    names = tuple(document["joint_names"])
    frames = document["frames"]
    count = len(frames)
    joints = [[frame["joints"][name] for name in names] for frame in frames]
    pose3d = np.array([[j["xyz_mm"] for j in row] for row in joints], float)
    keypoints = np.array([[j["uv_px"] for j in row] for row in joints], float)
    confidence = np.array([[j["confidence"] for j in row] for row in joints], float)
    num_joints = len(names)
    correction = None
    if document["correction"] is not None:
        records = [frame["correction"] for frame in frames]
        correction = CorrectionInfo(
            method=document["correction"]["method"],
            steps=np.array([r["steps"] for r in records], dtype=np.int64),
            kept=np.array([r["kept"] for r in records], dtype=bool),
            displacement_mm=np.array([r["displacement_mm"] for r in records], dtype=float),
        )
    size = document["image_size"]
    root = None
    if frames and "root_translation_mm" in frames[0]:
        root = np.array([f["root_translation_mm"] for f in frames], float).reshape(count, 3)
    camera, world = document.get("camera"), document.get("world")
    return PoseResult(
        pose3d_mm=pose3d.reshape(count, num_joints, 3),
        keypoints_px=keypoints.reshape(count, num_joints, 2),
        confidence=confidence.reshape(count, num_joints),
        frame_indices=np.array([f["frame_index"] for f in frames], dtype=np.int64),
        timestamps_s=np.array([f["timestamp_s"] for f in frames], dtype=float),
        fps=float(document["fps"]), image_size=(int(size["width"]), int(size["height"])),
        source=document["source"], missing_frames=tuple(int(i) for i in document["missing_frames"]),
        correction=correction, joint_names=names, root_translation_mm=root,
        camera=None if camera is None else camera_from_json(camera),
        world=None if world is None else world_from_json(world, frames, names),
    )


def read_json(path: Path | str) -> PoseResult:
    """Read a poses3d.json written by `write_json`."""
    path = Path(path)
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PoseDataError(f"Result file not found: {path}.") from None
    except OSError as error:
        raise PoseDataError(f"Cannot read {path}: {error.strerror}.") from None
    except (json.JSONDecodeError, UnicodeDecodeError):
        raise PoseDataError(f"{path} is not valid JSON (truncated or corrupt).") from None
    try:
        return _result_from_json(document)
    except (KeyError, TypeError, ValueError, AttributeError) as error:
        raise PoseDataError(
            f"{path} is not a {FORMAT_NAME} file (bad or missing field {error}).") from None
    except PoseDataError as error:
        raise PoseDataError(f"{path} holds an invalid result: {error}") from None


# ---------------------------------------------------------------------------------------------
# NPZ
# ---------------------------------------------------------------------------------------------
def write_npz(result: PoseResult, path: Path | str) -> Path:
    """Write poses3d.npz: the result's arrays under their field names plus metadata arrays."""
    arrays: dict[str, Any] = {name: np.asarray(getattr(result, name))
                                     for name in _NPZ_ARRAYS}
    arrays |= {
        "format": np.array(FORMAT_NAME), "version": np.array(FORMAT_VERSION),
        "fps": np.array(float(result.fps)), "image_size": np.array(result.image_size),
        "source": np.array(result.source), "units_3d": np.array(UNITS["joints_3d"]),
        "coordinate_frame": np.array("camera (x right, y down, z forward), root-relative"),
        "missing_frames": np.array(result.missing_frames, dtype=np.int64),
        "joint_names": np.array(result.joint_names), "joint_parents": np.array(JOINTS16_PARENTS),
    }
    arrays |= scene_to_npz(result)
    if result.correction is not None:
        arrays |= {
            "correction_method": np.array(result.correction.method),
            "correction_steps": np.asarray(result.correction.steps),
            "correction_kept": np.asarray(result.correction.kept),
            "correction_displacement_mm": np.asarray(result.correction.displacement_mm),
        }
    return save_npz(arrays, path)


def save_npz(arrays: dict[str, Any], path: Path | str) -> Path:
    """Write `arrays` as a compressed .npz at `path`; PoseDataError when it cannot."""
    path = Path(path)
    try:
        with path.open("wb") as handle:
            np.savez_compressed(handle, **arrays)
    except OSError as error:
        raise PoseDataError(f"Cannot write NPZ file {path}: {error.strerror}.") from None
    return path


def read_npz(path: Path | str) -> PoseResult:
    """Read a poses3d.npz written by `write_npz`."""
    arrays = load_npz(path, (*_NPZ_ARRAYS, "format", "fps", "image_size", "source",
                             "missing_frames", "joint_names"))
    if str(arrays["format"]) != FORMAT_NAME:
        raise PoseDataError(f"{path} is not a {FORMAT_NAME} file.")
    version = int(arrays["version"]) if "version" in arrays else 1
    if version not in READABLE_VERSIONS:
        raise PoseDataError(f"{path} is {FORMAT_NAME} version {version}; this reader knows "
                            f"{', '.join(map(str, READABLE_VERSIONS))}.")
    correction = None
    if "correction_method" in arrays:
        correction = CorrectionInfo(
            method=str(arrays["correction_method"]), steps=arrays["correction_steps"],
            kept=arrays["correction_kept"],
            displacement_mm=arrays["correction_displacement_mm"],
        )
    width, height = (int(v) for v in arrays["image_size"])
    try:
        return PoseResult(
            pose3d_mm=arrays["pose3d_mm"], keypoints_px=arrays["keypoints_px"],
            confidence=arrays["confidence"], frame_indices=arrays["frame_indices"],
            timestamps_s=arrays["timestamps_s"], fps=float(arrays["fps"]),
            image_size=(width, height), source=str(arrays["source"]),
            missing_frames=tuple(int(i) for i in arrays["missing_frames"]),
            correction=correction, joint_names=tuple(str(n) for n in arrays["joint_names"]),
            **scene_from_npz({k: arrays[k] for k in NPZ_SCENE_ARRAYS if k in arrays}),
        )
    except (KeyError, ValueError) as error:
        raise PoseDataError(f"{path} has an incomplete scene part ({error}).") from None
    except PoseDataError as error:
        raise PoseDataError(f"{path} holds an invalid result: {error}") from None


def load_result(path: Path | str) -> PoseResult:
    """Read a result from poses3d.npz or poses3d.json, or from a folder holding either."""
    path = Path(path)
    if path.is_dir():
        candidates = [path / NPZ_NAME, path / JSON_NAME]
        found = [c for c in candidates if c.is_file()]
        if not found:
            raise PoseDataError(f"{path} holds neither {NPZ_NAME} nor {JSON_NAME}.")
        path = found[0]
    if path.suffix.lower() == ".npz":
        return read_npz(path)
    if path.suffix.lower() == ".json":
        return read_json(path)
    raise PoseDataError(f"Cannot read a result from {path}: expected a .json or .npz file.")


# ---------------------------------------------------------------------------------------------
# CSV
# ---------------------------------------------------------------------------------------------
def csv_header(joint_names: tuple[str, ...] = JOINTS16_NAMES) -> list[str]:
    """Column names: frame, time_s, then <Joint>_x/_y/_z (mm) and <Joint>_u/_v/_conf (px)."""
    columns = ["frame", "time_s"]
    columns += [f"{name}_{axis}" for name in joint_names for axis in "xyz"]
    columns += [f"{name}_{axis}" for name in joint_names for axis in ("u", "v", "conf")]
    return columns


def write_csv(result: PoseResult, path: Path | str) -> Path:
    """Write poses3d.csv: one row per pose, 3D mm to 0.001, px to 0.001, confidence to 1e-4;
    then the scene columns where the result has them (`scene_fields.scene_csv_columns`)."""
    count = result.num_frames
    scene_names, scene_values, scene_formats = scene_csv_columns(result)
    image_part = np.concatenate([result.keypoints_px, result.confidence[..., None]], axis=-1)
    table = np.concatenate([
        result.frame_indices[:, None], result.timestamps_s[:, None],
        result.pose3d_mm.reshape(count, 48), image_part.reshape(count, 48), scene_values,
    ], axis=1)
    formats = ["%d", "%.6f"] + ["%.3f"] * 48 + ["%.3f", "%.3f", "%.4f"] * 16 + scene_formats
    rows = [",".join(csv_header(result.joint_names) + scene_names)]
    rows += [",".join(f % v for f, v in zip(formats, row, strict=True)) for row in table.tolist()]
    return write_text(Path(path), "\n".join(rows) + "\n", "CSV file")
