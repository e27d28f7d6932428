"""Least-squares alignment of a predicted pose onto the ground truth, batched, NumPy or torch.

`similarity_transform` is Umeyama's closed form (1991): it finds the scale s > 0, proper
rotation R (det +1, reflections excluded by the sign fix on the last singular vector) and
translation t that minimise sum_j w_j |gt_j - (s R pred_j + t)|^2 for every pose of a batch.
`scale_align` keeps only the scale (Rhodin et al. 2018, VideoPose3D's `n_mpjpe`).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch

from posemachines.arrays import is_torch
from posemachines.evaluation.metric_arrays import (
    TINY,
    Array,
    as_weights,
    at_least,
    ones_like,
    total,
)


@dataclass(frozen=True)
class SimilarityTransform:
    """`aligned = scale * pred @ rotation^T + translation` for every pose of a batch.

    rotation: (..., 3, 3) proper rotation acting on column vectors; scale: (...,) unitless;
    translation: (..., 3) in the poses' unit (mm).
    """

    rotation: Array
    scale: Array
    translation: Array

    def apply(self, joints: Array) -> Array:
        """Transform `(..., J, 3)` joints."""
        rotated = joints @ self.rotation.mT
        return self.scale[..., None, None] * rotated + self.translation[..., None, :]


def _normalised_weights(joints: Array, weights: Array | None) -> Array:
    """(..., J, 1) weights that sum to 1 over the joints (uniform when `weights` is None)."""
    if weights is None:
        weights = ones_like(joints[..., :1])
    else:
        weights = as_weights(weights[..., None], joints)
    return weights / at_least(total(weights, -2, keepdims=True), TINY)


def similarity_transform(
    pred: Array, gt: Array, weights: Array | None = None, with_scale: bool = True
) -> SimilarityTransform:
    """Best similarity (or rigid, `with_scale=False`) transform taking pred onto gt.

    pred, gt: (..., J, 3) mm; weights: (..., J) >= 0, zero for joints to ignore (their
    coordinates must be finite). Torch input is differentiable except where singular values
    coincide (a degenerate, e.g. collinear, pose).
    """
    w = _normalised_weights(pred, weights)
    pred_mean = total(w * pred, -2, keepdims=True)
    gt_mean = total(w * gt, -2, keepdims=True)
    pred_c, gt_c = pred - pred_mean, gt - gt_mean
    covariance = (w * gt_c).mT @ pred_c  # (..., 3, 3): sum_j w_j gt_j pred_j^T
    u: Array
    vt: Array
    singular: Array
    sign: Array
    fix: Array
    if is_torch(pred):
        u, singular, vt = torch.linalg.svd(covariance)
        sign = torch.sign(torch.linalg.det(u @ vt))
        sign = torch.where(sign == 0, torch.ones_like(sign), sign)
        fix = torch.cat([torch.ones_like(singular[..., :2]), sign[..., None]], dim=-1)
    else:
        u, singular, vt = np.linalg.svd(covariance)
        sign = np.sign(np.linalg.det(u @ vt))
        sign = np.where(sign == 0, 1.0, sign)
        fix = np.concatenate([np.ones_like(singular[..., :2]), sign[..., None]], axis=-1)
    rotation = (u * fix[..., None, :]) @ vt
    if with_scale:
        pred_variance = total(w[..., 0] * total(pred_c**2, -1), -1)
        scale = total(singular * fix, -1) / at_least(pred_variance, TINY)
    else:
        scale = ones_like(singular[..., 0])
    translation = (gt_mean - scale[..., None, None] * (pred_mean @ rotation.mT))[..., 0, :]
    return SimilarityTransform(rotation=rotation, scale=scale, translation=translation)


def procrustes_align(
    pred: Array, gt: Array, weights: Array | None = None, with_scale: bool = True
) -> Array:
    """pred `(..., J, 3)` mm moved onto gt by its best similarity (or rigid) transform."""
    return similarity_transform(pred, gt, weights, with_scale).apply(pred)


def optimal_scale(pred: Array, gt: Array, weights: Array | None = None) -> Array:
    """(...,) scale s minimising sum_j w_j |gt_j - s pred_j|^2 (no rotation or translation)."""
    w = _normalised_weights(pred, weights)[..., 0]
    cross = total(w * total(pred * gt, -1), -1)
    power = total(w * total(pred * pred, -1), -1)
    return cross / at_least(power, TINY)


def scale_align(pred: Array, gt: Array, weights: Array | None = None) -> Array:
    """pred `(..., J, 3)` mm times its best scale onto gt (root-relative inputs assumed)."""
    return optimal_scale(pred, gt, weights)[..., None, None] * pred
