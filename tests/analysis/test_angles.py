"""Anatomical angles on poses built with known angles and on a real mocap walk."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.angles import ANGLE_NAMES, joint_angles, resolve_angle_name
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from tests.analysis.synthetic import (
    BANDAI_1,
    BANDAI_2,
    camera_up,
    mocap_world_mm,
    standing_pose_mm,
    to_camera,
)

J = {name: index for index, name in enumerate(JOINTS16_NAMES)}


def _posed() -> np.ndarray:
    """Standing pose with: left hip flexed 90 and left knee bent 90 (seated leg), right leg
    abducted 30, left arm level sideways (shoulder elevation 90) with the elbow bent 45."""
    pose = standing_pose_mm()
    pose[J["LKnee"]] = pose[J["LHip"]] + [0, 0, 450]
    pose[J["LFoot"]] = pose[J["LKnee"]] + [0, -450, 0]
    angle = np.radians(30)
    thigh = 450 * np.array([-np.sin(angle), -np.cos(angle), 0])
    pose[J["RKnee"]] = pose[J["RHip"]] + thigh
    pose[J["RFoot"]] = pose[J["RKnee"]] + thigh
    pose[J["LElbow"]] = pose[J["LShoulder"]] + [280, 0, 0]
    pose[J["LWrist"]] = pose[J["LElbow"]] + 250 * np.array([np.cos(np.pi / 4),
                                                            np.sin(np.pi / 4), 0])
    return pose


EXPECTED = {
    "knee_flexion_L": 90.0, "knee_flexion_R": 0.0, "hip_flexion_L": 90.0, "hip_flexion_R": 0.0,
    "hip_abduction_L": 0.0, "hip_abduction_R": 30.0, "shoulder_elevation_L": 90.0,
    "shoulder_elevation_R": 0.0, "elbow_flexion_L": 45.0, "elbow_flexion_R": 0.0,
}


@pytest.mark.parametrize(("pitch", "yaw", "roll"), [(0, 0, 0), (15, 30, 0), (40, -135, 10)])
def test_known_angles_read_back_in_any_camera(pitch, yaw, roll):
    poses = to_camera(_posed()[None], pitch, yaw, roll)
    angles = joint_angles(poses, up=camera_up(pitch, yaw, roll))
    for name, degrees in EXPECTED.items():
        assert angles[name][0] == pytest.approx(degrees, abs=1.0), name
    assert angles["trunk_inclination"][0] == pytest.approx(0.0, abs=1.0)


def test_hip_extension_and_adduction_are_negative():
    pose = standing_pose_mm()
    angle = np.radians(20)
    pose[J["LKnee"]] = pose[J["LHip"]] + 450 * np.array([0, -np.cos(angle), -np.sin(angle)])
    pose[J["RKnee"]] = pose[J["RHip"]] + 450 * np.array([np.sin(angle), -np.cos(angle), 0])
    angles = joint_angles(to_camera(pose[None]), up=camera_up())
    assert angles["hip_flexion_L"][0] == pytest.approx(-20.0, abs=1.0)
    assert angles["hip_abduction_R"][0] == pytest.approx(-20.0, abs=1.0)


def test_trunk_inclination_uses_the_estimated_vertical():
    """90 upright frames fix the vertical; 10 frames lean the trunk forward by exactly 30.

    The leaning frames' body axes fall inside the upright cone and tilt the estimate ~1.2 deg.
    """
    upright = standing_pose_mm()
    leaning = upright.copy()
    angle = np.radians(30)
    rotation = np.array([[1, 0, 0], [0, np.cos(angle), np.sin(angle)],
                         [0, -np.sin(angle), np.cos(angle)]])
    upper = [J[n] for n in ("Spine", "Thorax", "Head", "LShoulder", "LElbow", "LWrist",
                            "RShoulder", "RElbow", "RWrist")]
    leaning[upper] = (upright[upper] - upright[J["Hip"]]) @ rotation.T + upright[J["Hip"]]
    world = np.concatenate([np.repeat(upright[None], 90, 0), np.repeat(leaning[None], 10, 0)])
    angles = joint_angles(to_camera(world, 25, 70, 5))
    np.testing.assert_allclose(angles["trunk_inclination"][:90], 0.0, atol=2.0)
    np.testing.assert_allclose(angles["trunk_inclination"][90:], 30.0, atol=2.0)
    assert angles.vertical.method == "body axis mode"


def test_real_walk_knee_flexion_spans_a_gait_cycle(shared_data: Path):
    world = mocap_world_mm(shared_data / BANDAI_1 / "dataset-1_walk_normal_001.bvh")
    angles = joint_angles(to_camera(world, 15, 30))
    for side in "LR":
        knee = angles[f"knee_flexion_{side}"]
        assert knee.min() < 10.0  # straight at heel strike
        assert 55.0 < knee.max() < 80.0  # ~60-70 degrees in swing
        hip = angles[f"hip_flexion_{side}"]
        assert -20.0 < hip.min() < 0.0 < 20.0 < hip.max() < 45.0  # extension behind, flexion
    assert np.all(angles["trunk_inclination"] < 15.0)


def test_raising_the_left_arm_raises_only_the_left_shoulder(shared_data: Path):
    world = mocap_world_mm(shared_data / BANDAI_2 / "dataset-2_raise-up-left-hand_normal_001.bvh")
    angles = joint_angles(to_camera(world, 15, 30))
    assert angles["shoulder_elevation_L"].max() > 70.0
    assert angles["shoulder_elevation_R"].max() < 30.0


def test_unseen_joints_give_nan_only_for_their_angles():
    poses = np.repeat(_posed()[None], 4, axis=0)
    confidence = np.ones((4, 16))
    confidence[1:3, J["LWrist"]] = 0.0
    angles = joint_angles(to_camera(poses), confidence)
    elbow = angles["elbow_flexion_L"]
    assert np.isnan(elbow[1:3]).all() and np.isfinite(elbow[[0, 3]]).all()
    others = [k for k, n in enumerate(angles.names) if n != "elbow_flexion_L"]
    assert np.isfinite(angles.degrees[:, others]).all()


def test_output_shape_and_names():
    angles = joint_angles(to_camera(np.repeat(_posed()[None], 7, axis=0)))
    assert angles.degrees.shape == (7, len(ANGLE_NAMES))
    assert angles.names == ANGLE_NAMES


def test_joint_names_resolve_to_angles():
    assert resolve_angle_name("LKnee") == "knee_flexion_L"
    assert resolve_angle_name("RShoulder") == "shoulder_elevation_R"
    assert resolve_angle_name("trunk_inclination") == "trunk_inclination"
    with pytest.raises(PoseDataError, match="Unknown angle or joint 'LAnkle'"):
        resolve_angle_name("LAnkle")


@pytest.mark.parametrize("bad", [np.zeros((5, 17, 3)), np.zeros((5, 16, 2)),
                                 np.full((5, 16, 3), np.nan)])
def test_bad_arrays_raise_one_sentence(bad):
    with pytest.raises(PoseDataError):
        joint_angles(bad)


def test_metres_are_refused():
    with pytest.raises(PoseDataError, match="metres"):
        joint_angles(to_camera(_posed()[None]) / 1000.0)
