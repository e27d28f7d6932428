"""Fall detection over time from 3D poses (root-relative, any frame; camera frame by default).

Root-relative poses keep no height above the floor, so the floor is taken per frame as the
lowest joint along the estimated up direction (`vertical.estimate_up`): the pelvis height is
the Hip joint's height above that joint, in leg lengths (hip -> knee -> ankle, the median over
the sequence, so the measure does not depend on body size). Standing it is ~0.9-1.0; lying,
sitting on the floor or on all fours it is 0.1-0.5.

Each frame is `upright` (pelvis >= UPRIGHT_HEIGHT leg lengths, trunk within UPRIGHT_TRUNK_DEG
of vertical) or `down` (pelvis <= DOWN_HEIGHT, or <= DOWN_HEIGHT_HORIZONTAL with the trunk
tilted >= HORIZONTAL_TRUNK_DEG, e.g. on all fours). A fall candidate is a passage from the last
upright frame to the first down frame within MAX_DESCENT_S. Its confidence in [0, 1] is a
weighted mean of four scores, each rising linearly between two bounds:
- suddenness: the peak drop speed of the pelvis (SPEED_BOUNDS leg lengths/s);
- staying down: how long the person stays down afterwards (DOWN_BOUNDS_S seconds);
- posture: lying (the trunk's tilt from vertical in the second after the drop,
  TRUNK_BOUNDS_DEG) or sitting on the floor (the pelvis height then, SEATED_HEIGHT_BOUNDS,
  reversed), whichever is higher; a crouch or a kneel scores low on both;
- stillness: low mean joint speed in the STILL_WINDOW_S after the drop (MOTION_BOUNDS, leg
  lengths/s, reversed: slower is more confident).
Candidates down for less than MIN_DOWN_S are dropped; the others with confidence >=
`min_confidence` are reported as events. The bounds and weights were set on the shipped mocap
(docs/analysis.md has the numbers).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.ndimage import median_filter

from posemachines.analysis.vertical import estimate_up, heights_mm
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures.pose_checks import check_pose_array

_J = {name: index for index, name in enumerate(JOINTS16_NAMES)}

UPRIGHT_HEIGHT = 0.75
UPRIGHT_TRUNK_DEG = 35.0
DOWN_HEIGHT = 0.4
DOWN_HEIGHT_HORIZONTAL = 0.6
HORIZONTAL_TRUNK_DEG = 60.0
MAX_DESCENT_S = 2.0
#: A person down for less than this (a jump with the knees tucked, a dance dip) never counts.
MIN_DOWN_S = 1.0
SPEED_BOUNDS = (0.6, 1.5)
DOWN_BOUNDS_S = (1.0, 4.0)
TRUNK_BOUNDS_DEG = (35.0, 75.0)
SEATED_HEIGHT_BOUNDS = (0.4, 0.2)
MOTION_BOUNDS = (1.2, 0.4)
STILL_WINDOW_S = 2.0
#: Weights of suddenness, staying down, posture and stillness in the confidence.
WEIGHTS = (0.25, 0.3, 0.35, 0.1)
#: Frames of the median filter that removes single-frame glitches from the signals.
SMOOTHING_FRAMES = 5
#: Fall detection needs at least this many seconds of poses.
MIN_DURATION_S = 1.0


@dataclass(frozen=True)
class FallSignals:
    """Per-frame signals, all (T,): pelvis height (leg lengths), trunk angle from vertical
    (degrees), mean joint speed relative to the root (leg lengths/s), the upright/down states
    (bool); leg_length_mm: the median hip -> knee -> ankle length that scales them."""

    pelvis_height: np.ndarray
    trunk_inclination_deg: np.ndarray
    motion: np.ndarray
    upright: np.ndarray
    down: np.ndarray
    leg_length_mm: float


@dataclass(frozen=True)
class FallEvent:
    """One fall: from the last upright frame (start) to the first frame down (end).

    confidence in [0, 1]; drop_speed: peak pelvis drop speed (leg lengths/s); down_s: time
    spent down afterwards; trunk_after_deg: median trunk angle from vertical in the next second.
    """

    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    confidence: float
    drop_speed: float
    down_s: float
    trunk_after_deg: float


def _checked(poses_mm: np.ndarray, fps: float) -> np.ndarray:
    poses = check_pose_array(poses_mm, name="poses", dims=3, num_joints=16)
    if not (np.isfinite(fps) and fps > 0):
        raise PoseDataError(f"The frame rate must be positive, got {fps}.")
    needed = int(np.ceil(MIN_DURATION_S * fps))
    if poses.ndim != 3 or len(poses) < needed:
        raise PoseDataError(
            f"Fall detection needs at least {MIN_DURATION_S:g} s of poses ({needed} frames at "
            f"{fps:g} fps), got {len(poses) if poses.ndim == 3 else 0}."
        )
    return poses


def _leg_length_mm(poses: np.ndarray) -> float:
    def bone(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(poses[:, _J[a]] - poses[:, _J[b]], axis=-1)

    legs = (bone("RHip", "RKnee") + bone("RKnee", "RFoot")
            + bone("LHip", "LKnee") + bone("LKnee", "LFoot")) / 2
    return float(np.median(legs))


def fall_signals(poses_mm: np.ndarray, fps: float, up: np.ndarray | None = None) -> FallSignals:
    """Signals of (T, 16, 3) mm root-relative poses at `fps`; `up` estimated when None."""
    poses = _checked(poses_mm, fps)
    up = estimate_up(poses).up if up is None else np.asarray(up, dtype=np.float64)
    up = up / np.linalg.norm(up)
    leg = _leg_length_mm(poses)
    if leg <= 0:
        raise PoseDataError("The poses' legs have zero length, so heights cannot be scaled.")
    height = heights_mm(poses, up)[:, _J["Hip"]] / leg
    trunk = poses[:, _J["Thorax"]] - poses[:, _J["Hip"]]
    cosine = trunk @ up / np.maximum(np.linalg.norm(trunk, axis=-1), 1e-9)
    trunk_deg = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0)))
    height = median_filter(height, SMOOTHING_FRAMES, mode="nearest")
    trunk_deg = median_filter(trunk_deg, SMOOTHING_FRAMES, mode="nearest")
    step = np.linalg.norm(np.diff(poses, axis=0), axis=-1).mean(axis=1) * fps / leg
    motion = np.concatenate([step[:1], step]) if len(step) else np.zeros(len(poses))
    upright = (height >= UPRIGHT_HEIGHT) & (trunk_deg <= UPRIGHT_TRUNK_DEG)
    down = (height <= DOWN_HEIGHT) | (
        (height <= DOWN_HEIGHT_HORIZONTAL) & (trunk_deg >= HORIZONTAL_TRUNK_DEG))
    return FallSignals(height, trunk_deg, motion, upright, down, leg)


def _score(value: float, bounds: tuple[float, float]) -> float:
    low, high = bounds
    return float(np.clip((value - low) / (high - low), 0.0, 1.0))


def _candidates(signals: FallSignals, fps: float) -> list[tuple[int, int]]:
    """(last upright frame, first down frame) pairs at most MAX_DESCENT_S apart."""
    pairs, last_upright, armed = [], -1, False
    for t in range(len(signals.upright)):
        if signals.upright[t]:
            last_upright, armed = t, True
        elif armed and signals.down[t]:
            armed = False
            if (t - last_upright) / fps <= MAX_DESCENT_S:
                pairs.append((last_upright, t))
    return pairs


def _event(signals: FallSignals, fps: float, start: int, end: int) -> FallEvent:
    count = len(signals.down)
    drop = -np.gradient(signals.pelvis_height)[start: end + 1] * fps
    up_again = np.flatnonzero(signals.upright[end:])
    down_frames = int(up_again[0]) if len(up_again) else count - end
    after = slice(end, min(count, end + max(1, int(round(fps)))))
    still = slice(end, min(count, end + max(1, int(round(STILL_WINDOW_S * fps)))))
    drop_speed = float(drop.max())
    down_s = down_frames / fps
    trunk_after = float(np.median(signals.trunk_inclination_deg[after]))
    height_after = float(np.median(signals.pelvis_height[after]))
    motion_after = float(np.mean(signals.motion[still]))
    posture = max(_score(trunk_after, TRUNK_BOUNDS_DEG),
                  _score(height_after, SEATED_HEIGHT_BOUNDS))
    scores = (
        _score(drop_speed, SPEED_BOUNDS), _score(down_s, DOWN_BOUNDS_S), posture,
        _score(motion_after, MOTION_BOUNDS),
    )
    confidence = float(np.dot(WEIGHTS, scores))
    return FallEvent(start, end, start / fps, end / fps, round(confidence, 3),
                     drop_speed, down_s, trunk_after)


def detect_falls(
    poses_mm: np.ndarray,
    fps: float,
    up: np.ndarray | None = None,
    min_confidence: float = 0.5,
) -> tuple[list[FallEvent], FallSignals]:
    """Falls in (T, 16, 3) mm root-relative poses at `fps`, and the signals behind them."""
    signals = fall_signals(poses_mm, fps, up)
    events = [_event(signals, fps, start, end) for start, end in _candidates(signals, fps)]
    kept = [e for e in events if e.down_s >= MIN_DOWN_S and e.confidence >= min_confidence]
    return kept, signals
