"""Several people, one floor: everyone's world pose in the best-supported person's frame."""

from __future__ import annotations

import dataclasses

import numpy as np

from posemachines.camera import Camera
from posemachines.inference.shared_floor import one_floor
from posemachines.structures import WorldPose
from tests.export.sample_poses import add_scene, make_result


def tilted(camera: Camera, degrees: float) -> Camera:
    """The same camera centre, its world frame turned `degrees` about world X (another floor)."""
    angle = np.radians(degrees)
    turn = np.array([[1.0, 0, 0], [0, np.cos(angle), -np.sin(angle)],
                     [0, np.sin(angle), np.cos(angle)]])
    return dataclasses.replace(camera, R=camera.R @ turn.T, t_mm=camera.t_mm)


def test_everyone_moves_into_the_best_supported_floor():
    walker = add_scene(make_result(6))               # contacts on every frame: the reference
    other = add_scene(make_result(6, seed=3))
    # metric (--height-cm): the person's scale is known, so they are carried over unscaled
    other_world = dataclasses.replace(other.world, contacts=None, warnings=(), metric=True)
    # the other person found a floor 4 deg off: same camera, own world frame
    other = dataclasses.replace(other, world=other_world, camera=tilted(other.camera, 4.0))
    other_cam = other.camera.world_to_camera(other.world.joints_mm)
    shared = one_floor({1: walker, 2: other})
    assert shared[1] is walker
    moved = shared[2]
    assert moved.camera is walker.camera
    np.testing.assert_allclose(moved.world.joints_mm,
                               walker.camera.camera_to_world(other_cam), atol=1e-3)
    assert moved.world.camera_height_mm == walker.world.camera_height_mm
    assert moved.world.warnings[-1].startswith("Placed on the floor found under person 1")


def test_a_camera_frame_fallback_joins_the_floor_and_nobody_placed_changes_nothing():
    walker = add_scene(make_result(6))
    lost = add_scene(make_result(6, seed=4))
    joints_cam = lost.pose3d_mm + lost.root_translation_mm[:, None]
    lost = dataclasses.replace(lost, world=WorldPose(
        frame="camera", joints_mm=joints_cam, warnings=("No floor could be found.",),
        metric=True))
    shared = one_floor({1: walker, 2: lost})
    assert shared[2].world.frame == "world" and shared[2].world.contacts is None
    assert "No floor could be found." not in shared[2].world.warnings
    np.testing.assert_allclose(shared[2].world.joints_mm,
                               walker.camera.camera_to_world(joints_cam), atol=1e-3)
    assert one_floor({2: lost}) == {2: lost}


def test_a_person_off_the_floor_is_scaled_about_the_camera_onto_it():
    walker = add_scene(make_result(6))
    cam = walker.camera.world_to_camera(walker.world.joints_mm)
    # The same walker drawn at 0.8 of the size and distance: the same image, but floating.
    small = dataclasses.replace(
        walker, pose3d_mm=walker.pose3d_mm * 0.8,
        root_translation_mm=walker.root_translation_mm * 0.8,
        world=WorldPose(frame="camera", joints_mm=cam * 0.8))
    placed = one_floor({1: walker, 2: small})[2]
    np.testing.assert_allclose(placed.world.joints_mm, walker.world.joints_mm, atol=1e-2)
    np.testing.assert_allclose(placed.pose3d_mm, walker.pose3d_mm, atol=1e-2)
    np.testing.assert_allclose(placed.root_translation_mm, walker.root_translation_mm, atol=1e-2)
    assert "Scaled x1.25 about the camera" in placed.world.warnings[-1]
    # the image is kept: every joint projects where it did
    moved_cam = walker.camera.world_to_camera(placed.world.joints_mm)
    np.testing.assert_allclose(walker.camera.project(moved_cam),
                               walker.camera.project(cam * 0.8), atol=1e-3)


def test_the_floor_scale_is_clipped_and_a_metric_person_keeps_their_size():
    walker = add_scene(make_result(6))
    cam = walker.camera.world_to_camera(walker.world.joints_mm)
    tiny = dataclasses.replace(walker, world=WorldPose(frame="camera", joints_mm=cam * 0.5))
    assert "Scaled x1.33" in one_floor({1: walker, 2: tiny})[2].world.warnings[-1]
    metric = dataclasses.replace(
        walker, world=WorldPose(frame="camera", joints_mm=cam * 0.5, metric=True))
    kept = one_floor({1: walker, 2: metric})[2]
    np.testing.assert_allclose(kept.world.joints_mm, walker.camera.camera_to_world(cam * 0.5),
                               atol=1e-3)
