"""BlazePose crop geometry: rotated ROI from two alignment points, ROI warp, un-projection.

Follows MediaPipe's `AlignmentPointsRectsCalculator` + `RectTransformationCalculator`
(scale 1.25, square_long), `ImageToTensorCalculator` (ROI corners onto the crop corners) and
`LandmarkProjectionCalculator`, plus `RefineLandmarksFromHeatmapCalculator`. No library covers
this pose-specific math, so it is written here; every step is a few lines of numpy.
"""

from __future__ import annotations

import math

import cv2
import numpy as np

from posemachines.inference.detectors.base import Roi
from posemachines.inference.detectors.blazepose_anchors import sigmoid

ROI_SCALE = 1.25
#: Angle (rad) the centre -> scale-point vector is rotated to: straight up in the crop.
TARGET_ANGLE = math.pi / 2
HEATMAP_KERNEL = 7
HEATMAP_MIN_CONFIDENCE = 0.5


def normalize_radians(angle: float) -> float:
    """Wrap an angle in rad into [-pi, pi)."""
    return angle - 2 * math.pi * math.floor((angle + math.pi) / (2 * math.pi))


def roi_from_alignment_points(
    center_px: np.ndarray, scale_point_px: np.ndarray, scale: float = ROI_SCALE
) -> Roi:
    """Square ROI centred on `center_px` (hip centre), side 2 * |scale_point - center| * scale.

    Rotation turns the centre -> scale-point vector (towards the head) to point up in the crop.
    """
    cx, cy = (float(v) for v in center_px)
    dx, dy = float(scale_point_px[0]) - cx, float(scale_point_px[1]) - cy
    size = 2.0 * math.hypot(dx, dy) * scale
    rotation = normalize_radians(TARGET_ANGLE - math.atan2(-dy, dx))
    return Roi(center_px=(cx, cy), size_px=size, rotation_rad=rotation)


def letterbox_roi(width: int, height: int) -> Roi:
    """The square, unrotated ROI that fits a width x height image, centred, with padding.

    Cropping it gives the letterboxed detector input; `crop_to_image_px` on it removes the
    letterbox padding again (MediaPipe's DetectionLetterboxRemovalCalculator).
    """
    return Roi(
        center_px=(width / 2.0, height / 2.0), size_px=float(max(width, height)), rotation_rad=0.0
    )


def _rotation(roi: Roi) -> np.ndarray:
    c, s = math.cos(roi.rotation_rad), math.sin(roi.rotation_rad)
    return np.array([[c, -s], [s, c]])


def image_to_crop_matrix(roi: Roi, crop_size: int) -> np.ndarray:
    """(2, 3) affine map from image px to crop px; the ROI's corners land on the crop corners."""
    linear = _rotation(roi).T * (crop_size / roi.size_px)
    offset = crop_size / 2.0 - linear @ np.asarray(roi.center_px)
    return np.hstack([linear, offset[:, None]])


def crop_roi(
    frame_rgb: np.ndarray, roi: Roi, crop_size: int, border: int = cv2.BORDER_REPLICATE
) -> np.ndarray:
    """Warp the ROI of an (H, W, 3) uint8 frame to a (crop_size, crop_size, 3) uint8 crop."""
    return cv2.warpAffine(
        frame_rgb,
        image_to_crop_matrix(roi, crop_size),
        (crop_size, crop_size),
        flags=cv2.INTER_LINEAR,
        borderMode=border,
    )


def crop_to_image_px(points_crop: np.ndarray, roi: Roi, crop_size: int) -> np.ndarray:
    """(N, 2) crop px -> (N, 2) image px: the inverse of `image_to_crop_matrix`."""
    local = (np.asarray(points_crop, dtype=np.float64) / crop_size - 0.5) * roi.size_px
    return local @ _rotation(roi).T + np.asarray(roi.center_px)


def image_to_crop_px(points_px: np.ndarray, roi: Roi, crop_size: int) -> np.ndarray:
    """(N, 2) image px -> (N, 2) crop px."""
    matrix = image_to_crop_matrix(roi, crop_size)
    return np.asarray(points_px, dtype=np.float64) @ matrix[:, :2].T + matrix[:, 2]


def refine_with_heatmap(
    points_norm: np.ndarray,
    heatmap_logits: np.ndarray,
    kernel_size: int = HEATMAP_KERNEL,
    min_confidence: float = HEATMAP_MIN_CONFIDENCE,
) -> np.ndarray:
    """Move (L, 2) crop-normalised points to the sigmoid-weighted mean of their heatmap window.

    heatmap_logits: (h, w, L). A point is moved only when the window's peak sigmoid reaches
    `min_confidence`; points whose heatmap cell lies outside the map are kept, and windows are
    cut at the map's edge (as MediaPipe's RefineLandmarksFromHeatmapCalculator).
    """
    height, width, _ = heatmap_logits.shape
    refined = np.array(points_norm, dtype=np.float64)
    with np.errstate(invalid="ignore"):
        cols = np.trunc(refined[:, 0] * width)
        rows = np.trunc(refined[:, 1] * height)
    inside = np.flatnonzero((cols >= 0) & (cols < width) & (rows >= 0) & (rows < height))
    if not inside.size:
        return refined
    half = (kernel_size - 1) // 2
    # Pad with -inf logits (sigmoid 0): the same as cutting the window at the edge.
    padded = np.pad(heatmap_logits, ((half, half), (half, half), (0, 0)), constant_values=-np.inf)
    offsets = np.arange(-half, half + 1)
    win_rows = rows[inside].astype(int)[:, None, None] + offsets[None, :, None]
    win_cols = cols[inside].astype(int)[:, None, None] + offsets[None, None, :]
    window = sigmoid(padded[win_rows + half, win_cols + half, inside[:, None, None]])
    total = window.sum(axis=(1, 2))
    confident = (window.max(axis=(1, 2)) >= min_confidence) & (total > 0)
    safe_total = np.where(total > 0, total, 1.0)
    mean_col = (window * win_cols).sum(axis=(1, 2)) / safe_total / width
    mean_row = (window * win_rows).sum(axis=(1, 2)) / safe_total / height
    refined[inside[confident]] = np.stack([mean_col, mean_row], axis=1)[confident]
    return refined
