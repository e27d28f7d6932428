"""Action training data: per-frame labels of real takes, windows, lifting, pools and scores."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.action_augment import held_arms, holding
from posemachines.analysis.action_data import (
    MAX_LIFTED_COPIES,
    SIT_HEIGHT,
    LabelledSegment,
    WindowPool,
    active_span,
    hip_height_share,
    label_frames,
    lift_segments,
    lifted_copies,
    thin_segments,
    window_batch,
    window_labels,
)
from posemachines.analysis.action_features import hold_arms, window_features
from posemachines.analysis.action_metrics import classification_scores, confusion_matrix
from posemachines.analysis.action_taxonomy import ACTION_INDEX, UNLABELLED
from posemachines.data.mocap import load_mocap_clip
from posemachines.training.mocap_views import MocapViewConfig
from tests.analysis.synthetic import BANDAI_1, LAFAN1, standing_pose_mm

STAND, BOW = ACTION_INDEX["stand"], ACTION_INDEX["bow"]


def test_active_span_finds_the_motion_between_still_passages():
    still = np.repeat(standing_pose_mm()[None], 90, axis=0)
    still[30:60, 12, 1] += 400 * np.sin(np.linspace(0, 3 * np.pi, 30))  # a waving wrist
    first, last = active_span(still, 30.0)
    assert 15 <= first <= 30 and 59 <= last <= 75
    assert active_span(np.repeat(standing_pose_mm()[None], 90, axis=0), 30.0) is None


def test_a_real_bow_is_stand_bow_stand(shared_data: Path):
    clip = load_mocap_clip(shared_data / BANDAI_1 / "dataset-1_bow_tired_001.bvh")
    labels = label_frames(clip)
    runs = [labels[0]] + [b for a, b in zip(labels[:-1], labels[1:], strict=True) if a != b]
    assert runs == [STAND, BOW, STAND]
    assert (labels == BOW).sum() > 60


def test_a_real_fall_take_has_falls_before_floor(shared_data: Path):
    clip = load_mocap_clip(shared_data / LAFAN1 / "fallAndGetUp3_subject1.bvh")
    labels = label_frames(clip)
    fall = np.flatnonzero(labels == ACTION_INDEX["fall"])
    floor = np.flatnonzero(labels == ACTION_INDEX["floor"])
    assert len(fall) > 100 and len(floor) > 300
    assert (labels == UNLABELLED).any() and (labels == STAND).any()
    first_fall_end = fall[np.flatnonzero(np.diff(fall) > 1)[0]] if len(fall) else 0
    assert floor[floor > fall[0]][0] <= first_fall_end + 1  # the floor follows the fall


def test_window_labels_need_a_uniform_middle_third():
    labels = np.full(100, 2)
    labels[:30] = 1
    labels[95:] = UNLABELLED
    starts, classes = window_labels(labels)
    # middle third = frames start+20 .. start+39: all 1 needs start+39 <= 29 (none),
    # all 2 needs start+20 >= 30; windows start at 0..40.
    np.testing.assert_array_equal(starts, np.arange(10, 41))
    assert np.all(classes == 2)
    assert len(window_labels(np.zeros(59, dtype=np.int64))[0]) == 0


def _segment(length: int, label: int, test: bool = False) -> LabelledSegment:
    joints = np.repeat(standing_pose_mm()[None], length, axis=0).astype(np.float32)
    joints[:, 12, 1] += 300 * np.sin(np.arange(length) / 3.0)
    return LabelledSegment("s", joints, np.full(length, label), np.array([0.0, 1, 0]), test)


def test_pool_draws_classes_evenly_and_returns_windows():
    pool = WindowPool([_segment(400, 1), _segment(70, 2)])
    assert len(pool) == 341 + 11
    rows = pool.sample_rows(np.random.default_rng(0), 400)
    poses, up, labels = pool.windows(rows)
    assert poses.shape == (400, 60, 16, 3) and up.shape == (400, 3)
    assert 150 < (labels == 2).sum() < 250


def test_lift_segments_cuts_films_and_keeps_labels():
    calls = []

    def lifter(keypoints: np.ndarray, visibility_root: np.ndarray) -> np.ndarray:
        calls.append(keypoints.shape)
        assert visibility_root.shape[:2] == keypoints.shape[:2]
        return np.repeat(standing_pose_mm()[None, None], keypoints.shape[1],
                         axis=1).repeat(len(keypoints), axis=0) * [1, -1, -1]

    segments = [_segment(300, 1), _segment(90, 2, test=True)]
    lifted = lift_segments(segments, lifter, np.random.default_rng(0),
                           MocapViewConfig(), piece_frames=120)
    assert [len(s.labels) for s in lifted] == [90, 120, 120, 120]
    assert sorted(calls) == [(1, 90, 16, 2), (3, 120, 16, 2)]
    assert [s.test for s in lifted] == [True, False, False, False]
    np.testing.assert_allclose(lifted[0].up, [0, -1, 0], atol=1e-6)  # camera frame, y down


def test_pieces_filmed_at_a_low_rate_are_lifted_at_it_and_interpolated_back():
    lengths = []

    def lifter(keypoints: np.ndarray, visibility_root: np.ndarray) -> np.ndarray:
        lengths.append(keypoints.shape[1])
        frames = np.arange(keypoints.shape[1], dtype=np.float64)
        poses = np.repeat(standing_pose_mm()[None, None], len(frames), axis=1)
        poses[0, :, 12, 0] = 10.0 * frames  # the left wrist moves 10 mm per lifted frame
        return poses.repeat(len(keypoints), axis=0) * [1, -1, -1]

    lifted = lift_segments([_segment(120, 1)], lifter, np.random.default_rng(0),
                           MocapViewConfig(), piece_frames=120, low_fps_share=1.0)
    step = {60: 2, 40: 3}[lengths[0]]  # filmed at 15 or 10 fps
    assert len(lifted) == 1 and len(lifted[0].labels) == 120
    wrist = lifted[0].joints_mm[:, 12, 0]
    last = (lengths[0] - 1) * step  # the last filmed frame; held after it
    np.testing.assert_allclose(wrist[: last + 1], 10.0 * np.arange(last + 1) / step, atol=1e-3)
    np.testing.assert_allclose(wrist[last:], wrist[last])


def test_rare_classes_get_more_lifted_copies():
    common, rare = _segment(5000, 1), _segment(100, 2)
    copies = lifted_copies([common, rare], minimum=2)
    assert copies.count(common) == 2 and copies.count(rare) == MAX_LIFTED_COPIES


def test_thinning_keeps_every_class_on_both_sides():
    segments = [_segment(70, label, test) for label in (1, 2) for test in (False, True)
                for _ in range(3)]
    kept = thin_segments(segments, 2)
    assert len(kept) == 8 and [s for s in segments if s in kept] == kept
    assert {(s.labels[0], s.test) for s in kept} == {(1, False), (1, True), (2, False), (2, True)}
    assert thin_segments(segments, 1) == segments


def test_window_batches_are_plain_or_augmented():
    pool = WindowPool([_segment(100, 1)])
    rows = np.arange(20)
    features, labels = window_batch(pool, rows)
    poses, up, _ = pool.windows(rows)
    np.testing.assert_array_equal(features, window_features(poses, up))
    assert np.all(labels == 1)
    augmented, _ = window_batch(pool, rows, np.random.default_rng(0), up_jitter=0.1)
    changed = np.abs(augmented - features).max(axis=(1, 2)) > 1e-3
    assert augmented.shape == features.shape and changed.all()


def test_scores_from_a_hand_made_confusion_matrix():
    matrix = confusion_matrix(np.array([0, 0, 0, 1, 1, 2]), np.array([0, 0, 1, 1, 1, 0]), 4)
    np.testing.assert_array_equal(matrix[:3, :3], [[2, 1, 0], [0, 2, 0], [1, 0, 0]])
    scores = classification_scores(matrix)
    assert scores["accuracy"] == pytest.approx(4 / 6)
    # F1: class 0 = 2*(2/3*2/3)/(4/3) = 2/3; class 1 = 2*(2/3*1)/(5/3) = 0.8; class 2 = 0.
    assert scores["macro_f1"] == pytest.approx((2 / 3 + 0.8 + 0.0) / 3)
    assert scores["support"] == [3, 2, 1, 0]


def test_a_real_sitting_take_is_labelled_sit_while_lowered(shared_data: Path):
    clip = load_mocap_clip(shared_data / "mocap" / "cmu" / "14" / "14_31.bvh")
    labels = label_frames(clip)
    sit = labels == ACTION_INDEX["sit"]
    runs = [labels[0]] + [b for a, b in zip(labels[:-1], labels[1:], strict=True) if a != b]
    assert runs == [UNLABELLED, ACTION_INDEX["sit"]] * 2 + [UNLABELLED]  # sits down twice
    share = hip_height_share(clip.joints_mm.astype(np.float64))
    assert share[sit].max() > SIT_HEIGHT  # sitting down and standing up are in sit
    assert share[sit].min() < 0.5 and share[~sit].min() >= SIT_HEIGHT


def test_held_arms_keep_their_place_on_the_torso_and_nothing_else_moves():
    pose = standing_pose_mm()
    poses = np.repeat(pose[None, None], 30, axis=1).astype(np.float64)
    poses[0, :, 12, 2] += np.linspace(0, 300, 30)  # the left wrist swings forward
    held = pose.copy()
    held[12] = held[11] + [0.0, 0.0, 250.0]  # forearm forward, as when holding a book
    out = hold_arms(poses, held[None], np.array([[True, False]]))
    np.testing.assert_allclose(out[0, :, 12], np.repeat(held[None, 12], 30, axis=0), atol=1e-6)
    np.testing.assert_allclose(out[0, :, :11], poses[0, :, :11])
    np.testing.assert_allclose(out[0, :, 13:], poses[0, :, 13:])


def test_only_windows_wholly_of_holding_classes_get_held_arms():
    walk, wave = ACTION_INDEX["walk"], ACTION_INDEX["wave"]
    frames = np.array([[STAND, walk, UNLABELLED], [walk, wave, walk], [UNLABELLED] * 3])
    np.testing.assert_array_equal(holding(frames), [True, False, False])
    poses = np.repeat(standing_pose_mm()[None, None], 3, axis=0).repeat(4, axis=1)
    poses[:, :, [12, 15], 2] += np.arange(4)[:, None] * 50.0  # both wrists swing
    held = held_arms(poses, np.array([True, False, False]), poses[:, 0], np.random.default_rng(0))
    assert min(np.ptp(held[0, :, 12, 2]), np.ptp(held[0, :, 15, 2])) < 1e-6  # one arm or both
    np.testing.assert_array_equal(held[1:], poses[1:])
