"""Fall detection: synthetic falls of a real pose, real LAFAN1 falls, no alarm on daily moves."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.falls import detect_falls, fall_signals
from posemachines.errors import PoseDataError
from tests.analysis.synthetic import (
    BANDAI_1,
    BANDAI_2,
    LAFAN1,
    mocap_world_mm,
    standing_pose_mm,
    to_camera,
    topple_to_floor,
)

FPS = 30.0
WALK = BANDAI_1 / "dataset-1_walk_normal_001.bvh"


@pytest.mark.parametrize("fall_s", [0.5, 0.75, 1.0])
@pytest.mark.parametrize("heading", [0.0, 90.0, 200.0])
def test_a_real_pose_toppled_to_the_floor_is_one_fall(shared_data: Path, fall_s, heading):
    walk = mocap_world_mm(shared_data / WALK)[:90]  # 3 s of a real walk, then the fall
    fall = topple_to_floor(walk[-1], fall_s, FPS, heading, lying_s=3.0)
    events, _ = detect_falls(to_camera(np.concatenate([walk, fall]), 20, 45), FPS)
    assert len(events) == 1
    event = events[0]
    walk_end = (len(walk) - 1) / FPS
    assert walk_end - 0.1 <= event.start_s <= walk_end + fall_s
    assert event.start_s < event.end_s <= walk_end + fall_s + 0.1
    assert event.confidence >= 0.8
    assert event.down_s >= 2.5


def test_lying_after_the_fall_reads_as_low_and_horizontal(shared_data: Path):
    walk = mocap_world_mm(shared_data / WALK)[:60]
    fall = topple_to_floor(walk[-1], 0.6, FPS, 90.0, lying_s=2.0)
    signals = fall_signals(to_camera(np.concatenate([walk, fall]), 15, -30), FPS)
    assert np.all(signals.pelvis_height[:60] > 0.8)
    assert np.all(signals.pelvis_height[-30:] < 0.3)
    assert np.all(signals.trunk_inclination_deg[-30:] > 80.0)
    assert signals.upright[:60].all() and signals.down[-30:].all()


@pytest.mark.parametrize("name", [
    "dataset-1_walk_normal_001.bvh", "dataset-1_run_active_001.bvh",
    "dataset-1_bow_active_001.bvh", "dataset-1_bow_childish_001.bvh",
    "dataset-1_dance-short_normal_001.bvh",
])
def test_walks_runs_bows_and_dances_raise_no_alarm(shared_data: Path, name):
    world = mocap_world_mm(shared_data / BANDAI_1 / name)
    for pitch, yaw in ((0, 0), (15, 30), (35, -120)):
        events, _ = detect_falls(to_camera(world, pitch, yaw), FPS)
        assert events == [], (name, pitch, yaw)


def test_a_real_walk_with_turns_raises_no_alarm(shared_data: Path):
    world = mocap_world_mm(shared_data / BANDAI_2 / "dataset-2_walk-turn-left_elderly_001.bvh")
    assert detect_falls(to_camera(world, 15, 30), FPS)[0] == []


def test_lafan1_dance_raises_no_alarm(shared_data: Path):
    world = mocap_world_mm(shared_data / LAFAN1 / "dance1_subject1.bvh")
    assert detect_falls(to_camera(world, 15, 30), FPS)[0] == []


# Drops to the floor counted on the pelvis-height plots; the detector finds 19, 14, 17, 12, 6.
@pytest.mark.parametrize(("name", "at_least"), [
    ("fallAndGetUp1_subject1.bvh", 15),  # ~19 drops in 168 s
    ("fallAndGetUp1_subject4.bvh", 12),  # ~15 drops in 168 s
    ("fallAndGetUp2_subject2.bvh", 13),  # ~17 drops in 164 s
    ("fallAndGetUp3_subject1.bvh", 10),  # 13 drops in 102 s, one of them up again within 1 s
    ("pushAndFall1_subject1.bvh", 5),  # 6 pushes to the floor in 165 s
])
def test_real_lafan1_falls_raise_events(shared_data: Path, name, at_least):
    world = mocap_world_mm(shared_data / LAFAN1 / name)
    events, signals = detect_falls(to_camera(world, 15, 30), FPS)
    assert len(events) >= at_least
    for event in events:
        assert 0.5 <= event.confidence <= 1.0
        assert 0.0 < event.end_s - event.start_s <= 2.0
        assert signals.pelvis_height[event.end_frame] <= 0.6


def test_push_and_fall_events_are_where_the_actor_hits_the_floor(shared_data: Path):
    world = mocap_world_mm(shared_data / LAFAN1 / "pushAndFall1_subject1.bvh")
    events, _ = detect_falls(to_camera(world, 0, 0), FPS)
    starts = np.array([event.start_s for event in events])
    # Seen in the pelvis-height plot: drops at ~55.5, 62, 68, 74, 118.5 and 123.5 s.
    for expected in (55.5, 62.0, 68.0, 74.0, 118.5):
        assert np.min(np.abs(starts - expected)) < 1.0, expected


def test_min_confidence_filters_events(shared_data: Path):
    walk = mocap_world_mm(shared_data / WALK)[:90]
    poses = to_camera(np.concatenate([walk, topple_to_floor(walk[-1], 0.5, FPS)]))
    assert len(detect_falls(poses, FPS, min_confidence=0.5)[0]) == 1
    assert detect_falls(poses, FPS, min_confidence=1.01)[0] == []


def test_too_short_a_sequence_is_refused():
    poses = to_camera(np.repeat(standing_pose_mm()[None], 20, axis=0))
    with pytest.raises(PoseDataError, match=r"at least 1 s of poses \(30 frames"):
        detect_falls(poses, FPS)


def test_bad_frame_rate_is_refused():
    poses = to_camera(np.repeat(standing_pose_mm()[None], 40, axis=0))
    with pytest.raises(PoseDataError, match="frame rate"):
        detect_falls(poses, 0.0)
