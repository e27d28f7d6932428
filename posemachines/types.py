"""Small frozen containers passed across package boundaries; units are in the field names."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np


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
            raise ValueError(f"xy_px must be (T, J, 2), got {self.xy_px.shape}")
        if self.confidence.shape != self.xy_px.shape[:2]:
            raise ValueError(
                f"confidence must be {self.xy_px.shape[:2]}, got {self.confidence.shape}"
            )

    @property
    def num_frames(self) -> int:
        return int(self.xy_px.shape[0])


@dataclass(frozen=True)
class Pose3D:
    """3D joints of one person over time.

    joints_mm: (T, J, 3) millimetres; `frame` names the coordinate frame
    ("camera": x right, y down, z forward, root-relative unless stated).
    """

    joints_mm: np.ndarray
    frame: str = "camera"

    def __post_init__(self) -> None:
        if self.joints_mm.ndim != 3 or self.joints_mm.shape[-1] != 3:
            raise ValueError(f"joints_mm must be (T, J, 3), got {self.joints_mm.shape}")
