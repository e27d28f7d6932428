"""Labelled mocap for the action classifier: per-frame labels, train/test segments, windows,
the same segments as our lifter sees them (projected, noisy 2D lifted back to 3D), the
class-balanced number of lifted copies, and (augmented) feature batches of windows.

Per-frame labels (`label_frames`):
- Bandai Namco: the take's active span (from the first to the last frame whose motion exceeds
  ACTIVE_SPEED or a share of the take's top speed, widened by ACTIVE_MARGIN_S) gets the
  content's class; the still lead-in and lead-out get `stand`.
- LAFAN1 fall takes (fallAndGetUp, pushAndFall, ground): falls found by
  `analysis.falls.detect_falls` (from FALL_BEFORE_S before the last upright frame to
  FALL_AFTER_S after the first frame down) -> `fall`; frames down on the floor and getting up
  (from down until upright again) -> `floor`; everything else unlabelled.
- LAFAN1 dance: the active span -> `dance`; LAFAN1 walk: walking straight -> `walk`, turning
  (on the spot too) -> `walk_turn` (`action_gait`).
- LAFAN1, every take: passages still and upright for STAND_MIN_S -> `stand` (before the above).
- CMU sitting takes (`action_taxonomy.FRAME_LABELLED` -> sit): frames whose hips are lowered
  (hip height above the lower foot under SIT_HEIGHT of the take's standing height, its
  STANDING_PERCENTILE), widened by LOWERED_MARGIN_S to take in sitting down and standing up,
  -> `sit`; still upright passages (as for LAFAN1) -> `stand`; the rest unlabelled.
- CMU exercise and pick-up takes (-> squat): frames lowered under SQUAT_HEIGHT, widened by
  LOWERED_MARGIN_S, -> `squat`; the rest (jumping jacks, twists, jogging) unlabelled.
A window's label is the one label shared by all frames of its middle third; windows whose
middle third mixes labels (or holds unlabelled frames) are left out.
"""

from __future__ import annotations

import dataclasses
import math
from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
from scipy.interpolate import interp1d
from scipy.ndimage import uniform_filter1d

from posemachines.analysis.action_augment import (
    STILL_SUFFIX,
    UPPER_BODY_INDICES,
    all_of,
    arms_spread,
    held_arms,
    hold_legs_still,
    holding,
    still_segments,
)
from posemachines.analysis.action_features import (
    WINDOW_FRAMES,
    mirror_windows,
    window_features,
)
from posemachines.analysis.action_gait import gait_labels
from posemachines.analysis.action_taxonomy import (
    ACTION_CLASSES,
    ACTION_INDEX,
    FRAME_LABELLED,
    TEST_FRACTION,
    UNLABELLED,
    action_for_content,
    is_split_in_time,
    is_test_take,
)
from posemachines.analysis.falls import detect_falls
from posemachines.analysis.vertical import estimate_up
from posemachines.arrays import true_runs
from posemachines.data.mocap import MocapClip, MocapCollection
from posemachines.training.mocap_views import MocapViewConfig, MocapViews

#: A frame is active when the fastest joint (relative to the root, smoothed over
#: ACTIVE_SMOOTHING_S) moves faster than this many leg lengths per second, or than
#: ACTIVE_PEAK_FRACTION of the take's top speed if lower (slow, timid gestures).
ACTIVE_SPEED = 0.35
ACTIVE_PEAK_FRACTION = 0.4
ACTIVE_SMOOTHING_S = 0.5
ACTIVE_MARGIN_S = 0.25
FALL_BEFORE_S = 0.25
FALL_AFTER_S = 0.35
#: LAFAN1 passages still (see ACTIVE_SPEED) and upright (`falls`) this long are `stand`.
STAND_MIN_S = 1.0
#: Hip height above the lower foot, as a share of the take's STANDING_PERCENTILE, below which
#: a CMU sitting take sits and an exercise take squats (measured: seated 0.27-0.75, squats and
#: crouched pick-ups 0.29-0.50, jumping jacks and bending over with straight legs >= 0.80).
SIT_HEIGHT = 0.85
SQUAT_HEIGHT = 0.6
STANDING_PERCENTILE = 90
LOWERED_MARGIN_S = 0.5
WORLD_UP = np.array([0.0, 1.0, 0.0])
#: Takes of classes with fewer training frames than this are filmed by more cameras (at most
#: MAX_LIFTED_COPIES), so small classes see as many views as large ones.
BALANCE_FRAMES = 4000
MAX_LIFTED_COPIES = 8
#: Frame steps of the pieces filmed at a low rate (30 fps mocap -> 15 and 10 fps).
LOW_FPS_STEPS = (2, 3)
@dataclass(frozen=True, eq=False)
class LabelledSegment:
    """A stretch of one take: joints_mm (T, 16, 3) mm (world Y up, or camera frame once
    lifted), labels (T,) class indices (UNLABELLED = -1), up (3,) in the joints' frame."""

    name: str
    joints_mm: np.ndarray
    labels: np.ndarray
    up: np.ndarray
    test: bool


def motion_speed(joints_mm: np.ndarray, fps: float) -> np.ndarray:
    """(T, 16, 3) mm -> (T,) fastest root-relative joint speed, leg lengths/s, smoothed."""
    relative = joints_mm - joints_mm[:, :1]
    legs = (np.linalg.norm(joints_mm[:, 1] - joints_mm[:, 2], axis=-1)
            + np.linalg.norm(joints_mm[:, 2] - joints_mm[:, 3], axis=-1))
    step = np.linalg.norm(np.diff(relative, axis=0, prepend=relative[:1]), axis=-1).max(axis=1)
    speed = step * fps / max(float(np.median(legs)), 1e-9)
    return uniform_filter1d(speed, max(1, int(round(ACTIVE_SMOOTHING_S * fps))))


def active_span(joints_mm: np.ndarray, fps: float) -> tuple[int, int] | None:
    """(first, last) frame of the take's motion, widened by ACTIVE_MARGIN_S; None if still
    (no joint ever moves)."""
    speed = motion_speed(joints_mm, fps)
    active = np.flatnonzero(speed > min(ACTIVE_SPEED, ACTIVE_PEAK_FRACTION * speed.max()))
    if len(active) == 0:
        return None
    margin = int(round(ACTIVE_MARGIN_S * fps))
    return max(0, active[0] - margin), min(len(joints_mm) - 1, active[-1] + margin)


def _runs(mask: np.ndarray, min_frames: int) -> np.ndarray:
    """(T,) bool -> (T,) bool keeping only runs of True at least `min_frames` long."""
    kept = np.zeros_like(mask)
    for start, stop in zip(*true_runs(mask), strict=True):
        if stop - start >= min_frames:
            kept[start:stop] = True
    return kept


def _lafan_labels(joints_mm: np.ndarray, fps: float, action: str) -> np.ndarray:
    """Stand (still and upright for STAND_MIN_S), then per `action`: falls and floor, the
    active span as dance, or walking and turning (`action_gait`); other frames unlabelled."""
    events, signals = detect_falls(joints_mm - joints_mm[:, :1], fps, up=WORLD_UP)
    labels = np.full(len(joints_mm), UNLABELLED, dtype=np.int64)
    still = signals.upright & (motion_speed(joints_mm, fps) <= ACTIVE_SPEED)
    labels[_runs(still, int(round(STAND_MIN_S * fps)))] = ACTION_INDEX["stand"]
    if action == "dance":
        span = active_span(joints_mm, fps)
        if span is not None:
            labels[span[0]: span[1] + 1] = ACTION_INDEX["dance"]
    if action == "walk":
        gait = gait_labels(joints_mm, fps)
        labels = np.where(gait != UNLABELLED, gait, labels)
    if action != "fall/floor":
        return labels
    floor = signals.down.copy()
    for t in range(1, len(floor)):  # getting up: from down until upright again
        floor[t] |= floor[t - 1] and not signals.upright[t]
    labels[floor] = ACTION_INDEX["floor"]
    for event in events:
        start = max(0, event.start_frame - int(round(FALL_BEFORE_S * fps)))
        labels[start: event.end_frame + int(round(FALL_AFTER_S * fps)) + 1] = ACTION_INDEX["fall"]
    return labels


def hip_height_share(joints_mm: np.ndarray) -> np.ndarray:
    """(T, 16, 3) world mm, Y up -> (T,) hip height above the lower foot over the take's
    standing height (its STANDING_PERCENTILE)."""
    height = joints_mm[:, 0, 1] - np.minimum(joints_mm[:, 3, 1], joints_mm[:, 6, 1])
    return height / max(float(np.percentile(height, STANDING_PERCENTILE)), 1e-9)


def _lowered_labels(joints_mm: np.ndarray, fps: float, action: str) -> np.ndarray:
    """`action` where the hips are lowered (widened by LOWERED_MARGIN_S); for sit, also stand
    where still and upright; other frames unlabelled."""
    labels = np.full(len(joints_mm), UNLABELLED, dtype=np.int64)
    share = hip_height_share(joints_mm)
    if action == "sit":
        upright = detect_falls(joints_mm - joints_mm[:, :1], fps, up=WORLD_UP)[1].upright
        still = upright & (motion_speed(joints_mm, fps) <= ACTIVE_SPEED)
        labels[_runs(still, int(round(STAND_MIN_S * fps)))] = ACTION_INDEX["stand"]
    lowered = share < (SIT_HEIGHT if action == "sit" else SQUAT_HEIGHT)
    margin = int(round(LOWERED_MARGIN_S * fps))
    for start, stop in zip(*true_runs(lowered), strict=True):
        labels[max(0, start - margin): stop + margin] = ACTION_INDEX[action]
    return labels


def label_frames(clip: MocapClip) -> np.ndarray:
    """(T,) class index per frame of a mocap clip (UNLABELLED where no class applies; `stand`
    frames in a calibration pose, `action_augment.arms_spread`, too)."""
    action = action_for_content(clip.source, clip.content)
    if action is None:
        return np.full(clip.num_frames, UNLABELLED, dtype=np.int64)
    joints = clip.joints_mm.astype(np.float64)
    if clip.source == "lafan1":
        labels = _lafan_labels(joints, clip.fps, action)
    elif (clip.source, clip.content) in FRAME_LABELLED:
        labels = _lowered_labels(joints, clip.fps, action)
    else:
        labels = np.full(len(joints), ACTION_INDEX["stand"], dtype=np.int64)
        span = active_span(joints, clip.fps)
        if span is not None:
            labels[span[0]: span[1] + 1] = ACTION_INDEX[action]
    labels[(labels == ACTION_INDEX["stand"]) & arms_spread(joints)] = UNLABELLED
    return labels


def labelled_segments(collection: MocapCollection) -> list[LabelledSegment]:
    """Train and test segments of every used take, each at least WINDOW_FRAMES long."""
    segments = []
    for clip in collection.clips:
        labels = label_frames(clip)
        if np.all(labels == UNLABELLED):
            continue
        joints = clip.joints_mm.astype(np.float32)
        if is_split_in_time(clip.source, clip.content):
            cut = int(round(clip.num_frames * (1.0 - TEST_FRACTION)))
            parts = [(slice(0, cut), False), (slice(cut, None), True)]
        else:
            parts = [(slice(None), is_test_take(clip.source, clip.content, clip.style,
                                                 clip.take))]
        for part, test in parts:
            if len(labels[part]) >= WINDOW_FRAMES:
                segments.append(LabelledSegment(clip.name, joints[part], labels[part],
                                                WORLD_UP, test))
            segments += [LabelledSegment(clip.name + STILL_SUFFIX, still, still_labels,
                                         WORLD_UP, test)
                         for still, still_labels in still_segments(joints[part], labels[part])]
    return segments


def window_labels(labels: np.ndarray, stride: int = 1) -> tuple[np.ndarray, np.ndarray]:
    """Starts (N,) of the windows over (T,) frame labels whose middle third shares one label,
    and that label (N,)."""
    count = len(labels) - WINDOW_FRAMES + 1
    if count <= 0:
        return np.zeros(0, dtype=np.int64), np.zeros(0, dtype=np.int64)
    starts = np.arange(0, count, stride)
    third = WINDOW_FRAMES // 3
    middle = labels[starts[:, None] + third + np.arange(third)[None]]
    uniform = np.all(middle == middle[:, :1], axis=1) & (middle[:, 0] != UNLABELLED)
    return starts[uniform], middle[uniform, 0]


def _pieces(length: int, piece_frames: int) -> list[slice]:
    """Cut [0, length) into pieces of piece_frames (the last one overlapping the one before)."""
    if length <= piece_frames:
        return [slice(0, length)]
    starts = list(range(0, length - piece_frames + 1, piece_frames))
    if starts[-1] + piece_frames < length:
        starts.append(length - piece_frames)
    return [slice(s, s + piece_frames) for s in starts]


def _in_place(joints_mm: np.ndarray) -> np.ndarray:
    """(T, 16, 3) world mm with the root's ground-plane travel removed (a walk on the spot),
    so a fixed virtual camera keeps the person at its sampled distance."""
    travel = joints_mm[:, :1] - joints_mm[:1, :1]
    travel[..., 1] = 0.0
    return joints_mm - travel


Lifter = Callable[[np.ndarray, np.ndarray], np.ndarray]


def lift_segments(
    segments: list[LabelledSegment], lifter: Lifter, rng: np.random.Generator,
    view_config: MocapViewConfig, piece_frames: int = 120, hold_share: float = 0.0,
    still_legs_share: float = 0.0, low_fps_share: float = 0.0,
) -> list[LabelledSegment]:
    """The segments as a lifter sees them: cut into pieces, each piece filmed by its own
    virtual camera with detector noise (`MocapViews`), lifted back to 3D by
    `lifter(keypoints (B, T, 16, 2), visibility_root (B, T, E)) -> (B, T, 16, 3) mm`; up is
    estimated from each lifted piece (`vertical.estimate_up`), as at run time.

    hold_share: share of the pieces of HOLDING_CLASSES whose arms are held still before they
    are filmed (`held_arms`; the lifter reads such 2D differently from free arms, so holding
    the lifted 3D's arms afterwards would not show what it makes of them); still_legs_share:
    share of the pieces of `action_augment.UPPER_BODY_CLASSES` whose legs are held still
    before they are filmed; low_fps_share: share of the pieces filmed at 15 or 10 fps (every
    LOW_FPS_STEPS-th frame, as security and phone cameras film), lifted at that rate and
    interpolated back to the mocap's rate, as `actions.recognize_actions` resamples them."""
    pieces = [(segment, part) for segment in segments
              for part in _pieces(len(segment.labels), piece_frames)]
    steps = np.where(rng.random(len(pieces)) < low_fps_share,
                     rng.choice(LOW_FPS_STEPS, size=len(pieces)), 1)
    lifted = []
    for length, step in sorted({(p.stop - p.start, int(k)) for (_, p), k in zip(pieces, steps,
                                                                                strict=True)}):
        group = [(s, p) for (s, p), k in zip(pieces, steps, strict=True)
                 if p.stop - p.start == length and k == step]
        world = np.stack([_in_place(s.joints_mm[p].astype(np.float64)) for s, p in group])
        labels = np.stack([s.labels[p] for s, p in group])
        if hold_share > 0:
            chosen = holding(labels) & (rng.random(len(group)) < hold_share)
            world = held_arms(world, chosen, world.reshape(-1, 16, 3)[::7], rng)
        if still_legs_share > 0:
            world = hold_legs_still(world, all_of(labels, UPPER_BODY_INDICES)
                                    & (rng.random(len(group)) < still_legs_share))
        filmed = world[:, ::step]
        config = dataclasses.replace(view_config, clip_length=filmed.shape[1])
        batch = MocapViews(filmed.reshape(-1, 16, 3), np.arange(len(group) + 1) * filmed.shape[1],
                           config).sample(rng, len(group), noisy=True,
                                          starts=list(range(len(group))))
        poses = lifter(batch.keypoints, batch.visibility_root)
        if step > 1:
            frames = np.arange(filmed.shape[1]) * step
            poses = interp1d(frames, poses, axis=1, fill_value=(poses[:, 0], poses[:, -1]),
                             bounds_error=False)(np.arange(length))
        for (segment, part), pose in zip(group, poses, strict=True):
            up = estimate_up(pose).up
            lifted.append(LabelledSegment(segment.name, pose.astype(np.float32),
                                          segment.labels[part], up, segment.test))
    return lifted


class WindowPool:
    """Every labelled window (see `window_labels`) of some segments, to draw or list."""

    def __init__(self, segments: list[LabelledSegment], stride: int = 1) -> None:
        self.segments = segments
        found = [(index, *window_labels(segment.labels, stride))
                 for index, segment in enumerate(segments)]
        self.segment_index = np.concatenate(
            [np.full(len(starts), index) for index, starts, _ in found]).astype(np.int64)
        self.starts = np.concatenate([starts for _, starts, _ in found]).astype(np.int64)
        self.labels = np.concatenate([labels for _, _, labels in found]).astype(np.int64)
        self._by_class = {int(k): np.flatnonzero(self.labels == k) for k in np.unique(self.labels)}

    def __len__(self) -> int:
        return len(self.labels)

    def windows(self, rows: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """Poses (B, WINDOW_FRAMES, 16, 3) mm, up (B, 3) and labels (B,) of windows `rows`."""
        poses = np.stack([
            self.segments[self.segment_index[row]].joints_mm[
                self.starts[row]: self.starts[row] + WINDOW_FRAMES]
            for row in rows])
        up = np.stack([self.segments[self.segment_index[row]].up for row in rows])
        return poses, up, self.labels[rows]

    def sample_rows(self, rng: np.random.Generator, count: int) -> np.ndarray:
        """`count` window rows, classes drawn uniformly, then a window of that class."""
        classes = list(self._by_class)
        drawn = rng.integers(len(classes), size=count)
        return np.array([rng.choice(self._by_class[classes[k]]) for k in drawn])


def main_class(segment: LabelledSegment) -> int:
    """The class of most of the segment's labelled frames."""
    labelled = segment.labels[segment.labels >= 0]
    return int(np.bincount(labelled, minlength=len(ACTION_CLASSES)).argmax())


def lifted_copies(segments: list[LabelledSegment], minimum: int) -> list[LabelledSegment]:
    """Each segment repeated by how rare its main class is: at least `minimum` times, up to
    MAX_LIFTED_COPIES for classes with fewer than BALANCE_FRAMES labelled frames."""
    counts = np.bincount(np.concatenate([s.labels[s.labels >= 0] for s in segments]),
                         minlength=len(ACTION_CLASSES))
    repeated = []
    for segment in segments:
        main = main_class(segment)
        copies = min(MAX_LIFTED_COPIES, max(minimum, math.ceil(BALANCE_FRAMES / counts[main])))
        repeated += [segment] * copies
    return repeated


def thin_segments(segments: list[LabelledSegment], step: int) -> list[LabelledSegment]:
    """Every `step`-th segment of each (train or test, main class) group, in order: a subset
    for quick runs that keeps every class on both sides."""
    seen: dict[tuple[bool, int], int] = {}
    kept = []
    for segment in segments:
        key = (segment.test, main_class(segment))
        if seen.get(key, 0) % max(1, step) == 0:
            kept.append(segment)
        seen[key] = seen.get(key, 0) + 1
    return kept


def window_batch(
    pool: WindowPool, rows: np.ndarray, rng: np.random.Generator | None = None,
    up_jitter: float = 0.0, hold_share: float = 0.0, still_legs_share: float = 0.0,
) -> tuple[np.ndarray, np.ndarray]:
    """Features (B, FEATURE_CHANNELS, WINDOW_FRAMES) float32 and labels (B,) of windows `rows`.

    With `rng`, each window is augmented: `up` tilted by Gaussian noise of `up_jitter` (on the
    unit vector; ~radians), half of the windows mirrored left <-> right, `hold_share` of
    the windows of HOLDING_CLASSES given arms held still (`held_arms`) and `still_legs_share`
    of those of UPPER_BODY_CLASSES legs held still (`action_augment.hold_legs_still`)."""
    poses, up, labels = pool.windows(rows)
    if rng is not None:
        if hold_share > 0:
            chosen = holding(labels) & (rng.random(len(labels)) < hold_share)
            poses = held_arms(poses, chosen, poses.reshape(-1, *poses.shape[2:]), rng)
        if still_legs_share > 0:
            poses = hold_legs_still(poses, all_of(labels, UPPER_BODY_INDICES)
                                    & (rng.random(len(labels)) < still_legs_share))
        up = up / np.linalg.norm(up, axis=-1, keepdims=True)
        up = up + rng.normal(0.0, up_jitter, size=up.shape)
        mirror = rng.random(len(rows)) < 0.5
        poses[mirror], up[mirror] = mirror_windows(poses[mirror], up[mirror])
    return window_features(poses, up), labels
