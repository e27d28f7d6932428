"""Gait metrics: a hand-built walk with known answers, and the real mocap walk."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.arrays import true_runs
from posemachines.errors import PoseInputError
from posemachines.world.contacts import Contacts
from posemachines.world.gait import gait_metrics, travel_speed_leg_per_s
from tests.world.synthetic import FPS, true_contacts

LEG_MM = 800.0


def _built_walk() -> tuple[Contacts, np.ndarray]:
    """120 frames at 30 fps: a step every 15 frames, 700 mm long, stance 18 of 30 frames."""
    frames = 120
    flags = np.zeros((frames, 2), dtype=bool)
    joints = np.zeros((frames, 16, 3))
    joints[:, 0] = np.stack([np.zeros(frames), np.full(frames, 900.0),
                             1400.0 / 30.0 * np.arange(frames)], axis=-1)
    joints[:, [3, 6], 1] = 300.0  # swinging feet in the air
    for column, (joint, first, side) in enumerate(((3, 0, -100.0), (6, 15, 100.0))):
        for k, start in enumerate(range(first, frames, 30)):
            flags[start:start + 18, column] = True
            joints[start:start + 18, joint] = [side, 100.0, 700.0 * (2 * k + column)]
    contacts = Contacts(
        joints=(3, 6), names=("RFoot", "LFoot"), probability=flags.astype(float),
        in_contact=flags, height_mm=np.zeros((frames, 2)), speed_mm_s=np.zeros((frames, 2)),
        rest_height_mm=np.full(2, 100.0), leg_length_mm=LEG_MM, fps=30.0,
    )
    return contacts, joints


def test_built_walk_by_hand() -> None:
    contacts, joints = _built_walk()
    gait = gait_metrics(contacts, joints, metric=True)
    # Strikes at 15 (L), 30 (R), 45, ..., 105: 7 strikes over 3 s -> 6 intervals -> 120/min
    # (the right foot's contact running at frame 0 is no strike).
    assert gait.num_steps == 7
    assert gait.cadence.value == pytest.approx(120.0) and gait.cadence.unit == "steps/min"
    assert (gait.step_length.value, gait.step_length.unit) == (pytest.approx(0.7), "m")
    assert gait.stride_length.value == pytest.approx(1.4)
    assert (gait.walking_speed.value, gait.walking_speed.unit) == (pytest.approx(1.4), "m/s")
    # Stance: 36 of the right foot's 60 frames between its strikes, 54 of the left's 90.
    assert gait.stance_fraction == pytest.approx({"RFoot": 0.6, "LFoot": 0.6})
    assert gait.swing_fraction == pytest.approx({"RFoot": 0.4, "LFoot": 0.4})


def test_without_metric_scale_lengths_are_in_leg_lengths() -> None:
    contacts, joints = _built_walk()
    gait = gait_metrics(contacts, joints, metric=False)
    assert (gait.step_length.value, gait.step_length.unit) == (
        pytest.approx(700.0 / LEG_MM), "leg lengths")
    assert (gait.walking_speed.value, gait.walking_speed.unit) == (
        pytest.approx(1400.0 / LEG_MM), "leg lengths/s")
    assert gait.cadence.value == pytest.approx(120.0) and not gait.metric


def test_standing_still_gives_nan_not_errors() -> None:
    contacts, joints = _built_walk()
    flags = np.ones_like(contacts.in_contact)
    still = Contacts(contacts.joints, contacts.names, flags.astype(float), flags,
                     contacts.height_mm, contacts.speed_mm_s, contacts.rest_height_mm,
                     LEG_MM, 30.0)
    gait = gait_metrics(still, joints)
    assert gait.num_steps == 0
    assert np.isnan(gait.cadence.value) and np.isnan(gait.walking_speed.value)
    assert np.isnan(gait.stance_fraction["RFoot"])


def _true_strikes(walk_world: np.ndarray) -> list[tuple[int, float]]:
    """(frame, z of the footprint) of every true heel strike, in time order."""
    flags = true_contacts(walk_world)
    strikes = []
    for column, joint in enumerate((3, 6)):
        for start, stop in zip(*true_runs(flags[:, column]), strict=True):
            if start > 0:
                strikes.append((int(start), float(np.median(walk_world[start:stop, joint, 2]))))
    return sorted(strikes)


def test_real_walk_matches_the_mocap_truth(clean_motion, walk_world) -> None:
    strikes = _true_strikes(walk_world)
    frames = np.array([s[0] for s in strikes])
    true_cadence = 60.0 * (len(frames) - 1) / ((frames[-1] - frames[0]) / FPS)
    true_step_mm = float(np.median(np.diff([s[1] for s in strikes])))  # the walk is along +Z
    true_speed = (walk_world[frames[-1], 0, 2] - walk_world[frames[0], 0, 2]) / (
        (frames[-1] - frames[0]) / FPS)
    gait = clean_motion.gait
    assert gait.metric and gait.num_steps == len(strikes)
    assert gait.cadence.value == pytest.approx(true_cadence, rel=0.10)
    assert gait.step_length.value * 1000.0 == pytest.approx(true_step_mm, rel=0.10)
    assert gait.walking_speed.value * 1000.0 == pytest.approx(true_speed, rel=0.10)
    for fraction in gait.stance_fraction.values():
        assert 0.3 < fraction < 0.7


def test_noisy_walk_cadence(noisy_motion, walk_world) -> None:
    frames = np.array([s[0] for s in _true_strikes(walk_world)])
    true_cadence = 60.0 * (len(frames) - 1) / ((frames[-1] - frames[0]) / FPS)
    assert noisy_motion.gait.cadence.value == pytest.approx(true_cadence, rel=0.10)


def test_mismatched_joints_raise() -> None:
    contacts, joints = _built_walk()
    with pytest.raises(PoseInputError):
        gait_metrics(contacts, joints[:50])


def _legged(root_mm: np.ndarray) -> np.ndarray:
    """(T, 16, 3) mm: legs of 800 mm (hip 900, knee 500, ankle 100 mm high) carried by the root
    path (T, 3) mm; the other joints on the root."""
    joints = np.repeat(root_mm[:, None], 16, axis=1)
    for hip, side in ((1, -100.0), (4, 100.0)):
        for offset, height in enumerate((0.0, -400.0, -800.0)):
            joints[:, hip + offset] = root_mm + [side, height, 0.0]
    return joints


def test_travel_speed_is_the_roots_ground_speed_in_leg_lengths() -> None:
    times = np.arange(90) / 30.0
    bob = 30.0 * np.sin(2 * np.pi * 2 * times)  # up and down: not travel
    root = np.stack([400.0 * times, 900.0 + bob, 300.0 * times], axis=-1)  # 500 mm/s on the floor
    np.testing.assert_allclose(travel_speed_leg_per_s(_legged(root), times), 500.0 / 800.0)


def test_travel_speed_of_swaying_on_the_spot_is_nil_over_a_whole_sway() -> None:
    times = np.arange(120) / 30.0
    root = np.stack([40.0 * np.sin(2 * np.pi * times), np.full(120, 900.0), np.zeros(120)], -1)
    speed = travel_speed_leg_per_s(_legged(root), times, window_s=1.0)
    np.testing.assert_allclose(speed[15:-15], 0.0, atol=1e-9)  # one whole period each
    assert speed[0] == pytest.approx(abs(root[15, 0] - root[0, 0]) / 0.5 / 800.0)  # clamped


def test_travel_speed_refuses_mismatched_timestamps() -> None:
    with pytest.raises(PoseInputError, match="T timestamps"):
        travel_speed_leg_per_s(np.zeros((10, 16, 3)), np.arange(9) / 30.0)
