"""Loss terms: hand-computed values, masking by confidence and by missing 3D labels."""

from __future__ import annotations

import math

import pytest
import torch

from posemachines.arrays import root_relative
from posemachines.skeleton import JOINTS16
from posemachines.training.config import LossSection
from posemachines.training.losses import (
    belief_map_loss,
    bone_length_loss_2d,
    gaussian_belief_maps,
    pose3d_loss,
    pose_machine_losses,
    projection_loss_2d,
)


def _poses(batch: int = 2, frames: int = 3) -> torch.Tensor:
    return torch.randn(batch, frames, 16, 3, generator=torch.Generator().manual_seed(0)) * 200


def test_root_relative_puts_hip_at_origin():
    pose = _poses()
    rel = root_relative(pose)
    assert torch.all(rel[..., 0, :] == 0)
    assert torch.allclose(rel[..., 5, :], pose[..., 5, :] - pose[..., 0, :])


def test_pose3d_mse_matches_hand_value():
    target = torch.zeros(1, 1, 16, 3)
    pred = torch.zeros(1, 1, 16, 3)
    pred[0, 0, 3] = torch.tensor([30.0, 40.0, 0.0])  # one joint 50 mm off, root untouched
    has_3d = torch.tensor([True])
    mse = pose3d_loss(pred, target, has_3d, kind="mse", scale_mm=10.0)
    assert mse.item() == pytest.approx((5.0**2) / 16)
    l1 = pose3d_loss(pred, target, has_3d, kind="l1", scale_mm=10.0)
    assert l1.item() == pytest.approx((3.0 + 4.0) / 16)


def test_pose3d_loss_is_translation_invariant():
    pred, target = _poses(), _poses() + 1.0
    shifted = pred + torch.tensor([100.0, -50.0, 3000.0])
    has = torch.ones(2, dtype=torch.bool)
    assert torch.allclose(pose3d_loss(pred, target, has), pose3d_loss(shifted, target, has))


def test_pose3d_loss_ignores_unlabelled_samples_even_with_nan_targets():
    pred = _poses().requires_grad_(True)
    target = _poses() * 0.5
    target[1] = float("nan")
    has_3d = torch.tensor([True, False])
    both = pose3d_loss(pred, target, has_3d)
    only_first = pose3d_loss(pred[:1], target[:1], has_3d[:1])
    assert torch.allclose(both, only_first)
    both.backward()
    assert torch.isfinite(pred.grad).all()
    assert torch.all(pred.grad[1] == 0)


def test_pose3d_loss_of_2d_only_batch_is_exactly_zero_and_differentiable():
    pred = _poses().requires_grad_(True)
    loss = pose3d_loss(pred, torch.full_like(pred, float("nan")), torch.zeros(2, dtype=torch.bool))
    assert loss.item() == 0.0
    loss.backward()
    assert torch.all(pred.grad == 0)


def test_confidence_masks_joints():
    pred, target = _poses(), _poses()
    confidence = torch.ones(2, 3, 16)
    confidence[..., 7] = 0
    corrupted = target.clone()
    corrupted[..., 7, :] += 1e4
    has = torch.ones(2, dtype=torch.bool)
    assert torch.allclose(
        pose3d_loss(pred, target, has, confidence), pose3d_loss(pred, corrupted, has, confidence)
    )
    pred2d, target2d = pred[..., :2], target[..., :2]
    corrupted2d = corrupted[..., :2]
    assert torch.allclose(
        projection_loss_2d(pred2d, target2d, confidence),
        projection_loss_2d(pred2d, corrupted2d, confidence),
    )


def test_projection_loss_hand_value():
    pred = torch.zeros(1, 1, 16, 2)
    target = torch.zeros(1, 1, 16, 2)
    target[0, 0, 2] = torch.tensor([0.3, 0.4])
    assert projection_loss_2d(pred, target, None).item() == pytest.approx(0.25 / 16)


def test_bone_length_loss_hand_value_and_rotation_invariance():
    rng = torch.Generator().manual_seed(1)
    target = torch.randn(2, 16, 2, generator=rng)
    angle = 0.7
    cos, sin = math.cos(angle), math.sin(angle)
    rotation = torch.tensor([[cos, -sin], [sin, cos]])
    rotated = bone_length_loss_2d(target @ rotation.T, target, None)
    assert rotated.item() == pytest.approx(0, abs=1e-10)
    parents = [p for p, _ in JOINTS16.bones]
    children = [c for _, c in JOINTS16.bones]
    expected = (target[:, children] - target[:, parents]).norm(dim=-1).pow(2).mean()
    doubled = bone_length_loss_2d(target * 2.0, target, None)  # every bone off by its length
    assert doubled.item() == pytest.approx(expected.item(), rel=1e-5)


def test_bone_length_loss_drops_bones_with_a_missing_joint():
    target = torch.randn(1, 16, 2, generator=torch.Generator().manual_seed(2))
    pred = target.clone()
    pred[0, 15] += 5.0  # RWrist: only bone RElbow->RWrist changes
    confidence = torch.ones(1, 16)
    assert bone_length_loss_2d(pred, target, confidence).item() > 0
    confidence[0, 15] = 0
    assert bone_length_loss_2d(pred, target, confidence).item() == pytest.approx(0, abs=1e-10)


def test_gaussian_belief_maps_peak_and_visibility():
    keypoints = torch.tensor([[[3.0, 5.0], [1.0, 1.0]]])
    maps = gaussian_belief_maps(keypoints, torch.tensor([[1.0, 0.0]]), 8, 6, sigma=1.0)
    assert maps.shape == (1, 2, 8, 6)
    assert maps[0, 0, 5, 3].item() == pytest.approx(1.0)
    assert maps[0, 0, 5, 4].item() == pytest.approx(math.exp(-0.5))
    assert torch.all(maps[0, 1] == 0)


def test_belief_map_loss_sums_stages_and_skips_invisible_joints():
    target = torch.zeros(1, 2, 4, 4)
    stage = torch.zeros(1, 2, 4, 4)
    stage[0, 0] = 1.0  # joint 0 off by 1 everywhere
    stage[0, 1] = 7.0  # joint 1 invisible
    visibility = torch.tensor([[1.0, 0.0]])
    assert belief_map_loss([stage], target, visibility).item() == pytest.approx(1.0)
    assert belief_map_loss([stage, stage, target], target, visibility).item() == pytest.approx(2.0)


def _tiny_machine():
    from posemachines.models import PoseMachine, get_config

    torch.manual_seed(0)
    config = get_config("lite", {"visibility_root_dim": 0, "embed_dim": 16, "lstm_hidden": 16,
                                 "lstm_layers": 1, "refiner_hidden": 16, "projector_hidden": 16,
                                 "refiner_residual": False, "dropout": 0.0})
    return PoseMachine(config)


def _batch(has_3d: list[bool]) -> dict[str, torch.Tensor]:
    generator = torch.Generator().manual_seed(3)
    size = len(has_3d)
    pose3d = torch.randn(size, 2, 16, 3, generator=generator) * 300
    pose3d[~torch.tensor(has_3d)] = float("nan")  # no label at all
    return {
        "pose2d": torch.randn(size, 2, 16, 2, generator=generator),
        "confidence": torch.ones(size, 2, 16),
        "pose3d": pose3d,
        "has_3d": torch.tensor(has_3d),
    }


def test_2d_only_batch_zeroes_3d_terms_and_still_trains_the_projector():
    model = _tiny_machine()
    batch = _batch([False, False, False])
    output = model(batch["pose2d"])
    terms = pose_machine_losses(output, batch, LossSection())
    assert terms["pose3d"].item() == 0.0 and terms["intermediate3d"].item() == 0.0
    assert terms["projection2d"].item() > 0
    terms["loss"].backward()
    projection = model.projector.projection
    refiner = model.projector.refiner
    assert all(p.grad is not None and p.grad.abs().sum() > 0 for p in projection.parameters())
    assert refiner.layers[0].weight.grad.abs().sum() > 0  # Psi_C learns through Psi_P
    assert all(torch.isfinite(p.grad).all() for p in model.parameters() if p.grad is not None)


def test_3d_term_of_a_mixed_batch_sees_only_labelled_samples():
    model = _tiny_machine().eval()
    batch = _batch([True, False, True])
    output = model(batch["pose2d"])
    mixed = pose_machine_losses(output, batch, LossSection())
    keep = torch.tensor([0, 2])
    labelled = {key: value[keep] for key, value in batch.items()}
    alone = pose_machine_losses(model(labelled["pose2d"]), labelled, LossSection())
    assert mixed["pose3d"].item() == pytest.approx(alone["pose3d"].item(), rel=1e-6)
    assert mixed["projection2d"].item() != pytest.approx(alone["projection2d"].item())


def test_loss_weights_combine_the_terms():
    model = _tiny_machine().eval()
    batch = _batch([True, True])
    weights = LossSection(pose3d=2.0, intermediate3d=0.0, projection2d=0.5, bone2d=0.0)
    terms = pose_machine_losses(model(batch["pose2d"]), batch, weights)
    expected = 2.0 * terms["pose3d"] + 0.5 * terms["projection2d"]
    assert terms["loss"].item() == pytest.approx(expected.item(), rel=1e-6)
