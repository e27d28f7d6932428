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
"""

from __future__ import annotations

import numpy as np

from posemachines.data.normalization import normalize_2d
from posemachines.skeleton import JOINTS16

NUM_VISIBILITY_ROOT_FEATURES = 16 + 2


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

