"""Normalisation: hand-computed values, exact inverses (property tests), numpy and torch alike."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import array_shapes, arrays

from posemachines.data.normalization import (
    NormParams,
    denormalize_2d,
    denormalize_3d,
    minmax_denormalize,
    minmax_normalize,
    normalize_2d,
    normalize_3d,
)
from posemachines.errors import PoseDataError

coordinates = st.floats(-1e4, 1e4, allow_nan=False, allow_infinity=False)


def _poses(dims: int) -> st.SearchStrategy[np.ndarray]:
    """Arrays (batch..., J, dims) with 0-2 batch axes and 1-17 joints."""
    shapes = st.tuples(array_shapes(min_dims=0, max_dims=2, max_side=4), st.integers(1, 17))
    return shapes.flatmap(
        lambda s: arrays(np.float64, (*s[0], s[1], dims), elements=coordinates)
    )


def test_normalize_2d_by_hand() -> None:
    # Root at (10, 10); the other joints 3-4-5 and 6-8-10 away: mean distance (0+5+10)/3 = 5.
    xy = np.array([[10.0, 10.0], [13.0, 14.0], [16.0, 18.0]])
    normalized, params = normalize_2d(xy)
    np.testing.assert_allclose(params.root, [10, 10])
    assert params.scale == pytest.approx(5.0)
    np.testing.assert_allclose(normalized, [[0, 0], [0.6, 0.8], [1.2, 1.6]])


def test_normalize_2d_uses_visible_joints_only() -> None:
    xy = np.array([[10.0, 10.0], [13.0, 14.0], [1000.0, 1000.0]])
    _, params = normalize_2d(xy, confidence=np.array([1.0, 1.0, 0.0]))
    assert params.scale == pytest.approx(2.5)  # (0 + 5) / 2 visible joints


def test_minmax_by_hand() -> None:
    # Box x in [0, 4], y in [0, 2]: centre (2, 1), half longest side 2.
    joints = np.array([[0.0, 0.0], [4.0, 2.0], [1.0, 1.0]])
    normalized, params = minmax_normalize(joints)
    np.testing.assert_allclose(params.root, [2, 1])
    assert params.scale == pytest.approx(2.0)
    np.testing.assert_allclose(normalized, [[-1, -0.5], [1, 0.5], [-0.5, 0]])


def test_normalize_3d_fixed_scale() -> None:
    joints = np.array([[[0.0, 0, 0], [100, 0, 0]], [[10, 10, 10], [10, 10, 210]]])
    normalized, params = normalize_3d(joints, scale=100.0)
    np.testing.assert_allclose(params.scale, [100, 100])
    np.testing.assert_allclose(normalized, [[[0, 0, 0], [1, 0, 0]], [[0, 0, 0], [0, 0, 2]]])
    np.testing.assert_allclose(denormalize_3d(normalized, params), joints)
    _, default = normalize_3d(joints)
    np.testing.assert_allclose(default.scale, [50, 100])


@settings(max_examples=40, deadline=None)
@given(_poses(2), st.booleans())
def test_normalize_2d_round_trip(xy: np.ndarray, with_confidence: bool) -> None:
    confidence = (np.arange(xy.shape[-2]) % 3 != 2) * np.ones(xy.shape[:-1])
    normalized, params = normalize_2d(xy, confidence if with_confidence else None)
    assert np.all(np.isfinite(normalized))
    assert params.root.shape == xy.shape[:-2] + (2,) and params.scale.shape == xy.shape[:-2]
    np.testing.assert_allclose(denormalize_2d(normalized, params), xy, atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(_poses(3))
def test_normalize_3d_round_trip(joints: np.ndarray) -> None:
    normalized, params = normalize_3d(joints)
    assert np.all(np.isfinite(normalized))
    np.testing.assert_allclose(normalized[..., 0, :], 0, atol=1e-12)
    np.testing.assert_allclose(denormalize_3d(normalized, params), joints, atol=1e-7)


@settings(max_examples=40, deadline=None)
@given(st.integers(2, 3).flatmap(_poses))
def test_minmax_round_trip_and_range(joints: np.ndarray) -> None:
    normalized, params = minmax_normalize(joints)
    assert np.all(np.abs(normalized) <= 1 + 1e-12)
    np.testing.assert_allclose(minmax_denormalize(normalized, params), joints, atol=1e-7)


@settings(max_examples=30, deadline=None)
@given(_poses(2))
def test_torch_matches_numpy(xy: np.ndarray) -> None:
    expected, expected_params = normalize_2d(xy)
    tensor = torch.from_numpy(xy)
    got, params = normalize_2d(tensor)
    assert isinstance(got, torch.Tensor) and isinstance(params.scale, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), expected, atol=1e-12)
    np.testing.assert_allclose(params.scale.numpy(), expected_params.scale, atol=1e-9)
    np.testing.assert_allclose(denormalize_2d(got, params).numpy(), xy, atol=1e-7)


@pytest.mark.parametrize("normalize", [normalize_2d, minmax_normalize])
def test_degenerate_pose_stays_finite(normalize) -> None:
    # All joints at one point: scale becomes 1, the pose maps to zeros, the inverse is exact.
    xy = np.full((2, 16, 2), 321.0)
    normalized, params = normalize(xy)
    np.testing.assert_allclose(normalized, 0)
    np.testing.assert_allclose(params.scale, 1)
    restored = normalized * params.scale[..., None, None] + params.root[:, None]
    np.testing.assert_allclose(restored, xy)
    tensor_normalized, _ = normalize(torch.from_numpy(xy))
    assert torch.isfinite(tensor_normalized).all()


def test_no_visible_joint_stays_finite() -> None:
    xy = np.random.default_rng(0).uniform(0, 100, (16, 2))
    normalized, params = normalize_2d(xy, np.zeros(16))
    assert params.scale == 1 and np.all(np.isfinite(normalized))


def test_torch_float32_gradients_flow() -> None:
    xy = torch.rand(4, 16, 2, dtype=torch.float32, requires_grad=True)
    normalized, params = normalize_2d(xy)
    assert normalized.dtype == torch.float32 and params.root.dtype == torch.float32
    normalized.square().sum().backward()
    assert xy.grad is not None and torch.isfinite(xy.grad).all()


def test_float32_numpy_keeps_dtype() -> None:
    normalized, params = normalize_3d(np.ones((2, 16, 3), dtype=np.float32))
    assert normalized.dtype == np.float32 and params.scale.dtype == np.float32


def test_bad_shapes_and_confidence() -> None:
    with pytest.raises(PoseDataError, match=r"\(\.\.\., J, 2\)"):
        normalize_2d(np.zeros((4, 16, 3)))
    with pytest.raises(PoseDataError, match="confidence must have shape"):
        normalize_2d(np.zeros((4, 16, 2)), np.ones((4, 15)))


def test_params_are_a_plain_record() -> None:
    params = NormParams(root=np.zeros(2), scale=np.float64(2.0))
    np.testing.assert_allclose(denormalize_2d(np.ones((3, 2)), params), 2)
