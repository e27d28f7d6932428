"""Causal pipeline: one 3D pose per frame as the frame arrives (live camera, stream or file).

    for result in Estimator().stream(0):        # camera 0; or a URL, or a video file
        result.pose3d_mm                        # (16, 3) mm, or None where nobody was found

Per frame, using the past only: 2D detector (tracking) -> lifter input encoding -> the lifter's
LSTM run for one step with its state carried from the previous frame (`StreamingLifter`; the
flip test is kept: the mirrored view of the same frame, a second state) -> the causal geometric
correction (`correction.causal`: the person's skeleton refitted as frames arrive, a three-frame
sliding window). Time reversal needs the future and is not done. What each choice costs against
the offline pipeline: docs/live.md. Live sources drop the frames the pipeline has no time for
(`stream_sources`); the LSTM then sees the motion with those frames missing.
"""

from __future__ import annotations

import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posemachines.correction.causal import CausalCorrectionConfig, CausalGeometricCorrector
from posemachines.correction.focal import estimate_focal_px
from posemachines.data.lifter_input import (
    encode_lifter_input,
    mirror_detections,
    roll_back,
    roll_upright,
)
from posemachines.errors import PoseInputError
from posemachines.inference.detectors import PoseDetector
from posemachines.inference.stream_sources import StreamSource, open_stream
from posemachines.models.lifters import Lifter
from posemachines.models.numpy_lifter import NumpyLSTMState
from posemachines.skeleton import flip_horizontal

#: Correction methods that can run causally (the 'paper' one adapts Psi_C over a whole clip).
STREAM_CORRECTIONS = ("geometric", "none")


@dataclass(frozen=True)
class FrameResult:
    """One processed frame. frame_index: in the source (gaps: dropped frames); timestamp_s;
    keypoints_px (16, 2) px and confidence (16,), pose3d_mm (16, 3) mm camera frame
    root-relative and root_translation_mm (3,) camera frame (NaN where unsolved): None where
    no person was found (translation also with correction 'none'); latency_s: from the frame's
    arrival to this result; rgb: the frame (H, W, 3) uint8, for display."""

    frame_index: int
    timestamp_s: float
    keypoints_px: np.ndarray | None
    confidence: np.ndarray | None
    pose3d_mm: np.ndarray | None
    root_translation_mm: np.ndarray | None
    latency_s: float
    rgb: np.ndarray


class StreamingLifter:
    """The lifter one frame at a time, its LSTM state carried over (and that of the mirrored
    view with `flip_test`); the same poses as lifting the frames as one clip."""

    def __init__(self, lifter: Lifter, image_size: tuple[int, int], focal_px: float,
                 flip_test: bool = True) -> None:
        self.lifter = lifter
        self.flip_test = flip_test
        self.f_px = np.array([focal_px, focal_px])
        self.c_px = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
        self.reset()

    def reset(self) -> None:
        """A new clip: zero LSTM states."""
        self._state: NumpyLSTMState | None = None

    def lift(self, xy_px: np.ndarray, confidence: np.ndarray) -> np.ndarray:
        """One frame's detections (16, 2) px, (16,) -> pose (16, 3) mm, camera frame. With the
        flip test the frame and its mirror image go through the network as a batch of two
        clips (one call: on one frame the call's overhead is most of the time); a lifter
        with `upright_roll` sees the frame rolled upright, its output rolled back."""
        xy = np.asarray(xy_px, dtype=np.float32).reshape(1, 16, 2)
        conf = np.asarray(confidence, dtype=np.float32).reshape(1, 16)
        xy, roll = roll_upright(xy, conf, self.c_px, self.lifter.config.upright_roll)
        views = [(xy, conf)]
        if self.flip_test:
            views.append(mirror_detections(xy, conf, self.c_px))
        encoded = [encode_lifter_input(view_xy, view_conf, self.f_px, self.c_px)
                   for view_xy, view_conf in views]
        keypoints = np.stack([k for k, _ in encoded])
        extra = (np.stack([e for _, e in encoded])
                 if self.lifter.config.visibility_root_dim else None)
        output = self.lifter(keypoints, self._state, visibility_root=extra)
        self._state = output.state
        poses = output.pose3d_mm[:, 0].astype(np.float64)
        pose = 0.5 * (poses[0] + flip_horizontal(poses[1])) if self.flip_test else poses[0]
        return roll_back(pose[None], roll)[0]


class PoseStream:
    """Iterate for one `FrameResult` per processed frame, in order, each yielded as soon as it
    is ready; `close()` (or leaving a `with` block) stops the source.

    processed: frames yielded; dropped: frames the live source dropped; error: why the source
    stopped early (a camera or stream that broke off), else None; source: the `StreamSource`.
    """

    def __init__(self, source: StreamSource, detector: PoseDetector, lifter: StreamingLifter,
                 corrector: CausalGeometricCorrector | None) -> None:
        self.source, self.detector = source, detector
        self.lifter, self.corrector = lifter, corrector
        self.processed = 0

    @property
    def dropped(self) -> int:
        return self.source.dropped

    @property
    def error(self) -> str | None:
        return self.source.error

    @property
    def image_size(self) -> tuple[int, int]:
        return (self.source.width, self.source.height)

    def __iter__(self) -> Iterator[FrameResult]:
        self.detector.reset()
        try:
            for frame in self.source:
                result = self._process(frame.index, frame.timestamp_s, frame.rgb,
                                       frame.arrival_s)
                self.processed += 1
                yield result
        finally:
            self.source.close()

    def close(self) -> None:
        self.source.close()

    def __enter__(self) -> PoseStream:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _process(self, index: int, timestamp_s: float, rgb: np.ndarray, arrival_s: float
                 ) -> FrameResult:
        detection = self.detector.detect(rgb)
        if detection is None:
            if self.corrector is not None:
                self.corrector.break_motion()
            return FrameResult(index, timestamp_s, None, None, None, None,
                               time.perf_counter() - arrival_s, rgb)
        xy, confidence = detection.joints16_px, detection.confidence16
        pose = self.lifter.lift(xy, confidence)
        translation = None
        if self.corrector is not None:
            corrected = self.corrector.update(pose, xy, confidence, timestamp_s)
            pose, translation = corrected.pose3d_mm, corrected.root_translation_mm
        pose = pose - pose[:1]
        return FrameResult(index, timestamp_s, xy, confidence, pose.astype(np.float32),
                           translation, time.perf_counter() - arrival_s, rgb)


def open_pose_stream(
    source: StreamSource | Path | str | int, lifter: Lifter, detector: PoseDetector, *,
    correction: str = "geometric", focal_px: float | None = None,
    height_cm: float | None = None, flip_test: bool = True,
    realtime: bool = False, loop: bool = False,
) -> PoseStream:
    """The causal pipeline over `source` (a `StreamSource`, or what `open_stream` opens);
    arguments as `Estimator`'s. Raises PoseInputError for a bad source or correction."""
    if correction not in STREAM_CORRECTIONS:
        raise PoseInputError(f"Correction '{correction}' needs the whole clip; live runs "
                             f"{' or '.join(STREAM_CORRECTIONS)}.")
    opened = source if isinstance(source, StreamSource) else open_stream(source, realtime, loop)
    size = (opened.width, opened.height)
    focal = estimate_focal_px(size, focal_px=focal_px)
    streaming = StreamingLifter(lifter, size, focal, flip_test)
    # A live source refits the skeleton in the background: its cost stays off the frame path.
    corrector = (CausalGeometricCorrector(size, focal_px, height_cm, opened.fps,
                                          CausalCorrectionConfig(background_refit=opened.live))
                 if correction == "geometric" else None)
    return PoseStream(opened, detector, streaming, corrector)
