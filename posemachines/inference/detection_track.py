"""The detector stage for one person: `detect_track` runs a detector over the frames into what
it hands the lifter, `DetectionTrack`; `PartialResultError` carries the result of an input
broken off part-way.

Kept apart from `estimator` so that the several-people pipeline (`inference.people`), which
the Estimator delegates to, can build tracks without importing the Estimator, and so that the
CLI can run the detector while the lifter's stack (torch) is still loading: nothing here
imports torch.
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseInputError
from posemachines.inference.background_motion import BackgroundMotion, BackgroundTracker
from posemachines.inference.detectors.base import PoseDetector
from posemachines.inference.frames import Frame, FrameSource
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


def detect_track(
    detector: PoseDetector, frames: Iterable[Frame], on_frame: Callable[[], None] | None = None,
    background: BackgroundTracker | None = None,
) -> DetectionTrack:
    """Run `detector` over `frames` (one video), keeping frames where a person was found;
    background: also track the background around the person (is the camera static?)."""
    detector.reset()
    xy, conf, indices, times, missing = [], [], [], [], []
    error = None
    try:
        for frame in frames:
            detection = detector.detect(frame.rgb)
            if detection is None:
                missing.append(frame.index)
            else:
                xy.append(detection.joints16_px)
                conf.append(detection.confidence16)
                indices.append(frame.index)
                times.append(frame.timestamp_s)
            if background is not None:
                background.update(frame.rgb, None if detection is None
                                  else detection.joints16_px)
            if on_frame is not None:
                on_frame()
    except PoseInputError as failure:
        if not xy and not missing:
            raise
        error = str(failure)
    return DetectionTrack(
        xy_px=np.asarray(xy, dtype=np.float32).reshape(-1, 16, 2),
        confidence=np.asarray(conf, dtype=np.float32).reshape(-1, 16),
        frame_indices=np.asarray(indices, dtype=np.int64),
        timestamps_s=np.asarray(times, dtype=np.float64),
        missing_frames=tuple(missing),
        error=error,
        background=None if background is None else background.result(),
    )


def background_tracker(source: FrameSource, world: bool) -> BackgroundTracker | None:
    """A tracker of the background (is the camera static?) for `source` where the person is
    to be placed in the world and the source has more than one image, else None."""
    return BackgroundTracker() if world and source.kind != "image" else None
