"""Leg-articulation augmentation: bent hips and knees, exact bone lengths, wired into training."""

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.skeleton import bone_lengths
from posemachines.training.articulation import (
    ArticulationConfig,
    articulate_clips,
    bend_legs,
    keep_lowest_height,
    raise_arms,
)
from posemachines.training.augment import NO_NOISE
from posemachines.training.mocap_views import MocapViewConfig, MocapViews
from tests.training.test_anthropometry import STANDING, lifter_task_for, mocap_npz  # noqa: F401

# STANDING faces +z (left hip at +x, up +y: forward = left x up); thigh and shin are 450 mm.
RIGHT_KNEE, RIGHT_ANKLE, LEFT_KNEE, LEFT_ANKLE = 2, 3, 5, 6
NO_LIMIT = np.pi


def _bend(hip_deg: float, knee_deg: float, max_hip=NO_LIMIT, max_knee=NO_LIMIT) -> np.ndarray:
    flex = np.radians(np.full((1, 2), hip_deg)), np.radians(np.full((1, 2), knee_deg))
    return bend_legs(STANDING[None, None], *flex, max_hip, max_knee)[0, 0]


def _knee_angle_deg(pose: np.ndarray, knee: int) -> float:
    thigh, shin = pose[knee] - pose[knee - 1], pose[knee + 1] - pose[knee]
    return float(np.degrees(np.arccos(thigh @ shin / np.linalg.norm(thigh) / np.linalg.norm(shin))))


def test_hip_and_knee_at_right_angles_seat_the_body_by_hand():
    seated = _bend(90.0, 90.0)
    # Thigh swung forward to horizontal, shin swung back to vertical again.
    np.testing.assert_allclose(seated[RIGHT_KNEE], [-100, 1000, 450], atol=1e-9)
    np.testing.assert_allclose(seated[RIGHT_ANKLE], [-100, 550, 450], atol=1e-9)
    np.testing.assert_allclose(seated[LEFT_ANKLE], [100, 550, 450], atol=1e-9)
    untouched = [j for j in range(16) if j not in (RIGHT_KNEE, RIGHT_ANKLE, LEFT_KNEE, LEFT_ANKLE)]
    np.testing.assert_array_equal(seated[untouched], STANDING[untouched])


def test_directions_hip_flexes_forward_knee_flexes_back():
    hip_only = _bend(30.0, 0.0)
    assert hip_only[RIGHT_KNEE, 2] == pytest.approx(450 * np.sin(np.radians(30)))
    knee_only = _bend(0.0, 60.0)
    np.testing.assert_allclose(knee_only[RIGHT_KNEE], STANDING[RIGHT_KNEE])
    assert knee_only[RIGHT_ANKLE, 2] == pytest.approx(-450 * np.sin(np.radians(60)))
    assert _knee_angle_deg(knee_only, RIGHT_KNEE) == pytest.approx(60.0)


def test_arms_swing_forward_and_up_about_the_shoulders_by_hand():
    raised = raise_arms(STANDING[None, None], np.radians([[90.0, 180.0]]), np.radians(170.0))[0, 0]
    np.testing.assert_allclose(raised[14], [-150, 1500, 250], atol=1e-9)  # right elbow, forward
    np.testing.assert_allclose(raised[15], [-150, 1500, 500], atol=1e-9)
    up = np.radians(170.0)  # the left arm stops at the cap, near overhead
    np.testing.assert_allclose(raised[12], [150, 1500 - 500 * np.cos(up), 500 * np.sin(up)],
                               atol=1e-9)
    np.testing.assert_array_equal(raised[:10], STANDING[:10])


def test_arm_only_clips_keep_their_legs():
    world = np.broadcast_to(STANDING, (20, 2, 16, 3)).copy()
    config = ArticulationConfig(probability=0.0, arm_probability=1.0)
    out = articulate_clips(np.random.default_rng(4), world, config)
    np.testing.assert_allclose(out[..., :10, :], world[..., :10, :])
    assert np.all(out[:, 0, 15, 2] >= 0.0) and np.mean(out[:, 0, 15, 2]) > 200.0


def test_limits_cap_the_bend_including_what_the_pose_already_has():
    capped = _bend(0.0, 170.0, max_knee=np.radians(155.0))
    assert _knee_angle_deg(capped, RIGHT_KNEE) == pytest.approx(155.0)
    already = _bend(0.0, 100.0)
    again = bend_legs(already[None, None], np.zeros((1, 2)), np.radians(np.full((1, 2), 100.0)),
                      NO_LIMIT, np.radians(155.0))[0, 0]
    assert _knee_angle_deg(again, LEFT_KNEE) == pytest.approx(155.0)
    hip_capped = _bend(150.0, 0.0, max_hip=np.radians(125.0))
    thigh = hip_capped[RIGHT_KNEE] - STANDING[1]
    assert np.degrees(np.arctan2(thigh[2], -thigh[1])) == pytest.approx(125.0)


def test_clips_keep_bone_lengths_and_their_lowest_height():
    rng = np.random.default_rng(0)
    world = np.broadcast_to(STANDING, (50, 3, 16, 3)) + rng.normal(0, 20, (50, 3, 16, 3))
    out = articulate_clips(rng, world, ArticulationConfig(probability=1.0))
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(world), atol=1e-9)
    np.testing.assert_allclose(out[..., 1].min(axis=(1, 2)), world[..., 1].min(axis=(1, 2)))
    knees = [_knee_angle_deg(pose, RIGHT_KNEE) for pose in out[:, 0]]
    assert np.mean(knees) > 40.0  # default draws average 70 degrees of extra knee flexion


def test_probability_picks_clips_and_zero_changes_nothing():
    world = np.broadcast_to(STANDING, (400, 2, 16, 3)).copy()
    unchanged = articulate_clips(np.random.default_rng(2), world,
                                 ArticulationConfig(probability=0.0))
    np.testing.assert_array_equal(unchanged, world)
    out = articulate_clips(np.random.default_rng(2), world, ArticulationConfig(probability=0.3))
    changed = np.any(np.abs(out - world) > 1e-9, axis=(1, 2, 3))
    assert 0.22 < changed.mean() < 0.38


def test_keep_lowest_height_shifts_whole_clips():
    original = np.zeros((2, 1, 2, 3))
    moved = np.array([[[[0, 5.0, 0], [0, 9.0, 0]]], [[[0, -3.0, 0], [0, 1.0, 0]]]])
    np.testing.assert_allclose(keep_lowest_height(original, moved)[..., 1],
                               [[[0.0, 4.0]], [[0.0, 4.0]]])


@pytest.mark.parametrize("kwargs", [
    {"probability": 1.5}, {"symmetric_prob": -0.1}, {"arm_probability": 2.0},
    {"knee_flexion_deg": (90.0, 10.0)}, {"hip_flexion_deg": (0.0, 200.0)},
])
def test_bad_configs_raise(kwargs):
    with pytest.raises(PoseDataError):
        ArticulationConfig(**kwargs)


def test_bad_poses_raise():
    with pytest.raises(PoseDataError, match="must be"):
        articulate_clips(np.random.default_rng(0), np.zeros((2, 16, 3)), ArticulationConfig())


def test_views_see_bent_legs_and_the_task_wires_it_for_training_only(mocap_npz):  # noqa: F811
    positions = np.broadcast_to(STANDING, (30, 16, 3)).copy()
    views = MocapViews(positions, np.array([0, 30]), MocapViewConfig(
        clip_length=4, flip_prob=0.0, noise=NO_NOISE,
        articulation=ArticulationConfig(probability=1.0, knee_flexion_deg=(60.0, 90.0))))
    batch = views.sample(np.random.default_rng(3), 16, noisy=False)
    knees = [_knee_angle_deg(pose, RIGHT_KNEE) for pose in batch.pose3d_mm[:, 0].astype(float)]
    assert min(knees) > 35.0  # 60-90 degrees drawn, at most ~3 sigma of 10 degree jitter off
    assert lifter_task_for(mocap_npz).view_config(validation=False).articulation is None
    task = lifter_task_for(mocap_npz, articulation={"probability": 0.4})
    assert task.view_config(validation=False).articulation == ArticulationConfig(0.4)
    assert task.view_config(validation=True).articulation is None
