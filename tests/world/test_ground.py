"""Ground and camera extrinsics from a real mocap walk seen by a known virtual camera."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.camera import Camera
from posemachines.errors import PoseInputError
from posemachines.world.ground import (
    estimate_ground,
    ground_on_known_floor,
    pitch_roll_deg,
    world_from_camera,
)
from tests.world.synthetic import (
    HEADING_DEG,
    HEIGHT_MM,
    PITCH_DEG,
    ROLL_DEG,
    camera_rotation,
    noisy_view,
)


def _true_up() -> np.ndarray:
    return camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG) @ np.array([0.0, 1.0, 0.0])


def test_pitch_and_roll_conventions_by_hand() -> None:
    assert pitch_roll_deg(np.array([0.0, -1.0, 0.0])) == pytest.approx((0.0, 0.0))
    # Looking down 30 deg: world up leans towards the camera (-z) in camera coordinates.
    down = np.radians(30.0)
    assert pitch_roll_deg(np.array([0.0, -np.cos(down), -np.sin(down)])) == pytest.approx(
        (30.0, 0.0))
    # Camera frame = level frame turned +10 deg about z: up = Rz(10) @ (0, -1, 0).
    roll = np.radians(10.0)
    assert pitch_roll_deg(np.array([np.sin(roll), -np.cos(roll), 0.0])) == pytest.approx(
        (0.0, 10.0))
    assert pitch_roll_deg(_true_up()) == pytest.approx((PITCH_DEG, ROLL_DEG))


def test_recovers_pitch_roll_and_height_of_the_walk_camera(static_clip) -> None:
    pose, translation = static_clip
    ground = estimate_ground(pose + translation[:, None], fps=30.0)
    assert ground.source == "feet"
    assert abs(ground.pitch_deg - PITCH_DEG) < 1.0
    assert abs(ground.roll_deg - ROLL_DEG) < 1.0
    assert abs(ground.camera_height_mm - HEIGHT_MM) < 0.03 * HEIGHT_MM
    assert ground.num_footprints >= 15 and ground.inlier_fraction > 0.9
    assert ground.residual_mm < 5.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimator_like_errors_keep_the_floor(static_clip, seed: int) -> None:
    pose, translation = noisy_view(*static_clip, seed=seed)
    ground = estimate_ground(pose + translation[:, None], fps=30.0)
    assert abs(ground.pitch_deg - PITCH_DEG) < 1.0
    assert abs(ground.roll_deg - ROLL_DEG) < 1.0
    assert abs(ground.camera_height_mm - HEIGHT_MM) < 0.05 * HEIGHT_MM


def test_world_frame_conventions(static_clip, walk_world) -> None:
    pose, translation = static_clip
    joints = pose + translation[:, None]
    rest = float(walk_world[:, [3, 6], 1].min())
    ground = estimate_ground(joints, fps=30.0, ankle_height_mm=rest)
    world = ground.camera_to_world(joints)
    rotation = ground.R_world_from_camera
    np.testing.assert_allclose(rotation @ rotation.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(rotation) == pytest.approx(1.0)
    # Origin on the floor under the first frame's root; Y is height above the floor, which
    # matches the mocap's own floor to a few mm once the ankle height is known.
    assert world[0, 0, [0, 2]] == pytest.approx([0.0, 0.0], abs=1e-6)
    assert np.abs(world[..., 1] - walk_world[..., 1]).max() < 10.0
    # +Z is the camera's forward on the floor: the optical axis has no world-X component.
    forward = rotation @ np.array([0.0, 0.0, 1.0])
    assert forward[0] == pytest.approx(0.0, abs=1e-12) and forward[2] > 0
    # Round trip, and the Camera convention (X_cam = R X_world + t).
    np.testing.assert_allclose(ground.world_to_camera(world), joints, atol=1e-6)
    camera = Camera(R=ground.rotation_camera_from_world, t_mm=ground.t_camera_mm, f_px=(1e3, 1e3),
                    c_px=(960, 540), k=np.zeros(3), p=np.zeros(2), width=1920, height=1080)
    np.testing.assert_allclose(camera.world_to_camera(world), joints, atol=1e-6)
    # Walked distance is preserved (a rigid map).
    walked = np.linalg.norm(world[-1, 0, [0, 2]] - world[0, 0, [0, 2]])
    assert walked == pytest.approx(np.linalg.norm(walk_world[-1, 0, [0, 2]]
                                                  - walk_world[0, 0, [0, 2]]), abs=1.0)


def test_straight_down_camera_takes_image_up_as_heading() -> None:
    rotation, _ = world_from_camera(np.array([0.0, 0.0, -1.0]), 3000.0, np.zeros(3))
    np.testing.assert_allclose(rotation[2], [0.0, -1.0, 0.0], atol=1e-12)


def test_feet_that_never_rest_fall_back_to_the_trunk(static_clip) -> None:
    pose, translation = static_clip
    joints = pose + translation[:, None]
    t = np.arange(len(joints))
    for joint, phase in ((3, 0.0), (6, np.pi)):  # ankles whirl at ~4 m/s all the time
        joints[:, joint] += 150.0 * np.stack([np.cos(0.9 * t + phase), np.sin(0.9 * t + phase),
                                              np.sin(0.5 * t)], axis=-1)
    ground = estimate_ground(joints, fps=30.0)
    assert ground.source == "body" and ground.num_footprints == 0
    # The trunk of this walk leans 0.4 deg on average.
    assert np.degrees(np.arccos(ground.up @ _true_up())) < 1.0
    assert 3.0 <= ground.normal_sigma_deg <= 10.0  # the forward-lean prior (10 deg) at most


def test_bad_inputs_raise(static_clip) -> None:
    with pytest.raises(PoseInputError):
        estimate_ground(np.zeros((10, 15, 3)), fps=30.0)
    with pytest.raises(PoseInputError):
        estimate_ground(static_clip[0], fps=30.0, valid=np.zeros(len(static_clip[0]), bool))


def test_a_known_floor_gives_the_cameras_pose_and_each_ankles_rest_height() -> None:
    rotation = camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG)  # world -> camera
    eye = np.array([500.0, HEIGHT_MM, -4000.0])
    t_camera = -rotation @ eye
    # Two frames of a standing body: the right ankle 80 mm up and lower in the first, the left
    # 95 mm up and lower in the second (the other ankle 200 mm up); legs 800 mm.
    world = np.zeros((2, 16, 3))
    world[:, :, 1] = 900.0
    for hip, side in ((1, -100.0), (4, 100.0)):
        world[:, hip:hip + 3, 0] = side
        world[:, hip + 1, 1] = 500.0
    world[:, 3, 1], world[:, 6, 1] = (80.0, 200.0), (200.0, 95.0)
    world[:, 2, 1], world[:, 5, 1] = world[:, 3, 1] + 400.0, world[:, 6, 1] + 400.0
    world[:, 1, 1] = world[:, 4, 1] = world[:, 2, 1] + 400.0  # 800 mm legs whatever the ankle
    joints_cam = world @ rotation.T + t_camera
    ground = ground_on_known_floor(joints_cam, np.ones(2, bool), rotation, t_camera)
    assert ground.source == "shared" and ground.leg_length_mm == pytest.approx(800.0)
    np.testing.assert_allclose(ground.ankle_rest_heights_mm, [80.0, 95.0], atol=1e-6)
    assert ground.camera_height_mm == pytest.approx(HEIGHT_MM)
    assert (ground.pitch_deg, ground.roll_deg) == pytest.approx((PITCH_DEG, ROLL_DEG))
    np.testing.assert_allclose(ground.camera_to_world(joints_cam), world, atol=1e-6)
    with pytest.raises(PoseInputError, match="valid mask"):
        ground_on_known_floor(joints_cam, np.zeros(2, bool), rotation, t_camera)
