"""Procrustes and scale alignment: recovery of known transforms, reflections, weights."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from hypothesis import given, settings
from hypothesis import strategies as st
from hypothesis.extra.numpy import arrays
from scipy.spatial.transform import Rotation

from posemachines.evaluation.procrustes import (
    optimal_scale,
    procrustes_align,
    scale_align,
    similarity_transform,
)
from tests.evaluation.test_metrics import random_poses, standing_pose


def squared_error(a: np.ndarray, b: np.ndarray) -> float:
    return float(((a - b) ** 2).sum())


def test_recovers_a_known_similarity_transform():
    pred = standing_pose()
    rotation = Rotation.from_euler("xyz", [20.0, -35.0, 110.0], degrees=True).as_matrix()
    gt = 1.7 * pred @ rotation.T + np.array([300.0, -20.0, 4000.0])
    transform = similarity_transform(pred, gt)
    np.testing.assert_allclose(transform.rotation, rotation, atol=1e-12)
    assert float(transform.scale) == pytest.approx(1.7)
    np.testing.assert_allclose(transform.translation, [300.0, -20.0, 4000.0], atol=1e-9)
    np.testing.assert_allclose(transform.apply(pred), gt, atol=1e-9)


def test_rigid_alignment_keeps_unit_scale():
    pred = standing_pose()
    rotation = Rotation.from_rotvec([0.3, -0.2, 0.9]).as_matrix()
    gt = 2.0 * pred @ rotation.T
    transform = similarity_transform(pred, gt, with_scale=False)
    assert float(transform.scale) == 1.0
    np.testing.assert_allclose(transform.rotation, rotation, atol=1e-12)


def test_a_mirror_image_is_aligned_by_a_proper_rotation_not_a_reflection():
    gt = standing_pose()
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    transform = similarity_transform(mirrored, gt)
    assert np.linalg.det(transform.rotation) == pytest.approx(1.0)
    # A reflection would align it perfectly; a proper rotation cannot.
    assert squared_error(procrustes_align(mirrored, gt), gt) > 1000.0
    # Torch takes the same sign fix.
    torch_transform = similarity_transform(torch.from_numpy(mirrored), torch.from_numpy(gt))
    np.testing.assert_allclose(torch_transform.rotation.numpy(), transform.rotation, atol=1e-9)


def test_rotation_matches_scipy_weighted_kabsch():
    rng = np.random.default_rng(3)
    pred = rng.normal(0.0, 200.0, (12, 3))
    gt = rng.normal(0.0, 200.0, (12, 3))
    weights = rng.uniform(0.1, 2.0, 12)
    transform = similarity_transform(pred, gt, weights)
    w = weights / weights.sum()
    pred_c = pred - w @ pred
    gt_c = gt - w @ gt
    expected, _ = Rotation.align_vectors(gt_c, pred_c, weights=weights)
    np.testing.assert_allclose(transform.rotation, expected.as_matrix(), atol=1e-9)


def test_zero_weight_joints_do_not_move_the_fit():
    pred = random_poses(1, seed=1)[0]
    gt = random_poses(1, seed=2)[0]
    weights = np.ones(16)
    weights[5] = 0.0
    corrupted = pred.copy()
    corrupted[5] += 5000.0
    clean = similarity_transform(pred, gt, weights)
    dirty = similarity_transform(corrupted, gt, weights)
    np.testing.assert_allclose(dirty.rotation, clean.rotation, atol=1e-12)
    np.testing.assert_allclose(dirty.scale, clean.scale, atol=1e-12)
    np.testing.assert_allclose(dirty.translation, clean.translation, atol=1e-9)


def test_optimal_scale_and_scale_align():
    gt = standing_pose()
    np.testing.assert_allclose(optimal_scale(gt / 2.0, gt), 2.0)
    np.testing.assert_allclose(scale_align(gt / 2.0, gt), gt, atol=1e-12)
    batch = np.stack([gt * 0.5, gt * 4.0])
    np.testing.assert_allclose(optimal_scale(batch, np.stack([gt, gt])), [2.0, 0.25])


pose_arrays = arrays(
    np.float64, (6, 3), elements=st.floats(-1000.0, 1000.0, allow_nan=False, width=64)
)


@settings(max_examples=60, deadline=None)
@given(pred=pose_arrays, gt=pose_arrays)
def test_more_freedom_never_raises_the_squared_error(pred, gt):
    """Sum of squared errors: Procrustes <= scale only <= root alignment (nested optima)."""
    pred_rel, gt_rel = pred - pred[:1], gt - gt[:1]
    root_aligned = squared_error(pred_rel, gt_rel)
    scaled = squared_error(scale_align(pred_rel, gt_rel), gt_rel)
    procrustes = squared_error(procrustes_align(pred, gt), gt)
    slack = 1e-9 * (1.0 + root_aligned)
    assert scaled <= root_aligned + slack
    assert procrustes <= scaled + slack
