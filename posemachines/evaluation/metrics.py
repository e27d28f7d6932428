"""3D pose metrics on NumPy arrays or torch tensors (the answer comes back in the same kind).

Every metric takes prediction and ground truth of the same shape `(..., J, 3)` in millimetres
and an optional `visibility (..., J)` (> 0 marks a joint that counts; missing joints may hold
NaN). `reduction='none'` gives one value per pose (per frame step for MPJVE, per bone for
bone-length error); `reduction='mean'` gives one number, a float for NumPy and a 0-d tensor
for torch, averaged over every visible joint (so poses with more visible joints weigh more).
A pose with no visible joint gives NaN under `'none'`. MPJPE, N-MPJPE and PA-MPJPE are
differentiable in torch (PA-MPJPE except for degenerate poses, see `procrustes`).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

import numpy as np
import torch

from posemachines.arrays import is_torch, root_relative
from posemachines.errors import PoseDataError
from posemachines.evaluation.metric_arrays import (
    TINY,
    Array,
    Reduction,
    at_least,
    check_poses,
    check_reduction,
    masked_mean,
    norm,
    reduce,
    where,
)
from posemachines.evaluation.procrustes import procrustes_align, scale_align
from posemachines.skeleton import JOINTS16, ROOT, Skeleton

#: MPI-INF-3DHP's PCK threshold (Mehta et al. 2017), mm.
PCK_THRESHOLD_MM = 150.0
#: MPI-INF-3DHP's AUC thresholds: 0, 5, ..., 150 mm (`mpii_compute_3d_pck.m`, 31 values).
AUC_THRESHOLDS_MM: tuple[float, ...] = tuple(float(t) for t in range(0, 151, 5))


def _root_align(pred: Array, gt: Array, mask: Array | None, root: int) -> tuple[Array, Array]:
    if mask is not None and not is_torch(mask) and not mask[..., root].all():
        raise PoseDataError("Root alignment needs the root joint visible in every pose.")
    return root_relative(pred, root), root_relative(gt, root)


def _mean_over_joints(errors: Array, mask: Array | None, reduction: Reduction) -> Array | float:
    """(..., J) per-joint values: their (masked) mean per pose for 'none', else one number."""
    if reduction == "none":
        return masked_mean(errors, mask, axis=-1)
    return reduce(errors, mask, "mean")


def _position_error(
    pred: Array, gt: Array, mask: Array | None, reduction: Reduction
) -> Array | float:
    """MPJPE of already checked poses: (...,) per pose for 'none', else one number."""
    return _mean_over_joints(norm(pred - gt), mask, reduction)


def mpjpe(
    pred: Array,
    gt: Array,
    visibility: Array | None = None,
    *,
    root_align: bool = False,
    root: int = ROOT,
    reduction: Reduction = "mean",
) -> Array | float:
    """Mean per-joint position error, mm (Human3.6M protocol #1).

    Compares the poses as given (protocol #1 uses root-relative poses); `root_align=True`
    first subtracts joint `root` from both. 'none' -> (...,) one error per pose.
    """
    check_reduction(reduction)
    pred, gt, mask = check_poses(pred, gt, visibility)
    if root_align:
        pred, gt = _root_align(pred, gt, mask, root)
    return _position_error(pred, gt, mask, reduction)


def n_mpjpe(
    pred: Array,
    gt: Array,
    visibility: Array | None = None,
    *,
    root_align: bool = False,
    root: int = ROOT,
    reduction: Reduction = "mean",
) -> Array | float:
    """MPJPE after scaling each predicted pose by its least-squares optimal scale, mm.

    As Rhodin et al. 2018 and VideoPose3D's `n_mpjpe`: the scale is fitted per pose about the
    origin, so inputs must be root-relative (or pass `root_align=True`). 'none' -> (...,).
    """
    check_reduction(reduction)
    pred, gt, mask = check_poses(pred, gt, visibility)
    if root_align:
        pred, gt = _root_align(pred, gt, mask, root)
    return _position_error(scale_align(pred, gt, mask), gt, mask, reduction)


def pa_mpjpe(
    pred: Array,
    gt: Array,
    visibility: Array | None = None,
    *,
    reduction: Reduction = "mean",
) -> Array | float:
    """MPJPE after Procrustes alignment (rotation, translation, scale) of each pose, mm.

    Human3.6M protocol #2. Reflections are not allowed (det R = +1). 'none' -> (...,).
    """
    check_reduction(reduction)
    pred, gt, mask = check_poses(pred, gt, visibility)
    return _position_error(procrustes_align(pred, gt, mask), gt, mask, reduction)


def mpjve(
    pred: Array,
    gt: Array,
    visibility: Array | None = None,
    *,
    fps: float | None = None,
    reduction: Reduction = "mean",
) -> Array | float:
    """Mean per-joint velocity error over time (VideoPose3D's `mean_velocity_error`).

    pred, gt: (..., T, J, 3) mm with time on axis -3, T >= 2. Velocities are first differences
    between consecutive frames: mm/frame, or mm/s when `fps` is given. A velocity counts when
    its joint is visible in both frames. 'none' -> (..., T-1), one value per frame step.
    """
    check_reduction(reduction)
    pred, gt, mask = check_poses(pred, gt, visibility, min_ndim=3)
    if pred.shape[-3] < 2:
        raise PoseDataError(f"MPJVE needs at least 2 frames on axis -3, got {pred.shape[-3]}.")
    errors = norm(_frame_difference(pred) - _frame_difference(gt))
    if fps is not None:
        errors = errors * float(fps)
    step_mask = None if mask is None else mask[..., 1:, :] & mask[..., :-1, :]
    return _mean_over_joints(errors, step_mask, reduction)


def pck(
    pred: Array,
    gt: Array,
    visibility: Array | None = None,
    *,
    threshold_mm: float = PCK_THRESHOLD_MM,
    root_align: bool = False,
    root: int = ROOT,
    reduction: Reduction = "mean",
) -> Array | float:
    """Percentage (0-100) of joints whose error is strictly below `threshold_mm`.

    Strictly below, as MPI-INF-3DHP's `mpii_compute_3d_pck.m` counts. 'none' -> (...,).
    """
    check_reduction(reduction)
    pred, gt, mask = check_poses(pred, gt, visibility)
    if root_align:
        pred, gt = _root_align(pred, gt, mask, root)
    return _pck_from_errors(norm(pred - gt), mask, threshold_mm, reduction)


def auc(
    pred: Array,
    gt: Array,
    visibility: Array | None = None,
    *,
    thresholds_mm: Sequence[float] = AUC_THRESHOLDS_MM,
    root_align: bool = False,
    root: int = ROOT,
    reduction: Reduction = "mean",
) -> Array | float:
    """Area under the PCK curve, percent (0-100): the mean PCK over `thresholds_mm`.

    MPI-INF-3DHP's definition (0:5:150 mm). Because PCK counts errors strictly below each
    threshold, the 0 mm threshold never counts, so a perfect prediction scores 30/31 = 96.77 %,
    exactly as the official evaluation code gives. 'none' -> (...,).
    """
    check_reduction(reduction)
    if len(thresholds_mm) == 0:
        raise ValueError("AUC needs at least one threshold.")
    pred, gt, mask = check_poses(pred, gt, visibility)
    if root_align:
        pred, gt = _root_align(pred, gt, mask, root)
    errors = norm(pred - gt)
    curve = [_pck_from_errors(errors, mask, t, reduction) for t in thresholds_mm]
    if reduction == "mean" and not is_torch(errors):
        return float(np.mean(curve))
    stack: Any = torch.stack if is_torch(errors) else np.stack
    return stack(curve).mean(0)


def bone_length_error(
    pred: Array,
    gt: Array,
    skeleton: Skeleton = JOINTS16,
    visibility: Array | None = None,
    *,
    relative: bool = True,
    reduction: str = "mean",
) -> Array | float:
    """Absolute error of every bone's length: relative (|L_pred - L_gt| / L_gt) or in mm.

    pred, gt: (..., J, 3) mm with J = skeleton.num_joints. A bone counts when both its joints
    are visible. 'none' -> (..., B) per pose and bone (NaN where not visible); 'bone' -> (B,)
    mean per bone, in `skeleton.bones` order; 'mean' -> one number over all bones and poses.
    """
    if reduction not in ("mean", "none", "bone"):
        raise ValueError(f"reduction must be 'mean', 'none' or 'bone', got '{reduction}'.")
    pred, gt, mask = check_poses(pred, gt, visibility)
    if pred.shape[-2] != skeleton.num_joints:
        raise PoseDataError(f"The skeleton has {skeleton.num_joints} joints but the poses have "
                            f"{pred.shape[-2]}.")
    parents = [p for p, _ in skeleton.bones]
    children = [c for _, c in skeleton.bones]
    pred_lengths = norm(pred[..., children, :] - pred[..., parents, :])
    gt_lengths = norm(gt[..., children, :] - gt[..., parents, :])
    bone_mask = None if mask is None else mask[..., children] & mask[..., parents]
    errors = abs(pred_lengths - gt_lengths)
    if relative:
        _check_bone_lengths(gt_lengths, bone_mask)
        errors = errors / at_least(gt_lengths, TINY)
    if reduction == "none":
        return errors if bone_mask is None else where(bone_mask, errors, float("nan"))
    if reduction == "bone":
        flat = errors.reshape(-1, errors.shape[-1])
        flat_mask = None if bone_mask is None else bone_mask.reshape(-1, errors.shape[-1])
        return masked_mean(flat, flat_mask, axis=0)
    return reduce(errors, bone_mask, "mean")


def _check_bone_lengths(gt_lengths: Array, bone_mask: Array | None) -> None:
    if is_torch(gt_lengths):
        return
    counted = gt_lengths if bone_mask is None else gt_lengths[bone_mask]
    if (counted <= TINY).any():
        raise PoseDataError("A ground-truth bone has zero length, so its relative error is "
                            "undefined; use relative=False or mark a joint invisible.")


def _pck_from_errors(
    errors: Array, mask: Array | None, threshold_mm: float, reduction: Reduction
) -> Array | float:
    hits = errors < threshold_mm
    hits = hits.to(errors.dtype) if is_torch(hits) else hits.astype(errors.dtype)
    return 100.0 * _mean_over_joints(hits, mask, reduction)


def _frame_difference(joints: Array) -> Array:
    return joints[..., 1:, :, :] - joints[..., :-1, :, :]

