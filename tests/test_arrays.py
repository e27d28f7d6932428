"""numpy-or-torch helpers: hand-computed values, the input's kind kept, one clear error."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posemachines.arrays import (
    concat_last,
    float_points,
    is_torch,
    like,
    root_relative,
    true_runs,
)
from posemachines.errors import PoseDataError


def test_root_relative_by_hand() -> None:
    joints = np.array([[[1.0, 2.0], [4.0, 6.0]]])
    np.testing.assert_allclose(root_relative(joints), [[[0, 0], [3, 4]]])
    np.testing.assert_allclose(root_relative(joints, root=1), [[[-3, -4], [0, 0]]])
    integer = root_relative(np.array([[1, 2], [4, 6]]))
    assert integer.dtype == np.float64 and integer.tolist() == [[0, 0], [3, 4]]


def test_root_relative_keeps_torch_and_its_gradient() -> None:
    joints = torch.tensor([[[1.0, 2.0, 3.0], [2.0, 2.0, 5.0]]], requires_grad=True)
    relative = root_relative(joints)
    assert is_torch(relative) and relative.tolist() == [[[0, 0, 0], [1, 0, 2]]]
    relative.sum().backward()
    assert joints.grad is not None


def test_root_relative_needs_a_joint_axis() -> None:
    with pytest.raises(PoseDataError, match=r"\(\.\.\., J, D\)"):
        root_relative(np.zeros(3))


def test_float_points_like_and_concat() -> None:
    assert float_points([[1, 2]], 2, "xy").dtype == np.float64
    with pytest.raises(PoseDataError, match="xy must have shape"):
        float_points(np.zeros((2, 3)), 2, "xy")
    ref = torch.zeros(2, dtype=torch.float32)
    converted = like(np.array([1.5, 2.5]), ref)
    assert is_torch(converted) and converted.dtype == torch.float32
    assert like([1, 2], np.zeros(1, dtype=np.float32)).dtype == np.float32
    assert concat_last([np.zeros((2, 1)), np.ones((2, 2))]).shape == (2, 3)
    assert concat_last([torch.zeros(2, 1), torch.ones(2, 2)]).shape == (2, 3)
    assert not is_torch(np.zeros(1))


def test_true_runs_by_hand() -> None:
    starts, stops = true_runs(np.array([1, 1, 0, 0, 1, 0, 1, 1, 1], dtype=bool))
    assert starts.tolist() == [0, 4, 6] and stops.tolist() == [2, 5, 9]
    empty = true_runs(np.zeros(4, dtype=bool))
    assert empty[0].size == 0 and empty[1].size == 0
