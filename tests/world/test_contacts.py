"""Foot contacts: probability, hysteresis, durations, and agreement with mocap ground truth."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.world.body import FOOT_JOINTS
from posemachines.world.contacts import (
    ContactConfig,
    contact_probability,
    detect_contacts,
    enforce_durations,
    hysteresis,
    viewed_speed_mm_s,
)
from posemachines.world.pipeline import to_world
from tests.world.synthetic import FPS, static_view, true_contacts

LEG_MM = 800.0


def test_probability_is_a_half_at_each_threshold() -> None:
    config = ContactConfig()
    h0, v0 = config.height_leg * LEG_MM, config.speed_leg_per_s * LEG_MM
    # At rest the other factor is sigmoid(v0 / sv) = sigmoid(5) = 0.99331 (defaults).
    assert contact_probability(np.array(h0), np.array(0.0), LEG_MM) == pytest.approx(
        0.5 * 0.99331, abs=1e-5)
    assert contact_probability(np.array(-h0), np.array(v0), LEG_MM) == pytest.approx(
        0.5 / (1.0 + np.exp(-2.0 * h0 / (config.height_softness_leg * LEG_MM))), abs=1e-9)
    assert contact_probability(np.array(h0), np.array(v0), LEG_MM) == pytest.approx(0.25)
    # Scale-free: the same pose twice as large (leg, height, speed) gives the same probability.
    assert contact_probability(np.array(30.0), np.array(200.0), LEG_MM) == pytest.approx(
        contact_probability(np.array(60.0), np.array(400.0), 2 * LEG_MM))


def test_hysteresis_holds_between_the_thresholds() -> None:
    p = np.array([0.1, 0.5, 0.7, 0.5, 0.45, 0.3, 0.5, 0.65, 0.2])[:, None]
    assert hysteresis(p, 0.6, 0.4)[:, 0].tolist() == [
        False, False, True, True, True, False, False, True, False]


def test_durations_bridge_short_swings_then_drop_short_contacts() -> None:
    flags = np.array([1, 1, 1, 0, 1, 1, 0, 0, 0, 1, 0, 0, 0, 0, 1, 1, 1, 1], bool)[:, None]
    out = enforce_durations(flags, min_on=3, min_off=2)[:, 0].astype(int).tolist()
    # The 1-frame gap at 3 is bridged; the lone contact at 9 is dropped; the 3-frame swing
    # (6-8) is kept.
    assert out == [1, 1, 1, 1, 1, 1, 0, 0, 0, 0, 0, 0, 0, 0, 1, 1, 1, 1]


def test_hysteresis_does_not_flicker_between_the_thresholds() -> None:
    # A probability hovering around 0.5 (inside 0.4-0.6) keeps whichever state came last.
    hover = [0.45, 0.55] * 5
    p = np.array([0.9, *hover, 0.1, *hover])[:, None]
    assert hysteresis(p, 0.6, 0.4)[:, 0].tolist() == [True] * 11 + [False] * 11


def test_a_four_frame_contact_is_kept_and_a_two_frame_one_dropped() -> None:
    # The defaults: contacts shorter than 0.1 s (3 frames at 30 fps) are dropped.
    p = np.full((30, 1), 0.05)
    p[5:9] = 0.95      # 4 frames: a salsa step
    p[20:22] = 0.95    # 2 frames: a touch
    joints = np.zeros((30, 1, 3))
    contacts = detect_contacts(joints, 30.0, 0.0, leg_length=LEG_MM, contact_joints=(0,),
                               probability=p)
    assert contacts.spans(0) == [(5, 9)]
    np.testing.assert_array_equal(contacts.probability, p)
    with pytest.raises(PoseInputError):
        detect_contacts(joints, 30.0, 0.0, leg_length=LEG_MM, contact_joints=(0,),
                        probability=p[:, 0])


def test_a_foot_resting_28_mm_higher_stays_in_contact(walk_world) -> None:
    """The real walk with the left ankle 28 mm higher in every frame (CMU's rig rests its
    ankles this unequally): the floor fit gives each foot its own rest height and the flags
    still match the truth over each foot's own rest."""
    raised = walk_world.copy()
    raised[:, FOOT_JOINTS[1], 1] += 28.0
    plain = to_world(*static_view(walk_world), None, FPS, metric=True)
    motion = to_world(*static_view(raised), None, FPS, metric=True)
    lift = motion.ground.ankle_rest_heights_mm - plain.ground.ankle_rest_heights_mm
    assert lift[1] - lift[0] == pytest.approx(28.0, abs=3.0)
    agreement = (motion.contacts.in_contact == true_contacts(raised)).mean(axis=0)
    assert np.all(agreement >= 0.95), agreement


def test_constructed_stepping_is_detected_exactly() -> None:
    """Height-driven steps (speed ignored): the flags equal the constructed contacts."""
    frames = 90
    planted = np.zeros(frames, bool)
    for start, stop in ((0, 20), (35, 55), (70, 90)):
        planted[start:stop] = True
    planted[44] = False        # a one-frame lift inside a contact: bridged (min swing)
    swing_touch = 27           # a one-frame touch in a swing: dropped (min contact)
    joints = np.zeros((frames, 2, 3))
    joints[:, 0, 1] = np.where(planted, 120.0, 320.0)
    joints[swing_touch, 0, 1] = 120.0
    joints[:, 1, 1] = 120.0
    config = ContactConfig(speed_leg_per_s=1e6)
    contacts = detect_contacts(joints, 30.0, rest_height_mm=120.0, leg_length=LEG_MM,
                               contact_joints=(0, 1), config=config)
    expected = planted.copy()
    expected[44] = True
    assert contacts.in_contact[:, 0].tolist() == expected.tolist()
    assert contacts.in_contact[:, 1].all()
    assert contacts.spans(0) == [(0, 20), (35, 55), (70, 90)]
    np.testing.assert_allclose(contacts.height_mm[planted, 0], 0.0)


def test_sliding_foot_is_not_in_contact() -> None:
    t = np.arange(60)
    joints = np.zeros((60, 1, 3))
    joints[:, 0, 1] = 100.0
    joints[:, 0, 0] = np.where(t < 30, 0.0, 40.0 * (t - 30))  # still, then 1.2 m/s
    contacts = detect_contacts(joints, 30.0, 100.0, leg_length=LEG_MM, contact_joints=(0,))
    assert contacts.in_contact[:25, 0].all() and not contacts.in_contact[35:, 0].any()
    assert contacts.names == ("0",)


def test_real_walk_contacts_match_the_mocap_truth(clean_motion, walk_world) -> None:
    truth = true_contacts(walk_world)
    agreement = (clean_motion.contacts.in_contact == truth).mean(axis=0)
    assert np.all(agreement >= 0.95), agreement
    assert clean_motion.contacts.names == ("RFoot", "LFoot")


def test_noisy_walk_contacts_still_match(noisy_motion, walk_world) -> None:
    truth = true_contacts(walk_world)
    assert (noisy_motion.contacts.in_contact == truth).mean() >= 0.9


def test_viewed_speed_discounts_depth_only_where_depth_is_noisier() -> None:
    t = np.arange(30)[:, None, None]
    ray = np.array([0.0, 0.6, 0.8])
    across = np.array([1.0, 0.0, 0.0])
    points = np.concatenate([ray * (4000.0 + 10.0 * t), ray * 4000.0 + across * 10.0 * t],
                            axis=1)  # (30, 2, 3): 300 mm/s along the ray / across it
    speed = viewed_speed_mm_s(points, 30.0, 0.3, min_weight=0.3, quiet_mm_s=150.0)
    # The quiet foot moves only in depth: depth is the noisy part, weighted by the least, 0.3.
    np.testing.assert_allclose(speed[:, 0], 90.0, rtol=1e-6)
    np.testing.assert_allclose(speed[:, 1], 300.0, rtol=1e-2)  # the ray turns a little
    # A quiet foot drifting as much across as along: depth is no noisier, all of it counts.
    drift = ray * (4000.0 + 2.0 * t) + across * 2.0 * t
    speed = viewed_speed_mm_s(np.concatenate([drift, points[:, 1:]], axis=1), 30.0, 0.3,
                              min_weight=0.3, quiet_mm_s=150.0)
    np.testing.assert_allclose(speed[:, 0], 60.0 * np.sqrt(2.0), rtol=1e-2)


def test_bad_inputs_raise() -> None:
    with pytest.raises(PoseInputError):
        detect_contacts(np.zeros((10, 3)), 30.0, 0.0)
    with pytest.raises(PoseInputError):
        detect_contacts(np.zeros((10, 2, 3)), 30.0, 0.0, leg_length=LEG_MM, contact_joints=(5,))
    with pytest.raises(PoseInputError):
        hysteresis(np.zeros((3, 1)), on=0.3, off=0.6)
