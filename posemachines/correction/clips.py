"""What a test-time correction takes and gives: one lifted clip in, one corrected clip out.

Every corrector (`correctors`) takes the same `LiftedClip` (what the lifter saw and said about
one clip) and uses the part it needs: 'geometric' the 2D in pixels, 'paper' the lifter's own
input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posemachines.structures import CorrectionInfo


@dataclass(frozen=True)
class LiftedClip:
    """One clip as the lifter saw and lifted it.

    pose3d_mm: (T, 16, 3) mm, camera frame, root-relative. lifter_keypoints: (T, 16, 2) the
    lifter's normalised 2D input; visibility_root: (T, 18) its per-joint visibility (16) and
    the root's normalised image position (2). keypoints_px: (T, 16, 2) the detections;
    confidence: (T, 16) in [0, 1]; image_size: (width, height) px; intermediate3d_mm: (T, 16,
    3) the lifter's pose before Psi_C, if at hand (None: 'paper' runs the lifter again);
    focal_px: the focal length the lift assumed, if known (None: the default guess); fps: the
    clip's frame rate.
    """

    pose3d_mm: np.ndarray
    lifter_keypoints: np.ndarray
    visibility_root: np.ndarray
    keypoints_px: np.ndarray
    confidence: np.ndarray
    image_size: tuple[int, int]
    intermediate3d_mm: np.ndarray | None = None
    focal_px: float | None = None
    fps: float | None = None


@dataclass(frozen=True)
class CorrectedClip:
    """pose3d_mm: (T, 16, 3) mm, camera frame, root-relative; info: the per-frame record
    (None when nothing was corrected); root_translation_mm: (T, 3) mm, camera frame, where the
    method solves it (NaN where no joint was seen), else None; focal_px: the focal length the
    method settled on, if it estimates one."""

    pose3d_mm: np.ndarray
    info: CorrectionInfo | None = None
    root_translation_mm: np.ndarray | None = None
    focal_px: float | None = None


class Corrector(Protocol):
    """A test-time correction: `method` names it; calling it corrects one clip."""

    method: str

    def __call__(self, clip: LiftedClip) -> CorrectedClip: ...
