"""Tests for posemachines/data/virtual_cameras.py: virtual cameras around a mocap subject."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.data.virtual_cameras import (
    CameraBatch,
    VirtualCameraConfig,
    sample_virtual_cameras,
)
from posemachines.errors import PoseDataError

TARGET_MM = np.array([300.0, 950.0, -200.0])  # a root 95 cm above the Y-up ground
CONFIG = VirtualCameraConfig()


@pytest.fixture(scope="module")
def cameras() -> CameraBatch:
    return sample_virtual_cameras(np.random.default_rng(0), 500, TARGET_MM)


def _within(values: np.ndarray, bounds: tuple[float, float]) -> bool:
    return bool(np.all(values >= bounds[0] - 1e-6) and np.all(values <= bounds[1] + 1e-6))


def test_batch_shapes_and_rotations(cameras):
    assert len(cameras) == 500
    assert cameras.R.shape == (500, 3, 3) and cameras.t_mm.shape == (500, 3)
    assert cameras.f_px.shape == cameras.c_px.shape == cameras.size_px.shape == (500, 2)
    identity = np.broadcast_to(np.eye(3), (500, 3, 3))
    np.testing.assert_allclose(cameras.R @ cameras.R.transpose(0, 2, 1), identity, atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(cameras.R), 1.0)


def test_every_camera_sees_the_target_inside_its_image(cameras):
    target = np.broadcast_to(TARGET_MM, (500, 1, 3))
    target_cam = cameras.world_to_camera(target)
    uv = cameras.project(target_cam)[:, 0]
    assert np.all(target_cam[:, 0, 2] > 0)
    assert np.all(uv > 0) and np.all(uv < cameras.size_px)


def test_sampled_values_stay_in_configured_ranges(cameras):
    centres = cameras.center_mm
    assert _within(centres[:, 1], CONFIG.height_mm)
    horizontal = np.linalg.norm((centres - TARGET_MM)[:, [0, 2]], axis=-1)
    assert _within(horizontal, CONFIG.distance_mm)
    assert _within(cameras.f_px[:, 0] / cameras.size_px[:, 0], CONFIG.focal_over_width)
    np.testing.assert_array_equal(cameras.f_px[:, 0], cameras.f_px[:, 1])
    offset = np.abs(cameras.c_px / cameras.size_px - 0.5)
    assert np.all(offset <= CONFIG.principal_jitter_frac + 1e-12)
    assert {tuple(s) for s in cameras.size_px} == set(CONFIG.image_sizes)


def test_portrait_and_landscape_both_appear(cameras):
    width, height = cameras.size_px.T
    assert np.any(width > height) and np.any(height > width)


def test_cameras_are_not_upside_down(cameras):
    image_down_in_world = cameras.R[:, 1, :]
    assert np.all(image_down_in_world @ np.array([0.0, 1.0, 0.0]) < -0.5)


def test_same_seed_same_cameras_other_seed_other_cameras():
    first = sample_virtual_cameras(np.random.default_rng(7), 20, TARGET_MM)
    again = sample_virtual_cameras(np.random.default_rng(7), 20, TARGET_MM)
    other = sample_virtual_cameras(np.random.default_rng(8), 20, TARGET_MM)
    for name in ("R", "t_mm", "f_px", "c_px", "size_px"):
        np.testing.assert_array_equal(getattr(first, name), getattr(again, name))
    assert not np.allclose(first.t_mm, other.t_mm)


def test_z_up_world_and_per_camera_targets():
    rng = np.random.default_rng(1)
    targets = rng.uniform(-1000, 1000, size=(50, 3)) * [1, 1, 0] + [0, 0, 900]
    cameras = sample_virtual_cameras(rng, 50, targets, up_axis=2)
    assert _within(cameras.center_mm[:, 2], CONFIG.height_mm)
    horizontal = np.linalg.norm((cameras.center_mm - targets)[:, :2], axis=-1)
    assert _within(horizontal, CONFIG.distance_mm)
    target_cam = cameras.world_to_camera(targets[:, None])
    uv = cameras.project(target_cam)[:, 0]
    assert np.all(target_cam[:, 0, 2] > 0) and np.all((uv > 0) & (uv < cameras.size_px))
    assert np.all(cameras.R[:, 1, :] @ np.array([0.0, 0.0, 1.0]) < -0.5)


def test_batch_methods_match_single_cameras(cameras):
    rng = np.random.default_rng(2)
    poses = TARGET_MM + rng.uniform(-800, 800, size=(len(cameras), 3, 16, 3))
    X_cam = cameras.world_to_camera(poses)
    uv = cameras.project(X_cam)
    assert X_cam.shape == (len(cameras), 3, 16, 3) and uv.shape == (len(cameras), 3, 16, 2)
    for index in (0, 123, -1):
        camera = cameras[index]
        assert (camera.width, camera.height) == tuple(cameras.size_px[index])
        np.testing.assert_allclose(X_cam[index], camera.world_to_camera(poses[index]))
        np.testing.assert_allclose(uv[index], camera.project(X_cam[index]))
        np.testing.assert_allclose(camera.center_mm, cameras.center_mm[index])


def test_batch_rejects_points_for_another_number_of_cameras(cameras):
    with pytest.raises(PoseDataError):
        cameras.world_to_camera(np.zeros((3, 16, 3)))


def test_config_accepts_lists_and_rejects_bad_ranges():
    config = VirtualCameraConfig(height_mm=[1000, 1500], image_sizes=[[800, 600]])
    assert config.height_mm == (1000.0, 1500.0) and config.image_sizes == ((800, 600),)
    cameras = sample_virtual_cameras(np.random.default_rng(3), 10, TARGET_MM, config)
    assert _within(cameras.center_mm[:, 1], (1000.0, 1500.0))
    with pytest.raises(PoseDataError):
        VirtualCameraConfig(distance_mm=(5000.0, 2000.0))
    with pytest.raises(PoseDataError):  # the jitter could aim the target out of frame
        VirtualCameraConfig(pitch_jitter_deg=20.0)


def test_sampler_rejects_bad_arguments():
    rng = np.random.default_rng(4)
    with pytest.raises(PoseDataError):
        sample_virtual_cameras(rng, 0, TARGET_MM)
    with pytest.raises(PoseDataError):
        sample_virtual_cameras(rng, 5, np.zeros((4, 3)))
    with pytest.raises(PoseDataError):
        sample_virtual_cameras(rng, 5, np.array([0.0, np.nan, 0.0]))


def test_target_position_frac_spreads_the_target_over_the_image():
    config = VirtualCameraConfig(target_position_frac=0.5, pitch_jitter_deg=2, yaw_jitter_deg=3)
    target = np.array([0.0, 1000.0, 0.0])
    cameras = sample_virtual_cameras(np.random.default_rng(0), 500, target, config)
    cam = cameras.world_to_camera(np.broadcast_to(target, (500, 1, 3)))
    offset = (cameras.project(cam)[:, 0] - cameras.size_px / 2) / cameras.size_px
    assert (cam[:, 0, 2] > 0).all()
    assert np.abs(offset).max() < 0.5  # always inside the image
    assert np.abs(offset).max() > 0.2  # and really spread, not centred
    same_aim = VirtualCameraConfig(pitch_jitter_deg=2, yaw_jitter_deg=3)
    centred = sample_virtual_cameras(np.random.default_rng(0), 500, target, same_aim)
    cam0 = centred.world_to_camera(np.broadcast_to(target, (500, 1, 3)))
    offset0 = (centred.project(cam0)[:, 0] - centred.size_px / 2) / centred.size_px
    assert np.abs(offset0).mean() < np.abs(offset).mean() / 2
