"""Metrics against hand-computed values, NumPy/torch agreement and bad-input errors."""

from __future__ import annotations

import numpy as np
import pytest
import torch
from scipy.spatial.transform import Rotation

from posemachines.errors import PoseDataError
from posemachines.evaluation.metrics import (
    AUC_THRESHOLDS_MM,
    auc,
    bone_length_error,
    mpjpe,
    mpjve,
    n_mpjpe,
    pa_mpjpe,
    pck,
)
from posemachines.skeleton import JOINTS16

# A standing person, 16 joints (JOINTS16 order), mm, camera frame (y down), left arm raised
# forward so the pose is neither planar nor left/right symmetric.
STANDING_POSE_MM = np.array([
    [0, 0, 0], [-130, 0, 10], [-140, 450, 40], [-135, 880, 20],
    [130, 0, -10], [135, 450, 30], [140, 880, 0], [0, -230, -20],
    [0, -480, -30], [0, -700, -40], [170, -460, -20], [260, -600, -230],
    [320, -760, -420], [-170, -460, -10], [-190, -180, 40], [-200, 60, 60],
], dtype=np.float64)


def standing_pose() -> np.ndarray:
    """(16, 3) mm, root (Hip) at the origin."""
    return STANDING_POSE_MM.copy()


def random_poses(count: int, seed: int = 0) -> np.ndarray:
    """(count, 16, 3) mm: the standing pose, jittered by ~60 mm per joint."""
    rng = np.random.default_rng(seed)
    return standing_pose() + rng.normal(0.0, 60.0, (count, 16, 3))


def rotated(poses: np.ndarray, seed: int) -> np.ndarray:
    """Each pose of (N, J, 3) turned by its own random rotation about the origin."""
    rotations = Rotation.random(len(poses), random_state=seed).as_matrix()
    return np.einsum("nij,nkj->nki", rotations, poses)


def test_offset_of_3_4_0_mm_on_every_joint_is_mpjpe_5():
    gt = random_poses(3)
    pred = gt + np.array([3.0, 4.0, 0.0])
    assert mpjpe(pred, gt) == pytest.approx(5.0, abs=1e-12)
    np.testing.assert_allclose(mpjpe(pred, gt, reduction="none"), [5.0, 5.0, 5.0], atol=1e-12)
    assert mpjpe(pred, gt, root_align=True) == pytest.approx(0.0, abs=1e-12)
    torch_error = mpjpe(torch.from_numpy(pred), torch.from_numpy(gt))
    assert isinstance(torch_error, torch.Tensor) and torch_error.ndim == 0
    assert float(torch_error) == pytest.approx(5.0, abs=1e-12)


def test_similarity_transformed_poses_have_zero_pa_mpjpe_but_not_zero_mpjpe():
    gt = random_poses(4)
    scales = np.array([0.5, 0.9, 1.3, 2.0])[:, None, None]
    pred = scales * rotated(gt, seed=1) + np.array([[[100.0, -50.0, 2000.0]]])
    assert mpjpe(pred, gt) > 100.0
    assert pa_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-6)
    np.testing.assert_allclose(pa_mpjpe(pred, gt, reduction="none"), np.zeros(4), atol=1e-6)
    assert n_mpjpe(pred, gt, root_align=True) > 1.0


def test_pa_mpjpe_of_a_mirrored_pose_is_not_zero():
    gt = standing_pose()
    mirrored = gt * np.array([-1.0, 1.0, 1.0])
    assert pa_mpjpe(mirrored, gt) > 10.0


def test_scaled_pose_has_zero_n_mpjpe():
    poses = random_poses(2)
    gt = poses - poses[:, :1]
    pred = gt * np.array([0.8, 1.25])[:, None, None]
    assert mpjpe(pred, gt) > 10.0
    assert n_mpjpe(pred, gt) == pytest.approx(0.0, abs=1e-9)
    shifted = pred + np.array([40.0, 0.0, -30.0])
    assert n_mpjpe(shifted, gt, root_align=True) == pytest.approx(0.0, abs=1e-9)


def test_n_mpjpe_uses_the_least_squares_scale():
    # gt joints (100,0,0) and (0,100,0); pred (50,0,0) and (0,150,0): the optimal scale is
    # (5000 + 15000) / (2500 + 22500) = 0.8, giving errors |40-100| = 60 and |120-100| = 20.
    gt = np.array([[100.0, 0.0, 0.0], [0.0, 100.0, 0.0]])
    pred = np.array([[50.0, 0.0, 0.0], [0.0, 150.0, 0.0]])
    assert n_mpjpe(pred, gt) == pytest.approx(40.0)


def test_mpjve_of_a_constant_offset_is_zero_and_of_jitter_is_twice_the_amplitude():
    gt = random_poses(6, seed=2)  # (T=6, 16, 3)
    assert mpjve(gt + np.array([25.0, -10.0, 5.0]), gt) == pytest.approx(0.0, abs=1e-12)
    # +-(3, 4, 0) mm alternating each frame: each frame step moves 2 * 5 = 10 mm too far.
    signs = np.array([1.0, -1.0, 1.0, -1.0, 1.0, -1.0])[:, None, None]
    jittered = gt + signs * np.array([3.0, 4.0, 0.0])
    assert mpjve(jittered, gt) == pytest.approx(10.0)
    assert mpjve(jittered, gt, fps=50.0) == pytest.approx(500.0)
    np.testing.assert_allclose(mpjve(jittered, gt, reduction="none"), np.full(5, 10.0))


def test_mpjve_counts_a_step_only_when_the_joint_is_visible_in_both_frames():
    gt = random_poses(3, seed=3)
    pred = gt.copy()
    pred[1, 0] += [0.0, 0.0, 100.0]  # joint 0 jumps in frame 1 only: steps 0 and 1 err 100
    visibility = np.ones((3, 16))
    visibility[2, 0] = 0.0  # hides step 1 of joint 0
    per_step = mpjve(pred, gt, visibility, reduction="none")
    np.testing.assert_allclose(per_step, [100.0 / 16, 0.0])
    assert mpjve(pred, gt, visibility) == pytest.approx(100.0 / 31)


def test_pck_counts_joints_strictly_below_the_threshold():
    gt = np.zeros((4, 3)) + np.array([[0, 0, 0], [0, 400, 0], [300, 0, 0], [0, 0, 500.0]])
    pred = gt + np.array([[10.0, 0, 0], [0, 149.9, 0], [0, 0, 20.0], [200.0, 0, 0]])
    assert pck(pred, gt) == pytest.approx(75.0)
    assert pck(pred, gt, threshold_mm=100.0) == pytest.approx(50.0)
    exactly_at = gt + np.array([150.0, 0.0, 0.0])
    assert pck(exactly_at, gt) == 0.0
    batch = np.stack([pred, gt])
    np.testing.assert_allclose(pck(batch, np.stack([gt, gt]), reduction="none"), [75.0, 100.0])


def test_auc_follows_mpi_inf_3dhp_thresholds():
    gt = random_poses(2)
    assert AUC_THRESHOLDS_MM[0] == 0.0 and AUC_THRESHOLDS_MM[-1] == 150.0
    assert len(AUC_THRESHOLDS_MM) == 31
    assert auc(gt, gt) == pytest.approx(100.0 * 30 / 31)
    # 72 mm on every joint: counted from the 75 mm threshold on, 16 of 31 thresholds.
    pred = gt + np.array([0.0, 72.0, 0.0])
    assert auc(pred, gt) == pytest.approx(100.0 * 16 / 31)
    assert auc(gt + 1000.0, gt) == 0.0


def test_bone_length_error_relative_absolute_and_per_bone():
    gt = standing_pose()
    assert bone_length_error(gt * 1.1, gt) == pytest.approx(0.1)
    # Stretch the right shin (RKnee -> RFoot) by half its length.
    pred = gt.copy()
    pred[3] = gt[3] + 0.5 * (gt[3] - gt[2])
    shin = float(np.linalg.norm(gt[3] - gt[2]))
    per_bone = bone_length_error(pred, gt, reduction="bone")
    assert per_bone.shape == (15,)
    shin_bone = JOINTS16.bones.index((2, 3))
    expected = np.zeros(15)
    expected[shin_bone] = 0.5
    np.testing.assert_allclose(per_bone, expected, atol=1e-12)
    assert bone_length_error(pred, gt) == pytest.approx(0.5 / 15)
    assert bone_length_error(pred, gt, relative=False) == pytest.approx(0.5 * shin / 15)
    assert bone_length_error(np.stack([pred, gt]), np.stack([gt, gt]),
                             reduction="none").shape == (2, 15)


def test_bone_length_error_skips_bones_with_a_hidden_joint():
    gt = standing_pose()
    pred = gt.copy()
    pred[3] = np.nan  # RFoot missing in the prediction
    visibility = np.ones(16)
    visibility[3] = 0.0
    per_pose = bone_length_error(pred, gt, visibility=visibility, reduction="none")
    assert np.isnan(per_pose[JOINTS16.bones.index((2, 3))])
    assert bone_length_error(pred, gt, visibility=visibility) == pytest.approx(0.0)


def test_visibility_masks_joints_out_of_every_mean():
    gt = random_poses(2, seed=4)
    pred = gt.copy()
    pred[0, :2] += np.array([0.0, 30.0, 40.0])  # 50 mm on two joints of pose 0
    pred[0, 5] = np.nan  # a missing joint
    pred[1, 7] += 1000.0  # a hidden bad joint
    visibility = np.ones((2, 16), dtype=bool)
    visibility[0, 5] = False
    visibility[1, 7] = False
    np.testing.assert_allclose(mpjpe(pred, gt, visibility, reduction="none"),
                               [100.0 / 15, 0.0], atol=1e-12)
    assert mpjpe(pred, gt, visibility) == pytest.approx(100.0 / 30)
    assert pck(pred, gt, visibility, threshold_mm=40.0) == pytest.approx(100.0 * 28 / 30)
    visibility[1] = False
    assert np.isnan(mpjpe(pred, gt, visibility, reduction="none")[1])


@pytest.mark.parametrize(
    ("metric", "kwargs"),
    [
        (mpjpe, {}),
        (mpjpe, {"root_align": True}),
        (n_mpjpe, {"root_align": True}),
        (pa_mpjpe, {}),
        (mpjve, {}),
        (pck, {"threshold_mm": 100.0}),
        (auc, {}),
        (bone_length_error, {}),
    ],
)
@pytest.mark.parametrize("reduction", ["mean", "none"])
def test_numpy_and_torch_give_the_same_numbers(metric, kwargs, reduction):
    gt = random_poses(5, seed=5)
    pred = 1.1 * rotated(random_poses(5, seed=6), seed=7) + 20.0
    visibility = np.ones((5, 16))
    visibility[2, 4] = 0.0
    expected = metric(pred, gt, visibility=visibility, reduction=reduction, **kwargs)
    got = metric(torch.from_numpy(pred), torch.from_numpy(gt),
                 visibility=torch.from_numpy(visibility), reduction=reduction, **kwargs)
    assert isinstance(got, torch.Tensor)
    np.testing.assert_allclose(got.numpy(), expected, rtol=1e-9, atol=1e-9)


@pytest.mark.parametrize("metric", [mpjpe, n_mpjpe, pa_mpjpe])
def test_torch_metrics_have_finite_gradients_even_at_zero_error(metric):
    gt = torch.from_numpy(random_poses(3, seed=8) - STANDING_POSE_MM[:1])
    for start in (gt.clone(), gt + torch.randn_like(gt) * 20.0):
        pred = start.clone().requires_grad_(True)
        metric(pred, gt).backward()
        assert torch.isfinite(pred.grad).all()


def test_a_gradient_step_on_mpjpe_reduces_it():
    gt = torch.from_numpy(random_poses(2, seed=9))
    pred = (gt + 30.0 * torch.randn_like(gt)).requires_grad_(True)
    before = mpjpe(pred, gt)
    before.backward()
    with torch.no_grad():
        after = mpjpe(pred - 10.0 * pred.grad, gt)
    assert after.item() < before.item()


def test_bad_inputs_raise_one_clear_error():
    gt = random_poses(2)
    with pytest.raises(PoseDataError, match="same shape"):
        mpjpe(gt[:, :15], gt)
    with pytest.raises(PoseDataError, match="mix"):
        mpjpe(torch.from_numpy(gt), gt)
    with pytest.raises(PoseDataError, match=r"\(\.\.\., J, 3\)"):
        mpjpe(gt[..., :2], gt[..., :2])
    with pytest.raises(PoseDataError, match="NaN"):
        mpjpe(np.where(np.arange(16)[:, None] == 3, np.nan, gt), gt)
    with pytest.raises(PoseDataError, match="metres"):
        mpjpe(gt / 1000.0, gt / 1000.0)
    with pytest.raises(PoseDataError, match="Visibility"):
        mpjpe(gt, gt, np.ones((2, 15)))
    with pytest.raises(PoseDataError, match="16 joints"):
        bone_length_error(gt[:, :15], gt[:, :15])
    with pytest.raises(PoseDataError, match="2 frames"):
        mpjve(gt[:1], gt[:1])
    with pytest.raises(PoseDataError, match="root joint"):
        mpjpe(gt, gt, np.zeros((2, 16)), root_align=True)
    with pytest.raises(ValueError, match="reduction"):
        mpjpe(gt, gt, reduction="sum")
