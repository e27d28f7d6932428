"""Synthetic signing for the action classifier's `gesture` class.

The mocap's gestures are arm signals away from the body: Bandai Namco's guide (pointing the
way, stepping), call and respond, CMU's traffic directing. Sign language and the gestures of
people talking happen in the signing space instead: the hands move in front of the chest and
belly, within the arm's reach, one hand or both, at ~0.2-0.6 m/s; no take shows that, and the
classifier read a signer as standing or waving. `signing_segments` makes such windows from
still standing mocap (`action_augment.still_segments`): every frame keeps its body, legs and
shoulders, and an arm that signs has its wrist follow a smooth path in the torso's frame: a
centre drawn in the signing space (SIGNING_ACROSS, SIGNING_HEIGHT, SIGNING_FORWARD, in arm
lengths from the shoulder), and from it a new place every SIGNING_HOLD_S, up to
SIGNING_REACH away per axis, joined by a cubic spline (signs move from place to place rather
than swinging like a wave); the elbow is placed by two-bone inverse kinematics, bent down and
out as people hold their arms.
One arm (the dominant one, left or right) always signs, the other with TWO_HANDED; an arm that
does not sign keeps the still pose. The lifted pool films these like any mocap, so the
classifier sees what the lifter makes of them.
"""

from __future__ import annotations

import numpy as np
from scipy.interpolate import CubicSpline

from posemachines.analysis.action_data import LabelledSegment
from posemachines.analysis.action_features import torso_frames
from posemachines.analysis.action_taxonomy import ACTION_INDEX
from posemachines.skeleton import JOINTS16_NAMES, unit_vectors

#: Wrist centre relative to the shoulder, arm lengths, torso frame: across (towards the
#: midline negative, outward positive), height (up) and forward.
SIGNING_ACROSS = (-0.55, 0.1)
SIGNING_HEIGHT = (-0.65, 0.05)
SIGNING_FORWARD = (0.25, 0.7)
#: Seconds between the places a signing hand moves to, and how far (arm lengths, per axis)
#: they lie from the arm's centre.
SIGNING_HOLD_S = (0.25, 0.6)
SIGNING_REACH = 0.15
TWO_HANDED = 0.6
#: The elbow bends towards this direction (torso frame: outward, up, forward), as people hold
#: their arms: down, a little out and back.
ELBOW_POLE = np.array([0.3, -1.0, -0.3])
_ARMS = {1.0: tuple(JOINTS16_NAMES.index("L" + part) for part in ("Shoulder", "Elbow", "Wrist")),
         -1.0: tuple(JOINTS16_NAMES.index("R" + part) for part in ("Shoulder", "Elbow", "Wrist"))}


def two_bone_arm(shoulder: np.ndarray, target: np.ndarray, upper: float, forearm: float,
                 pole: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Elbow and wrist (T, 3) of an arm of the given bone lengths (mm) reaching from `shoulder`
    (T, 3) towards `target` (T, 3) (clamped to the reach), bending towards `pole` (T, 3)."""
    reach = target - shoulder
    direction = unit_vectors(reach)
    distance = np.clip(np.linalg.norm(reach, axis=-1, keepdims=True),
                       abs(upper - forearm) + 1e-3, 0.98 * (upper + forearm))
    along = (upper ** 2 - forearm ** 2 + distance ** 2) / (2 * distance)
    across = np.sqrt(np.maximum(upper ** 2 - along ** 2, 0.0))
    bend = unit_vectors(pole - np.sum(pole * direction, axis=-1, keepdims=True) * direction)
    return shoulder + along * direction + across * bend, shoulder + distance * direction


def signing_path(centre: np.ndarray, times_s: np.ndarray,
                 rng: np.random.Generator) -> np.ndarray:
    """(T, 3) wrist places (arm lengths, torso frame) at `times_s` (T,): places drawn every
    SIGNING_HOLD_S within SIGNING_REACH of `centre` (3,), joined by a cubic spline."""
    knots = [float(times_s[0]) - rng.uniform(*SIGNING_HOLD_S)]
    while knots[-1] <= times_s[-1]:
        knots.append(knots[-1] + rng.uniform(*SIGNING_HOLD_S))
    places = centre + rng.uniform(-SIGNING_REACH, SIGNING_REACH, size=(len(knots), 3))
    return CubicSpline(knots, places, axis=0)(times_s)


def sign_with_arms(poses_mm: np.ndarray, rng: np.random.Generator,
                   fps: float = 30.0) -> np.ndarray:
    """(T, 16, 3) mm still poses -> the same with one or both arms signing (module doc)."""
    poses = np.array(poses_mm, dtype=np.float64)
    frames = torso_frames(poses)  # rows: x (to the left), y (up), z (forward)
    times = np.arange(len(poses))[:, None] / fps
    dominant = rng.choice(list(_ARMS))
    for outward, (shoulder, elbow, wrist) in _ARMS.items():
        if outward != dominant and rng.random() >= TWO_HANDED:
            continue
        upper = float(np.median(np.linalg.norm(poses[:, elbow] - poses[:, shoulder], axis=-1)))
        forearm = float(np.median(np.linalg.norm(poses[:, wrist] - poses[:, elbow], axis=-1)))
        length = upper + forearm
        centre = np.array([outward * rng.uniform(*SIGNING_ACROSS), rng.uniform(*SIGNING_HEIGHT),
                           rng.uniform(*SIGNING_FORWARD)])
        local = signing_path(centre, times[:, 0], rng) * length
        to_world = np.swapaxes(frames, -1, -2)
        target = poses[:, shoulder] + np.einsum("tij,tj->ti", to_world, local)
        pole = np.einsum("tij,j->ti", to_world, ELBOW_POLE * [outward, 1.0, 1.0])
        poses[:, elbow], poses[:, wrist] = two_bone_arm(poses[:, shoulder], target, upper,
                                                        forearm, pole)
    return poses


def signing_segments(stills: list[LabelledSegment], count: int,
                     rng: np.random.Generator) -> list[LabelledSegment]:
    """`count` `gesture` segments, each a random one of `stills` (still standing) signing."""
    chosen = rng.integers(len(stills), size=count) if stills else np.zeros(0, dtype=np.int64)
    return [LabelledSegment(f"{stills[k].name}:signing",
                            sign_with_arms(stills[k].joints_mm, rng).astype(np.float32),
                            np.full(len(stills[k].labels), ACTION_INDEX["gesture"]),
                            stills[k].up, stills[k].test)
            for k in chosen]
