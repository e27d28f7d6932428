"""The pose-only lifter's input encoding, shared by training and inference.

keypoints: the 16 2D joints, root-centred and scale-normalised (`normalize_2d`); missing joints
(confidence 0) are zeroed. visibility_root: per frame, 16 visibility flags then the root's
normalised image position ((u - cx) / f, (v - cy) / f), so the lifter can see where the person
is in the image (camera pan/tilt changes the 3D pose in the camera frame).

Flip testing (`mirror_detections`, then `posemachines.skeleton.flip_horizontal` on the output):
the detections mirrored about the principal point's vertical line (u -> 2 cx - u, left and right
joints swapped) are what the same pinhole camera sees of the mirrored body (x -> -x in the camera
frame), so a lifter's output for them, mirrored back, is a second estimate of the same pose;
averaging the two is the test-time augmentation of VideoPose3D (Pavllo et al., CVPR 2019).

Upright roll (`torso_roll_rad`, `roll_detections`, `unroll_pose`), for lifters whose config asks
for it (`PoseMachineConfig.upright_roll`): each frame's detections are turned about the
principal point until the hip -> thorax line points up the image, and the lifter's output is
turned back about the optical axis. A camera rolled about its optical axis sees exactly that
turned image, its camera-frame pose turned the same way about z, so nothing is approximated; a
lifter then meets a person lying on the floor as an upright torso with the limbs around it.
"""

from __future__ import annotations

import numpy as np

from posemachines.data.normalization import normalize_2d
from posemachines.skeleton import JOINTS16

NUM_VISIBILITY_ROOT_FEATURES = 16 + 2
_HIP, _THORAX = JOINTS16.names.index("Hip"), JOINTS16.names.index("Thorax")


def encode_lifter_input(
    xy_px: np.ndarray, confidence: np.ndarray, f_px: np.ndarray, c_px: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Encode detections for the lifter.

    xy_px: (..., T, 16, 2) px; confidence: (..., T, 16); f_px, c_px: (..., 2) px, one camera per
    clip. Returns keypoints (..., T, 16, 2) and visibility_root (..., T, 18), both float32.
    """
    visible = confidence > 0
    normalized, params = normalize_2d(xy_px, confidence)
    keypoints = np.where(visible[..., None], normalized, 0.0)
    f = np.asarray(f_px, dtype=np.float64)[..., None, :]
    c = np.asarray(c_px, dtype=np.float64)[..., None, :]
    root_uv = (params.root - c) / f
    visibility_root = np.concatenate([visible.astype(np.float64), root_uv], axis=-1)
    return keypoints.astype(np.float32), visibility_root.astype(np.float32)


def mirror_detections(
    xy_px: np.ndarray, confidence: np.ndarray, c_px: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Detections (..., T, 16, 2) px and confidence (..., T, 16) mirrored about x = cx of
    c_px (..., 2), left and right joints swapped (module doc)."""
    perm = list(JOINTS16.flip_permutation)
    xy = np.array(xy_px, dtype=np.float64)[..., perm, :]
    cx = np.asarray(c_px, dtype=np.float64)[..., None, None, 0]
    xy[..., 0] = 2.0 * cx - xy[..., 0]
    return xy.astype(np.asarray(xy_px).dtype), np.asarray(confidence)[..., perm]


def torso_roll_rad(xy_px: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(..., T) angle of each frame's hip -> thorax line from straight up the image, radians
    (positive: the thorax to the right of the hip); 0 where the hip or thorax is not seen.
    xy_px: (..., T, 16, 2) px; confidence: (..., T, 16)."""
    torso = xy_px[..., _THORAX, :] - xy_px[..., _HIP, :]
    angle = np.arctan2(torso[..., 0], -torso[..., 1])
    seen = (confidence[..., _HIP] > 0) & (confidence[..., _THORAX] > 0)
    return np.where(seen & np.any(torso != 0, axis=-1), angle, 0.0)


def _rotation_2d(angle_rad: np.ndarray) -> np.ndarray:
    """(...,) angles -> (..., 2, 2) rotations (image axes x right, y down)."""
    cos, sin = np.cos(angle_rad), np.sin(angle_rad)
    return np.stack([np.stack([cos, -sin], -1), np.stack([sin, cos], -1)], -2)


def roll_detections(xy_px: np.ndarray, c_px: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """Detections (..., T, 16, 2) px turned by -angle_rad (..., T) about c_px (..., 2): with
    `torso_roll_rad`'s angle the torso then points up the image. Same dtype as xy_px."""
    xy = np.asarray(xy_px, dtype=np.float64)
    centre = np.asarray(c_px, dtype=np.float64)[..., None, None, :]
    turned = np.einsum("...ij,...kj->...ki", _rotation_2d(-angle_rad), xy - centre) + centre
    return turned.astype(np.asarray(xy_px).dtype)


def unroll_pose(pose3d_mm: np.ndarray, angle_rad: np.ndarray) -> np.ndarray:
    """A lift of `roll_detections`' output (..., T, 16, 3) mm, camera frame, turned back by
    angle_rad (..., T) about the optical axis into the unrolled camera's frame."""
    pose = np.array(pose3d_mm, dtype=np.float64)
    pose[..., :2] = np.einsum("...ij,...kj->...ki", _rotation_2d(angle_rad), pose[..., :2])
    return pose.astype(np.asarray(pose3d_mm).dtype)


def roll_upright(xy_px: np.ndarray, confidence: np.ndarray, c_px: np.ndarray, enabled: bool
                 ) -> tuple[np.ndarray, np.ndarray | None]:
    """Detections (..., T, 16, 2) px rolled upright about c_px (..., 2) and the angles
    (..., T) rad to `roll_back` their lift with, when `enabled`; else (xy_px, None)."""
    if not enabled:
        return xy_px, None
    angle = torso_roll_rad(xy_px, confidence)
    return roll_detections(xy_px, c_px, angle), angle


def roll_back(pose3d_mm: np.ndarray, angle_rad: np.ndarray | None) -> np.ndarray:
    """The lift (..., T, 16, 3) mm of `roll_upright`'s detections in the camera's own frame
    (`unroll_pose`); unchanged where angle_rad is None (nothing was rolled)."""
    return pose3d_mm if angle_rad is None else unroll_pose(pose3d_mm, angle_rad)
