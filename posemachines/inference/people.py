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

from posemachines.correction.clips import LiftedClip
from posemachines.correction.focal import estimate_focal_px
from posemachines.errors import PoseInputError, PoseModelError
from posemachines.inference.background_motion import BackgroundTracker
from posemachines.inference.detection_track import (
    DetectionTrack,
    PartialResultError,
    background_tracker,
)
from posemachines.inference.detectors import BlazePoseDetector, PoseDetector
from posemachines.inference.detectors.multi_person import (
    MultiPersonDetector,
    appearance_features,
)
from posemachines.inference.frames import Frame, FrameSource, open_frames
from posemachines.inference.lens_metadata import focal_35mm_of
from posemachines.inference.lifting import lift_clips
from posemachines.inference.shared_floor import one_floor
from posemachines.models.lifters import Lifter
from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult
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
    world: bool
    lifter: Lifter
    flip_test: bool
    time_reversal: bool

    def detector_for(self, source: FrameSource) -> PoseDetector: ...

    def predict_video(self, path: Path | str | FrameSource,
                      on_frame: Callable[[], None] | None = None) -> PoseResult: ...

    def lift_track(self, track: DetectionTrack, fps: float, image_size: tuple[int, int],
                   source: str, focal_px: float | None = None,
                   lifted: LiftedClip | None = None) -> PoseResult: ...


def track_people(detector: MultiPersonDetector, tracker: PersonTracker,
                 frames: Iterable[Frame], on_frame: Callable[[], None] | None = None,
                 background: BackgroundTracker | None = None,
                 ) -> tuple[dict[int, DetectionTrack], int]:
    """Detect and track everyone over `frames`: {id: that person's DetectionTrack} and the
    number of frames read. Tracks of things that never move and lie flat are dropped
    (`tracking.objects`); the ids left are numbered 1, 2, ... in the order people were
    confirmed. A read error after the first frame ends the tracks early (each track's `error`
    says why); before it, it is raised. background: also track the background around everyone
    (is the camera static?), the verdict shared by every track."""
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
            if background is not None:
                background.update(frame.rgb, xy if len(xy) else None)
            indices.append(frame.index)
            times.append(frame.timestamp_s)
            if on_frame is not None:
                on_frame()
    except PoseInputError as failure:
        if not per_frame:
            raise
        error = str(failure)
    tracks: dict[int, DetectionTrack] = {}
    camera = None if background is None else background.result()
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
            background=camera,
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
    blazepose = estimator.detector_for(source)
    if not isinstance(blazepose, BlazePoseDetector):
        raise PoseModelError("Several people need the BlazePose detector (its person detector "
                             f"finds everyone), not {type(blazepose).__name__}.")
    detector = MultiPersonDetector(blazepose, estimator.max_people,
                                   redetect_every=max(1, round(source.fps * REDETECT_S)))
    tracker = PersonTracker(TrackerConfig(fps=source.fps, min_score=NEWCOMER_MIN_SCORE))
    tracks, num_frames = track_people(detector, tracker, source, on_frame,
                                      background_tracker(source, estimator.world))
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
    included) run as one batch (`lifting.lift_clips`)."""
    ids = list(tracks)
    lifted = lift_clips(estimator.lifter, [(tracks[i].xy_px, tracks[i].confidence) for i in ids],
                        image_size, focal_px or estimator.focal_px, fps,
                        flip_test=estimator.flip_test, time_reversal=estimator.time_reversal)
    return {person_id: estimator.lift_track(tracks[person_id], fps, image_size, source,
                                            focal_px, lifted=clip)
            for person_id, clip in zip(ids, lifted, strict=True)}


def _one_person(result: PoseResult, source: FrameSource) -> PeopleResult:
    """The single-person result as a PeopleResult with id 1."""
    num_frames = result.num_frames + len(result.missing_frames)
    return PeopleResult({1: result}, num_frames, result.fps, result.image_size, str(source.path))
