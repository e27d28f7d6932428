"""NumPy/torch dispatch, input checks and masked means shared by the evaluation metrics.

Each metric takes either NumPy arrays or torch tensors (never a mix) and answers in the same
kind. Array-API wrappers (array-api-compat) would cover the dispatch, but the handful of calls
needed here do not justify a new dependency.
"""

from __future__ import annotations

from typing import Any, Literal, TypeAlias

import numpy as np
import torch

from posemachines.arrays import is_torch
from posemachines.errors import PoseDataError

#: A numpy array or a torch tensor (Any: mypy cannot follow the `is_torch` dispatch).
Array: TypeAlias = Any
Reduction: TypeAlias = Literal["mean", "none"]

#: Below this, a denominator counts as zero (avoids 0/0 and infinite gradients).
TINY = 1e-12
#: A ground-truth pose whose joints all lie within this many units of their centroid is taken
#: to be in metres (no person spans less than 10 mm).
METRES_SUSPECT_EXTENT = 10.0


def norm(x: Array) -> Array:
    """Euclidean norm over the last axis (torch: zero gradient at zero, not NaN)."""
    if is_torch(x):
        return torch.linalg.vector_norm(x, dim=-1)
    return np.linalg.norm(x, axis=-1)


def total(x: Array, axis: int | tuple[int, ...] | None = None, keepdims: bool = False) -> Array:
    if is_torch(x):
        if axis is None:
            return x.sum()
        return x.sum(dim=axis, keepdim=keepdims)
    return x.sum(axis=axis, keepdims=keepdims)


def where(condition: Array, a: Array, b: Array | float) -> Array:
    if is_torch(a):
        return torch.where(condition, a, torch.as_tensor(b, dtype=a.dtype, device=a.device))
    return np.where(condition, a, b)


def ones_like(x: Array) -> Array:
    return torch.ones_like(x) if is_torch(x) else np.ones_like(x)


def at_least(x: Array, floor: float) -> Array:
    return torch.clamp(x, min=floor) if is_torch(x) else np.maximum(x, floor)


def as_weights(mask: Array, like: Array) -> Array:
    """A boolean mask (or any weights) in `like`'s floating dtype (and device)."""
    return mask.to(like.dtype) if is_torch(mask) else mask.astype(like.dtype)


def to_float(x: Array) -> Array:
    """Integer or boolean input as floating point (float64 for NumPy); floats unchanged."""
    if is_torch(x):
        return x if x.is_floating_point() else x.to(torch.get_default_dtype())
    return x if np.issubdtype(x.dtype, np.floating) else x.astype(np.float64)


def masked_mean(values: Array, mask: Array | None, axis: int | None = None) -> Array:
    """Mean of `values` over `axis` (all axes when None), counting only entries where `mask`.

    Entries outside the mask may hold anything (NaN included); a mean over no entries is NaN.
    """
    if mask is None:
        return values.mean() if axis is None else values.mean(axis)
    weights = as_weights(mask, values)
    kept = where(mask, values, 0.0)
    if is_torch(values):
        return total(kept * weights, axis) / total(weights, axis)
    with np.errstate(invalid="ignore", divide="ignore"):
        return total(kept * weights, axis) / total(weights, axis)


def reduce(values: Array, mask: Array | None, reduction: Reduction) -> Array | float:
    """`'none'`: `values` as they are; `'mean'`: masked mean over everything (float for NumPy)."""
    check_reduction(reduction)
    if reduction == "none":
        return values
    mean = masked_mean(values, mask)
    return mean if is_torch(mean) else float(mean)


def check_reduction(reduction: str) -> None:
    if reduction not in ("mean", "none"):
        raise ValueError(f"reduction must be 'mean' or 'none', got '{reduction}'.")


def check_poses(
    pred: Array, gt: Array, visibility: Array | None = None, min_ndim: int = 2
) -> tuple[Array, Array, Array | None]:
    """Validate a (prediction, ground truth, visibility) triple of `(..., J, 3)` mm poses.

    Returns both poses as floating point and the visibility as a boolean mask `(..., J)`
    (None when every joint counts). Joints outside the mask are zeroed, so NaN there is allowed.
    NumPy input must be finite on visible joints and must not look like metres; torch input is
    not checked for values (that would synchronise the device on every training step).
    """
    if is_torch(pred) != is_torch(gt) or (visibility is not None
                                          and is_torch(visibility) != is_torch(pred)):
        raise PoseDataError("Prediction, ground truth and visibility must all be NumPy arrays "
                            "or all torch tensors, not a mix.")
    if not is_torch(pred):
        pred, gt = np.asarray(pred), np.asarray(gt)
    if pred.shape != gt.shape:
        raise PoseDataError(f"Prediction {tuple(pred.shape)} and ground truth "
                            f"{tuple(gt.shape)} must have the same shape.")
    if pred.ndim < min_ndim or pred.shape[-1] != 3:
        raise PoseDataError(f"Poses must be (..., J, 3) with at least {min_ndim} axes, "
                            f"got {tuple(pred.shape)}.")
    pred, gt = to_float(pred), to_float(gt)
    mask = None
    if visibility is not None:
        if tuple(visibility.shape) != tuple(pred.shape[:-1]):
            raise PoseDataError(f"Visibility must be {tuple(pred.shape[:-1])} to match the "
                                f"poses, got {tuple(visibility.shape)}.")
        mask = visibility > 0
        pred = where(mask[..., None], pred, 0.0)
        gt = where(mask[..., None], gt, 0.0)
    if not is_torch(pred):
        _check_values(pred, gt, mask)
    return pred, gt, mask


def _check_values(pred: np.ndarray, gt: np.ndarray, mask: np.ndarray | None) -> None:
    if not (np.isfinite(pred).all() and np.isfinite(gt).all()):
        raise PoseDataError("Poses contain NaN or infinite coordinates on visible joints; "
                            "mark missing joints with visibility 0 instead.")
    weights = np.ones(gt.shape[:-1]) if mask is None else mask.astype(np.float64)
    counts = weights.sum(axis=-1, keepdims=True)[..., None]
    with np.errstate(invalid="ignore", divide="ignore"):
        centroid = (gt * weights[..., None]).sum(axis=-2, keepdims=True) / counts
    spread = np.where(weights > 0, np.linalg.norm(gt - centroid, axis=-1), 0.0)
    extent = float(spread.max()) if spread.size else 0.0
    if 0.0 < extent < METRES_SUSPECT_EXTENT:
        raise PoseDataError(f"Ground-truth joints lie within {extent:.3g} of their centroid, "
                            "which looks like metres; metrics expect millimetres.")
