"""Per-sample pose normalisation with exact inverses, for numpy arrays and torch tensors alike.

As in the paper, poses are made root-relative (Hip, joint 0) and divided by a per-sample scale:
the mean distance of the (visible) joints from the root. `minmax_normalize` instead centres the
bounding box and divides by half its longest side, so every sample spans [-1, 1] on that axis
and keeps its aspect ratio. A sample whose scale is below `MIN_SCALE` (all joints at one point,
or no visible joint) gets scale 1: it stays finite (no NaN) and the inverse stays exact.

Each function dispatches on the input's type: torch tensors in, torch tensors out (same dtype
and device, differentiable); anything else is treated as a numpy array.
"""

from __future__ import annotations

import sys
from dataclasses import dataclass
from typing import Any

import numpy as np

from posemachines.arrays import is_torch
from posemachines.errors import PoseDataError
from posemachines.skeleton import ROOT

#: Scales below this (px or mm) count as degenerate and are replaced by 1.
MIN_SCALE = 1e-6

Array = Any  # np.ndarray or torch.Tensor


@dataclass(frozen=True)
class NormParams:
    """What a normalisation removed: root (..., D) and scale (...,), same kind as the poses."""

    root: Array
    scale: Array


def _as_float(x: Any, dims: int | None, name: str) -> Array:
    if is_torch(x):
        x = x if x.is_floating_point() else x.double()
    else:
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
    if x.ndim < 2 or (dims is not None and x.shape[-1] != dims):
        wanted = f"(..., J, {dims})" if dims is not None else "(..., J, D)"
        raise PoseDataError(f"{name} must have shape {wanted}, got {tuple(x.shape)}.")
    return x


def _norm(x: Array) -> Array:
    if is_torch(x):
        return sys.modules["torch"].linalg.vector_norm(x, dim=-1)
    return np.linalg.norm(x, axis=-1)


def _sum(x: Array, axis: int) -> Array:
    return x.sum(dim=axis) if is_torch(x) else x.sum(axis=axis)


def _extreme(x: Array, axis: int, largest: bool) -> Array:
    if is_torch(x):
        return x.amax(dim=axis) if largest else x.amin(dim=axis)
    return x.max(axis=axis) if largest else x.min(axis=axis)


def _safe_scale(scale: Array) -> Array:
    """Replace degenerate scales by 1 so division stays finite and invertible."""
    if is_torch(scale):
        torch = sys.modules["torch"]
        return torch.where(scale < MIN_SCALE, torch.ones_like(scale), scale)
    return np.where(scale < MIN_SCALE, 1.0, scale).astype(scale.dtype, copy=False)


def _apply(joints: Array, params: NormParams) -> Array:
    return (joints - params.root[..., None, :]) / params.scale[..., None, None]


def _invert(normalized: Array, params: NormParams) -> Array:
    return normalized * params.scale[..., None, None] + params.root[..., None, :]


def _root_scale(joints: Array, confidence: Array | None, root: int) -> NormParams:
    """Root position and mean distance of the (visible) joints from it."""
    origin = joints[..., root, :]
    distance = _norm(joints - origin[..., None, :])
    if confidence is None:
        scale = _sum(distance, -1) / joints.shape[-2]
    else:
        if tuple(np.shape(confidence)) != tuple(joints.shape[:-1]):
            raise PoseDataError(
                f"confidence must have shape {tuple(joints.shape[:-1])}, "
                f"got {tuple(confidence.shape)}."
            )
        if is_torch(joints):
            torch = sys.modules["torch"]
            visible = (torch.as_tensor(confidence, device=joints.device) > 0).to(joints.dtype)
        else:
            visible = (np.asarray(confidence) > 0).astype(joints.dtype)
        count = _sum(visible, -1)
        count = count.clamp(min=1) if is_torch(count) else np.maximum(count, 1)
        scale = _sum(distance * visible, -1) / count
    return NormParams(root=origin, scale=_safe_scale(scale))


def normalize_2d(
    xy_px: Array, confidence: Array | None = None, root: int = ROOT
) -> tuple[Array, NormParams]:
    """(..., J, 2) px -> root-centred poses divided by their scale, and the params removed.

    scale (...,) px: mean distance of the joints with confidence > 0 (all joints when
    confidence is None) from the root joint; root (..., 2) px is the root joint itself.
    """
    xy = _as_float(xy_px, 2, "xy_px")
    params = _root_scale(xy, confidence, root)
    return _apply(xy, params), params


def denormalize_2d(normalized: Array, params: NormParams) -> Array:
    """Exact inverse of `normalize_2d`: (..., J, 2) normalised -> px."""
    return _invert(_as_float(normalized, 2, "normalized"), params)


def normalize_3d(
    joints_mm: Array, scale: Array | float | None = None, root: int = ROOT
) -> tuple[Array, NormParams]:
    """(..., J, 3) mm -> root-relative poses divided by a scale, and the params removed.

    scale: the per-sample scale (...,) mm (or one number for all) to divide by; None uses each
    pose's mean joint distance from the root. root (..., 3) mm is the root joint.
    """
    joints = _as_float(joints_mm, 3, "joints_mm")
    params = _root_scale(joints, None, root)
    if scale is not None:
        params = NormParams(params.root, _scale_like(scale, params.scale))
    return _apply(joints, params), params


def _scale_like(scale: Array | float, ref: Array) -> Array:
    if is_torch(ref):
        torch = sys.modules["torch"]
        value = torch.as_tensor(scale, dtype=ref.dtype, device=ref.device)
        return _safe_scale(value.expand(ref.shape))
    value = np.broadcast_to(np.asarray(scale, dtype=ref.dtype), ref.shape)
    return _safe_scale(value)


def denormalize_3d(normalized: Array, params: NormParams) -> Array:
    """Exact inverse of `normalize_3d`: (..., J, 3) normalised -> mm."""
    return _invert(_as_float(normalized, 3, "normalized"), params)


def minmax_normalize(joints: Array) -> tuple[Array, NormParams]:
    """(..., J, D) -> per-sample [-1, 1]: bounding-box centre removed, divided by half its
    longest side (aspect ratio kept). params.root (..., D) is the box centre."""
    joints = _as_float(joints, None, "joints")
    low, high = _extreme(joints, -2, False), _extreme(joints, -2, True)
    centre = (low + high) / 2
    half_side = _extreme(high - low, -1, True) / 2
    params = NormParams(root=centre, scale=_safe_scale(half_side))
    return _apply(joints, params), params


def minmax_denormalize(normalized: Array, params: NormParams) -> Array:
    """Exact inverse of `minmax_normalize`: (..., J, D) in [-1, 1] -> original units."""
    return _invert(_as_float(normalized, None, "normalized"), params)
