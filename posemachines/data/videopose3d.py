"""The VideoPose3D npz layout (Human3.6M and HumanEva-I): readers, writers, action names.

`data_3d_<dataset>.npz`: `positions_3d[subject][action]` (N, J, 3) metres, world frame;
Human3.6M has the 32 raw joints, HumanEva-I 15 (subjects 'Train/S1', 'Validate/S2', ...).
`data_2d_<dataset>_<source>.npz`: `positions_2d[subject][action]` = one (N, J, 2) px array per
camera (4 for Human3.6M in `H36M_CAMERA_IDS` order, 3 for HumanEva-I; an entry may be None),
plus `metadata` {'layout_name', 'num_joints', 'keypoints_symmetry'}. Ground-truth 2D files
written by VideoPose3D lack 'layout_name'; the layout is then taken from the joint count.
Readers return posemachines' 16 joints in mm / px.
"""

from __future__ import annotations

import functools
import re
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any, overload

import numpy as np

from posemachines.data.npz import load_npz
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES, NUM_JOINTS, to_joints16
from posemachines.structures.pose_checks import check_pose_array

H36M_ACTIONS: tuple[str, ...] = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing",
    "Purchases", "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking",
    "WalkTogether",
)
#: Other spellings found in Human3.6M file names.
_ACTION_ALIASES = {"takingphoto": "Photo", "walkingdog": "WalkDog"}
_CANONICAL = {name.lower(): name for name in H36M_ACTIONS}

#: Metadata of a 17-joint Human3.6M 2D file, as VideoPose3D writes it.
H36M_2D_METADATA: dict[str, Any] = {
    "layout_name": "h36m",
    "num_joints": 17,
    "keypoints_symmetry": [[4, 5, 6, 11, 12, 13], [1, 2, 3, 14, 15, 16]],
}

#: VideoPose3D's HumanEva-I joints: pelvis, thorax, lsho, lelb, lwri, rsho, relb, rwri, lhip,
#: lkne, lank, rhip, rkne, rank, head. Mapped: Hip = pelvis, Thorax = thorax, Head = head (the
#: end of HumanEva's head segment), Spine = midpoint of pelvis and thorax, limbs one to one.
_HUMANEVA15_SOURCES: dict[str, dict[int, float]] = {
    "Hip": {0: 1.0}, "RHip": {11: 1.0}, "RKnee": {12: 1.0}, "RFoot": {13: 1.0},
    "LHip": {8: 1.0}, "LKnee": {9: 1.0}, "LFoot": {10: 1.0}, "Spine": {0: 0.5, 1: 0.5},
    "Thorax": {1: 1.0}, "Head": {14: 1.0}, "LShoulder": {2: 1.0}, "LElbow": {3: 1.0},
    "LWrist": {4: 1.0}, "RShoulder": {5: 1.0}, "RElbow": {6: 1.0}, "RWrist": {7: 1.0},
}

#: Layout name -> its joint count.
LAYOUTS: dict[str, int] = {
    "h36m32": 32, "h36m17": 17, "coco17": 17, "humaneva15": 15, "joints16": NUM_JOINTS,
}
_LAYOUT_BY_COUNT = {32: "h36m32", 17: "h36m17", 15: "humaneva15", 16: "joints16"}
#: VideoPose3D's layout names (and, for files re-written by us, the `LAYOUTS` keys themselves).
_LAYOUT_BY_METADATA = {"h36m": "h36m17", "coco": "coco17"} | {name: name for name in LAYOUTS}


def canonical_action(name: str) -> str:
    """'Directions 1', 'TakingPhoto', 'WalkingDog_2' -> 'Directions', 'Photo', 'WalkDog'.

    The take/chunk suffix is dropped; names outside Human3.6M keep their leading word
    ('Walking 1 chunk0' -> 'Walking', HumanEva-I's 'Jog 2' -> 'Jog').
    """
    match = re.match(r"[A-Za-z]+", name.strip())
    if match is None:
        raise PoseDataError(f"Action name {name!r} does not start with a word.")
    word = match.group(0)
    key = word.lower()
    return _ACTION_ALIASES.get(key) or _CANONICAL.get(key) or word


def layout_of(num_joints: int, metadata: dict[str, Any] | None = None) -> str:
    """The layout (a `LAYOUTS` key) of a file's joints, from metadata or the joint count."""
    name = (metadata or {}).get("layout_name")
    if name is not None:
        if name not in _LAYOUT_BY_METADATA:
            raise PoseDataError(
                f"Unsupported 2D layout {name!r}; supported: {', '.join(_LAYOUT_BY_METADATA)}."
            )
        layout = _LAYOUT_BY_METADATA[name]
    elif num_joints in _LAYOUT_BY_COUNT:
        layout = _LAYOUT_BY_COUNT[num_joints]
    else:
        raise PoseDataError(f"No known layout has {num_joints} joints (expected 15, 16, 17, 32).")
    if LAYOUTS[layout] != num_joints:
        raise PoseDataError(
            f"Layout {name!r} has {LAYOUTS[layout]} joints but the file has {num_joints}."
        )
    return layout


@overload
def map_to_joints16(joints: np.ndarray, layout: str) -> tuple[np.ndarray, None]: ...
@overload
def map_to_joints16(
    joints: np.ndarray, layout: str, confidence: np.ndarray
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def map_to_joints16(
    joints: np.ndarray, layout: str, confidence: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]: ...
def map_to_joints16(
    joints: np.ndarray, layout: str, confidence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """(..., J, D) joints of `layout` -> (..., 16, D); confidence (..., J) -> (..., 16) (min)."""
    if layout == "joints16":
        return joints, confidence
    if layout != "humaneva15":
        return to_joints16(joints, layout, confidence)
    matrix = _humaneva15_matrix()
    mapped = np.einsum("tj,...jd->...td", matrix, joints)
    if confidence is None:
        return mapped, None
    conf16 = np.stack(
        [confidence[..., matrix[t] != 0].min(axis=-1) for t in range(NUM_JOINTS)], axis=-1
    )
    return mapped, conf16


@functools.cache
def _humaneva15_matrix() -> np.ndarray:
    matrix = np.zeros((NUM_JOINTS, LAYOUTS["humaneva15"]))
    for target, name in enumerate(JOINTS16_NAMES):
        for source, weight in _HUMANEVA15_SOURCES[name].items():
            matrix[target, source] = weight
    matrix.setflags(write=False)
    return matrix


def _nested_dict(arrays: dict[str, np.ndarray], key: str, path: Path) -> dict[str, Any]:
    value = arrays[key]
    data = value.item() if value.dtype == object and value.shape == () else None
    if not isinstance(data, dict) or not data:
        raise PoseDataError(f"{path}: '{key}' is not a non-empty subject -> action dictionary.")
    for subject, actions in data.items():
        if not isinstance(actions, dict):
            raise PoseDataError(f"{path}: '{key}'[{subject!r}] is not an action dictionary.")
    return data


def load_videopose3d_3d(path: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """data_3d_*.npz -> {subject: {action: (N, 16, 3) float32 mm, world frame}}."""
    path = Path(path)
    arrays = load_npz(path, ["positions_3d"], allow_pickle=True)
    positions = _nested_dict(arrays, "positions_3d", path)
    out: dict[str, dict[str, np.ndarray]] = {}
    for subject, actions in positions.items():
        out[subject] = {}
        for action, array in actions.items():
            metres = check_pose_array(
                array, name=f"{path.name} {subject}/{action}", dims=3,
                num_joints=tuple(_LAYOUT_BY_COUNT), unit="m",
            )
            joints16, _ = map_to_joints16(metres, layout_of(metres.shape[-2]))
            out[subject][action] = (joints16 * 1000.0).astype(np.float32)
    return out


def read_videopose3d_2d_raw(
    path: str | Path,
) -> tuple[dict[str, dict[str, list[np.ndarray | None]]], dict[str, Any]]:
    """data_2d_*.npz as stored: arrays (N, J, 2) px, or (N, J, 3) with a confidence channel.

    The returned metadata always holds 'layout_name' (a `LAYOUTS` key) and 'num_joints'.
    """
    path = Path(path)
    arrays = load_npz(path, ["positions_2d"], allow_pickle=True)
    positions = _nested_dict(arrays, "positions_2d", path)
    metadata: dict[str, Any] = {}
    if "metadata" in arrays:
        stored = arrays["metadata"]
        metadata = dict(stored.item()) if stored.dtype == object and stored.shape == () else {}
    out: dict[str, dict[str, list[np.ndarray | None]]] = {}
    num_joints = None
    for subject, actions in positions.items():
        out[subject] = {}
        for action, cameras in actions.items():
            if isinstance(cameras, np.ndarray) and cameras.dtype != object:
                cameras = [cameras]
            checked: list[np.ndarray | None] = []
            for index, array in enumerate(cameras):
                if array is None:
                    checked.append(None)
                    continue
                name = f"{path.name} {subject}/{action} camera {index}"
                xy = _check_2d(array, name)
                if num_joints is not None and xy.shape[-2] != num_joints:
                    raise PoseDataError(
                        f"{name}: expected {num_joints} joints, got {xy.shape[-2]}."
                    )
                num_joints = xy.shape[-2]
                checked.append(xy)
            out[subject][action] = checked
    if num_joints is None:
        raise PoseDataError(f"{path} holds no 2D keypoints.")
    metadata["layout_name"] = layout_of(num_joints, metadata)
    metadata["num_joints"] = num_joints
    return out, metadata


def _check_2d(array: Any, name: str) -> np.ndarray:
    """(N, J, 2) px, or (N, J, 3) px + confidence, as a checked float array."""
    values = np.asarray(array)
    dims = 3 if values.ndim == 3 and values.shape[-1] == 3 else 2
    return check_pose_array(
        values, name=name, dims=dims, num_joints=tuple(_LAYOUT_BY_COUNT), unit=None
    )


def load_videopose3d_2d(
    path: str | Path,
) -> tuple[dict[str, dict[str, list[np.ndarray | None]]], dict[str, Any]]:
    """data_2d_*.npz -> ({subject: {action: [(N, 16, 2) float32 px per camera]}}, metadata).

    17-joint files map as Human3.6M unless metadata says 'coco'; 15 joints map as HumanEva-I.
    metadata is the stored one with 'layout_name' resolved to a `LAYOUTS` key.
    """
    raw, metadata = read_videopose3d_2d_raw(path)
    layout = metadata["layout_name"]
    out: dict[str, dict[str, list[np.ndarray | None]]] = {}
    for subject, actions in raw.items():
        out[subject] = {}
        for action, cameras in actions.items():
            out[subject][action] = [
                None if xy is None else map_to_joints16(xy[..., :2], layout)[0].astype(np.float32)
                for xy in cameras
            ]
    return out, metadata


def write_videopose3d_3d(path: str | Path, positions_mm: dict[str, dict[str, np.ndarray]]) -> Path:
    """Write {subject: {action: (N, J, 3) mm, world}} as data_3d npz (float32 metres)."""
    path = Path(path)
    output = {
        subject: {
            action: (check_pose_array(
                array, name=f"{subject}/{action}", dims=3, num_joints=tuple(_LAYOUT_BY_COUNT)
            ) / 1000.0).astype(np.float32)
            for action, array in actions.items()
        }
        for subject, actions in positions_mm.items()
    }
    return _save(path, positions_3d=output)


def write_videopose3d_2d(
    path: str | Path,
    positions_px: Mapping[str, Mapping[str, Sequence[np.ndarray | None]]],
    metadata: dict[str, Any],
) -> Path:
    """Write {subject: {action: [(N, J, 2) px per camera]}} and metadata as data_2d npz."""
    path = Path(path)
    output = {
        subject: {
            action: [
                None if xy is None else _check_2d(xy, f"{subject}/{action}").astype(np.float32)
                for xy in cameras
            ]
            for action, cameras in actions.items()
        }
        for subject, actions in positions_px.items()
    }
    return _save(path, positions_2d=output, metadata=dict(metadata))


def _save(path: Path, **arrays: Any) -> Path:
    """np.savez_compressed with pickled dicts; returns the written path (ending in .npz)."""
    if path.suffix != ".npz":
        path = path.with_name(path.name + ".npz")
    path.parent.mkdir(parents=True, exist_ok=True)
    packed: dict[str, Any] = {key: np.array(value, dtype=object) for key, value in arrays.items()}
    try:
        np.savez_compressed(path, **packed)
    except OSError as error:
        raise PoseDataError(f"Cannot write {path}: {error.strerror or error}.") from None
    return path
