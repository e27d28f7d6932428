"""to_world end to end on the real walk: world frame, gaps, moving camera, bad input."""

from __future__ import annotations

import time

import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.world.pipeline import (
    WorldConfig,
    fill_poses,
    implausible_frames,
    to_world,
)
from tests.world.synthetic import FPS, HEIGHT_MM, PITCH_DEG, ROLL_DEG, true_contacts


def test_static_walk_lands_in_the_world(clean_motion, walk_world) -> None:
    motion = clean_motion
    assert motion.frame == "world" and not motion.moving_camera and motion.warnings == ()
    assert motion.joints_mm.shape == walk_world.shape and not motion.filled.any()
    ground = motion.ground
    assert abs(ground.pitch_deg - PITCH_DEG) < 1.0 and abs(ground.roll_deg - ROLL_DEG) < 1.0
    assert abs(ground.camera_height_mm - HEIGHT_MM) < 0.03 * HEIGHT_MM
    # Origin on the floor under the first root; the hip stays at its true height within the
    # ankle-height prior's error (the default puts the ankle 0.11 leg lengths up, the rig 0.147).
    np.testing.assert_allclose(motion.joints_unlocked_mm[0, 0, [0, 2]], 0.0, atol=1e-6)
    hip_error = motion.root_mm[:, 1] - walk_world[:, 0, 1]
    assert np.abs(hip_error - hip_error.mean()).max() < 15.0 and abs(hip_error.mean()) < 40.0
    # The person walks 10 m; the path keeps its length.
    walked = np.linalg.norm(motion.root_mm[-1, [0, 2]] - motion.root_mm[0, [0, 2]])
    assert walked == pytest.approx(np.linalg.norm(walk_world[-1, 0, [0, 2]]
                                                  - walk_world[0, 0, [0, 2]]), rel=0.01)


def test_missing_frames_are_filled_and_flagged(static_clip) -> None:
    pose, translation = static_clip
    keep = np.ones(len(pose), dtype=bool)
    keep[100:120] = False
    frames = np.flatnonzero(keep)
    motion = to_world(pose[keep], translation[keep], frames, FPS)
    assert motion.joints_mm.shape == (len(pose), 16, 3) and np.isfinite(motion.joints_mm).all()
    assert motion.filled.tolist() == (~keep).tolist()
    assert any("20 of 273 frames had no person" in w for w in motion.warnings)
    # The bridged root path stays about as close to the true one as a straight line between the
    # gap's ends (the bridge follows the velocities at both ends; a walk's speed oscillates).
    error = np.linalg.norm(motion.trajectory.translation_mm[100:120] - translation[100:120],
                           axis=-1)
    line = np.stack([np.interp(np.arange(100, 120), frames, translation[keep, k])
                     for k in range(3)], axis=-1)
    assert error.max() < 1.5 * np.linalg.norm(line - translation[100:120], axis=-1).max()


def test_implausible_frames_are_far_under_or_over_the_floor() -> None:
    world = np.zeros((5, 16, 3))
    world[:, 3, 1] = [0.0, -399.0, -401.0, 2399.0, 2401.0]  # RFoot; leg 800 mm: -400 / +2400
    world[:, 6, 1] = [0.0, 0.0, 0.0, 2500.0, 2500.0]  # LFoot
    assert implausible_frames(world, 800.0).tolist() == [False, False, True, False, True]


def test_frames_under_the_floor_are_dropped_and_filled(static_clip, clean_motion) -> None:
    # A body cut off by the image border lifts small, so its root is solved far down the ray:
    # three times too deep at the clip's first 6 frames and at frames 150-154.
    pose, translation = static_clip
    wrong = np.zeros(len(pose), dtype=bool)
    wrong[:6] = wrong[150:155] = True
    far = translation.copy()
    far[wrong] *= 3.0
    motion = to_world(pose, far, None, FPS, metric=True)
    assert motion.frame == "world" and motion.filled.tolist() == wrong.tolist()
    assert any(w.startswith("11 frames put the person under") for w in motion.warnings)
    assert not any("had no person" in w for w in motion.warnings)
    # The floor is the clean clip's, and the refilled root stays near the true one (held before
    # the first kept frame, bridged inside) instead of metres under the floor.
    assert abs(motion.ground.camera_height_mm - clean_motion.ground.camera_height_mm) < 20.0
    error = np.linalg.norm(motion.trajectory.translation_mm - translation, axis=-1)
    assert error[~wrong].max() < 30.0 and error[wrong].max() < 150.0
    assert motion.root_mm[:, 1].min() > 700.0
    kept = to_world(pose, far, None, FPS, metric=True,
                    config=WorldConfig(refill_implausible=False))
    assert not kept.filled.any() and kept.root_mm[:, 1].min() < -500.0


def test_a_moving_camera_keeps_its_frames(moving_clip) -> None:
    # Under a camera that tilts there is no floor to judge a frame by: the camera-frame result
    # keeps every measured frame, the wrong ones too.
    pose, translation = moving_clip
    far = translation.copy()
    far[:6] *= 3.0
    motion = to_world(pose, far, None, FPS)
    assert motion.moving_camera and motion.frame == "camera" and not motion.filled.any()
    assert not any("under or high above the floor" in w for w in motion.warnings)


def project(joints_cam: np.ndarray, focal_px: float = 1000.0) -> np.ndarray:
    return focal_px * joints_cam[..., :2] / joints_cam[..., 2:] + np.array([640.0, 360.0])


def test_the_detections_feed_the_contacts(static_clip, noisy_clip, walk_world) -> None:
    # The lifted poses carry estimator-like errors; the 2D is the true projection.
    keypoints = project(static_clip[0] + static_clip[1][:, None])
    confidence = np.full(keypoints.shape[:2], 0.9)
    plain = to_world(*noisy_clip, None, FPS)
    seen = to_world(*noisy_clip, None, FPS, keypoints_px=keypoints,
                    keypoint_confidence=confidence)
    truth = true_contacts(walk_world)

    def f1(flags: np.ndarray) -> float:
        return 2 * (flags & truth).sum() / (flags.sum() + truth.sum())

    assert f1(seen.contacts.in_contact) > f1(plain.contacts.in_contact) > 0.9  # 0.975, 0.964
    assert not np.allclose(seen.contacts.probability, plain.contacts.probability)
    # Keypoints nobody trusts: the lifted model alone, as without keypoints.
    unseen = to_world(*noisy_clip, None, FPS, keypoints_px=keypoints,
                      keypoint_confidence=0.0 * confidence)
    np.testing.assert_allclose(unseen.contacts.probability, plain.contacts.probability)
    # Frames without a pose leave their keypoints out with them.
    keep = np.ones(len(keypoints), dtype=bool)
    keep[100:120] = False
    gappy = to_world(noisy_clip[0][keep], noisy_clip[1][keep], np.flatnonzero(keep), FPS,
                     keypoints_px=keypoints[keep], keypoint_confidence=confidence[keep])
    assert gappy.contacts.probability.shape == (len(keypoints), 2)
    with pytest.raises(PoseInputError):
        to_world(*noisy_clip, None, FPS, keypoints_px=keypoints[:-1])


def test_fill_poses_is_linear_between_neighbours() -> None:
    poses = np.zeros((2, 16, 3))
    poses[1] += 10.0
    filled = fill_poses(poses, np.array([2, 6]), 9)
    np.testing.assert_allclose(filled[:, 0, 0], [0, 0, 0, 2.5, 5, 7.5, 10, 10, 10])


def test_moving_camera_falls_back_to_the_camera_frame(moving_clip) -> None:
    pose, translation = moving_clip
    motion = to_world(pose, translation, None, FPS)
    assert motion.moving_camera and motion.frame == "camera"
    assert motion.ground is None and motion.contacts is None and motion.gait is None
    assert any("camera frame" in w and "tilts" in w for w in motion.warnings)
    expected = pose + motion.trajectory.translation_mm[:, None]
    np.testing.assert_allclose(motion.joints_mm, expected)


def test_unchecked_camera_motion_trusts_the_caller(moving_clip) -> None:
    config = WorldConfig(check_camera_motion=False, lock_feet=False)
    motion = to_world(*moving_clip, None, FPS, config=config)
    assert motion.frame == "world" and motion.camera_motion is None
    np.testing.assert_array_equal(motion.joints_mm, motion.joints_unlocked_mm)


def test_feet_that_never_rest_warn(static_clip) -> None:
    pose, translation = static_clip
    pose = pose.copy()
    t = np.arange(len(pose))
    for joint, phase in ((3, 0.0), (6, np.pi)):
        pose[:, joint] += 150.0 * np.stack([np.cos(0.9 * t + phase), np.sin(0.9 * t + phase),
                                            np.sin(0.5 * t)], axis=-1)
    motion = to_world(pose, translation, None, FPS)
    assert motion.ground.source == "body"
    assert any("never rest" in w for w in motion.warnings)


def test_unknown_scale_reports_gait_in_leg_lengths(static_clip) -> None:
    motion = to_world(*static_clip, None, FPS)
    assert not motion.metric and motion.gait.step_length.unit == "leg lengths"


def test_bad_inputs_raise_one_sentence(static_clip) -> None:
    pose, translation = static_clip
    with pytest.raises(PoseInputError):
        to_world(pose[:, :15], translation, None, FPS)
    with pytest.raises(PoseInputError):
        to_world(pose, translation[:-1], None, FPS)
    with pytest.raises(PoseInputError):
        to_world(pose, translation, np.arange(len(pose)) * 1.0, FPS)
    with pytest.raises(PoseInputError):
        to_world(pose * np.nan, translation, None, FPS)
    with pytest.raises(PoseInputError):
        to_world(pose, translation, None, -1.0)


def test_speed_per_frame(static_clip) -> None:
    """No timing assertion (shared CPUs); benchmarks/bench_world_core.py prints a table."""
    start = time.perf_counter()
    to_world(*static_clip, None, FPS)
    elapsed_ms = (time.perf_counter() - start) * 1e3
    print(f"to_world: {elapsed_ms / len(static_clip[0]):.2f} ms/frame "
          f"({len(static_clip[0])} frames)")
