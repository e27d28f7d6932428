"""`Keypoints2D`: 2D joints of one person over time, the input of every lifting path."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseDataError


@dataclass(frozen=True)
class Keypoints2D:
    """2D joints of one person over time.

    xy_px: (T, J, 2) pixels, image frame (x right, y down).
    confidence: (T, J) in [0, 1]; 0 marks a missing joint.
    """

    xy_px: np.ndarray
    confidence: np.ndarray

    def __post_init__(self) -> None:
        if self.xy_px.ndim != 3 or self.xy_px.shape[-1] != 2:
            raise PoseDataError(f"Keypoints must be (T, J, 2) px, got {self.xy_px.shape}.")
        if self.confidence.shape != self.xy_px.shape[:2]:
            raise PoseDataError(
                f"Keypoint confidence must be {self.xy_px.shape[:2]}, "
                f"got {self.confidence.shape}."
            )

    @property
    def num_frames(self) -> int:
        return int(self.xy_px.shape[0])
