"""Foot contacts in the world frame: a probability per frame and joint, and a stable flag.

The hand-set probability (any joints, world positions alone; `to_world` uses the model of
`contact_model.py` fitted on lifted mocap instead, through `detect_contacts(probability=...)`):
probability = sigmoid((h0 - h) / sh) * sigmoid((v0 - v) / sv), with h the joint's height above
its rest height (mm, world Y up, floor y = 0), v its speed (mm/s, Savitzky-Golay derivative),
and thresholds h0, v0 and softnesses sh, sv stated in leg lengths (hip-knee-ankle) and leg
lengths per second, so that they hold whatever the clip's metric scale.
The flag switches on above `on_probability` and off below `off_probability` (hysteresis), then
contacts shorter than `min_contact_s` are dropped and swings shorter than `min_swing_s` bridged.

Our skeleton touches the floor with the ankles only (`FOOT_JOINTS`: RFoot, LFoot); a skeleton
with heels or toes passes their indices as `contact_joints`, with one rest height each.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from posemachines.arrays import true_runs
from posemachines.errors import PoseInputError
from posemachines.skeleton import JOINTS16
from posemachines.world.body import FOOT_JOINTS, check_fps, leg_length_mm, velocity_mm_s


@dataclass(frozen=True)
class ContactConfig:
    """height_leg / height_softness_leg: h0 and sh in leg lengths; speed_leg_per_s /
    speed_softness_leg_per_s: v0 and sv in leg lengths / s; speed_window_s: derivative window;
    along_ray_weight: the least weight of the speed along the camera's viewing ray
    (`viewed_speed_mm_s`; `to_world` calls frames slower than v0 / 2 across the ray quiet);
    on_probability / off_probability: hysteresis; min_contact_s, min_swing_s: durations."""

    height_leg: float = 0.06
    height_softness_leg: float = 0.015
    speed_leg_per_s: float = 0.5
    speed_softness_leg_per_s: float = 0.1
    speed_window_s: float = 0.3
    along_ray_weight: float = 0.3
    on_probability: float = 0.6
    off_probability: float = 0.4
    min_contact_s: float = 0.1
    min_swing_s: float = 0.1


@dataclass(frozen=True, eq=False)
class Contacts:
    """Per frame and contact joint.

    joints: joint indices (F,) (default RFoot, LFoot); names (F,); probability (T, F) in [0, 1];
    in_contact (T, F) bool; height_mm (T, F) above each joint's rest height; speed_mm_s (T, F);
    rest_height_mm (F,) joint height above the floor at rest; leg_length_mm; fps.
    """

    joints: tuple[int, ...]
    names: tuple[str, ...]
    probability: np.ndarray
    in_contact: np.ndarray
    height_mm: np.ndarray
    speed_mm_s: np.ndarray
    rest_height_mm: np.ndarray
    leg_length_mm: float
    fps: float

    def spans(self, column: int) -> list[tuple[int, int]]:
        """(start, stop) frame pairs, stop exclusive, of contact joint `column`'s contacts."""
        starts, stops = true_runs(self.in_contact[:, column])
        return [(int(a), int(b)) for a, b in zip(starts, stops, strict=True)]


def contact_probability(
    height_mm: np.ndarray, speed_mm_s: np.ndarray, leg_mm: float,
    config: ContactConfig | None = None,
) -> np.ndarray:
    """Probability (same shape) of contact from height above rest (mm) and speed (mm/s)."""
    config = config or ContactConfig()
    low = expit((config.height_leg * leg_mm - height_mm) / (config.height_softness_leg * leg_mm))
    slow = expit((config.speed_leg_per_s * leg_mm - speed_mm_s)
                 / (config.speed_softness_leg_per_s * leg_mm))
    return low * slow


def hysteresis(probability: np.ndarray, on: float, off: float) -> np.ndarray:
    """(T, F) bool: on from a frame above `on` until the first frame below `off` (vectorised)."""
    if not 0.0 <= off <= on <= 1.0:
        raise PoseInputError("Contact hysteresis needs 0 <= off <= on <= 1 (probabilities).")
    high, low = probability > on, probability < off
    decided = high | low
    frames = np.arange(len(probability))[:, None]
    last = np.maximum.accumulate(np.where(decided, frames, -1), axis=0)
    state = np.take_along_axis(high, np.maximum(last, 0), axis=0)
    return state & (last >= 0)


def enforce_durations(flags: np.ndarray, min_on: int, min_off: int) -> np.ndarray:
    """(T, F) bool with off gaps shorter than `min_off` frames bridged (between two contacts),
    then on runs shorter than `min_on` frames removed."""
    out = flags.copy()
    for column in range(out.shape[1]):
        starts, stops = true_runs(~out[:, column])
        for start, stop in zip(starts, stops, strict=True):
            if start > 0 and stop < len(out) and stop - start < min_off:
                out[start:stop, column] = True
        starts, stops = true_runs(out[:, column])
        for start, stop in zip(starts, stops, strict=True):
            if stop - start < min_on:
                out[start:stop, column] = False
    return out


def ray_speeds_mm_s(
    points_cam_mm: np.ndarray, fps: float, window_s: float,
) -> tuple[np.ndarray, np.ndarray]:
    """Speed (T, F) mm/s of camera-frame points (T, F, 3) mm across their viewing rays, and
    their signed speed (T, F) mm/s along them (away from the camera > 0)."""
    velocity = velocity_mm_s(points_cam_mm, fps, window_s)
    ray = points_cam_mm / np.maximum(np.linalg.norm(points_cam_mm, axis=-1, keepdims=True), 1e-9)
    along = np.sum(velocity * ray, axis=-1)
    return np.linalg.norm(velocity - along[..., None] * ray, axis=-1), along


def viewed_speed_mm_s(
    points_cam_mm: np.ndarray, fps: float, window_s: float, min_weight: float,
    quiet_mm_s: float,
) -> np.ndarray:
    """Speed (T, F) mm/s of camera-frame points (T, F, 3) mm (x right, y down, z forward) with
    the part along each point's viewing ray weighted down where depth is noisier than the image.

    Across the ray the motion is what the image shows (the 2D keypoints' speed times depth over
    focal length); along it, it is the lifted depth, whose frame-to-frame error is several times
    larger: a planted ankle of the lifted, corrected walks moves ~300 mm/s in 3D, almost all of
    it along the ray, and a squatting body's depth swings by up to 1 m while its feet stay put.
    The weight is the ratio of the median speeds across and along the rays over the frames
    slower than `quiet_mm_s` across (planted feet: 1 for clean poses), at least `min_weight`.
    """
    across, along = ray_speeds_mm_s(points_cam_mm, fps, window_s)
    quiet = across < quiet_mm_s
    weight = 1.0
    if quiet.any():
        weight = float(np.median(across[quiet]) / max(np.median(np.abs(along[quiet])), 1e-9))
    weight = min(max(weight, min_weight), 1.0)
    return np.sqrt(across**2 + (weight * along) ** 2)


def detect_contacts(
    joints_world_mm: np.ndarray, fps: float, rest_height_mm: float | np.ndarray,
    leg_length: float | None = None, contact_joints: tuple[int, ...] = FOOT_JOINTS,
    config: ContactConfig | None = None, speed_mm_s: np.ndarray | None = None,
    probability: np.ndarray | None = None,
) -> Contacts:
    """Contacts of `contact_joints` in world joints (T, J, 3) mm (Y up, floor y = 0).

    rest_height_mm: each joint's height above the floor when resting, scalar or (F,);
    leg_length (mm): None measures it on the poses (needs the 16-joint skeleton);
    speed_mm_s (T, F): the joints' speeds when the caller knows better (`viewed_speed_mm_s`),
    else their world speed; probability (T, F): a contact probability to use instead of the
    hand-set `contact_probability` (e.g. `contact_model.learned_contact_probability`); the
    hysteresis and durations of `config` apply to either.
    """
    config = config or ContactConfig()
    fps = check_fps(fps)
    joints = np.asarray(joints_world_mm, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[-1] != 3 or len(joints) == 0:
        raise PoseInputError(f"joints_world_mm must have shape (T, J, 3), got {joints.shape}.")
    if max(contact_joints, default=-1) >= joints.shape[1] or min(contact_joints, default=0) < 0:
        raise PoseInputError("contact_joints must index joints of joints_world_mm.")
    if leg_length is None and joints.shape[1] != JOINTS16.num_joints:
        raise PoseInputError("detect_contacts needs leg_length for a skeleton other than JOINTS16.")
    leg = leg_length_mm(joints) if leg_length is None else float(leg_length)
    rest = np.broadcast_to(np.asarray(rest_height_mm, dtype=np.float64),
                           (len(contact_joints),)).copy()
    points = joints[:, list(contact_joints)]
    height = points[..., 1] - rest
    if speed_mm_s is None:
        speed = np.linalg.norm(velocity_mm_s(points, fps, config.speed_window_s), axis=-1)
    elif np.shape(speed_mm_s) != height.shape:
        raise PoseInputError(f"speed_mm_s must have shape {height.shape}.")
    else:
        speed = np.asarray(speed_mm_s, dtype=np.float64)
    if probability is None:
        probability = contact_probability(height, speed, leg, config)
    elif np.shape(probability) != height.shape:
        raise PoseInputError(f"probability must have shape {height.shape}.")
    else:
        probability = np.asarray(probability, dtype=np.float64)
    flags = hysteresis(probability, config.on_probability, config.off_probability)
    flags = enforce_durations(flags, max(1, int(round(config.min_contact_s * fps))),
                              max(1, int(round(config.min_swing_s * fps))))
    names = tuple(JOINTS16.names[j] if joints.shape[1] == JOINTS16.num_joints else str(j)
                  for j in contact_joints)
    return Contacts(
        joints=tuple(int(j) for j in contact_joints), names=names, probability=probability,
        in_contact=flags, height_mm=height, speed_mm_s=speed, rest_height_mm=rest,
        leg_length_mm=leg, fps=fps,
    )
