"""Up-direction estimation from root-relative poses seen by tilted cameras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.vertical import (
    MIN_EXTENSION,
    body_extension,
    estimate_up,
    heights_mm,
)
from tests.analysis.synthetic import (
    BANDAI_1,
    camera_up,
    mocap_world_mm,
    standing_pose_mm,
    to_camera,
    topple_to_floor,
)

CAMERAS = [(0.0, 0.0, 0.0), (15.0, 30.0, 0.0), (35.0, -120.0, 8.0)]


def _angle_deg(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.degrees(np.arccos(np.clip(a @ b, -1.0, 1.0))))


@pytest.mark.parametrize(("pitch", "yaw", "roll"), CAMERAS)
def test_standing_pose_gives_the_cameras_up_exactly(pitch, yaw, roll):
    poses = to_camera(np.repeat(standing_pose_mm()[None], 10, axis=0), pitch, yaw, roll)
    estimate = estimate_up(poses)
    assert _angle_deg(estimate.up, camera_up(pitch, yaw, roll)) < 0.01
    assert estimate.upright_fraction == 1.0


@pytest.mark.parametrize(("pitch", "yaw", "roll"), CAMERAS)
def test_real_walk_within_three_degrees(shared_data: Path, pitch, yaw, roll):
    world = mocap_world_mm(shared_data / BANDAI_1 / "dataset-1_walk_normal_001.bvh")
    estimate = estimate_up(to_camera(world, pitch, yaw, roll))
    assert _angle_deg(estimate.up, camera_up(pitch, yaw, roll)) < 3.0


def test_mostly_lying_sequence_still_finds_up():
    """20% standing, 80% lying in four headings: the upright cluster wins, not the floor."""
    standing = np.repeat(standing_pose_mm()[None], 20, axis=0)
    lying = [topple_to_floor(standing_pose_mm(), 0.1, 30, heading, lying_s=0.7)[-20:]
             for heading in (0, 90, 180, 270)]
    poses = to_camera(np.concatenate([standing, *lying]), 30.0, 60.0, 5.0)
    estimate = estimate_up(poses)
    assert _angle_deg(estimate.up, camera_up(30.0, 60.0, 5.0)) < 1.0
    assert estimate.upright_fraction == pytest.approx(0.2)


def test_no_upright_frame_falls_back_to_the_camera_up():
    lying = topple_to_floor(standing_pose_mm(), 0.1, 30, 90, lying_s=1.0)[-30:]
    estimate = estimate_up(to_camera(lying, 10.0, 0.0))
    np.testing.assert_allclose(estimate.up, [0.0, -1.0, 0.0])
    assert "camera up" in estimate.method


def test_heights_are_measured_from_the_lowest_joint():
    pose = standing_pose_mm()[None]
    heights = heights_mm(pose, np.array([0.0, 1.0, 0.0]))
    assert heights.shape == (1, 16)
    assert heights.min() == 0.0
    assert heights[0, 0] == pytest.approx(900.0)  # Hip at 1000 mm, feet at 100 mm


def _crouched(knee_flexion_deg: float) -> np.ndarray:
    """The standing pose with both knees bent (shanks tilted forward), bones kept, trunk upright."""
    pose = standing_pose_mm()
    half = np.radians(knee_flexion_deg / 2)
    shank = 450 * np.array([0.0, np.cos(half), np.sin(half)])
    thigh = 450 * np.array([0.0, np.cos(half), -np.sin(half)])
    drop = 900 - (shank[1] + thigh[1])
    for foot, knee, hip in ((3, 2, 1), (6, 5, 4)):
        pose[knee] = pose[foot] + shank
        pose[hip] = pose[knee] + thigh
    pose[[0, 7, 8, 9, 10, 11, 12, 13, 14, 15], 1] -= drop
    return pose


def test_extension_falls_as_the_knees_bend():
    extension = body_extension(np.stack([standing_pose_mm(), _crouched(60), _crouched(140)]))
    assert extension[0] == pytest.approx(1.0)  # ankles to thorax/head midpoint = the reach
    assert extension[0] > extension[1] > extension[2]
    assert extension[1] > MIN_EXTENSION > extension[2]  # a deep crouch is never "upright"
