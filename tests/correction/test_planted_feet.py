"""Ankles that stay put in the image (`correction.planted_feet`) and the correction holding them
still in 3D (`clip_energy`'s planted term)."""

from __future__ import annotations

import numpy as np

from posemachines import Estimator
from posemachines.correction.clip_energy import ClipEnergy
from posemachines.correction.planted_feet import (
    ANKLES,
    PlantedConfig,
    planted_frames,
    planted_pairs,
)
from posemachines.skeleton import JOINTS16_NAMES

FPS = 30.0
LEG_PX = 200.0  # radius 0.05 leg = 10 px


def _track(right: np.ndarray, left: np.ndarray | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Keypoints (T, 16, 2) with the ankles on the given (T, 2) paths, confidence 0.9."""
    left = right + 100.0 if left is None else left
    keypoints = np.zeros((len(right), 16, 2))
    keypoints[:, ANKLES[0]], keypoints[:, ANKLES[1]] = right, left
    return keypoints, np.full((len(right), 16), 0.9)


def test_the_ankles_are_the_foot_joints() -> None:
    assert [JOINTS16_NAMES[joint] for joint in ANKLES] == ["RFoot", "LFoot"]


def test_a_still_ankle_is_planted_a_moving_one_is_not() -> None:
    # 2 s still at (500, 600), then walking right at 300 px/s (frames 60-88; frame 89 is at
    # 800 already), then still there.
    x = np.r_[np.full(60, 500.0), 500.0 + 10.0 * np.arange(1, 31), np.full(60, 800.0)]
    path = np.stack([x, np.full_like(x, 600.0)], axis=-1)
    planted = planted_frames(*_track(path), np.full((150, 2), LEG_PX), FPS)[:, 0]
    # A window reaches 15 frames (0.5 s) each way. Its 80th-percentile distance from its
    # median is the 25th of its 31 sorted distances: 0 while at most 6 frames move (frame 50's
    # window [35, 65] holds 60-65), 10 px, the radius, once 7 do (frame 51). The same from
    # frame 98 on (its window holds 83-88), and the clip's first and last frames stand in for
    # frames beyond its ends.
    assert planted[:51].all() and planted[98:].all()
    assert not planted[51:98].any()


def test_jitter_and_one_outlier_stay_planted_a_slow_slide_does_not() -> None:
    rng = np.random.default_rng(0)
    still = np.full((90, 2), 400.0) + rng.normal(0.0, 2.0, (90, 2))  # 2 px jitter
    still[45] += 40.0  # one detector outlier: 1 of 31 frames of each window around it
    slide = np.stack([400.0 + 0.8 * np.arange(90), np.full(90, 400.0)], axis=-1)  # 24 px/s
    planted = planted_frames(*_track(still, slide), np.full((90, 2), LEG_PX), FPS)
    assert planted[:, 0].all()
    # A window of the slide spans 24 px: its 80th-percentile distance from the median,
    # ~9.6 px, is under 10 px, so it is planted; a faster slide (1.2 px a frame) is not.
    assert planted[:, 1].all()
    faster = np.stack([400.0 + 1.2 * np.arange(90), np.full(90, 400.0)], axis=-1)
    assert not planted_frames(*_track(still, faster), np.full((90, 2), LEG_PX), FPS)[:, 1].any()


def test_an_untrusted_detection_breaks_every_window_over_it() -> None:
    keypoints, confidence = _track(np.full((90, 2), 400.0))
    confidence[45, ANKLES[0]] = 0.1
    planted = planted_frames(keypoints, confidence, np.full((90, 2), LEG_PX), FPS)
    assert not planted[30:61, 0].any() and planted[:30, 0].all() and planted[61:, 0].all()
    assert planted[:, 1].all()


def test_pairs_weigh_the_ankles_of_frames_planted_on_both_sides() -> None:
    x = np.r_[np.full(40, 500.0), 500.0 + 10.0 * np.arange(1, 41)]
    keypoints, confidence = _track(np.stack([x, np.full_like(x, 600.0)], axis=-1))
    pose = np.zeros((80, 16, 3))
    pose[:, ANKLES, 1] = 800.0  # legs of 800 mm: 200 px at 4 m with a 1000 px focal length
    pose[:, [1, 4], 1] = 0.0
    pose[:, [2, 5], 1] = 400.0
    translation = np.tile([0.0, 0.0, 4000.0], (80, 1))
    weights = planted_pairs(keypoints, confidence, pose, translation, 1000.0, FPS,
                            PlantedConfig(sigma_mm=2.0))
    assert weights.shape == (79, 16)
    others = [joint for joint in range(16) if joint not in ANKLES]
    assert not weights[:, others].any()
    planted = planted_frames(keypoints, confidence, np.full((80, 2), LEG_PX), FPS)
    np.testing.assert_array_equal(weights[:, ANKLES] > 0, planted[1:] & planted[:-1])
    assert set(np.unique(weights)) == {0.0, 0.25}  # 1 / (2 mm)^2
    assert not planted_pairs(keypoints, confidence, pose, translation, 1000.0, FPS,
                             PlantedConfig(sigma_mm=0.0)).any()


def test_short_clips_and_unseen_ankles_hold_nothing() -> None:
    pose = np.zeros((2, 16, 3))
    pose[:, ANKLES, 1] = 800.0
    translation = np.tile([0.0, 0.0, 4000.0], (2, 1))
    keypoints, confidence = _track(np.full((2, 2), 400.0))
    # Two still frames: each window is the clip's first or last frame repeated, so planted.
    assert planted_pairs(keypoints, confidence, pose, translation, 1000.0, FPS).any()
    assert not planted_pairs(keypoints, np.zeros_like(confidence), pose, translation, 1000.0,
                             FPS).any()
    keypoints[0, ANKLES[0]] = np.nan
    weights = planted_pairs(keypoints, confidence, pose, translation, 1000.0, FPS)
    assert not weights[:, ANKLES[0]].any() and weights[:, ANKLES[1]].all()
    assert planted_pairs(keypoints[:1], confidence[:1], pose[:1], translation[:1], 1000.0,
                         FPS).shape == (0, 16)


def test_the_planted_term_is_the_weighted_squared_step_of_the_joint() -> None:
    # One joint moving 3 mm along x from frame 0 to 1 under weight 0.25: energy 0.25 * 9,
    # divided by the 2 frames; its gradient pulls the two frames together.
    reference = np.zeros((2, 16, 3))
    weight = np.zeros((1, 16))
    weight[0, ANKLES[0]] = 0.25
    energy = ClipEnergy(reference, centred_px=np.zeros((2, 16, 2)),
                        data_weight=np.zeros((2, 16)), sigma_px=np.ones(2),
                        f_px=np.array([1000.0, 1000.0]),
                        pose_sigma_mm=np.full((3, 1, 16), 1e9), max_displacement_mm=1e9,
                        accel_weight=0.0, planted_weight=weight)
    pose = np.zeros((3, 2, 16))
    pose[0, 1, ANKLES[0]] = 3.0
    value, grad_pose, grad_translation = energy(pose, np.tile([[0.0], [0.0], [4000.0]], 2))
    assert abs(value - 0.25 * 9.0 / 2.0) < 1e-6
    assert abs(grad_pose[0, 1, ANKLES[0]] - 0.75) < 1e-6
    assert abs(grad_pose[0, 0, ANKLES[0]] + 0.75) < 1e-6
    np.testing.assert_allclose(grad_translation[0], [-0.75, 0.75], atol=1e-6)


def test_the_squat_clip_keeps_every_frame_and_its_feet(shared_data) -> None:
    # The 720p original of the demo clip: the fit trades a few pixels on the standing frames
    # for feet that stay put; with the ordinary 2x slack three frames at the top of the first
    # stand fell back to the network's pose and depth, and the feet jumped 140 mm there.
    result = Estimator().predict_video(shared_data / "media" / "squat_sit_stand_front_gmdcsa.mp4")
    assert result.correction is not None and np.all(result.correction.kept)
    ankles = result.world.joints_mm[:, list(ANKLES)]
    assert np.ptp(ankles[..., 1], axis=0).max() < 40.0  # height over the floor, mm
    assert np.ptp(ankles[..., [0, 2]], axis=0).max() < 60.0  # along the floor, mm
