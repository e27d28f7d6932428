"""Foot locking in the world frame: planted feet stay put, nothing sinks into the floor, and
every bone keeps its length exactly.

1. Each contact span of a foot gets one target: the robust (median) position of the ankle over
   the span, at the foot's rest height (y = rest height, floor at y = 0).
2. The root: per frame, the weighted mean of (target - ankle) over the planted feet is what the
   whole body should move by (weights ease in and out over `blend_s` inside each span); these
   offsets are smoothed by the acceleration prior of `trajectory.smooth_series` (frames with no
   planted foot carry no data and are bridged), capped at `max_root_shift_leg` leg lengths and
   added to every joint.
3. The ankles: each ankle moves by an offset that equals (target - ankle) on every contact frame
   (within `locked_sigma_mm`) and is elsewhere the smoothest curve (acceleration prior
   `offset_accel_mm`) pulled weakly to 0 (`free_sigma_mm`). So the planted ankle stands still
   from the first to the last contact frame, and the swing foot takes the offset on and off
   gradually, with no velocity jump (ramps blending the ankle towards the target over a few
   frames left a third of the lifted benchmark's true contact frames half-locked: the feet
   skated 17 mm/frame there; longer ramps pulled the arriving foot and added jitter).
   Off the contact spans a second offset holds an ankle softly, as much as its contact
   probability p says (`hold_offsets`): each step of the ankle costs |step|^2 hold /
   `hold_speed_mm`^2 (3 mm/frame, the mocap's own feet's speed in contact), hold growing
   from 0 at p = `hold_from_probability` to 1 at p = 1, and that offset is pulled back to 0
   with weight (1 - hold) / `release_sigma_mm`^2 (without it a held stretch's offset spread
   to the frames around it). Steps within `hold_gap_frames` of a locked frame are left to
   the lock's ease (held there, the clean walk's feet stopped harder: +2 % acceleration). A
   dance's 4-frame stops between kicks get p ~ 0.15-0.4, below the flag's threshold; held
   softly, the held-out dances' feet skate 1.1x the mocap's own speed in contact, not 1.6x
   (benchmarks/bench_world.py).
4. The legs: an analytic two-bone IK (hip fixed, knee and ankle moved) puts each ankle at that
   goal (never below its rest height). The knee stays in the plane of hip, target and the
   original knee (the body's forward direction where the leg was straight); thigh and shin keep
   their lengths from the same frame, so bone lengths are untouched. A goal farther from the hip
   than the ankle was gets only part of the leg's remaining reach (`soft_reach`): a nearly
   straight leg (end of swing, heel strike) would otherwise snap straight and jerk the knee.
Arrays: (T, 16, 3) mm, world frame, Y up, floor at y = 0.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solveh_banded
from scipy.ndimage import binary_dilation

from posemachines.errors import PoseInputError
from posemachines.skeleton import trunk_axes
from posemachines.world.body import LEG_CHAINS, REFERENCE_FPS, check_fps, check_joints
from posemachines.world.contacts import Contacts
from posemachines.world.trajectory import second_difference_normal, smooth_series


@dataclass(frozen=True)
class FootLockConfig:
    """blend_s: ramp of the root shift's weights at each end of a contact (s);
    root_accel_sigma_mm: smoothness of the root shift (mm / frame^2 at 30 fps); root_sigma_mm:
    how closely the root shift follows the planted feet's wish; max_root_shift_leg: cap on the
    root shift (leg lengths); lock_root: move the root at all (False: legs only);
    offset_accel_mm: smoothness of each ankle's offset (mm / frame^2 at 30 fps); free_sigma_mm:
    how weakly the offset is pulled to 0 off contact (mm); locked_sigma_mm: how exactly it
    reaches the target on contact frames (mm); hold_speed_mm: the soft hold's sigma of an
    ankle's step off the contact spans where its contact probability is 1 (mm / frame at
    30 fps; 0: no soft hold); hold_from_probability: the probability where the hold starts
    (it grows linearly to 1 from there); release_sigma_mm: the extra pull of the offset to 0
    off contact, weighted by 1 - hold (mm; 0: none); hold_gap_frames: no soft hold this close to a
    locked frame (the lock's own ease in and out is left alone)."""

    blend_s: float = 0.1
    root_accel_sigma_mm: float = 0.5
    root_sigma_mm: float = 5.0
    max_root_shift_leg: float = 0.25
    lock_root: bool = True
    offset_accel_mm: float = 5.0
    free_sigma_mm: float = 100.0
    locked_sigma_mm: float = 1.0
    hold_speed_mm: float = 3.0
    hold_from_probability: float = 0.1
    release_sigma_mm: float = 70.0
    hold_gap_frames: int = 3


@dataclass(frozen=True, eq=False)
class FootLockResult:
    """joints_mm (T, 16, 3) cleaned world joints; root_shift_mm (T, 3) added to every joint;
    targets_mm (T, F, 3) each contact joint's lock target (NaN off contact); offsets_mm
    (T, F, 3) each contact joint's smoothed offset (goal - ankle after the root shift, before
    the rest-height floor and the soft reach); lock_weight (T, F) in [0, 1]: the root shift's
    weight of each foot."""

    joints_mm: np.ndarray
    root_shift_mm: np.ndarray
    targets_mm: np.ndarray
    offsets_mm: np.ndarray
    lock_weight: np.ndarray


def two_bone_ik(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, target: np.ndarray,
    pole_fallback: np.ndarray,
) -> tuple[np.ndarray, np.ndarray]:
    """New (knee, ankle) (N, 3) reaching for `target` (N, 3) with the hip fixed; thigh and shin
    keep their lengths from hip, knee, ankle (N, 3). The knee bends in the plane of hip, target
    and the old knee, or towards `pole_fallback` (N, 3) where that plane is undefined."""
    thigh = np.linalg.norm(knee - hip, axis=-1)
    shin = np.linalg.norm(ankle - knee, axis=-1)
    reach = target - hip
    distance = np.linalg.norm(reach, axis=-1)
    axis = np.where(distance[:, None] > 1e-9, reach / np.maximum(distance, 1e-9)[:, None],
                    (ankle - hip) / np.maximum(thigh + shin, 1e-9)[:, None])
    distance = np.clip(distance, np.abs(thigh - shin) + 1e-9, thigh + shin)
    along = (thigh**2 - shin**2 + distance**2) / (2.0 * distance)
    across = np.sqrt(np.maximum(thigh**2 - along**2, 0.0))
    pole = knee - hip
    pole = pole - np.sum(pole * axis, axis=-1, keepdims=True) * axis
    weak = np.linalg.norm(pole, axis=-1) < 1e-6 * np.maximum(thigh, 1e-9)
    fallback = pole_fallback - np.sum(pole_fallback * axis, axis=-1, keepdims=True) * axis
    pole = np.where(weak[:, None], fallback, pole)
    pole = pole / np.maximum(np.linalg.norm(pole, axis=-1, keepdims=True), 1e-12)
    new_knee = hip + along[:, None] * axis + across[:, None] * pole
    return new_knee, hip + distance[:, None] * axis


def soft_reach(
    hip: np.ndarray, knee: np.ndarray, ankle: np.ndarray, goal: np.ndarray,
) -> np.ndarray:
    """`goal` (N, 3) moved along the hip-goal line so that a goal d0 + g from the hip (d0: the
    ankle's distance, room: thigh + shin - d0) lies d0 + room (1 - exp(-g / room)) from it:
    unchanged to first order, never at full reach unless the leg already was. Goals no farther
    than the ankle are kept."""
    room = np.maximum(np.linalg.norm(knee - hip, axis=-1) + np.linalg.norm(ankle - knee, axis=-1)
                      - np.linalg.norm(ankle - hip, axis=-1), 1e-9)
    start = np.linalg.norm(ankle - hip, axis=-1)
    distance = np.linalg.norm(goal - hip, axis=-1)
    grow = np.maximum(distance - start, 0.0)
    soft = np.where(grow > 0, start + room * -np.expm1(-grow / room), distance)
    return hip + (goal - hip) * (soft / np.maximum(distance, 1e-12))[:, None]


def lock_weights(contacts: Contacts, blend_frames: int) -> np.ndarray:
    """(T, F) weights in [0, 1]: 1 inside each contact span, easing in and out over
    `blend_frames` frames at its ends (raised cosine, inside the span), 0 elsewhere."""
    frames, feet = contacts.in_contact.shape
    weight = np.zeros((frames, feet))
    for foot in range(feet):
        for start, stop in contacts.spans(foot):
            inside = np.arange(stop - start)
            edge = np.minimum(inside + 1, stop - start - inside)  # 1 at both ends
            weight[start:stop, foot] = 0.5 - 0.5 * np.cos(
                np.pi * np.minimum(edge / (blend_frames + 1), 1.0))
    return weight


def ankle_offsets(
    ankle_mm: np.ndarray, targets_mm: np.ndarray, fps: float, config: FootLockConfig,
) -> np.ndarray:
    """(T, 3) offset of one ankle (T, 3): target - ankle where the target (T, 3) is finite,
    the smoothest curve pulled weakly to 0 elsewhere (see the module docstring)."""
    locked = np.isfinite(targets_mm).all(axis=1)
    wish = np.where(locked[:, None], np.nan_to_num(targets_mm) - ankle_mm, 0.0)
    weights = np.where(locked, config.locked_sigma_mm**-2.0, config.free_sigma_mm**-2.0)
    accel = config.offset_accel_mm * (REFERENCE_FPS / fps) ** 2
    return smooth_series(wish, weights, accel)


def hold_offsets(
    ankle_mm: np.ndarray, locked: np.ndarray, probability: np.ndarray, fps: float,
    config: FootLockConfig,
) -> np.ndarray:
    """(T, 3) soft-hold offset of one ankle (T, 3) (after `ankle_offsets`): 0 on the locked
    frames (T,) bool; elsewhere the smoothest curve, pulled to 0, that damps the ankle's steps
    as much as its contact probability (T,) asks (see the module docstring)."""
    frames = len(ankle_mm)
    if config.hold_speed_mm <= 0 or frames < 2:
        return np.zeros_like(ankle_mm)
    hold = np.clip((probability - config.hold_from_probability)
                   / (1.0 - config.hold_from_probability), 0.0, 1.0)
    # the hold's cost: d_t |(a + o)(t+1) - (a + o)(t)|^2 on every step away from a locked frame
    damping = 0.5 * (hold[1:] + hold[:-1]) / (config.hold_speed_mm * REFERENCE_FPS / fps) ** 2
    near = locked
    if locked.any() and config.hold_gap_frames > 0:
        near = binary_dilation(locked, iterations=config.hold_gap_frames)
    damping = np.where(near[1:] | near[:-1], 0.0, damping)
    if not damping.any():
        return np.zeros_like(ankle_mm)
    release = (1.0 - hold) / config.release_sigma_mm**2 if config.release_sigma_mm > 0 else 0.0
    weights = np.where(locked, config.locked_sigma_mm**-2.0, config.free_sigma_mm**-2.0 + release)
    accel = config.offset_accel_mm * (REFERENCE_FPS / fps) ** 2
    banded = second_difference_normal(frames) / accel**2
    banded[2] += weights
    banded[2, :-1] += damping
    banded[2, 1:] += damping
    banded[1, 1:] -= damping
    step = damping[:, None] * np.diff(ankle_mm, axis=0)
    rhs = np.zeros_like(ankle_mm)
    rhs[:-1] += step
    rhs[1:] -= step
    return solveh_banded(banded, rhs, check_finite=False)


def lock_feet(
    joints_world_mm: np.ndarray, contacts: Contacts, fps: float,
    config: FootLockConfig | None = None,
) -> FootLockResult:
    """Lock the contact joints of (T, 16, 3) world joints; see the module docstring."""
    config = config or FootLockConfig()
    fps = check_fps(fps)
    joints = check_joints(joints_world_mm, "joints_world_mm")
    if contacts.in_contact.shape[0] != len(joints) or not np.isfinite(joints).all():
        raise PoseInputError("lock_feet needs finite joints with one contact row per frame.")
    chains = {chain[2]: chain for chain in LEG_CHAINS}
    if any(j not in chains for j in contacts.joints):
        raise PoseInputError("lock_feet locks ankles (RFoot, LFoot) only.")
    feet = list(contacts.joints)
    weight = lock_weights(contacts, max(1, int(round(config.blend_s * fps))))
    targets = np.full((len(joints), len(feet), 3), np.nan)
    for column, joint in enumerate(feet):
        for start, stop in contacts.spans(column):
            spot = np.median(joints[start:stop, joint], axis=0)
            spot[1] = contacts.rest_height_mm[column]
            targets[start:stop, column] = spot

    shift = np.zeros((len(joints), 3))
    if config.lock_root and weight.any():
        wish = np.nan_to_num(targets - joints[:, feet])
        total = weight.sum(axis=1)
        mean_wish = (weight[..., None] * wish).sum(axis=1) / np.maximum(total, 1e-12)[:, None]
        accel = config.root_accel_sigma_mm * (REFERENCE_FPS / fps) ** 2
        shift = smooth_series(mean_wish, total / config.root_sigma_mm**2, accel)
        cap = config.max_root_shift_leg * contacts.leg_length_mm
        norm = np.linalg.norm(shift, axis=-1, keepdims=True)
        shift *= np.minimum(1.0, cap / np.maximum(norm, 1e-12))
    out = joints + shift[:, None, :]

    _, _, forward = trunk_axes(out)
    offsets = np.zeros((len(joints), len(feet), 3))
    for column, joint in enumerate(feet):
        hip, knee, ankle = chains[joint]
        locked = np.isfinite(targets[:, column]).all(axis=1)
        if locked.any():
            offsets[:, column] = ankle_offsets(out[:, ankle], targets[:, column], fps, config)
        offsets[:, column] += hold_offsets(out[:, ankle] + offsets[:, column], locked,
                                           contacts.probability[:, column], fps, config)
        goal = out[:, ankle] + offsets[:, column]
        goal[:, 1] = np.maximum(goal[:, 1], contacts.rest_height_mm[column])
        goal = soft_reach(out[:, hip], out[:, knee], out[:, ankle], goal)
        moved = np.any(np.abs(goal - out[:, ankle]) > 1e-9, axis=-1)
        if moved.any():
            new_knee, new_ankle = two_bone_ik(out[moved, hip], out[moved, knee],
                                              out[moved, ankle], goal[moved], forward[moved])
            out[moved, knee], out[moved, ankle] = new_knee, new_ankle
    return FootLockResult(joints_mm=out, root_shift_mm=shift, targets_mm=targets,
                          offsets_mm=offsets, lock_weight=weight)
