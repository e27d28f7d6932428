"""Several people per video: detect everyone, give each a stable id, lift each on its own.

`predict_people(estimator, path)` (what `Estimator.predict_people` runs): frames ->
`MultiPersonDetector` (BlazePose, every person) -> `PersonTracker` (ids through crossings and
occlusions up to 2 s) -> one `DetectionTrack` per id -> the lifter over every person in one
batch, then the Estimator's single-person `lift_track` per person (its own skeleton,
trajectory and correction) -> everyone on one floor (`shared_floor.one_floor`) ->
`PeopleResult`. With `max_people == 1` it is exactly `predict_video` (one person, id 1).
"""

from __future__ import annotations

from collections.abc import Callable, Iterable
from pathlib import Path
from typing import Protocol

import numpy as np
import torch

from posemachines.correction.correctors import LiftedClip
from posemachines.correction.focal import estimate_focal_px
from posemachines.data.lifter_input import encode_lifter_input, mirror_detections
from posemachines.errors import PoseInputError, PoseModelError
from posemachines.inference.detection_track import DetectionTrack, PartialResultError
from posemachines.inference.detectors import BlazePoseDetector, PoseDetector
from posemachines.inference.detectors.multi_person import (
    MultiPersonDetector,
    appearance_features,
)
from posemachines.inference.frames import Frame, FrameSource, open_frames
from posemachines.inference.lens_metadata import focal_35mm_of
from posemachines.inference.shared_floor import one_floor
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import flip_horizontal
from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult
from posemachines.threads import single_thread
from posemachines.tracking import FramePeople, PersonTracker, TrackerConfig, boxes_from_keypoints
from posemachines.tracking.objects import is_static_object
from posemachines.tracking.similarity import iou_matrix

#: Seconds between person-detector passes while people are tracked: a newcomer is found
#: within a third of a second.
REDETECT_S = 1.0 / 3.0
#: Pose-presence score a person needs to start a track (one already tracked needs BlazePose's
#: 0.5): people score 0.95-1.0, while furniture taken for a person (a bar table seen from
#: above in people_one_by_one_back_intel.mp4) scores 0.5-0.65.
NEWCOMER_MIN_SCORE = 0.8
#: Default --max-people: one person, today's single-person path (its speed, its outputs).
DEFAULT_MAX_PEOPLE = 1
#: The clothes' colours (`appearance_features`, ~1 ms a person) are measured where they can
#: tell people apart: when two people's boxes, widened by this factor, overlap, while a
#: confirmed track waits for its person, when someone's hips are off where a track expects
#: them (`PersonTracker.jumped`: a region may be sliding onto someone else), and every
#: APPEARANCE_EVERY frames (so that every track has its colours before it is needed).
NEAR_FACTOR, APPEARANCE_EVERY = 1.5, 5


class PartialPeopleError(PoseInputError):
    """The input broke off part-way; `result` holds the people found before."""

    def __init__(self, message: str, result: PeopleResult) -> None:
        super().__init__(message)
        self.result = result


class PeopleLifter(Protocol):
    """What `predict_people` needs of an `Estimator`."""

    max_people: int
    focal_px: float | None
    model: PoseMachine
    device: torch.device
    flip_test: bool
    time_reversal: bool

    @property
    def detector(self) -> PoseDetector: ...

    def predict_video(self, path: Path | str | FrameSource,
                      on_frame: Callable[[], None] | None = None) -> PoseResult: ...

    def lift_track(self, track: DetectionTrack, fps: float, image_size: tuple[int, int],
                   source: str, focal_px: float | None = None,
                   lifted: LiftedClip | None = None) -> PoseResult: ...


def track_people(detector: MultiPersonDetector, tracker: PersonTracker,
                 frames: Iterable[Frame], on_frame: Callable[[], None] | None = None
                 ) -> tuple[dict[int, DetectionTrack], int]:
    """Detect and track everyone over `frames`: {id: that person's DetectionTrack} and the
    number of frames read. Tracks of things that never move and lie flat are dropped
    (`tracking.objects`); the ids left are numbered 1, 2, ... in the order people were
    confirmed. A read error after the first frame ends the tracks early (each track's `error`
    says why); before it, it is raised."""
    detector.reset()
    tracker.reset()
    per_frame: list[FramePeople] = []
    indices: list[int] = []
    times: list[float] = []
    error = None
    try:
        for frame in frames:
            people = detector.detect_people(frame.rgb)
            xy = np.array([p.joints16_px for p in people]).reshape(-1, 16, 2)
            # BlazePose places every joint, seen or not: the whole body's box keeps its size
            # when legs leave the frame or hide behind someone.
            boxes = boxes_from_keypoints(xy, np.ones(xy.shape[:2]))
            wanted = (len(indices) % APPEARANCE_EVERY == 0 or tracker.waiting
                      or any_near(boxes) or tracker.jumped(xy))
            per_frame.append(FramePeople(
                xy_px=xy,
                confidence=np.array([p.confidence16 for p in people]).reshape(-1, 16),
                scores=np.array([p.score for p in people], dtype=np.float64),
                features=appearance_features(frame.rgb, people) if wanted else None,
                boxes=boxes, regions=np.array(detector.regions, dtype=np.int64),
            ))
            tracker.update(per_frame[-1])
            indices.append(frame.index)
            times.append(frame.timestamp_s)
            if on_frame is not None:
                on_frame()
    except PoseInputError as failure:
        if not per_frame:
            raise
        error = str(failure)
    tracks: dict[int, DetectionTrack] = {}
    for history in tracker.histories().values():
        positions = [position for position, _ in history]
        seen = {indices[position] for position in positions}
        first, last = indices[positions[0]], indices[positions[-1]]
        xy = np.array([per_frame[p].xy_px[i] for p, i in history], dtype=np.float32)
        if is_static_object(xy):
            continue
        tracks[len(tracks) + 1] = DetectionTrack(
            xy_px=xy,
            confidence=np.array([per_frame[p].confidence[i] for p, i in history],
                                dtype=np.float32),
            frame_indices=np.array([indices[p] for p in positions], dtype=np.int64),
            timestamps_s=np.array([times[p] for p in positions], dtype=np.float64),
            missing_frames=tuple(i for i in indices if first <= i <= last and i not in seen),
            error=error,
        )
    return tracks, len(indices)


def any_near(boxes: np.ndarray) -> bool:
    """Whether two of the (K, 4) cx, cy, w, h boxes, widened NEAR_FACTOR times, overlap."""
    if len(boxes) < 2:
        return False
    wide = np.concatenate([boxes[:, :2], boxes[:, 2:] * NEAR_FACTOR], axis=1)
    overlap = iou_matrix(wide, wide)
    return bool((overlap[np.triu_indices(len(boxes), 1)] > 0).any())


def predict_people(estimator: PeopleLifter, path: Path | str | FrameSource,
                   on_frame: Callable[[], None] | None = None) -> PeopleResult:
    """Everyone in a video, image or image folder (up to `estimator.max_people`), each lifted
    by the estimator's single-person pipeline. Raises PartialPeopleError (holding the people
    found) when the input breaks off part-way, PoseInputError when nobody is found."""
    source = path if isinstance(path, FrameSource) else open_frames(Path(path))
    size = (source.width, source.height)
    if estimator.max_people == 1:
        try:
            single = estimator.predict_video(source, on_frame)
        except PartialResultError as failure:
            raise PartialPeopleError(str(failure), _one_person(failure.result, source)) from None
        return _one_person(single, source)
    blazepose = estimator.detector
    if not isinstance(blazepose, BlazePoseDetector):
        raise PoseModelError("Several people need the BlazePose detector (its person detector "
                             f"finds everyone), not {type(blazepose).__name__}.")
    detector = MultiPersonDetector(blazepose, estimator.max_people,
                                   redetect_every=max(1, round(source.fps * REDETECT_S)))
    tracker = PersonTracker(TrackerConfig(fps=source.fps, min_score=NEWCOMER_MIN_SCORE))
    tracks, num_frames = track_people(detector, tracker, source, on_frame)
    if not tracks:
        raise PoseInputError(f"No person was found in {source.path}.")
    focal = estimator.focal_px
    if focal is None and (lens_35mm := focal_35mm_of(source)) is not None:
        focal = estimate_focal_px(size, focal_35mm=lens_35mm)
    people = one_floor(lift_people(estimator, tracks, source.fps, size, str(source.path), focal))
    result = PeopleResult(people, num_frames, source.fps, size, str(source.path))
    errors = [track.error for track in tracks.values() if track.error is not None]
    if errors:
        raise PartialPeopleError(errors[0], result)
    return result


def lift_people(estimator: PeopleLifter, tracks: dict[int, DetectionTrack], fps: float,
                image_size: tuple[int, int], source: str, focal_px: float | None = None
                ) -> dict[int, PoseResult]:
    """{id: PoseResult}: each track through `estimator.lift_track` (its own correction,
    skeleton and trajectory), the lifter's passes of every track (flip test and time reversal
    included) run as one batch (`lift_batch`)."""
    ids = list(tracks)
    lifted = lift_batch(estimator, [tracks[i] for i in ids], image_size, focal_px, fps)
    return {person_id: estimator.lift_track(tracks[person_id], fps, image_size, source,
                                            focal_px, lifted=clip)
            for person_id, clip in zip(ids, lifted, strict=True)}


def lift_batch(estimator: PeopleLifter, tracks: list[DetectionTrack],
               image_size: tuple[int, int], focal_px: float | None = None,
               fps: float | None = None) -> list[LiftedClip]:
    """`Estimator.lift` of several tracks in one forward pass of the lifter: every track, its
    mirror image (flip test) and both time-reversed, padded at the end to the longest. The
    LSTM is causal (a bidirectional lifter is lifted track by track), so padding after a clip
    leaves its output as it would be alone (to float rounding, ~1e-3 mm); one batched pass
    costs far less than 4 passes per person (the LSTM steps through time once)."""
    focal_px = focal_px or estimator.focal_px
    focal = estimate_focal_px(image_size, focal_px=focal_px)
    centre = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
    f_px = np.array([focal, focal])
    passes = [encode_lifter_input(t.xy_px, t.confidence, f_px, centre) for t in tracks]
    if estimator.flip_test:
        passes += [encode_lifter_input(*mirror_detections(t.xy_px, t.confidence, centre), f_px,
                                       centre) for t in tracks]
    if estimator.time_reversal:
        passes += [(keypoints[::-1].copy(), visibility[::-1].copy())
                   for keypoints, visibility in passes]
    outputs = _forward_padded(estimator, passes)
    if estimator.time_reversal:
        half = len(outputs) // 2
        outputs = [(0.5 * (ahead[0] + back[0][::-1]), 0.5 * (ahead[1] + back[1][::-1]))
                   for ahead, back in zip(outputs[:half], outputs[half:], strict=True)]
    if estimator.flip_test:
        count = len(tracks)
        outputs = [(0.5 * (plain[0] + flip_horizontal(mirrored[0])),
                    0.5 * (plain[1] + flip_horizontal(mirrored[1])))
                   for plain, mirrored in zip(outputs[:count], outputs[count:], strict=True)]
    return [LiftedClip(pose3d_mm=pose3d, intermediate3d_mm=intermediate3d,
                       lifter_keypoints=keypoints, visibility_root=visibility,
                       keypoints_px=track.xy_px, confidence=track.confidence,
                       image_size=image_size, focal_px=focal_px, fps=fps)
            for track, (pose3d, intermediate3d), (keypoints, visibility)
            in zip(tracks, outputs, passes[:len(tracks)], strict=True)]


def _forward_padded(estimator: PeopleLifter, passes: list[tuple[np.ndarray, np.ndarray]]
                    ) -> list[tuple[np.ndarray, np.ndarray]]:
    """Lifter inputs (T_i, 16, 2) + (T_i, 18) -> final and intermediate 3D (T_i, 16, 3) mm
    each, in one batch padded at the end (track by track for a bidirectional lifter)."""
    groups = [[one] for one in passes] if estimator.model.config.bidirectional else [passes]
    outputs = []
    for group in groups:
        longest = max(len(keypoints) for keypoints, _ in group)
        keypoints = np.zeros((len(group), longest, 16, 2), dtype=np.float32)
        visibility = np.zeros((len(group), longest, group[0][1].shape[-1]), dtype=np.float32)
        for row, (points, seen) in enumerate(group):
            keypoints[row, :len(points)], visibility[row, :len(seen)] = points, seen
        with torch.no_grad(), single_thread():
            output = estimator.model(torch.from_numpy(keypoints).to(estimator.device),
                                     visibility_root=torch.from_numpy(visibility).to(
                                         estimator.device))
        pose3d = output.pose3d_mm.cpu().numpy()
        intermediate3d = output.intermediate3d_mm.cpu().numpy()
        outputs += [(pose3d[row, :len(points)], intermediate3d[row, :len(points)])
                    for row, (points, _) in enumerate(group)]
    return outputs


def _one_person(result: PoseResult, source: FrameSource) -> PeopleResult:
    """The single-person result as a PeopleResult with id 1."""
    num_frames = result.num_frames + len(result.missing_frames)
    return PeopleResult({1: result}, num_frames, result.fps, result.image_size, str(source.path))
