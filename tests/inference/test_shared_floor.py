"""Several people, one floor: everyone's world pose in the best-supported person's frame."""

from __future__ import annotations

import dataclasses

import numpy as np

from posemachines.analysis.gait_report import gait_section
from posemachines.camera import Camera
from posemachines.inference.estimator import Estimator
from posemachines.inference.shared_floor import one_floor, reference_person
from posemachines.structures import WorldPose
from tests.export.sample_poses import add_scene, make_result
from tests.world.synthetic import (
    EYE_MM,
    FOCAL_PX,
    HEADING_DEG,
    HEIGHT_PX,
    PITCH_DEG,
    ROLL_DEG,
    WIDTH_PX,
    camera_rotation,
    load_walk,
    project,
    true_contacts,
    view,
)


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


def test_a_fallback_walker_gets_contacts_and_gait_on_the_shared_floor(shared_data):
    """Two stretches of a real mocap walk filmed by one static camera and lifted: the second
    person's own floor is taken away (a camera-frame fallback, as a small distant walker's
    drifting floor gives); on the first person's floor they get contacts that agree with the
    mocap's, feet that rest on it, and a gait."""
    estimator = Estimator(focal_px=FOCAL_PX)
    rotation = camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG)
    walk = load_walk(shared_data)
    first, second = (estimator.predict_keypoints(project(view(part, rotation, EYE_MM)), fps=30.0,
                                                 image_size=(WIDTH_PX, HEIGHT_PX))
                     for part in (walk[:150], walk[150:270]))
    lost = dataclasses.replace(second, world=WorldPose(
        frame="camera", joints_mm=second.pose3d_mm + second.root_translation_mm[:, None],
        warnings=("The camera seems to move.",)))
    placed = one_floor({1: first, 2: lost})[2]
    world = placed.world
    assert world.frame == "world" and world.contacts is not None
    assert (world.contacts.in_contact == true_contacts(walk[150:270])).mean() > 0.8
    flags = world.contacts.in_contact
    planted = world.joints_mm[:, [3, 6], 1][flags]
    assert abs(np.median(planted) - np.median(first.world.joints_mm[:, [3, 6], 1][
        first.world.contacts.in_contact])) < 40.0  # mm: on the same floor as the first
    assert gait_section(placed).num_steps >= 4
    assert "The camera seems to move." not in world.warnings
    # Drawn at 0.6 of the size about the camera with its size taken as known (--height-cm), so
    # not scaled onto the floor: its feet stay ~0.6 m above it, and it gets no contacts there.
    floating = dataclasses.replace(
        lost, pose3d_mm=lost.pose3d_mm * 0.6, root_translation_mm=lost.root_translation_mm * 0.6,
        world=dataclasses.replace(lost.world, joints_mm=lost.world.joints_mm * 0.6, metric=True))
    kept = one_floor({1: first, 2: floating})[2].world
    assert kept.contacts is None and "do not stay on it (median 0." in kept.warnings[-1]
    assert "m above" in kept.warnings[-1]


def test_the_floor_most_people_agree_on_wins_over_the_most_contacts():
    """Three floors agree within 8 deg; a fourth, 20 deg off, rests on the most contacts
    (20 frames against 6 each). The shared floor is the best supported of the three."""
    people = {}
    for person_id, (degrees, frames) in enumerate(((0.0, 6), (5.0, 6), (-3.0, 6), (20.0, 20)),
                                                  start=1):
        result = add_scene(make_result(frames, seed=person_id))
        people[person_id] = dataclasses.replace(result, camera=tilted(result.camera, degrees))
    people[2] = dataclasses.replace(people[2], world=dataclasses.replace(
        people[2].world, contacts=dataclasses.replace(
            people[2].world.contacts, in_contact=np.ones((6, 2), bool))))  # most among three
    assert reference_person(people) == 2
    shared = one_floor(people)
    assert shared[4].camera is people[2].camera
    # two people who disagree: the one with more contacts, as before
    assert reference_person({1: people[1], 4: people[4]}) == 4
