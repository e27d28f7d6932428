"""overlay.mp4: 2D skeleton drawn on the frames, per-side colours, dimming, labels, video I/O."""

from __future__ import annotations

import dataclasses

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.viz.drawing import CENTRE_RGB, LEFT_RGB, RIGHT_RGB, dimmed
from posemachines.viz.overlay import render_overlay_frame, write_overlay
from tests.export.sample_poses import make_result, project, random_poses, rest_pose

SIZE = (320, 240)
HEAD, LFOOT, RFOOT, LWRIST = (JOINTS16_NAMES.index(n) for n in ("Head", "LFoot", "RFoot",
                                                               "LWrist"))


@pytest.fixture(scope="module")
def result():
    poses = np.repeat(rest_pose()[None], 4, axis=0)  # upright, feet 260 mm apart
    poses[1:] = random_poses(3, seed=5, max_angle_deg=8)
    confidence = np.full((4, 16), 0.9)
    confidence[:, LWRIST] = 0.1
    return dataclasses.replace(
        make_result(4, image_size=SIZE), pose3d_mm=poses, keypoints_px=project(poses, SIZE),
        confidence=confidence)  # poses on frames 0, 1, 3, 4; frame 2 has no person


def black_frames(count: int) -> list[tuple[int, float, np.ndarray]]:
    return [(i, i / 25.0, np.zeros((SIZE[1], SIZE[0], 3), np.uint8)) for i in range(count)]


def pixel(image: np.ndarray, point_px: np.ndarray) -> np.ndarray:
    x, y = np.round(point_px).astype(int)
    return image[y, x].astype(int)


def test_joints_have_their_side_colour_and_weak_joints_are_dimmed(result):
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    image = render_overlay_frame(frame, result.keypoints_px[0], result.confidence[0])
    assert pixel(image, result.keypoints_px[0, HEAD]).tolist() == list(CENTRE_RGB)
    assert pixel(image, result.keypoints_px[0, LFOOT]).tolist() == list(LEFT_RGB)
    assert pixel(image, result.keypoints_px[0, RFOOT]).tolist() == list(RIGHT_RGB)
    assert pixel(image, result.keypoints_px[0, LWRIST]).tolist() == list(dimmed(LEFT_RGB))
    assert not frame.any()  # the input frame is left untouched


def test_label_and_no_person_note_are_drawn(result):
    frame = np.zeros((SIZE[1], SIZE[0], 3), np.uint8)
    with_label = render_overlay_frame(frame, result.keypoints_px[0], result.confidence[0], "FALL")
    without = render_overlay_frame(frame, result.keypoints_px[0], result.confidence[0])
    corner = (slice(0, 30), slice(0, 60))
    assert (with_label[corner] > 200).all(axis=-1).sum() > 20
    assert not (without[corner] > 200).all(axis=-1).any()
    nobody = render_overlay_frame(frame, None, None)
    assert (nobody[corner] > 200).all(axis=-1).sum() > 20
    assert nobody[60:].max() == 0  # no skeleton below the note


def test_video_frame_count_size_and_skeleton_colour(result, tmp_path):
    path = write_overlay(black_frames(5), result, tmp_path / "overlay.mp4",
                         labels=["", "x", "", ""])
    video = iio.imread(path)
    assert video.shape == (5, SIZE[1], SIZE[0], 3)
    # Frame 0 holds the upright pose; H.264 and 4:2:0 chroma blur colours a little.
    np.testing.assert_allclose(pixel(video[0], result.keypoints_px[0, RFOOT]), RIGHT_RGB, atol=60)
    np.testing.assert_allclose(pixel(video[0], result.keypoints_px[0, LFOOT]), LEFT_RGB, atol=60)
    assert video[2, 60:].max() < 60  # no person on frame 2: nothing but the corner note


def test_bare_frames_and_odd_sizes_are_accepted(result, tmp_path):
    frames = [np.zeros((SIZE[1] - 1, SIZE[0] - 1, 3), np.uint8) for _ in range(2)]
    video = iio.imread(write_overlay(frames, result, tmp_path / "o.mp4"))
    assert video.shape == (2, SIZE[1], SIZE[0], 3)  # padded to even


def test_bad_labels_and_unwritable_paths_raise_pose_data_error(result, tmp_path):
    with pytest.raises(PoseDataError, match="one text per pose"):
        write_overlay(black_frames(2), result, tmp_path / "o.mp4", labels=["a"])
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(PoseDataError, match="Cannot write video"):
        write_overlay(black_frames(2), result, blocker / "overlay.mp4")
