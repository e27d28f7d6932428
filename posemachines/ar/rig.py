"""The body the props hang on: camera-frame joints over every frame, smoothed, with bone frames.

From a `PoseResult`: absolute camera-frame joints = pose3d_mm + root_translation_mm. Each joint
the detector saw well is then moved, at its 3D depth, onto the ray through its 2D keypoint
(`pin_to_image`): the lifter's pose is right in depth and orientation but reprojects 10-30 px
off the person's outline, which a prop would show as floating; its depth, the bone directions
and the sizes still come from the 3D. Gaps of up to `max_gap_s` (the detector lost the person)
are filled by interpolation so props hold their place; then every joint is smoothed in time
with a zero-phase Savitzky-Golay filter (no lag, keeps the motion's peaks better than a
moving average).

Model frames of the props: x the person's left, y up (towards the head), z forward (the way the
chest faces); right-handed, in camera mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.signal import savgol_filter

from posemachines.camera import backproject
from posemachines.errors import PoseDataError
from posemachines.structures import PoseResult

HIP, RHIP, RKNEE, RFOOT, LHIP, LKNEE, LFOOT, SPINE, THORAX, HEAD = range(10)
LSHOULDER, LELBOW, LWRIST, RSHOULDER, RELBOW, RWRIST = range(10, 16)
#: Confidence below which a joint keeps its 3D position, and above which it is fully pinned.
PIN_CONFIDENCE = (0.2, 0.6)
#: The ears sit this far from the thorax to the head top (skeleton.HEAD_EXTRAPOLATION = 0.5).
EARS = 1 / 1.5


@dataclass(frozen=True, eq=False)
class BodyTrack:
    """One person over every source frame 0..N-1 of a video.

    joints_mm: (N, 16, 3) mm, camera frame, NaN where there is no body (before the first pose,
    after the last, across gaps longer than the hold); present: (N,) bool; fps;
    head_mm, shoulder_mm, height_mm: the clip's median head (thorax to head top), shoulder
    width and standing height (head top to feet), for sizing props.
    """

    joints_mm: np.ndarray
    present: np.ndarray
    fps: float
    head_mm: float
    shoulder_mm: float
    height_mm: float

    @property
    def num_frames(self) -> int:
        return int(self.present.shape[0])


def camera_joints(result: PoseResult) -> np.ndarray:
    """(T, 16, 3) mm absolute camera-frame joints: pose3d_mm + root_translation_mm."""
    if result.root_translation_mm is None:
        raise PoseDataError(
            "AR needs the person's place in the camera (PoseResult.root_translation_mm): run "
            "the Estimator with a correction, or solve it with "
            "posemachines.correction.root_translation.solve_root_translation.")
    return np.asarray(result.pose3d_mm, np.float64) + result.root_translation_mm[:, None]


def pin_to_image(joints_mm: np.ndarray, keypoints_px: np.ndarray, confidence: np.ndarray,
                 f_px: np.ndarray, c_px: np.ndarray) -> np.ndarray:
    """Joints (T, 16, 3) mm moved at their depth onto the rays of the keypoints (T, 16, 2) px,
    fully where confidence (T, 16) >= PIN_CONFIDENCE[1], not at all below PIN_CONFIDENCE[0]."""
    depth = np.maximum(joints_mm[..., 2], 1.0)
    on_ray = backproject(np.asarray(keypoints_px, np.float64), depth, f_px, c_px)
    low, high = PIN_CONFIDENCE
    weight = np.clip((np.asarray(confidence, np.float64) - low) / (high - low), 0.0, 1.0)
    pinned = joints_mm + weight[..., None] * (on_ray - joints_mm)
    # The head top is extrapolated from the ears (in 2D and in the lifter's mocap alike): pin
    # the ear point at its own depth and extrapolate again in 3D, where foreshortening is right.
    thorax, head = joints_mm[..., THORAX, :], joints_mm[..., HEAD, :]
    ears = thorax + EARS * (head - thorax)
    ears_px = keypoints_px[..., THORAX, :] + EARS * (keypoints_px[..., HEAD, :]
                                                     - keypoints_px[..., THORAX, :])
    ears_on_ray = backproject(np.asarray(ears_px, np.float64), np.maximum(ears[..., 2], 1.0),
                              f_px, c_px)
    ears_pinned = ears + np.minimum(weight[..., HEAD], weight[..., THORAX])[..., None] * (
        ears_on_ray - ears)
    pinned_thorax = pinned[..., THORAX, :]
    pinned[..., HEAD, :] = pinned_thorax + (ears_pinned - pinned_thorax) / EARS
    return pinned


def fill_gaps(rows: np.ndarray, values: np.ndarray, num_frames: int, max_gap: int
              ) -> tuple[np.ndarray, np.ndarray]:
    """Values (T, ...) at frame `rows` (T,) spread over num_frames frames: linear across gaps
    of at most max_gap frames, NaN elsewhere. Returns (values (N, ...), present (N,))."""
    dense = np.full((num_frames, *values.shape[1:]), np.nan)
    dense[rows] = values
    present = np.zeros(num_frames, bool)
    present[rows] = True
    for before, after in zip(rows[:-1], rows[1:], strict=True):
        gap = after - before - 1
        if 0 < gap <= max_gap:
            t = (np.arange(1, gap + 1) / (gap + 1)).reshape(-1, *[1] * (values.ndim - 1))
            dense[before + 1:after] = dense[before] + t * (dense[after] - dense[before])
            present[before + 1:after] = True
    return dense, present


def smooth_runs(values: np.ndarray, present: np.ndarray, window: int) -> np.ndarray:
    """Savitzky-Golay (order 2, `window` frames, odd) along axis 0 within each run of present
    frames; runs shorter than 5 frames are left as they are."""
    out = values.copy()
    edges = np.flatnonzero(np.diff(np.r_[0, present.astype(int), 0]))
    for start, stop in zip(edges[::2], edges[1::2], strict=True):
        length = stop - start
        size = min(window, length if length % 2 else length - 1)
        if size >= 5:
            out[start:stop] = savgol_filter(values[start:stop], size, 2, axis=0, mode="interp")
    return out


def track_body(result: PoseResult, f_px: np.ndarray, c_px: np.ndarray,
               num_frames: int | None = None, *, max_gap_s: float = 0.5,
               smoothing_s: float = 0.3, pin: bool = True) -> BodyTrack:
    """The smoothed, gap-filled body of `result` over num_frames source frames (default: up to
    its last pose or missing frame). f_px, c_px: the camera (px) the keypoints were seen with."""
    joints = camera_joints(result)
    if pin:
        joints = pin_to_image(joints, result.keypoints_px, result.confidence, f_px, c_px)
    rows = np.asarray(result.frame_indices, np.int64)
    last = max([int(rows.max(initial=-1)), *result.missing_frames]) + 1
    total = last if num_frames is None else int(num_frames)
    keep = rows < total
    fps = float(result.fps)
    dense, present = fill_gaps(rows[keep], joints[keep], total, round(max_gap_s * fps))
    window = max(5, int(round(smoothing_s * fps)) | 1)
    smoothed = smooth_runs(dense, present, window)
    seen = smoothed[present]
    if not len(seen):
        raise PoseDataError("AR needs at least one frame with a person.")
    up = unit(seen[:, HEAD] - seen[:, HIP])
    foot_height = np.minimum(np.einsum("ij,ij->i", seen[:, RFOOT] - seen[:, HEAD], up),
                             np.einsum("ij,ij->i", seen[:, LFOOT] - seen[:, HEAD], up))
    return BodyTrack(
        joints_mm=smoothed, present=present, fps=fps,
        head_mm=float(np.median(np.linalg.norm(seen[:, HEAD] - seen[:, THORAX], axis=-1))),
        shoulder_mm=float(np.median(np.linalg.norm(seen[:, LSHOULDER] - seen[:, RSHOULDER],
                                                   axis=-1))),
        height_mm=float(np.median(-foot_height)),
    )


def unit(vectors: np.ndarray) -> np.ndarray:
    """Vectors (..., 3) scaled to length 1 (zero vectors stay zero)."""
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return vectors / np.maximum(norm, 1e-9)


def frame_from(up: np.ndarray, left: np.ndarray) -> np.ndarray:
    """Rotations (..., 3, 3) with columns (left, up, forward): `up` kept, `left` made
    perpendicular to it, forward = left x up."""
    up = unit(up)
    left = unit(left - np.sum(left * up, axis=-1, keepdims=True) * up)
    forward = np.cross(left, up)
    return np.stack([left, up, forward], axis=-1)


def face_frames(face_px: np.ndarray, fps: float, smoothing_s: float = 0.3) -> np.ndarray:
    """Head rotations (N, 3, 3) (columns left, up, forward) from face landmarks (N, 4, 3): left
    eye, right eye, left ear, right ear as (x px, y px, depth px on the x scale), as BlazePose
    gives them; NaN rows where the face was not seen. Left runs from the right ear to the left,
    forward from between the ears to between the eyes; the points are smoothed in time first.
    In image px with depth on the same scale the face is seen nearly orthographically, so these
    directions are the head's in the camera frame."""
    face = np.asarray(face_px, np.float64)
    present = np.asarray(np.isfinite(face).all(axis=(1, 2)))
    window = max(5, int(round(smoothing_s * fps)) | 1)
    face = smooth_runs(face, present, window)
    eyes, ears = face[:, :2].mean(axis=1), face[:, 2:].mean(axis=1)
    left = face[:, 2] - face[:, 3]
    forward = eyes - ears
    rotations = frame_from(np.cross(forward, left), left)
    rotations[~present] = np.nan
    return rotations


def eyes_px(face_px: np.ndarray, fps: float, smoothing_s: float = 0.3) -> np.ndarray:
    """(N, 2) px: the midpoint of the eyes of face landmarks (N, 4, 3) (as `face_frames`),
    smoothed in time; NaN where the face was not seen."""
    eyes = np.asarray(face_px, np.float64)[:, :2, :2].mean(axis=1)
    present = np.asarray(np.isfinite(eyes).all(axis=1))
    return smooth_runs(eyes, present, max(5, int(round(smoothing_s * fps)) | 1))


def torso_frame(joints: np.ndarray) -> np.ndarray:
    """(..., 3, 3) chest rotation: up from hip to thorax, left from the shoulders."""
    return frame_from(joints[..., THORAX, :] - joints[..., HIP, :],
                      joints[..., LSHOULDER, :] - joints[..., RSHOULDER, :])


def limb_frame(start: np.ndarray, end: np.ndarray, left: np.ndarray) -> np.ndarray:
    """(..., 3, 3) rotation whose -y runs along start -> end (y points back up the limb)."""
    return frame_from(start - end, left)
