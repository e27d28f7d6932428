"""Loss terms of the 3D Pose Machine and their masking rules.

Shapes: 3D poses (B, T, 16, 3) mm, camera frame; 2D poses (B, T, 16, 2) in the model's
normalised units; confidence (B, T, 16) in [0, 1] (0 = joint missing, contributes nothing);
has_3d (B,) bool (False = 2D-only sample: only the 2D terms see it, as in the paper's
self-supervised use of 2D-only data). Every term is a weighted mean over the joints that count
and is exactly 0 (still attached to the graph) when nothing counts, so a 2D-only batch yields
a zero 3D term and NaN placeholders in missing labels never leak into values or gradients.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import torch
from torch import Tensor

from posemachines.arrays import root_relative
from posemachines.skeleton import JOINTS16
from posemachines.training.config import LossSection

_BONES = JOINTS16.bones
_PARENTS = [p for p, _ in _BONES]
_CHILDREN = [c for _, c in _BONES]


def weighted_mean(values: Tensor, weights: Tensor) -> Tensor:
    """sum(w * v) / sum(w) over all elements; exactly 0 (with graph) when every weight is 0."""
    weights = weights.to(values.dtype)
    total = weights.sum()
    masked = torch.where(weights > 0, values * weights, torch.zeros_like(values))
    return masked.sum() / total.clamp_min(torch.finfo(values.dtype).tiny)


def pose3d_loss(
    pred_mm: Tensor,
    target_mm: Tensor,
    has_3d: Tensor,
    confidence: Tensor | None = None,
    kind: str = "mse",
    scale_mm: float = 1000.0,
) -> Tensor:
    """Root-relative 3D error of (B, T, 16, 3) mm poses, in units of `scale_mm`.

    kind "mse": mean squared joint distance; "l1": mean of |dx|+|dy|+|dz|. Only samples with
    has_3d and joints with confidence > 0 count.
    """
    target = torch.nan_to_num(target_mm.to(pred_mm.dtype))
    diff = (root_relative(pred_mm) - root_relative(target)) / scale_mm
    per_joint = diff.pow(2).sum(-1) if kind == "mse" else diff.abs().sum(-1)
    weights = has_3d.to(pred_mm.dtype).view(-1, *([1] * (per_joint.dim() - 1)))
    weights = weights.expand_as(per_joint)
    if confidence is not None:
        weights = weights * torch.nan_to_num(confidence.to(pred_mm.dtype))
    return weighted_mean(per_joint, weights)


def projection_loss_2d(pred_2d: Tensor, target_2d: Tensor, confidence: Tensor | None) -> Tensor:
    """‖p2d − ΨP(ΨC(p3d))‖²: mean squared 2D joint distance, no 3D label needed."""
    diff = pred_2d - torch.nan_to_num(target_2d.to(pred_2d.dtype))
    per_joint = diff.pow(2).sum(-1)
    weights = _joint_weights(per_joint, confidence)
    return weighted_mean(per_joint, weights)


def bone_length_loss_2d(pred_2d: Tensor, target_2d: Tensor, confidence: Tensor | None) -> Tensor:
    """Mean squared difference of the 15 bone lengths of two (…, 16, 2) 2D poses.

    A bone counts with the smaller confidence of its two joints.
    """
    target = torch.nan_to_num(target_2d.to(pred_2d.dtype))
    pred_len = _bone_lengths(pred_2d)
    target_len = _bone_lengths(target)
    per_bone = (pred_len - target_len).pow(2)
    joint_weights = _joint_weights(pred_2d[..., 0], confidence)
    weights = torch.minimum(joint_weights[..., _PARENTS], joint_weights[..., _CHILDREN])
    return weighted_mean(per_bone, weights)


def belief_map_loss(beliefs: Sequence[Tensor], target: Tensor, visibility: Tensor) -> Tensor:
    """Intermediate supervision of the CPM: sum over stages of the per-map mean squared error.

    beliefs: one (B, J, H, W) map stack per stage; target (B, J, H, W) Gaussian belief maps;
    visibility (B, J): 0 for unlabelled joints (their maps are ignored).
    """
    if not beliefs:
        raise ValueError("belief_map_loss needs at least one stage of belief maps")
    total = beliefs[0].new_zeros(())
    for stage in beliefs:
        stage_target = target.to(stage.dtype)
        if stage_target.shape[-2:] != stage.shape[-2:]:
            raise ValueError(
                f"belief maps are {tuple(stage.shape[-2:])} but targets {tuple(target.shape[-2:])}"
            )
        per_map = (stage - stage_target).pow(2).mean(dim=(-2, -1))
        total = total + weighted_mean(per_map, visibility.to(stage.dtype))
    return total


def gaussian_belief_maps(
    keypoints: Tensor, visibility: Tensor, height: int, width: int, sigma: float
) -> Tensor:
    """Target belief maps: (B, J, H, W), a unit-peak Gaussian at each visible joint.

    keypoints (B, J, 2) in belief-map pixels (x, y); visibility (B, J); sigma in map pixels.
    Invisible joints get an all-zero map.
    """
    ys = torch.arange(height, dtype=keypoints.dtype, device=keypoints.device).view(1, 1, -1, 1)
    xs = torch.arange(width, dtype=keypoints.dtype, device=keypoints.device).view(1, 1, 1, -1)
    x0 = torch.nan_to_num(keypoints[..., 0])[..., None, None]
    y0 = torch.nan_to_num(keypoints[..., 1])[..., None, None]
    maps = torch.exp(-((xs - x0) ** 2 + (ys - y0) ** 2) / (2.0 * sigma**2))
    return maps * (visibility > 0).to(maps.dtype)[..., None, None]


def pose_machine_losses(
    output: Any, batch: Mapping[str, Tensor], loss: LossSection
) -> dict[str, Tensor]:
    """The paper's terms for one `PoseOutput` and its batch, plus their weighted sum 'loss'.

    batch: pose2d (B, T, 16, 2) normalised 2D target (the unmasked input), confidence
    (B, T, 16), pose3d (B, T, 16, 3) mm (anything, e.g. NaN, where has_3d is False), has_3d (B,),
    optional confidence3d (B, T, 16) for 3D joints without a label (default: all labelled).
    Terms: pose3d (Psi_C output vs 3D label), intermediate3d (transformer output vs 3D label),
    projection2d (Psi_P(Psi_C(.)) vs the input 2D, needs no 3D label), bone2d (bone lengths of
    that projection vs the input's).
    """
    confidence = batch["confidence"]
    confidence3d = batch.get("confidence3d")
    target2d = batch["pose2d"]
    terms = {
        "pose3d": pose3d_loss(
            output.pose3d_mm, batch["pose3d"], batch["has_3d"], confidence3d,
            loss.pose3d_kind, loss.scale_mm,
        ),
        "intermediate3d": pose3d_loss(
            output.intermediate3d_mm, batch["pose3d"], batch["has_3d"], confidence3d,
            loss.pose3d_kind, loss.scale_mm,
        ),
        "projection2d": projection_loss_2d(output.projection2d_norm, target2d, confidence),
        "bone2d": bone_length_loss_2d(output.projection2d_norm, target2d, confidence),
    }
    weights = {
        "pose3d": loss.pose3d, "intermediate3d": loss.intermediate3d,
        "projection2d": loss.projection2d, "bone2d": loss.bone2d,
    }
    total = output.pose3d_mm.new_zeros((), dtype=torch.float32)
    for name, weight in weights.items():
        if weight:
            total = total + weight * terms[name].float()
    terms["loss"] = total
    return terms


def _bone_lengths(pose: Tensor) -> Tensor:
    vectors = pose[..., _CHILDREN, :] - pose[..., _PARENTS, :]
    # sqrt has an infinite gradient at 0; a tiny epsilon keeps collapsed bones differentiable.
    return (vectors.pow(2).sum(-1) + 1e-12).sqrt()


def _joint_weights(like: Tensor, confidence: Tensor | None) -> Tensor:
    if confidence is None:
        return torch.ones_like(like)
    return torch.nan_to_num(confidence.to(like.dtype)).expand_as(like)
