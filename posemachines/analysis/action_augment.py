"""What the labelled mocap lacks for the action classifier, made from the mocap itself.

- **Calibration poses are not standing.** Mocap takes start and end in a T- or A-pose (arms
  spread sideways, still); as `stand` they taught the classifier that a still person holds the
  arms out (LAFAN1's still passages were mostly these). `arms_spread` finds them, so that
  `action_data.label_frames` leaves them unlabelled.
- **Standing still, long enough for a window.** Bandai Namco and CMU takes stand still for only
  ~0.5 s before and after the motion, too short for a window whose middle third must be
  `stand`, so `stand` was learned almost only from LAFAN1's calibration poses and CMU's bottle
  handling (and, before it was left out, laughing). `still_segments` plays each still run of
  STILL_MIN_FRAMES to one window's length forward and backward (a still pose's sway looks the
  same either way) into STILL_SEGMENT_FRAMES-long `stand` segments.
- **Busy hands.** People walk, stand, sit and squat while reading, carrying or phoning, which
  no mocap take shows: `held_arms` holds one or both arms of windows of HOLDING_CLASSES still
  against the torso in the pose of a random frame whose wrists are below the shoulders.
- **Gesturing with the legs still.** People gesture, sign and wave while standing in place,
  and when the legs are out of view the lifter's legs stand still; but Bandai Namco's `guide`
  steps while pointing. `hold_legs_still` keeps the legs of a window where they are in its first
  frame (relative to the root), applied to a share of the windows of UPPER_BODY_CLASSES, the
  classes that the arms alone tell apart.
"""

from __future__ import annotations

import numpy as np

from posemachines.analysis.action_features import WINDOW_FRAMES, hold_arms, torso_frames
from posemachines.analysis.action_taxonomy import ACTION_INDEX, UNLABELLED
from posemachines.arrays import true_runs
from posemachines.skeleton import JOINTS16_NAMES

#: A wrist further sideways from its shoulder than this share of the arm's length (shoulder ->
#: elbow -> wrist), on both sides, is a calibration pose (T-pose: 1.0, A-pose: ~0.7; hands by
#: the side ~0.1-0.3, holding something in front ~0.1-0.4).
SPREAD_SHARE = 0.6
#: Still `stand` runs this long or longer (frames), but shorter than a window, become
#: STILL_SEGMENT_FRAMES-long segments.
STILL_MIN_FRAMES = 8
STILL_SEGMENT_FRAMES = 90
#: Their names: the take's name and this.
STILL_SUFFIX = ":still"
#: Classes that people also perform with their hands busy (reading while walking, carrying a
#: bag, hands in pockets): training shows them with arms held still too (`held_arms`).
HOLDING_CLASSES = ("stand", "walk", "walk_backward", "walk_turn", "run", "sit", "squat")
HOLDING_INDICES = np.array([ACTION_INDEX[name] for name in HOLDING_CLASSES])
#: Classes told apart by the arms alone: trained also with the legs held still.
UPPER_BODY_CLASSES = ("wave", "raise_hand", "gesture")
UPPER_BODY_INDICES = np.array([ACTION_INDEX[name] for name in UPPER_BODY_CLASSES])
_LEGS = [JOINTS16_NAMES.index(name)
         for name in ("RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot")]
_ARMS = [tuple(JOINTS16_NAMES.index(side + part) for part in ("Shoulder", "Elbow", "Wrist"))
         for side in ("L", "R")]


def arms_spread(joints_mm: np.ndarray) -> np.ndarray:
    """(T, 16, 3) mm -> (T,) True where both wrists reach sideways from their shoulders by more
    than SPREAD_SHARE of the arm's length (a T- or A-pose)."""
    frames = torso_frames(np.asarray(joints_mm, dtype=np.float64))
    spread = []
    for shoulder, elbow, wrist in _ARMS:
        length = (np.linalg.norm(joints_mm[:, elbow] - joints_mm[:, shoulder], axis=-1)
                  + np.linalg.norm(joints_mm[:, wrist] - joints_mm[:, elbow], axis=-1))
        sideways = np.einsum("tk,tk->t", frames[:, 0], joints_mm[:, wrist] - joints_mm[:, shoulder])
        spread.append(np.abs(sideways) > SPREAD_SHARE * np.maximum(length, 1e-9))
    return spread[0] & spread[1]


def still_segments(joints_mm: np.ndarray, labels: np.ndarray) -> list[tuple[np.ndarray,
                                                                            np.ndarray]]:
    """(joints (STILL_SEGMENT_FRAMES, 16, 3), labels) for each `stand` run of (T,) labels of
    STILL_MIN_FRAMES up to WINDOW_FRAMES - 1 frames, played forward and backward."""
    segments = []
    for start, stop in zip(*true_runs(labels == ACTION_INDEX["stand"]), strict=True):
        if not STILL_MIN_FRAMES <= stop - start < WINDOW_FRAMES:
            continue
        run = np.arange(start, stop)
        cycle = np.concatenate([run, run[-2:0:-1]])
        rows = np.resize(cycle, STILL_SEGMENT_FRAMES)
        segments.append((joints_mm[rows], np.full(STILL_SEGMENT_FRAMES, ACTION_INDEX["stand"])))
    return segments


def all_of(labels: np.ndarray, indices: np.ndarray) -> np.ndarray:
    """(B, T) or (B,) frame or window labels -> (B,) True where every labelled one is one of
    the class `indices` (and one is labelled)."""
    labels = labels.reshape(len(labels), -1)
    labelled = labels != UNLABELLED
    return np.all(np.isin(labels, indices) | ~labelled, axis=1) & labelled.any(axis=1)


def hold_legs_still(poses_mm: np.ndarray, chosen: np.ndarray) -> np.ndarray:
    """Windows (B, T, 16, 3) of which the `chosen` (B,) bool keep their hips, knees and feet
    where they are in the first frame, relative to the root."""
    poses = np.array(poses_mm, dtype=np.float64)
    held = poses[chosen]
    held[:, :, _LEGS] = held[:, :, :1] + (held[:, :1, _LEGS] - held[:, :1, :1])
    poses[chosen] = held
    return poses


def held_arms(poses_mm: np.ndarray, chosen: np.ndarray, donor_poses: np.ndarray,
              rng: np.random.Generator) -> np.ndarray:
    """Windows (B, T, 16, 3) of which the `chosen` (B,) bool get one or both arms held still
    (`action_features.hold_arms`) in the pose of a random one of `donor_poses` (N, 16, 3) whose
    wrists are below its shoulders (else in their own first frame's)."""
    rows = np.flatnonzero(chosen)
    if len(rows) == 0:
        return poses_mm
    donors = donor_poses[rng.integers(len(donor_poses), size=len(rows))].astype(np.float64)
    local = np.einsum("bik,bjk->bji", torso_frames(donors),
                      donors[:, [_ARMS[0][2], _ARMS[1][2]]] - donors[:, [_ARMS[0][0], _ARMS[1][0]]])
    low = np.all(local[:, :, 1] < 0.0, axis=1)
    donors[~low] = poses_mm[rows[~low], 0]
    both = rng.random(len(rows)) < 0.5
    left = rng.random(len(rows)) < 0.5
    poses = np.array(poses_mm, dtype=np.float64)
    poses[rows] = hold_arms(poses[rows], donors, np.stack([both | left, both | ~left], axis=1))
    return poses


def holding(labels: np.ndarray) -> np.ndarray:
    """(B, T) or (B,) frame or window labels -> (B,) True where every labelled one is of
    HOLDING_CLASSES (and one is labelled)."""
    return all_of(labels, HOLDING_INDICES)
