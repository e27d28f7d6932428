"""The `Estimator` API: video, image, folder or 2D keypoints in, `PoseResult` out.

    from posemachines import Estimator
    est = Estimator()                      # shipped lifter + BlazePose full, CPU
    result = est.predict_video("clip.mp4")
    result.pose3d_mm                       # (T, 16, 3) mm, camera frame, root-relative

Pipeline: frames -> 2D detector (one person, tracked) -> lifter input encoding -> the pose-only
lifter over the clip (LSTM state carried frame to frame; numpy on the CPU, `models.lifters`) ->
test-time correction -> placement in the scene. On the CPU nothing here imports torch.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posemachines.correction.correctors import (
    CorrectedClip,
    LiftedClip,
    create_corrector,
)
from posemachines.correction.focal import estimate_focal_px
from posemachines.errors import PoseInputError
from posemachines.inference.absences import with_absence_warning
from posemachines.inference.detection_track import (
    DetectionTrack,
    PartialResultError,
    background_tracker,
    detect_track,
)
from posemachines.inference.detectors import (
    DEFAULT_DETECTOR,
    PoseDetector,
    create_detector,
    default_detector_name,
)
from posemachines.inference.frames import FrameSource, open_frames
from posemachines.inference.lens_metadata import focal_35mm_of
from posemachines.inference.lifting import lift_clips
from posemachines.inference.people import DEFAULT_MAX_PEOPLE, predict_people
from posemachines.inference.scene import place_in_scene
from posemachines.inference.stream import PoseStream, open_pose_stream
from posemachines.inference.stream_sources import StreamSource
from posemachines.models.lifters import load_lifter
from posemachines.models.shipped import resolve_lifter_weights
from posemachines.structures import Keypoints2D, PoseResult
from posemachines.structures.people import PeopleResult

if TYPE_CHECKING:
    from posemachines.models.pose_machine import PoseMachine


class Estimator:
    """3D pose estimation for one person per video on CPU (or `device`).

    weights: lifter checkpoint (default: the shipped one); detector: a name from
    `posemachines.inference.detectors.DETECTOR_NAMES` or a `PoseDetector` instance (default:
    blazepose-heavy for a single image, blazepose-full for videos, folders and streams);
    correction: one of `CORRECTION_METHODS` ("geometric", the default; "paper", the paper's
    Psi_C/Psi_P self-supervision; "none"); focal_px: the camera's focal length if known (else
    from the file's lens metadata where the camera wrote it, `lens_metadata`, else estimated
    from the image size and refined over the clip); height_cm: the person's height if known
    (fixes the metric scale); flip_test: average the lift with that of the mirrored detections
    (test-time augmentation, one more lifter pass); time_reversal: also average with the lift
    of the clip played backwards, so that every frame is lifted knowing the frames after it too
    (needs the whole clip: offline only). What each costs and gains: docs/generalisation.md.
    max_people: how many people `predict_people` follows (1: exactly `predict_video`).
    device: "cpu" runs the lifter in numpy (`models.numpy_lifter`: torch is never imported),
    another torch device ("cuda:0") runs the torch network there.
    world: place the person in the scene — floor, gravity, camera height, foot contacts and
    feet kept on the floor (`PoseResult.world`; docs/world.md); a moving camera is detected and
    the result stays in the camera frame with a warning. The trajectory (`root_translation_mm`)
    and the camera are in every result.
    """

    def __init__(
        self,
        weights: Path | str | None = None,
        detector: str | PoseDetector | None = None,
        correction: str = "geometric",
        device: str = "cpu",
        focal_px: float | None = None,
        height_cm: float | None = None,
        flip_test: bool = True,
        time_reversal: bool = True,
        world: bool = True,
        max_people: int = DEFAULT_MAX_PEOPLE,
    ) -> None:
        self.weights_path = resolve_lifter_weights(weights)
        self.device = device
        self.lifter = load_lifter(self.weights_path, device)
        self._model: PoseMachine | None = None
        self._detector = detector if isinstance(detector, PoseDetector) else None
        self._image_detector: PoseDetector | None = None
        self.detector_name = (detector if detector is None or isinstance(detector, str)
                              else type(detector).__name__)
        # Only the 'paper' correction needs the torch network.
        self.corrector = create_corrector(
            correction, self.model if correction == "paper" else None, height_cm)
        self.focal_px = focal_px
        self.height_cm = height_cm
        self.flip_test = flip_test
        self.time_reversal = time_reversal
        if max_people < 1:
            raise PoseInputError(f"max_people must be at least 1, got {max_people}.")
        self.max_people = max_people
        self.world = world

    @property
    def model(self) -> PoseMachine:
        """The lifter as a torch network, loaded on first use (the 'paper' correction adapts
        it); inference itself runs `lifter` and never imports torch on the CPU."""
        if self._model is None:
            # Imported here, not above: torch loads only where it is used (not a cycle).
            from posemachines.models.checkpoint import load_checkpoint

            model, _ = load_checkpoint(self.weights_path, map_location=self.device)
            self._model = model.eval()
        return self._model

    @property
    def detector(self) -> PoseDetector:
        """The 2D detector for sequences of frames, created on first use (keypoint input never
        needs it): the one named, else `DEFAULT_DETECTOR`."""
        if self._detector is None:
            self._detector = create_detector(self.detector_name or DEFAULT_DETECTOR)
        return self._detector

    def detector_for(self, source: FrameSource) -> PoseDetector:
        """The 2D detector for `source`: the one named, else by the source's kind
        (`default_detector_name`: heavy for a single image, full for frames in sequence)."""
        if self.detector_name is not None or source.kind != "image":
            return self.detector
        if self._image_detector is None:
            self._image_detector = create_detector(default_detector_name(source.kind))
        return self._image_detector

    def predict_video(
        self, path: Path | str | FrameSource, on_frame: Callable[[], None] | None = None
    ) -> PoseResult:
        """Detect, lift and correct every frame of a video, image or image folder (a path, or
        a `FrameSource` already opened)."""
        source = path if isinstance(path, FrameSource) else open_frames(Path(path))
        track = detect_track(self.detector_for(source), source, on_frame,
                             background_tracker(source, self.world))
        return self.lift_detections(track, source)

    def lift_detections(self, track: DetectionTrack, source: FrameSource) -> PoseResult:
        """Lift and correct `track`, detected on `source` (`detect_track`): the lens's focal
        length from the file's metadata where the Estimator has none; a warning where the
        person was out of view for long (`absences`); PartialResultError (with the result) if
        the detection broke off part-way."""
        size = (source.width, source.height)
        focal = self.focal_px
        if focal is None and (lens_35mm := focal_35mm_of(source)) is not None:
            focal = estimate_focal_px(size, focal_35mm=lens_35mm)
        result = with_absence_warning(
            self.lift_track(track, source.fps, size, str(source.path), focal))
        if track.error is not None:
            raise PartialResultError(track.error, result)
        return result

    def predict_people(
        self, path: Path | str | FrameSource, on_frame: Callable[[], None] | None = None
    ) -> PeopleResult:
        """Everyone (up to `max_people`) in a video, image or folder, each with a stable id and
        lifted on its own (`inference.people`, docs/people.md)."""
        return predict_people(self, path, on_frame)

    def predict_image(self, path: Path | str) -> PoseResult:
        """A single image: the same pipeline as a one-frame video."""
        return self.predict_video(path)

    def stream(self, source: StreamSource | Path | str | int = 0, realtime: bool = False,
               loop: bool = False) -> PoseStream:
        """Live, causal: iterate for one `FrameResult` per frame as it is ready, from a camera
        index, a stream URL or a video file (`realtime`: at its own frame rate, dropping what
        there is no time for; `loop`: again at its end). No time reversal; the correction runs
        on a sliding window (`posemachines.inference.stream`, docs/live.md)."""
        return open_pose_stream(
            source, self.lifter, self.detector, correction=self.corrector.method,
            focal_px=self.focal_px, height_cm=self.height_cm, flip_test=self.flip_test,
            realtime=realtime, loop=loop)

    def predict_keypoints(
        self,
        keypoints: Keypoints2D | np.ndarray,
        fps: float = 30.0,
        image_size: tuple[int, int] | None = None,
        source: str = "",
    ) -> PoseResult:
        """Lift 2D keypoints from elsewhere: Keypoints2D or an array (T, 16, 2) px.

        image_size (width, height) px defaults to the keypoints' extent plus a margin.
        """
        if not isinstance(keypoints, Keypoints2D):
            xy = np.asarray(keypoints, dtype=np.float32)
            if xy.ndim != 3 or xy.shape[1:] != (16, 2):
                raise PoseInputError(f"Keypoints must be (T, 16, 2) px, got {xy.shape}.")
            keypoints = Keypoints2D(xy, np.ones(xy.shape[:2], dtype=np.float32))
        xy, conf = keypoints.xy_px, keypoints.confidence
        if not np.isfinite(xy[conf > 0]).all():
            raise PoseInputError("Keypoints contain NaN or infinite values on visible joints.")
        present = (conf > 0).any(axis=1)
        frames = np.arange(len(xy))
        if image_size is None:
            visible = xy[conf > 0]
            if len(visible) == 0:
                raise PoseInputError("No keypoint has a confidence above 0.")
            width, height = (int(v) for v in np.ceil(visible.max(axis=0) * 1.1 + 1))
            image_size = (width, height)
        track = DetectionTrack(
            xy_px=np.nan_to_num(xy[present]).astype(np.float32),
            confidence=conf[present].astype(np.float32),
            frame_indices=frames[present],
            timestamps_s=frames[present] / fps,
            missing_frames=tuple(int(i) for i in frames[~present]),
        )
        return self.lift_track(track, fps, image_size, source)

    def lift(
        self, xy_px: np.ndarray, confidence: np.ndarray, image_size: tuple[int, int],
        focal_px: float | None = None, fps: float | None = None,
    ) -> LiftedClip:
        """Uncorrected lifter output for one clip of detections xy_px (T, 16, 2) px with
        confidence (T, 16); focal_px (default: the Estimator's, else the default guess from the
        image size); fps: the clip's frame rate, passed on to the correction."""
        return lift_clips(self.lifter, [(xy_px, confidence)], image_size,
                          focal_px or self.focal_px, fps, flip_test=self.flip_test,
                          time_reversal=self.time_reversal)[0]

    def lift_track(
        self, track: DetectionTrack, fps: float, image_size: tuple[int, int], source: str,
        focal_px: float | None = None, lifted: LiftedClip | None = None,
    ) -> PoseResult:
        """Lift and correct a track; focal_px: the lens's, if known (else the Estimator's);
        lifted: the lifter's output for this track if already at hand (several people are
        lifted in one batch: `inference.people.lift_people`)."""
        if len(track.xy_px) == 0:
            raise PoseInputError(f"No person was found in {source or 'the input'}.")
        if lifted is None:
            lifted = self.lift(track.xy_px, track.confidence, image_size, focal_px, fps)
        corrected: CorrectedClip = self.corrector(lifted)
        pose3d = corrected.pose3d_mm
        pose3d = pose3d - pose3d[:, :1]  # exactly root-relative (the network is only close)
        scene = place_in_scene(
            pose3d, corrected.root_translation_mm, track.xy_px, track.confidence,
            track.frame_indices, fps, image_size,
            corrected.focal_px or estimate_focal_px(image_size, focal_px=lifted.focal_px),
            metric=self.height_cm is not None, world=self.world,
            moving_camera=track.background.reason
            if track.background is not None and track.background.moving else None,
        )
        return PoseResult(
            pose3d_mm=pose3d.astype(np.float32),
            keypoints_px=track.xy_px,
            confidence=track.confidence,
            frame_indices=track.frame_indices,
            timestamps_s=track.timestamps_s,
            fps=float(fps),
            image_size=(int(image_size[0]), int(image_size[1])),
            source=source,
            missing_frames=track.missing_frames,
            correction=corrected.info,
            root_translation_mm=scene.root_translation_mm,
            camera=scene.camera,
            world=scene.world,
        )
