"""Walking and turning, frame by frame, in mocap takes of free walking (LAFAN1's `walk`).

Bandai Namco's `walk-turn-*` walk along a curve; nobody in the labelled mocap turns on the
spot, which people do all the time (turning round with a book, at a door), so the classifier
had no class for small steps with a turning body and read them as `climb`. LAFAN1's walk take
turns on the spot for ~18 % of its frames and walks straight for ~24 %. From the root's ground
speed and the heading's turn rate (the hips' and shoulders' left-right axis about world up),
both smoothed over SMOOTHING_S:
- `walk`: ground speed WALK_SPEED (m/s), turning slower than STRAIGHT_DEG_S, moving along the
  facing direction (cosine over FORWARD_COSINE);
- `walk_turn`: turning faster than TURN_DEG_S at a walking speed or slower, not backward;
- the rest unlabelled; a label must hold for MIN_RUN_S to count.
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import uniform_filter1d

from posemachines.analysis.action_taxonomy import ACTION_INDEX, UNLABELLED
from posemachines.arrays import true_runs
from posemachines.skeleton import JOINTS16_NAMES

SMOOTHING_S = 0.5
WALK_SPEED = (0.5, 2.0)
STRAIGHT_DEG_S = 20.0
TURN_DEG_S = 45.0
FORWARD_COSINE = 0.8
MIN_RUN_S = 0.5
_J = {name: index for index, name in enumerate(JOINTS16_NAMES)}


def heading_rate_deg_s(joints_mm: np.ndarray, fps: float) -> np.ndarray:
    """(T, 16, 3) world mm, Y up -> (T,) turn rate about up (deg/s, unsigned), smoothed."""
    left = (joints_mm[:, _J["LHip"]] - joints_mm[:, _J["RHip"]]
            + joints_mm[:, _J["LShoulder"]] - joints_mm[:, _J["RShoulder"]])
    window = max(1, int(round(SMOOTHING_S * fps)))
    yaw = uniform_filter1d(np.unwrap(np.arctan2(left[:, 2], left[:, 0])), window)
    return np.degrees(np.abs(np.gradient(yaw) * fps))


def gait_labels(joints_mm: np.ndarray, fps: float) -> np.ndarray:
    """(T, 16, 3) world mm, Y up -> (T,) `walk`, `walk_turn` or UNLABELLED (module doc)."""
    window = max(1, int(round(SMOOTHING_S * fps)))
    root = uniform_filter1d(joints_mm[:, 0, [0, 2]].astype(np.float64), window, axis=0)
    velocity = np.gradient(root, axis=0) * fps / 1000.0  # (T, 2) m/s on the ground (x, z)
    speed = np.linalg.norm(velocity, axis=1)
    left = (joints_mm[:, _J["LHip"]] - joints_mm[:, _J["RHip"]]
            + joints_mm[:, _J["LShoulder"]] - joints_mm[:, _J["RShoulder"]])[:, [0, 2]]
    facing = np.stack([-left[:, 1], left[:, 0]], axis=1)  # left turned by 90 deg: forward
    cosine = np.sum(facing * velocity, axis=1) / np.maximum(
        np.linalg.norm(facing, axis=1) * speed, 1e-9)
    rate = heading_rate_deg_s(joints_mm, fps)
    walking = (speed >= WALK_SPEED[0]) & (speed <= WALK_SPEED[1])
    masks = {
        "walk": walking & (rate < STRAIGHT_DEG_S) & (cosine > FORWARD_COSINE),
        "walk_turn": (rate > TURN_DEG_S) & (speed <= WALK_SPEED[1]) & (cosine > -0.5),
    }
    labels = np.full(len(joints_mm), UNLABELLED, dtype=np.int64)
    for name, mask in masks.items():
        for start, stop in zip(*true_runs(mask), strict=True):
            if stop - start >= MIN_RUN_S * fps:
                labels[start:stop] = ACTION_INDEX[name]
    return labels
