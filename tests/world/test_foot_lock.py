"""Foot lock: exact two-bone IK, ramps, and the clean-up of a real walk."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.skeleton import bone_lengths
from posemachines.world.contacts import detect_contacts
from posemachines.world.foot_lock import (
    FootLockConfig,
    ankle_offsets,
    hold_offsets,
    lock_feet,
    lock_weights,
    soft_reach,
    two_bone_ik,
)
from tests.world.synthetic import FPS


def _leg(knee: list[float], ankle: list[float], target: list[float],
         pole: list[float] = (0.0, 0.0, 1.0)) -> tuple[np.ndarray, np.ndarray]:
    return two_bone_ik(np.zeros((1, 3)), np.array([knee]), np.array([ankle]),
                       np.array([target]), np.array([pole]))


def test_straight_leg_bends_forward_by_hand() -> None:
    # Thigh = shin = 400 mm, hip at 0, target 700 mm below: the knee sits 350 mm down and
    # sqrt(400^2 - 350^2) = 193.649 mm forward (the fallback pole, +Z).
    knee, ankle = _leg([0, -400, 0], [0, -800, 0], [0, -700, 0])
    np.testing.assert_allclose(knee[0], [0.0, -350.0, np.sqrt(400**2 - 350**2)], atol=1e-9)
    np.testing.assert_allclose(ankle[0], [0.0, -700.0, 0.0], atol=1e-9)


def test_target_at_the_ankle_changes_nothing() -> None:
    knee, ankle = _leg([30, -390, 80], [10, -780, 20], [10, -780, 20])
    np.testing.assert_allclose(knee[0], [30, -390, 80], atol=1e-9)
    np.testing.assert_allclose(ankle[0], [10, -780, 20], atol=1e-9)


def test_unreachable_target_gets_a_straight_leg_towards_it() -> None:
    knee, ankle = _leg([0, -400, 50], [0, -790, 0], [0, -1000, 0])
    thigh, shin = np.hypot(400.0, 50.0), np.hypot(390.0, 50.0)  # 403.113, 393.192
    np.testing.assert_allclose(ankle[0], [0.0, -(thigh + shin), 0.0], atol=1e-9)
    np.testing.assert_allclose(knee[0], [0.0, -thigh, 0.0], atol=1e-6)


def test_random_legs_keep_their_lengths_and_bend_plane() -> None:
    rng = np.random.default_rng(0)
    hip = rng.normal(size=(500, 3)) * 100
    knee = hip + rng.normal(size=(500, 3)) * 250
    ankle = knee + rng.normal(size=(500, 3)) * 250
    target = ankle + rng.normal(size=(500, 3)) * 80
    new_knee, new_ankle = two_bone_ik(hip, knee, ankle, target, rng.normal(size=(500, 3)))
    np.testing.assert_allclose(np.linalg.norm(new_knee - hip, axis=1),
                               np.linalg.norm(knee - hip, axis=1), rtol=1e-12)
    np.testing.assert_allclose(np.linalg.norm(new_ankle - new_knee, axis=1),
                               np.linalg.norm(ankle - knee, axis=1), rtol=1e-9)
    thigh, shin = np.linalg.norm(knee - hip, axis=1), np.linalg.norm(ankle - knee, axis=1)
    distance = np.linalg.norm(target - hip, axis=1)
    reachable = (distance < thigh + shin) & (distance > np.abs(thigh - shin))
    np.testing.assert_allclose(new_ankle[reachable], target[reachable], atol=1e-6)
    # The new knee lies in the plane of hip, target and the old knee.
    normal = np.cross(target - hip, knee - hip)
    assert np.abs(np.sum((new_knee - hip) * normal, axis=1)).max() < 1e-6 * np.abs(normal).max()


def test_lock_weights_ease_in_and_out_inside_the_span(clean_motion) -> None:
    contacts = clean_motion.contacts
    weight = lock_weights(contacts, blend_frames=3)
    start, stop = contacts.spans(0)[1]
    ramp = [0.5 - 0.5 * np.cos(np.pi * k / 4) for k in (1, 2, 3)]  # 0.146, 0.5, 0.854
    np.testing.assert_allclose(weight[start:start + 3, 0], ramp)
    np.testing.assert_allclose(weight[stop - 3:stop, 0], ramp[::-1])
    assert np.all(weight[start + 3:stop - 3, 0] == 1.0)
    assert weight[start - 1, 0] == 0.0 and weight[stop, 0] == 0.0


def test_soft_reach_by_hand() -> None:
    # Thigh = shin = 400 mm, the ankle 700 mm below the hip: 100 mm of reach left.
    hip, knee, ankle = np.zeros((1, 3)), np.array([[0.0, -350.0, np.sqrt(400**2 - 350**2)]]), \
        np.array([[0.0, -700.0, 0.0]])
    goals = [[0, -750, 0], [0, -650, 0], [0, -1000, 0], [0, -700.001, 0]]
    soft = [soft_reach(hip, knee, ankle, np.array([goal], dtype=float))[0] for goal in goals]
    np.testing.assert_allclose(soft[0], [0, -(700 + 100 * (1 - np.exp(-0.5))), 0])  # 739.35
    np.testing.assert_allclose(soft[1], [0, -650, 0])  # nearer than the ankle: kept
    np.testing.assert_allclose(soft[2], [0, -(700 + 100 * (1 - np.exp(-3))), 0])  # 795.0 < 800
    np.testing.assert_allclose(soft[3], [0, -700.001, 0], atol=1e-7)  # first order: unchanged


def test_ankle_offsets_hold_the_span_and_fade_smoothly() -> None:
    # An ankle gliding 20 mm/frame along x, locked on frames 15..24 to a spot 150 mm to its
    # side (z) at its frame-15 place.
    ankle = np.zeros((40, 3))
    ankle[:, 0] = 20.0 * np.arange(40)
    targets = np.full((40, 3), np.nan)
    targets[15:25] = ankle[15] + [0.0, 0.0, 150.0]
    offset = ankle_offsets(ankle, targets, FPS, FootLockConfig())
    out = ankle + offset
    assert np.abs(out[15:25] - targets[15]).max() < 1.0  # planted within locked_sigma_mm
    # Off contact the offset fades towards 0 ...
    assert abs(offset[0, 2]) < 0.5 * 150.0 and abs(offset[-1, 2]) < 0.5 * 150.0
    # ... and the stop is spread over several frames (measured 12.5 mm/frame^2 at most; stopping
    # dead from 20 mm/frame would be 20).
    assert np.abs(np.diff(out, 2, axis=0)).max() < 0.7 * 20.0


def test_soft_hold_damps_a_likely_contact_and_leaves_the_rest() -> None:
    # An ankle gliding 10 mm/frame along x with no contact span; contact probability 0.55 on
    # frames 15..24 (hold (0.55 - 0.1) / 0.9 = 0.5: each step there costs |step|^2 / 50 mm^2).
    ankle = np.zeros((40, 3))
    ankle[:, 0] = 10.0 * np.arange(40)
    locked, probability = np.zeros(40, dtype=bool), np.zeros(40)
    config = FootLockConfig()
    assert hold_offsets(ankle, locked, probability, FPS, config) == pytest.approx(0.0)
    probability[15:25] = 0.55
    out = ankle + hold_offsets(ankle, locked, probability, FPS, config)
    steps = np.diff(out[:, 0])
    assert steps[16:23].max() < 0.6 * 10.0  # the held stretch slows down
    assert np.abs(out[:, 1:]).max() < 1e-9  # only along the motion
    assert np.abs(out[:5, 0] - ankle[:5, 0]).max() < 0.25 * np.abs(out[:, 0] - ankle[:, 0]).max()
    assert np.abs(np.diff(out, 2, axis=0)).max() < 10.0  # no jolt: less than a stop dead
    # Below hold_from_probability nothing is held.
    probability[15:25] = config.hold_from_probability
    assert hold_offsets(ankle, locked, probability, FPS, config) == pytest.approx(0.0)
    # Nor within hold_gap_frames (3) of a locked frame: the lock eases the foot there.
    locked[:10] = True
    probability[:] = 0.0
    probability[10:12] = 0.9
    assert hold_offsets(ankle, locked, probability, FPS, config) == pytest.approx(0.0)


def _contact_speed(joints: np.ndarray, in_contact: np.ndarray) -> float:
    speed = np.linalg.norm(np.gradient(joints[:, [3, 6]], axis=0), axis=-1) * FPS
    return float(speed[in_contact].mean())


def _acceleration(joints: np.ndarray) -> float:
    return float(np.linalg.norm(np.diff(joints, 2, axis=0), axis=-1).mean())


@pytest.mark.parametrize("motion_name", ["clean_motion", "noisy_motion"])
def test_walk_clean_up(motion_name: str, request) -> None:
    motion = request.getfixturevalue(motion_name)
    before, after = motion.joints_unlocked_mm, motion.joints_mm
    contacts = motion.contacts
    # Every bone keeps its length (the trunk is only translated, the legs go through the IK).
    assert np.abs(bone_lengths(after) - bone_lengths(before)).max() < 0.1
    # Planted feet slow down to a third (measured 0.24 clean, 0.12 noisy); nothing sinks more
    # than 10 mm.
    assert _contact_speed(after, contacts.in_contact) < 0.33 * _contact_speed(
        before, contacts.in_contact)
    assert (after[:, [3, 6], 1] - contacts.rest_height_mm).min() > -10.0
    # No new jitter: mean joint acceleration (mm / frame^2) grows by less than 1 %.
    assert _acceleration(after) < 1.01 * _acceleration(before)


def test_noisy_walk_ankles_get_smoother(noisy_motion) -> None:
    before = _acceleration(noisy_motion.joints_unlocked_mm[:, [3, 6]])
    assert _acceleration(noisy_motion.joints_mm[:, [3, 6]]) < 0.95 * before


@pytest.mark.parametrize("hertz", [0.5, 1.5])
def test_root_wobble_skating_is_removed(clean_motion, hertz: float) -> None:
    """A 30 mm sideways wobble of the whole body makes planted feet skate; the planted ankles
    stand still again, and the root shift moves against the wobble (it takes the part inside
    each contact; each contact's spot keeps the span's mean)."""
    clean = clean_motion.joints_unlocked_mm
    contacts = detect_contacts(clean, FPS, clean_motion.ground.ankle_rest_heights_mm,
                               clean_motion.ground.leg_length_mm)
    wobble = 30.0 * np.sin(2 * np.pi * hertz * np.arange(len(clean)) / FPS)
    shaken = clean + wobble[:, None, None] * np.array([1.0, 0.0, 0.0])
    result = lock_feet(shaken, contacts, FPS)
    before, after = [], []
    for column, joint in enumerate((3, 6)):
        for start, stop in contacts.spans(column):  # every contact frame, the ends included
            before.append(np.ptp(shaken[start:stop, joint, 0]))
            after.append(np.ptp(result.joints_mm[start:stop, joint, 0]))
    # Each span's ankle stays within locked_sigma_mm (1 mm) of its spot at both ends (measured
    # 2.1 mm at most, 0.9 on average, from 9-70 mm).
    assert max(after) < 2.5 and sum(before) > 20.0 * sum(after)
    assert np.corrcoef(result.root_shift_mm[:, 0], -wobble)[0, 1] > 0.5


def test_lock_refuses_a_mismatched_clip(clean_motion) -> None:
    with pytest.raises(PoseInputError):
        lock_feet(clean_motion.joints_mm[:10], clean_motion.contacts, FPS)
