"""Helpers for code that takes numpy arrays or torch tensors alike (the bottom layer).

Torch is looked up in `sys.modules` instead of imported, so that numpy-only callers (camera
geometry, the writers) never pay for importing it: a tensor can only exist once torch is loaded.
"""

from __future__ import annotations

import sys
from typing import Any

import numpy as np

from posemachines.errors import PoseDataError


def is_torch(x: Any) -> bool:
    """True when `x` is a torch tensor."""
    torch = sys.modules.get("torch")
    return torch is not None and isinstance(x, torch.Tensor)


def float_points(x: Any, last_dim: int, name: str) -> Any:
    """`x` as a float array (numpy unless it is a torch tensor) whose last axis is `last_dim`;
    PoseDataError naming `name` otherwise."""
    if not is_torch(x):
        x = np.asarray(x)
        if not np.issubdtype(x.dtype, np.floating):
            x = x.astype(np.float64)
    if x.ndim == 0 or x.shape[-1] != last_dim:
        raise PoseDataError(f"{name} must have shape (..., {last_dim}), got {tuple(x.shape)}.")
    return x


def like(value: Any, ref: Any) -> Any:
    """`value` converted to the kind, dtype and device of the array `ref`."""
    if is_torch(ref):
        if is_torch(value):
            return value.to(dtype=ref.dtype, device=ref.device)
        torch = sys.modules["torch"]
        # np.array copies: torch refuses to wrap read-only arrays (e.g. those a Camera holds).
        return torch.as_tensor(np.array(value), dtype=ref.dtype, device=ref.device)
    return np.asarray(value, dtype=ref.dtype)


def concat_last(parts: list[Any]) -> Any:
    """Concatenate arrays of one kind along the last axis."""
    if is_torch(parts[0]):
        return sys.modules["torch"].cat(parts, dim=-1)
    return np.concatenate(parts, axis=-1)


def root_relative(joints: Any, root: int = 0) -> Any:
    """(..., J, D) joints minus the `root` joint: (..., J, D), same unit and kind, root at the
    origin (integer numpy input becomes float64); PoseDataError for fewer than 2 axes."""
    if not is_torch(joints):
        joints = np.asarray(joints)
        if not np.issubdtype(joints.dtype, np.floating):
            joints = joints.astype(np.float64)
    if joints.ndim < 2:
        raise PoseDataError(f"joints must have shape (..., J, D), got {tuple(joints.shape)}.")
    return joints - joints[..., root : root + 1, :]


def true_runs(mask: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Starts and stops (exclusive) of the runs of True in a (T,) boolean mask."""
    padded = np.concatenate([[False], np.asarray(mask, dtype=bool), [False]])
    edges = np.flatnonzero(np.diff(padded.astype(np.int8)))
    return edges[0::2], edges[1::2]
