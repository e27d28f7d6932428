"""Root trajectory: banded acceleration prior, gap filling, noise reduction."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.world.trajectory import (
    TrajectoryConfig,
    second_difference_normal,
    smooth_series,
    smooth_trajectory,
)


def test_banded_normal_matches_dense_second_difference() -> None:
    frames = 7
    dense = np.zeros((frames - 2, frames))
    for row in range(frames - 2):
        dense[row, row:row + 3] = (1.0, -2.0, 1.0)
    normal = dense.T @ dense
    banded = second_difference_normal(frames)
    np.testing.assert_array_equal(banded[2], np.diag(normal))
    np.testing.assert_array_equal(banded[1, 1:], np.diag(normal, 1))
    np.testing.assert_array_equal(banded[0, 2:], np.diag(normal, 2))
    # Hand check: diagonal 1, 5, 6, ..., 6, 5, 1.
    assert list(banded[2]) == [1, 5, 6, 6, 6, 5, 1]


def test_gap_in_a_straight_walk_is_filled_on_the_line_and_flagged() -> None:
    frames = np.arange(60)
    line = np.stack([10.0 * frames, 2.0 * frames + 5.0, 3000.0 - 20.0 * frames], axis=-1)
    seen = (frames < 20) | (frames >= 35)
    result = smooth_trajectory(line[seen], frames[seen], fps=30.0)
    assert result.translation_mm.shape == (60, 3)
    np.testing.assert_array_equal(result.filled, ~seen)
    # A line has no acceleration, so the prior bridges the 15 missing frames exactly on it.
    np.testing.assert_allclose(result.translation_mm, line, atol=1e-6)


def test_gap_in_a_curve_stays_between_its_ends_and_is_smooth() -> None:
    frames = np.arange(90)
    curve = np.stack([800.0 * np.sin(frames / 15.0), np.zeros(90), 4000.0 + frames], axis=-1)
    seen = (frames < 40) | (frames >= 55)
    result = smooth_trajectory(curve[seen], frames[seen], fps=30.0).translation_mm
    gap = result[40:55, 0]
    # The acceleration-minimising bridge is a cubic: no overshoot beyond the true arc's range
    # and no kink (second difference no larger than on the measured part).
    assert gap.min() >= min(curve[39, 0], curve[55, 0]) - 60.0
    assert gap.max() <= curve[40:55, 0].max() + 60.0
    accel = np.abs(np.diff(result[:, 0], 2))
    assert accel[38:55].max() < 2.0 * accel[:38].max()


def test_smoothing_reduces_noise_on_the_real_root_path(static_clip) -> None:
    _, translation = static_clip
    rng = np.random.default_rng(3)
    sigma = np.array(TrajectoryConfig().measurement_sigma_mm)
    noisy = translation + rng.normal(size=translation.shape) * sigma
    smoothed = smooth_trajectory(noisy, None, fps=30.0).translation_mm
    before = np.sqrt(np.mean((noisy - translation) ** 2, axis=0))
    after = np.sqrt(np.mean((smoothed - translation) ** 2, axis=0))
    assert np.all(after < 0.6 * before), (before, after)


def test_frames_before_and_after_the_person_hold_the_nearest_estimate() -> None:
    frames = np.arange(5, 30)
    translation = np.stack([frames * 4.0, frames * 0.0, frames * 0.0 + 3000.0], axis=-1)
    result = smooth_trajectory(translation, frames, fps=25.0, num_frames=40)
    assert result.translation_mm.shape == (40, 3)
    np.testing.assert_allclose(result.translation_mm[:5], np.tile(result.translation_mm[5], (5, 1)))
    np.testing.assert_allclose(result.translation_mm[30:], np.tile(result.translation_mm[29],
                                                                   (10, 1)))
    assert result.filled[:5].all() and result.filled[30:].all() and not result.filled[5:30].any()


def test_nan_rows_count_as_missing() -> None:
    translation = np.tile([0.0, 0.0, 3000.0], (20, 1))
    translation[7:9] = np.nan
    result = smooth_trajectory(translation, None, fps=30.0)
    assert np.isfinite(result.translation_mm).all()
    assert result.filled.tolist() == [7 <= k < 9 for k in range(20)]


def test_smooth_series_weights_zero_mean_ignored() -> None:
    values = np.array([[0.0], [np.nan], [2.0], [3.0]])
    out = smooth_series(values, np.array([1.0, 0.0, 1.0, 1.0]), accel_sigma=1e-3)
    np.testing.assert_allclose(out[:, 0], [0.0, 1.0, 2.0, 3.0], atol=1e-3)


def test_bad_inputs_raise_one_sentence() -> None:
    with pytest.raises(PoseInputError):
        smooth_trajectory(np.zeros((5, 2)), None, fps=30.0)
    with pytest.raises(PoseInputError):
        smooth_trajectory(np.zeros((3, 3)), np.array([0, 2, 1]), fps=30.0)
    with pytest.raises(PoseInputError):
        smooth_trajectory(np.zeros((3, 3)), None, fps=0.0)
    with pytest.raises(PoseInputError):
        smooth_trajectory(np.full((3, 3), np.nan), None, fps=30.0)
    with pytest.raises(PoseInputError):
        smooth_trajectory(np.zeros((3, 3)), np.array([0, 1, 5]), fps=30.0, num_frames=4)
