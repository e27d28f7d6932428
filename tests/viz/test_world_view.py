"""world_view.py and the world panels of skeleton3d.mp4: camera geometry, floor marks, following."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posemachines.structures import FootContacts, WorldPose
from posemachines.viz.drawing import CENTRE_RGB, LEFT_RGB, RIGHT_RGB, dimmed
from posemachines.viz.skeleton3d import Skeleton3DComposer
from posemachines.viz.world_view import (
    TRAIL_RGB,
    Figure,
    WorldViewRenderer,
    footprints,
    look_at,
    smooth_path,
    trail_rows,
)
from tests.export.sample_poses import make_result, rest_pose

FPS = 25.0
STEP_MM = 40.0  # 1 m/s along +Z


def walking_world(num_frames: int = 60) -> WorldPose:
    """The rest skeleton upright (Y up, ankles 80 mm above the floor) moving STEP_MM per frame
    along +Z; RFoot down for frames 0-19, LFoot for 20-39, RFoot again from 40."""
    upright = rest_pose() * np.array([-1.0, -1.0, 1.0])  # camera frame -> world (X = Y x Z)
    upright[:, 1] -= upright[:, 1].min() - 80.0
    joints = upright[None] + STEP_MM * np.arange(num_frames)[:, None, None] * [0.0, 0.0, 1.0]
    right = (np.arange(num_frames) // 20) % 2 == 0
    in_contact = np.stack([right, ~right], axis=1)
    contacts = FootContacts(joints=(3, 6), names=("RFoot", "LFoot"), in_contact=in_contact,
                            probability=in_contact.astype(float))
    return WorldPose(frame="world", joints_mm=joints, contacts=contacts)


def colour_near(image: np.ndarray, point_px: np.ndarray, colour, radius: int = 2) -> bool:
    x, y = np.round(point_px).astype(int)
    patch = image[max(0, y - radius):y + radius + 1, max(0, x - radius):x + radius + 1]
    return bool((np.abs(patch.astype(int) - colour).max(axis=-1) <= 8).any())


def test_smooth_path_keeps_constant_and_straight_paths():
    line = np.stack([np.arange(50.0), np.full(50, 7.0)], axis=1)
    smoothed = smooth_path(line, sigma_frames=3.0)
    np.testing.assert_allclose(smoothed[:, 1], 7.0)
    np.testing.assert_allclose(smoothed[10:40, 0], line[10:40, 0], atol=1e-9)  # zero phase
    assert smoothed[0, 0] > 0.0  # the held edge pulls the start forward
    steps = np.stack([np.repeat([0.0, 100.0], 25)], axis=1)
    assert np.abs(np.diff(smooth_path(steps, 3.0)[:, 0])).max() < 20.0  # no jump


def test_look_at_by_hand():
    # Behind and above the origin looking at it along +Z: +X (the subject's left seen from
    # the filming camera) is to the left, so "right" is -X; "down" is -Y.
    rotation = look_at(np.array([0.0, 1000.0, -3000.0]), np.array([0.0, 1000.0, 0.0]))
    np.testing.assert_allclose(rotation, [[-1, 0, 0], [0, -1, 0], [0, 0, 1]], atol=1e-12)


def test_footprints_and_trail_rows_by_hand():
    world = walking_world()
    centres, starts, colours = footprints(world.joints_mm, world.contacts)
    assert starts.tolist() == [0, 40, 20]  # RFoot runs, then the LFoot run
    right_foot = world.joints_mm[0, 3]
    np.testing.assert_allclose(centres[0], [right_foot[0], right_foot[2] + STEP_MM * 9.5])
    assert colours.tolist() == [list(dimmed(RIGHT_RGB, 0.6))] * 2 + [list(dimmed(LEFT_RGB,
                                                                                 0.6))]
    path = np.zeros((6, 3))
    path[:, 2] = [0, 10, 20, 30, 100, 101]
    assert trail_rows(path, 25.0).tolist() == [0, 3, 4]
    assert len(footprints(world.joints_mm, None)[0]) == 0
    # a person's colour replaces the side colours
    assert footprints(world.joints_mm, world.contacts, (10, 200, 100))[2].tolist() == [
        list(dimmed((10, 200, 100), 0.6))] * 3


def test_camera_follows_and_draws_floor_trail_and_prints():
    world = walking_world()
    renderer = WorldViewRenderer(world, FPS, panel_px=240, follow_s=0.2)
    for row in (20, 40):  # away from the ends, a straight path is followed exactly
        rotation, eye = renderer.camera(row, 0.0)
        root_px, _ = renderer.project(world.joints_mm[row, 0], rotation, eye)
        assert abs(root_px[0] - 120) < 3  # straight ahead: centred across the panel
        # The target is followed: the camera moved with the person.
        assert eye[2] == pytest.approx(world.joints_mm[row, 0, 2] - renderer.distance_mm
                                       * np.cos(np.radians(renderer.elevation_deg)))
    row = 50
    image = renderer.render(row, 0.0)
    rotation, eye = renderer.camera(row, 0.0)
    head_px, _ = renderer.project(world.joints_mm[row, 9], rotation, eye)
    assert colour_near(image, head_px, CENTRE_RGB, 0)
    trail_px, _ = renderer.project(np.array([0.0, 0.0, STEP_MM * 47]), rotation, eye)
    assert colour_near(image, trail_px, TRAIL_RGB)
    # the LFoot print (frames 20-39), beside the trail
    left_print = footprints(world.joints_mm, world.contacts)[0][2]
    print_px, _ = renderer.project(np.array([left_print[0], 0.0, left_print[1]]), rotation, eye)
    assert colour_near(image, print_px, dimmed(LEFT_RGB, 0.6))
    assert not colour_near(renderer.render(10, 0.0), print_px, dimmed(LEFT_RGB, 0.6))
    gap = WorldViewRenderer([Figure(world.joints_mm[:40], np.arange(40))], FPS, panel_px=240,
                            num_steps=60)
    empty = gap.render(50, 0.0)  # after the person left: the floor only
    assert not (empty == CENTRE_RGB).all(axis=-1).any()
    assert empty.max() > 40  # the grid is there


def test_composer_uses_the_world_view_only_for_a_world_frame():
    result = make_result(4, with_scene=True)
    composer = Skeleton3DComposer(result, panel_px=64)
    assert composer.world_view is not None and composer.plain_view is None
    assert composer.compose(2, None).shape == (64, 128, 3)  # frame 2: nobody, floor only
    camera_frame = dataclasses.replace(result.world, frame="camera", contacts=None)
    fallback = Skeleton3DComposer(dataclasses.replace(result, world=camera_frame), panel_px=64)
    assert fallback.world_view is None and fallback.plain_view is not None
