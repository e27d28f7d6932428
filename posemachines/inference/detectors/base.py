"""The small interface every 2D pose detector implements, and its per-frame result."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseInputError


@dataclass(frozen=True)
class Roi:
    """A square, rotated region of interest in image px.

    A crop point (u, v) in [-0.5, 0.5]^2 (v down) sits at image px
    center_px + R(rotation_rad) @ (u, v) * size_px, with R = [[cos, -sin], [sin, cos]];
    rotation 0 means the person stands upright in the crop.
    """

    center_px: tuple[float, float]
    size_px: float
    rotation_rad: float


@dataclass(frozen=True)
class Detection2D:
    """One person's 2D pose in one frame (BlazePose's 33 landmarks plus our 16 joints).

    landmarks_px: (33, 2) image px (x right, y down); landmarks_z: (33,) relative depth in
    px on the x scale, about 0 at the hips, smaller is nearer the camera; visibility and
    presence: (33,) in [0, 1]; joints16_px: (16, 2) px in JOINTS16 order; confidence16: (16,)
    in [0, 1]; roi: the crop the landmarks came from; score: pose-presence probability;
    segmentation: None, or (S, S) float32 person probability in [0, 1] over the ROI crop (crop
    px, as `blazepose_geometry.image_to_crop_matrix(roi, S)` maps image px) where the detector
    was asked for it.
    """

    landmarks_px: np.ndarray
    landmarks_z: np.ndarray
    visibility: np.ndarray
    presence: np.ndarray
    joints16_px: np.ndarray
    confidence16: np.ndarray
    roi: Roi
    score: float
    segmentation: np.ndarray | None = None


class PoseDetector(ABC):
    """Finds one person's 2D pose per RGB frame; may track across the frames of one video."""

    @abstractmethod
    def detect(self, frame_rgb: np.ndarray) -> Detection2D | None:
        """Pose of the main person in a (H, W, 3) uint8 RGB frame, or None if nobody is found."""

    @abstractmethod
    def reset(self) -> None:
        """Forget tracking state; call before the first frame of a new video."""


def check_frame(frame_rgb: np.ndarray) -> np.ndarray:
    """Return `frame_rgb` as a C-contiguous (H, W, 3) uint8 array or raise PoseInputError."""
    frame = np.asarray(frame_rgb)
    if frame.ndim != 3 or frame.shape[2] != 3 or frame.dtype != np.uint8:
        raise PoseInputError(
            f"A frame must be an (H, W, 3) uint8 RGB array, got {frame.shape} {frame.dtype}."
        )
    if frame.shape[0] < 2 or frame.shape[1] < 2:
        raise PoseInputError(f"A frame must be at least 2x2 px, got {frame.shape[:2]}.")
    return np.ascontiguousarray(frame)
