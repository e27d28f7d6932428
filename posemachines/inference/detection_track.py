"""What the detector stage hands the lifter for one person: `DetectionTrack`, and the error
that carries the result of an input broken off part-way (`PartialResultError`).

Kept apart from `estimator` so that the several-people pipeline (`inference.people`), which
the Estimator delegates to, can build tracks without importing the Estimator.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseInputError
from posemachines.inference.background_motion import BackgroundMotion
from posemachines.structures import PoseResult


class PartialResultError(PoseInputError):
    """The input broke off part-way (e.g. a corrupt video); `result` holds what came before."""

    def __init__(self, message: str, result: PoseResult) -> None:
        super().__init__(message)
        self.result = result


@dataclass(frozen=True)
class DetectionTrack:
    """2D detections of one video: xy_px (T, 16, 2), confidence (T, 16) for frames with a
    person; frame_indices / timestamps_s (T,); missing_frames without one; error: why reading
    stopped early, if it did; background: whether the background moved (the camera), where
    it was tracked."""

    xy_px: np.ndarray
    confidence: np.ndarray
    frame_indices: np.ndarray
    timestamps_s: np.ndarray
    missing_frames: tuple[int, ...]
    error: str | None = None
    background: BackgroundMotion | None = None
