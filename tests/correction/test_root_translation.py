"""Root translation from a root-relative 3D pose and its 2D projection."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.correction.root_translation import solve_root_translation
from posemachines.errors import PoseInputError
from tests.correction.synthetic_clip import CENTRE_PX, FOCAL_PX, project, walking_clip


def test_recovers_known_translation_from_exact_2d() -> None:
    pose, root = walking_clip(60)
    keypoints = project(pose, root)
    solved = solve_root_translation(pose, keypoints, np.ones((60, 16)), FOCAL_PX, CENTRE_PX)
    assert solved.shape == (60, 3)
    assert np.abs(solved - root).max() < 1.0


def test_closed_form_alone_is_exact_on_exact_data() -> None:
    pose, root = walking_clip(10)
    keypoints = project(pose, root)
    weights = np.random.default_rng(0).uniform(0.2, 1.0, (10, 16))
    linear = solve_root_translation(pose, keypoints, weights, FOCAL_PX, CENTRE_PX,
                                    gauss_newton_steps=0)
    np.testing.assert_allclose(linear, root, atol=0.01)


def test_read_only_float32_input_is_left_alone_and_solved_in_float64() -> None:
    pose, root = walking_clip(10)
    keypoints = project(pose, root)
    frozen = [np.array(a, dtype=np.float32) for a in (pose, keypoints, np.ones((10, 16)))]
    for array in frozen:
        array.flags.writeable = False
    solved = solve_root_translation(*frozen, FOCAL_PX, CENTRE_PX)
    assert solved.dtype == np.float64
    np.testing.assert_allclose(solved, root, atol=1.0)


def test_ignores_zero_weight_outliers_and_flags_frames_without_joints() -> None:
    pose, root = walking_clip(5)
    keypoints = project(pose, root)
    keypoints[:, 3] += 400.0
    keypoints[4] = np.nan
    weights = np.ones((5, 16))
    weights[:, 3] = 0.0
    solved = solve_root_translation(pose, keypoints, weights, FOCAL_PX, CENTRE_PX)
    assert np.abs(solved[:4] - root[:4]).max() < 1.0
    assert np.isnan(solved[4]).all()


def test_wrong_shapes_raise() -> None:
    with pytest.raises(PoseInputError, match="weights"):
        solve_root_translation(np.zeros((3, 16, 3)), np.zeros((3, 16, 2)), np.ones((3, 15)),
                               1000.0, (0.0, 0.0))
