"""Walking and turning labelled frame by frame from the root's speed and the heading's turn rate."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posemachines.analysis.action_data import label_frames
from posemachines.analysis.action_gait import gait_labels, heading_rate_deg_s
from posemachines.analysis.action_taxonomy import ACTION_INDEX, UNLABELLED
from posemachines.data.mocap import load_mocap_clip
from tests.analysis.synthetic import LAFAN1, rotation_y, standing_pose_mm

WALK, TURN = ACTION_INDEX["walk"], ACTION_INDEX["walk_turn"]
FPS = 30.0


def moving(speeds_m_s: np.ndarray, headings_deg: np.ndarray,
           travel_deg: np.ndarray | None = None) -> np.ndarray:
    """(T, 16, 3) world mm: the standing pose turned to `headings_deg` (T,) (0: facing +Z),
    its root moving at `speeds_m_s` (T,) along `travel_deg` (default: where it faces)."""
    travel = np.radians(headings_deg if travel_deg is None else travel_deg)
    steps = np.stack([np.sin(travel), np.zeros_like(travel), np.cos(travel)], axis=1)
    root = np.cumsum(steps * speeds_m_s[:, None] * 1000.0 / FPS, axis=0)
    return np.stack([standing_pose_mm() @ rotation_y(h).T for h in headings_deg]) + root[:, None]


def test_the_turn_rate_is_the_heading_change_per_second():
    headings = np.linspace(0.0, 90.0, 61)  # 90 degrees in 2 s
    rate = heading_rate_deg_s(moving(np.zeros(61), headings), FPS)
    np.testing.assert_allclose(rate[20:40], 45.0, rtol=1e-6)


def test_walking_straight_turning_on_the_spot_and_walking_backward():
    straight = moving(np.full(60, 1.2), np.zeros(60))
    np.testing.assert_array_equal(gait_labels(straight, FPS)[10:50], WALK)
    on_the_spot = moving(np.zeros(60), np.linspace(0.0, 180.0, 60))  # 90 deg/s, no travel
    np.testing.assert_array_equal(gait_labels(on_the_spot, FPS)[10:50], TURN)
    backward = moving(np.full(60, 1.0), np.zeros(60), travel_deg=np.full(60, 180.0))
    np.testing.assert_array_equal(gait_labels(backward, FPS), UNLABELLED)
    still = moving(np.zeros(60), np.zeros(60))
    np.testing.assert_array_equal(gait_labels(still, FPS), UNLABELLED)


def test_a_turn_shorter_than_half_a_second_is_not_labelled():
    headings = np.r_[np.zeros(30), np.linspace(0.0, 40.0, 10), np.full(30, 40.0)]
    labels = gait_labels(moving(np.zeros(70), headings), FPS)
    assert not np.any(labels == TURN)


def test_lafan1_walk_is_labelled_walking_and_turning(shared_data: Path):
    clip = load_mocap_clip(shared_data / LAFAN1 / "walk4_subject1.bvh")
    labels = label_frames(clip)
    assert 0.1 < np.mean(labels == WALK) < 0.4 and 0.1 < np.mean(labels == TURN) < 0.4
