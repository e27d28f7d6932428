"""Repetition counting: synthetic signals with known counts and hand-counted real mocap takes."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.angles import joint_angles
from posemachines.analysis.reps import count_repetitions, dominant_period_frames
from posemachines.errors import PoseDataError
from tests.analysis.synthetic import BANDAI_2, mocap_world_mm, to_camera

FPS = 30.0


def _exercise(count: int, period_s: float, amplitude: float = 60.0, noise: float = 2.0,
              rest_s: float = 1.0, seed: int = 0) -> np.ndarray:
    """Rest, `count` smooth excursions from 20 deg (trough-to-trough), rest; plus noise/drift."""
    rng = np.random.default_rng(seed)
    t = np.arange(int(round(count * period_s * FPS))) / FPS
    moving = 20.0 + amplitude * (1 - np.cos(2 * np.pi * t / period_s)) / 2
    rest = np.full(int(round(rest_s * FPS)), 20.0)
    signal = np.concatenate([rest, moving, rest])
    drift = np.linspace(0.0, 8.0, len(signal))
    return signal + drift + rng.normal(0.0, noise, len(signal))


@pytest.mark.parametrize(("count", "period_s"), [(3, 2.0), (5, 1.2), (8, 0.8), (12, 3.0),
                                                 (20, 0.5)])
def test_synthetic_exercise_counts(count, period_s):
    result = count_repetitions(_exercise(count, period_s), FPS)
    assert result.count == count
    assert result.period_s == pytest.approx(period_s, rel=0.1)
    assert np.all(np.diff(result.peak_times_s) > 0.5 * period_s)


def test_squat_like_signal_with_pauses_counts_each_squat():
    """Knee flexion: down to 100 deg and up, with an uneven pause standing between squats."""
    rng = np.random.default_rng(1)
    pieces = [np.zeros(30)]
    for pause in (15, 25, 10, 30, 20, 18):
        squat = 100 * np.sin(np.linspace(0, np.pi, 45)) ** 2
        pieces += [squat, np.zeros(pause)]
    signal = np.concatenate(pieces) + 5 + rng.normal(0, 1.5, sum(map(len, pieces)))
    assert count_repetitions(signal, FPS).count == 6


def test_single_excursion_counts_one_and_noise_counts_none():
    bump = np.concatenate([np.full(30, 15.0), 15 + 70 * np.hanning(50), np.full(30, 15.0)])
    assert count_repetitions(bump, FPS).count == 1
    noise = np.random.default_rng(2).normal(30.0, 2.0, 300)
    assert count_repetitions(noise, FPS).count == 0
    assert count_repetitions(np.full(200, 42.0), FPS).count == 0


def test_gaps_are_filled_before_counting():
    signal = _exercise(6, 1.5)
    signal[np.random.default_rng(3).choice(len(signal), len(signal) // 10, replace=False)] = np.nan
    assert count_repetitions(signal, FPS).count == 6


def test_autocorrelation_finds_the_period():
    t = np.arange(600)
    assert dominant_period_frames(np.sin(2 * np.pi * t / 37), 5, 200) == 37
    assert dominant_period_frames(np.zeros(600), 5, 200) is None


def test_unusable_signals_raise_one_sentence():
    with pytest.raises(PoseDataError, match="too few to count"):
        count_repetitions(np.full(100, np.nan), FPS)
    with pytest.raises(PoseDataError, match="at least 18 frames"):
        count_repetitions(np.zeros(10), FPS)
    with pytest.raises(PoseDataError, match="one angle per frame"):
        count_repetitions(np.zeros((50, 2)), FPS)
    with pytest.raises(PoseDataError, match="frame rate"):
        count_repetitions(np.zeros(50), -1.0)


# Counted by hand on plots of the angle (docs/analysis.md): one wave = one bend and straightening
# of the elbow with the arm up; the arm's raise and final lowering are not waves.
HAND_COUNTED_WAVES = [
    ("wave-left-hand_normal_001", "elbow_flexion_L", 8),
    ("wave-left-hand_normal_003", "elbow_flexion_L", 8),
    ("wave-left-hand_normal_005", "elbow_flexion_L", 8),
    ("wave-left-hand_masculine_002", "elbow_flexion_L", 8),
    ("wave-left-hand_youthful_004", "elbow_flexion_L", 10),
    ("wave-left-hand_active_003", "elbow_flexion_L", 11),
    ("wave-right-hand_normal_001", "elbow_flexion_R", 6),
    ("wave-right-hand_normal_002", "elbow_flexion_R", 7),
    ("wave-right-hand_normal_003", "elbow_flexion_R", 7),
    ("wave-right-hand_normal_005", "elbow_flexion_R", 8),
    ("wave-right-hand_normal_006", "elbow_flexion_R", 8),
]


def _take_angle(shared_data: Path, take: str, angle: str) -> np.ndarray:
    world = mocap_world_mm(shared_data / BANDAI_2 / f"dataset-2_{take}.bvh")
    return joint_angles(to_camera(world, 15, 30))[angle]


def test_waves_match_the_hand_counts(shared_data: Path):
    counted = [(count_repetitions(_take_angle(shared_data, take, angle), FPS).count, hand)
               for take, angle, hand in HAND_COUNTED_WAVES]
    assert all(abs(found - hand) <= 1 for found, hand in counted), counted
    assert sum(found == hand for found, hand in counted) >= 10, counted


@pytest.mark.parametrize(("content", "style", "angle"), [
    ("raise-up-left-hand", "elderly", "shoulder_elevation_L"),
    ("raise-up-right-hand", "youthful", "shoulder_elevation_R"),
    ("raise-up-both-hands", "masculine", "shoulder_elevation_R"),
    # This style lifts the hands by bending the elbows; the shoulders move < 10 degrees.
    ("raise-up-both-hands", "feminine", "elbow_flexion_L"),
])
def test_six_raise_up_takes_in_a_row_count_six(shared_data: Path, content, style, angle):
    signal = np.concatenate([_take_angle(shared_data, f"{content}_{style}_{take:03d}", angle)
                             for take in range(1, 7)])
    assert count_repetitions(signal, FPS).count == 6


def test_one_raise_up_take_counts_one(shared_data: Path):
    signal = _take_angle(shared_data, "raise-up-left-hand_normal_001", "shoulder_elevation_L")
    assert count_repetitions(signal, FPS).count == 1
