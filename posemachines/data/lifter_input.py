"""The pose-only lifter's input encoding, shared by training and inference.

keypoints: the 16 2D joints, root-centred and scale-normalised (`normalize_2d`); missing joints
(confidence 0) are zeroed. extra: per frame, 16 visibility flags then the root's normalised image
position ((u - cx) / f, (v - cy) / f), so the lifter can see where the person is in the image
(camera pan/tilt changes the 3D pose in the camera frame).
"""

from __future__ import annotations

import numpy as np

from posemachines.data.normalization import normalize_2d

NUM_EXTRA_FEATURES = 16 + 2


def encode_lifter_input(
    xy_px: np.ndarray, confidence: np.ndarray, f_px: np.ndarray, c_px: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """Encode detections for the lifter.

    xy_px: (..., T, 16, 2) px; confidence: (..., T, 16); f_px, c_px: (..., 2) px, one camera per
    clip. Returns keypoints (..., T, 16, 2) and extra (..., T, 18), both float32.
    """
    visible = confidence > 0
    normalized, params = normalize_2d(xy_px, confidence)
    keypoints = np.where(visible[..., None], normalized, 0.0)
    f = np.asarray(f_px, dtype=np.float64)[..., None, :]
    c = np.asarray(c_px, dtype=np.float64)[..., None, :]
    root_uv = (params.root - c) / f
    extra = np.concatenate([visible.astype(np.float64), root_uv], axis=-1)
    return keypoints.astype(np.float32), extra.astype(np.float32)
