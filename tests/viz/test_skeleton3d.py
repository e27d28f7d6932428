"""skeleton3d.mp4: view rotations, panel layout, joint colours, video read-back."""

from __future__ import annotations

import dataclasses

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.skeleton import JOINTS16_NAMES
from posemachines.viz.drawing import CENTRE_RGB, RIGHT_RGB
from posemachines.viz.skeleton3d import (
    SkeletonViewRenderer,
    skeleton3d_frames,
    view_rotation,
    write_skeleton3d,
)
from tests.export.sample_poses import make_result, rest_pose

PANEL = 96
HEAD, RFOOT = JOINTS16_NAMES.index("Head"), JOINTS16_NAMES.index("RFoot")


@pytest.fixture(scope="module")
def result():
    poses = np.repeat(rest_pose()[None], 3, axis=0)
    return dataclasses.replace(make_result(3), pose3d_mm=poses, confidence=np.ones((3, 16)))


def test_view_rotation_by_hand():
    np.testing.assert_allclose(view_rotation(0, 0), np.eye(3))
    # Viewer moved 90 degrees to the subject's left: what was in front (+z) now lies right.
    np.testing.assert_allclose(view_rotation(90, 0) @ [0, 0, 1], [1, 0, 0], atol=1e-12)
    # Looking straight down: points nearer the camera (-z) show lower, lower points lie deeper.
    np.testing.assert_allclose(view_rotation(0, 90) @ [0, 0, -1], [0, 1, 0], atol=1e-12)
    np.testing.assert_allclose(view_rotation(0, 90) @ [0, 1, 0], [0, 0, 1], atol=1e-12)


def test_front_view_draws_joints_in_their_colours(result):
    renderer = SkeletonViewRenderer(result.pose3d_mm, panel_px=PANEL, elevation_deg=0.0)
    image = renderer.render(result.pose3d_mm[0], None, azimuth_deg=0.0)
    points_px, _ = renderer.project(result.pose3d_mm[0], 0.0)
    head_x, head_y = np.round(points_px[HEAD]).astype(int)
    foot_x, foot_y = np.round(points_px[RFOOT]).astype(int)
    assert image[head_y, head_x].tolist() == list(CENTRE_RGB)
    assert image[foot_y, foot_x].tolist() == list(RIGHT_RGB)
    assert head_y < PANEL / 2 < foot_y and foot_x < PANEL / 2  # upright; right foot on the left


def test_panels_with_and_without_video(result):
    frames = [(i, i / 25.0, np.full((48, 64, 3), 200, np.uint8)) for i in range(4)]
    with_video = list(skeleton3d_frames(result, frames, panel_px=PANEL))
    assert len(with_video) == 4 and with_video[0].shape == (PANEL, 128 + 2 * PANEL, 3)
    assert (with_video[0][:, :128] == 200).all()  # the frame, scaled to the panel height
    without = list(skeleton3d_frames(result, panel_px=PANEL))
    assert len(without) == 3 and without[0].shape == (PANEL, 2 * PANEL, 3)
    # Frame 2 has no person: its views show the grid only, no skeleton colour.
    assert not (with_video[2] == CENTRE_RGB).all(axis=-1).any()
    assert (with_video[1] == CENTRE_RGB).all(axis=-1).any()


def test_video_frame_count_size_and_skeleton_colour(result, tmp_path):
    frames = [np.zeros((48, 64, 3), np.uint8) for _ in range(4)]
    path = write_skeleton3d(result, tmp_path / "skeleton3d.mp4", frames, panel_px=PANEL,
                            elevation_deg=0.0)
    video = iio.imread(path)
    assert video.shape == (4, PANEL, 128 + 2 * PANEL, 3)
    renderer = SkeletonViewRenderer(result.pose3d_mm, panel_px=PANEL, elevation_deg=0.0)
    points_px, _ = renderer.project(result.pose3d_mm[0], 0.0)
    x, y = np.round(points_px[RFOOT]).astype(int)
    np.testing.assert_allclose(video[0, y, 128 + x], RIGHT_RGB, atol=60)
