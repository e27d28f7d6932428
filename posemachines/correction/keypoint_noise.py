"""How noisy are a clip's 2D detections? A robust jitter estimate from the detections alone.

Detector jitter is close to independent from frame to frame while body motion is smooth at video
rates, so the second temporal difference u[t+1] - 2 u[t] + u[t-1] of a joint's track is mostly
noise, with variance 6 sigma^2 for independent noise of standard deviation sigma. Its median
absolute deviation (x 1.4826, the normal-consistency factor) over all joints and both axes gives
sigma robustly against outliers and fast limbs.
"""

from __future__ import annotations

import math

import numpy as np

from posemachines.correction.statistics import lower_median

#: 1 / Phi^-1(3/4): MAD -> standard deviation for normal data.
MAD_TO_SIGMA = 1.4826
#: Reported when too few frames (or none of them seen three in a row) allow an estimate, px.
UNKNOWN_NOISE_PX = 0.0


def keypoint_noise_px(keypoints_px: np.ndarray, weights: np.ndarray) -> float:
    """Per-coordinate jitter sigma (px) of detections (T, J, 2) with weights (T, J) (0 = missing);
    0.0 when fewer than 3 consecutive frames of any joint are seen."""
    if keypoints_px.shape[0] < 3:
        return UNKNOWN_NOISE_PX
    second = keypoints_px[2:] - 2.0 * keypoints_px[1:-1] + keypoints_px[:-2]
    seen = (weights[2:] > 0) & (weights[1:-1] > 0) & (weights[:-2] > 0)
    values = second[seen]  # (N, 2)
    if values.shape[0] == 0:
        return UNKNOWN_NOISE_PX
    deviation = lower_median(np.abs(values - lower_median(values, axis=0)), axis=0)
    return float(MAD_TO_SIGMA * deviation.mean() / math.sqrt(6.0))
