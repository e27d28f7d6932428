"""What the action classifier's training makes from the mocap: calibration poses left out of
`stand`, still lead-ins played into stand segments, legs held still under gesturing arms."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posemachines.analysis.action_augment import (
    STILL_SEGMENT_FRAMES,
    all_of,
    arms_spread,
    hold_legs_still,
    still_segments,
)
from posemachines.analysis.action_data import label_frames, labelled_segments
from posemachines.analysis.action_taxonomy import ACTION_INDEX, UNLABELLED
from posemachines.data.mocap import MocapClip, MocapCollection, load_mocap_clip
from tests.analysis.synthetic import LAFAN1, rotation_y, standing_pose_mm

STAND, WAVE, WALK = ACTION_INDEX["stand"], ACTION_INDEX["wave"], ACTION_INDEX["walk"]


def arms_out(degrees_below_horizontal: float) -> np.ndarray:
    """The standing pose with both arms straight out sideways, lowered by the given angle."""
    pose = standing_pose_mm()
    down = np.radians(degrees_below_horizontal)
    for side, (shoulder, elbow, wrist) in ((1.0, (10, 11, 12)), (-1.0, (13, 14, 15))):
        direction = np.array([side * np.cos(down), -np.sin(down), 0.0])
        pose[elbow] = pose[shoulder] + 280.0 * direction
        pose[wrist] = pose[shoulder] + 530.0 * direction
    return pose


def test_t_and_a_poses_are_spread_arms_by_the_side_and_in_front_are_not():
    in_front = standing_pose_mm()
    in_front[[11, 14], 2] += 150.0  # elbows a little forward
    in_front[[12, 15]] = in_front[[11, 14]] + [0.0, 60.0, 240.0]  # forearms forward: a book
    one_out = standing_pose_mm()
    one_out[10:13] = arms_out(0.0)[10:13]
    poses = np.stack([arms_out(0.0), arms_out(40.0), standing_pose_mm(), in_front, one_out,
                      arms_out(70.0)])
    turned = poses @ rotation_y(70.0).T  # any heading
    np.testing.assert_array_equal(arms_spread(turned), [True, True, False, False, False, False])


def test_a_take_that_starts_in_a_t_pose_leaves_the_t_pose_unlabelled():
    poses = np.repeat(standing_pose_mm()[None], 160, axis=0)
    poses[:30] = arms_out(0.0)  # calibration, then straight into the wave
    poses[30:120, 12, 1] += 400 * np.sin(np.linspace(0, 6 * np.pi, 90))
    clip = MocapClip(name="bandai-namco-1/x", joints_mm=poses.astype(np.float32), fps=30.0,
                     source="bandai-namco-1", content="bye", style="normal", take="001")
    labels = label_frames(clip)
    assert np.all(labels[:15] == UNLABELLED)  # still, but arms spread: not stand
    assert np.all(labels[40:110] == WAVE) and np.all(labels[-20:] == STAND)


def test_a_real_lafan1_take_opens_in_a_t_pose_that_is_not_stand(shared_data: Path):
    clip = load_mocap_clip(shared_data / LAFAN1 / "fallAndGetUp3_subject1.bvh")
    spread = arms_spread(clip.joints_mm.astype(np.float64))
    assert spread[:10].all()  # LAFAN1 takes begin in a T-pose
    labels = label_frames(clip)
    assert not np.any((labels == STAND) & spread)
    assert (labels == STAND).any()


def test_still_runs_shorter_than_a_window_play_back_and_forth_into_stand_segments():
    poses = np.arange(100, dtype=np.float64)[:, None, None] * np.ones((1, 16, 3))
    labels = np.full(100, WALK)
    labels[0:10] = STAND  # a lead-in of 10 frames
    labels[20:25] = STAND  # too short
    labels[30:95] = STAND  # long enough for windows of its own
    segments = still_segments(poses, labels)
    assert len(segments) == 1
    joints, segment_labels = segments[0]
    assert joints.shape == (STILL_SEGMENT_FRAMES, 16, 3)
    np.testing.assert_array_equal(segment_labels, np.full(STILL_SEGMENT_FRAMES, STAND))
    expected = [*range(10), *range(8, 0, -1), *range(10), *range(8, 0, -1)]
    np.testing.assert_array_equal(joints[:36, 0, 0], expected)


def test_labelled_segments_add_still_segments_on_the_takes_side():
    poses = np.repeat(standing_pose_mm()[None], 200, axis=0)
    poses[40:160, 12, 1] += 400 * np.sin(np.linspace(0, 8 * np.pi, 120))
    clip = MocapClip(name="bandai-namco-1/y", joints_mm=poses.astype(np.float32), fps=30.0,
                     source="bandai-namco-1", content="bye", style="active", take="001")
    segments = labelled_segments(MocapCollection.from_clips([clip], fps=30.0))
    still = [s for s in segments if s.name.endswith(":still")]
    assert len(segments) == 3 and len(still) == 2  # lead-in and lead-out
    assert all(s.test for s in segments)  # style 'active' is held out
    assert all(np.all(s.labels == STAND) for s in still)


def test_legs_held_still_keep_their_place_under_the_root_and_nothing_else_changes():
    poses = np.repeat(standing_pose_mm()[None, None], 2, axis=0).repeat(20, axis=1)
    poses[:, :, :, 0] += np.arange(20)[None, :, None] * 10.0  # the whole body drifts
    poses[:, :, 3, 2] += np.sin(np.arange(20))[None] * 200.0  # the right foot steps
    poses[:, :, 12, 1] += np.arange(20)[None] * 20.0  # the left hand rises
    out = hold_legs_still(poses, np.array([True, False]))
    legs = [1, 2, 3, 4, 5, 6]
    relative = out[0][:, legs] - out[0][:, :1]
    np.testing.assert_allclose(relative, np.repeat(relative[:1], 20, axis=0), atol=1e-9)
    np.testing.assert_allclose(np.delete(out[0], legs, axis=1), np.delete(poses[0], legs, axis=1))
    np.testing.assert_array_equal(out[1], poses[1])


def test_all_of_needs_one_labelled_frame_and_only_the_given_classes():
    frames = np.array([[WAVE, UNLABELLED], [WAVE, WALK], [UNLABELLED, UNLABELLED]])
    np.testing.assert_array_equal(all_of(frames, np.array([WAVE])), [True, False, False])
