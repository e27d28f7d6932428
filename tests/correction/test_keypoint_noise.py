"""Detector jitter estimated from the 2D tracks alone."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.correction.keypoint_noise import keypoint_noise_px
from tests.correction.synthetic_clip import project, walking_clip


@pytest.mark.parametrize("sigma", [0.0, 2.0, 6.0])
def test_recovers_the_jitter_of_a_moving_person(sigma: float) -> None:
    pose, root = walking_clip(150)
    clean = project(pose, root)
    noisy = clean + np.random.default_rng(0).normal(0.0, sigma, clean.shape)
    estimate = keypoint_noise_px(noisy, np.ones((150, 16)))
    assert estimate == pytest.approx(sigma, abs=0.1 + 0.1 * sigma)


def test_outliers_and_missing_joints_do_not_inflate_it() -> None:
    pose, root = walking_clip(150)
    noisy = project(pose, root) + np.random.default_rng(1).normal(0.0, 2.0, (150, 16, 2))
    noisy[::15, 3] += 300.0  # a gross detector error every 15th frame
    weights = np.ones((150, 16))
    weights[40:60, 12] = 0.0
    noisy[40:60, 12] = 0.0  # missing joints hold placeholders
    estimate = keypoint_noise_px(noisy, weights)
    assert estimate == pytest.approx(2.0, rel=0.15)


def test_too_short_a_clip_gives_zero() -> None:
    assert keypoint_noise_px(np.zeros((2, 16, 2)), np.ones((2, 16))) == 0.0
