"""2D keypoint files -> posemachines.structures.Keypoints2D in the 16-joint set, with sample ids.

Formats (each sample is one person instance; for OpenPose and VideoPose3D, one video frame):
- COCO keypoint JSON: a dataset dict (`annotations[].keypoints` = [x, y, v] * 17; crowd and
  unlabelled annotations skipped; v = 0 -> confidence 0, v > 0 -> 1) or a results list as
  mmpose/Detectron2 write it ([{image_id, keypoints: [x, y, score] * 17, score}]; confidence =
  the keypoint score). The layout is COCO-17 unless the category's keypoint names are Human3.6M's.
  Ids: the image's file_name when the dataset lists it, else str(image_id).
- MPII JSON as mmpose writes it: [{joints (16, 2), joints_vis (16,), image}]. Coordinates are
  MPII's 1-based ones and are shifted by -1 to 0-based pixels. Ids: image names.
- OpenPose: a folder of per-frame JSON files (sorted by name) or one such file;
  `people[].pose_keypoints_2d` in BODY_25 or COCO-18. Per frame the person with the largest
  mean confidence x bounding-box area (of joints with confidence > 0) is kept; a frame with
  nobody gets confidence 0. Ids: file stems.
- VideoPose3D 2D npz: one subject/action/camera (default: the first); confidence 1, or the
  third channel when stored. Ids: 'subject/action/camera/frame'.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from posemachines.data.videopose3d import map_to_joints16, read_videopose3d_2d_raw
from posemachines.errors import PoseDataError
from posemachines.structures import Keypoints2D

COCO17_NAMES = (
    "nose", "left_eye", "right_eye", "left_ear", "right_ear", "left_shoulder", "right_shoulder",
    "left_elbow", "right_elbow", "left_wrist", "right_wrist", "left_hip", "right_hip",
    "left_knee", "right_knee", "left_ankle", "right_ankle",
)
#: OpenPose COCO-18 (nose, neck, rsho, relb, rwri, lsho, lelb, lwri, rhip, rkne, rank, lhip,
#: lkne, lank, reye, leye, rear, lear) -> COCO-17 order (the neck is dropped).
OPENPOSE18_TO_COCO17 = (0, 15, 14, 17, 16, 5, 2, 6, 3, 7, 4, 11, 8, 12, 9, 13, 10)
_OPENPOSE_JOINT_COUNTS = (25, 18)


class KeypointSamples(NamedTuple):
    """Keypoints (T, 16, 2) px + (T, 16) confidence, and one id per sample."""

    keypoints: Keypoints2D
    ids: tuple[str, ...]


def _read_json(path: Path) -> Any:
    try:
        return json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        raise PoseDataError(f"{path} does not exist.") from None
    except (OSError, UnicodeDecodeError, json.JSONDecodeError) as error:
        raise PoseDataError(f"{path} is not readable JSON ({type(error).__name__}).") from None


def _flat_keypoints(values: Any, num_joints: int, where: str) -> np.ndarray:
    """A flat [x, y, c] * J list -> (J, 3) float array."""
    try:
        array = np.asarray(values, dtype=np.float64)
    except (TypeError, ValueError):
        raise PoseDataError(f"{where}: keypoints are not numbers.") from None
    if array.size != 3 * num_joints:
        raise PoseDataError(
            f"{where}: expected {num_joints} keypoints ({3 * num_joints} numbers), "
            f"got {array.size} numbers."
        )
    if not np.all(np.isfinite(array)):
        raise PoseDataError(f"{where}: keypoints hold NaN or infinite values.")
    return array.reshape(num_joints, 3)


def _samples(joints: list[np.ndarray], confidence: list[np.ndarray], layout: str,
             ids: list[str], where: Path) -> KeypointSamples:
    """Stack per-sample (J, 2) + (J,) arrays of `layout` and map them to the 16 joints."""
    if not joints:
        raise PoseDataError(f"{where} holds no keypoints.")
    xy, conf = np.stack(joints), np.clip(np.stack(confidence), 0.0, 1.0)
    xy16, conf16 = map_to_joints16(xy, layout, conf)
    return KeypointSamples(Keypoints2D(xy16, conf16), tuple(ids))


def _coco_layout(categories: Any) -> str:
    names: list[str] = []
    if isinstance(categories, list):
        for category in categories:
            if isinstance(category, dict) and category.get("keypoints"):
                names = [str(name).lower() for name in category["keypoints"]]
                break
    if len(names) == 17 and any("pelvis" in n or "thorax" in n for n in names):
        return "h36m17"
    if names and tuple(names) != COCO17_NAMES:
        raise PoseDataError(
            f"Unsupported COCO keypoint names ({len(names)} joints, starting {names[:3]})."
        )
    return "coco17"


def load_coco_keypoints(path: str | Path) -> KeypointSamples:
    """COCO keypoint dataset JSON or COCO results list -> KeypointSamples (see module doc)."""
    path = Path(path)
    return _coco_from_data(_read_json(path), path)


def _coco_from_data(data: Any, path: Path) -> KeypointSamples:
    if isinstance(data, dict):
        annotations, layout = data.get("annotations"), _coco_layout(data.get("categories"))
        images = {img.get("id"): img.get("file_name") for img in data.get("images", [])
                  if isinstance(img, dict)}
        results = False
    else:
        annotations, layout, images, results = data, "coco17", {}, True
    if not isinstance(annotations, list):
        raise PoseDataError(f"{path} has no list of COCO annotations.")
    joints, confidence, ids = [], [], []
    for index, annotation in enumerate(annotations):
        if not isinstance(annotation, dict) or "keypoints" not in annotation:
            raise PoseDataError(f"{path}: annotation {index} has no 'keypoints'.")
        if annotation.get("iscrowd") or annotation.get("num_keypoints", 1) == 0:
            continue
        keypoints = _flat_keypoints(annotation["keypoints"], 17, f"{path} annotation {index}")
        joints.append(keypoints[:, :2])
        confidence.append(keypoints[:, 2] if results else (keypoints[:, 2] > 0).astype(float))
        image_id = annotation.get("image_id")
        ids.append(str(images.get(image_id) or image_id))
    return _samples(joints, confidence, layout, ids, path)


def load_mpii_json(path: str | Path) -> KeypointSamples:
    """mmpose-style MPII JSON -> KeypointSamples (0-based px; see module doc)."""
    path = Path(path)
    return _mpii_from_data(_read_json(path), path)


def _mpii_from_data(data: Any, path: Path) -> KeypointSamples:
    if not isinstance(data, list):
        raise PoseDataError(f"{path} is not a list of MPII annotations.")
    joints, confidence, ids = [], [], []
    for index, entry in enumerate(data):
        where = f"{path} entry {index}"
        try:
            xy = np.asarray(entry["joints"], dtype=np.float64)
            visible = np.asarray(entry["joints_vis"], dtype=np.float64)
        except (KeyError, TypeError, ValueError):
            raise PoseDataError(f"{where} lacks numeric 'joints' and 'joints_vis'.") from None
        if xy.shape != (16, 2) or visible.shape != (16,):
            raise PoseDataError(
                f"{where}: expected 16 joints, got joints {xy.shape} and joints_vis "
                f"{visible.shape}."
            )
        joints.append(xy - 1.0)
        confidence.append((visible > 0).astype(float))
        ids.append(str(entry.get("image", index)))
    return _samples(joints, confidence, "mpii16", ids, path)


def load_openpose(path: str | Path) -> KeypointSamples:
    """An OpenPose output folder (one JSON per frame) or one frame's JSON -> KeypointSamples."""
    path = Path(path)
    if path.is_dir():
        files = sorted(path.glob("*.json"))
        if not files:
            raise PoseDataError(f"{path} holds no OpenPose .json files.")
    else:
        files = [path]
    frames = [(_read_json(file), file) for file in files]
    return _openpose_from_frames(frames, path)


def _openpose_from_frames(frames: list[tuple[Any, Path]], path: Path) -> KeypointSamples:
    people_per_frame: list[list[np.ndarray]] = []
    counts: set[int] = set()
    for data, file in frames:
        if not isinstance(data, dict) or not isinstance(data.get("people"), list):
            raise PoseDataError(f"{file} is not an OpenPose frame (no 'people' list).")
        people = []
        for person in data["people"]:
            flat = person.get("pose_keypoints_2d", person.get("pose_keypoints")) or []
            if not flat:
                continue
            count = len(flat) // 3
            if count not in _OPENPOSE_JOINT_COUNTS:
                raise PoseDataError(
                    f"{file}: {count} body keypoints; expected 25 (BODY_25) or 18 (COCO-18)."
                )
            counts.add(count)
            people.append(_flat_keypoints(flat, count, str(file)))
        people_per_frame.append(people)
    if len(counts) != 1:
        message = "mixes body models" if counts else "has no person in any frame"
        raise PoseDataError(f"{path} {message}.")
    count = counts.pop()
    chosen = [_main_person(people, count) for people in people_per_frame]
    keypoints = np.stack(chosen)
    if count == 18:
        keypoints = keypoints[:, list(OPENPOSE18_TO_COCO17)]
    layout = "body25" if count == 25 else "coco17"
    return _samples(list(keypoints[..., :2]), list(keypoints[..., 2]), layout,
                    [file.stem for _, file in frames], path)


def _main_person(people: list[np.ndarray], count: int) -> np.ndarray:
    """The person with the largest mean confidence x box area; zeros when there is none."""
    best, best_score = np.zeros((count, 3)), -1.0
    for keypoints in people:
        seen = keypoints[keypoints[:, 2] > 0]
        if len(seen) == 0:
            continue
        extent = seen[:, :2].max(axis=0) - seen[:, :2].min(axis=0)
        score = float(keypoints[:, 2].mean() * max(extent[0] * extent[1], 1.0))
        if score > best_score:
            best, best_score = keypoints, score
    return best


def load_videopose3d_keypoints(
    path: str | Path, subject: str | None = None, action: str | None = None, camera: int = 0
) -> KeypointSamples:
    """One subject/action/camera of a VideoPose3D 2D npz (default: the first) -> samples."""
    path = Path(path)
    positions, metadata = read_videopose3d_2d_raw(path)
    subject = next(iter(positions)) if subject is None else subject
    if subject not in positions:
        raise PoseDataError(f"{path} has no subject {subject!r}.")
    action = next(iter(positions[subject])) if action is None else action
    if action not in positions[subject]:
        raise PoseDataError(f"{path} has no action {action!r} for subject {subject}.")
    cameras = positions[subject][action]
    array = cameras[camera] if 0 <= camera < len(cameras) else None
    if array is None:
        raise PoseDataError(f"{path} has no camera {camera} for {subject}/{action}.")
    confidence = array[..., 2] if array.shape[-1] == 3 else np.ones(array.shape[:-1])
    ids = [f"{subject}/{action}/{camera}/{frame}" for frame in range(len(array))]
    return _samples(list(array[..., :2]), list(confidence), metadata["layout_name"], ids, path)


def load_keypoint_samples(path: str | Path) -> KeypointSamples:
    """Any supported keypoint file or OpenPose folder -> KeypointSamples (see module doc)."""
    path = Path(path)
    if path.is_dir():
        return load_openpose(path)
    if not path.exists():
        raise PoseDataError(f"{path} does not exist.")
    suffix = path.suffix.lower()
    if suffix == ".npz":
        return load_videopose3d_keypoints(path)
    if suffix != ".json":
        raise PoseDataError(f"{path}: unsupported keypoint file type {suffix or '(none)'}.")
    data = _read_json(path)
    if isinstance(data, dict) and "annotations" in data:
        return _coco_from_data(data, path)
    if isinstance(data, dict) and "people" in data:
        return _openpose_from_frames([(data, path)], path)
    if isinstance(data, list) and data and isinstance(data[0], dict):
        if "joints" in data[0]:
            return _mpii_from_data(data, path)
        if "keypoints" in data[0]:
            return _coco_from_data(data, path)
    raise PoseDataError(f"{path} is not COCO, MPII or OpenPose keypoint JSON.")


def load_keypoints(path: str | Path) -> Keypoints2D:
    """Any supported keypoint file or OpenPose folder -> Keypoints2D (T, 16, 2) px."""
    return load_keypoint_samples(path).keypoints
