"""Where is the person? The camera-frame root translation that projects a root-relative 3D pose
onto detected 2D joints through a pinhole camera, batched over frames (torch or numpy).

For u = fx (X + tx) / (Z + tz) + cx (and likewise v), multiplying out the depth gives equations
linear in t: fx tx - (u - cx) tz = (u - cx) Z - fx X. Their confidence-weighted least-squares
solution (the standard closed form, as in Pavllo et al.'s and many "root from 2D" solvers) is
refined by a few damped Gauss-Newton steps on the true pixel error.
"""

from __future__ import annotations

from typing import Any

import numpy as np
import torch

from posemachines.errors import PoseInputError

#: Depths (mm) below this count as "at the camera" and are clamped in the pixel residuals.
MIN_DEPTH_MM = 1.0
#: A frame needs this many joints with weight > 0 to fix its 3 translation unknowns.
MIN_VISIBLE_JOINTS = 2


def project(points_mm: torch.Tensor, f_px: torch.Tensor, c_px: torch.Tensor) -> torch.Tensor:
    """Camera-frame points (..., 3) mm -> pixels (..., 2) through a pinhole; depth clamped."""
    depth = points_mm[..., 2:3].clamp_min(MIN_DEPTH_MM)
    return points_mm[..., :2] / depth * f_px + c_px


def weighted_pixel_error(
    points_mm: torch.Tensor, keypoints_px: torch.Tensor, weights: torch.Tensor,
    f_px: torch.Tensor, c_px: torch.Tensor,
) -> torch.Tensor:
    """Weighted mean pixel distance per frame: (T, J, 3) mm, (T, J, 2) px, (T, J) -> (T,) px.

    NaN where a frame has no joint with weight > 0.
    """
    distance = (project(points_mm, f_px, c_px) - keypoints_px).norm(dim=-1)
    total = weights.sum(-1)
    error = (distance * weights).sum(-1) / total.clamp_min(1e-12)
    return torch.where(total > 0, error, torch.full_like(error, float("nan")))


def _linear_solution(
    pose: torch.Tensor, uv: torch.Tensor, weights: torch.Tensor, f: torch.Tensor
) -> torch.Tensor:
    """Weighted algebraic least squares for t: (T, J, 3), centred px (T, J, 2), (T, J) -> (T, 3)."""
    zeros = torch.zeros_like(uv[..., 0])
    fx, fy = f[..., 0].expand_as(zeros), f[..., 1].expand_as(zeros)
    rows_x = torch.stack([fx, zeros, -uv[..., 0]], dim=-1)
    rows_y = torch.stack([zeros, fy, -uv[..., 1]], dim=-1)
    design = torch.cat([rows_x, rows_y], dim=-2)  # (T, 2J, 3)
    rhs = torch.cat([uv[..., 0] * pose[..., 2] - fx * pose[..., 0],
                     uv[..., 1] * pose[..., 2] - fy * pose[..., 1]], dim=-1)
    w = torch.cat([weights, weights], dim=-1)
    normal = design.mT @ (w[..., None] * design)
    ridge = 1e-9 * normal.diagonal(dim1=-2, dim2=-1).sum(-1).clamp_min(1e-12)
    normal = normal + ridge[..., None, None] * torch.eye(3, dtype=pose.dtype, device=pose.device)
    return torch.linalg.solve(normal, (design.mT @ (w * rhs)[..., None]))[..., 0]


def _gauss_newton_step(
    pose: torch.Tensor, uv: torch.Tensor, weights: torch.Tensor, f: torch.Tensor,
    translation: torch.Tensor,
) -> torch.Tensor:
    """One damped Gauss-Newton update of t on the weighted pixel residuals."""
    points = pose + translation[:, None, :]
    depth = points[..., 2].clamp_min(MIN_DEPTH_MM)
    fx, fy = f[..., 0], f[..., 1]
    residual_x = fx * points[..., 0] / depth - uv[..., 0]
    residual_y = fy * points[..., 1] / depth - uv[..., 1]
    zeros = torch.zeros_like(depth)
    jac_x = torch.stack([fx / depth, zeros, -fx * points[..., 0] / depth**2], dim=-1)
    jac_y = torch.stack([zeros, fy / depth, -fy * points[..., 1] / depth**2], dim=-1)
    jac = torch.cat([jac_x, jac_y], dim=-2)
    residual = torch.cat([residual_x, residual_y], dim=-1)
    w = torch.cat([weights, weights], dim=-1)
    normal = jac.mT @ (w[..., None] * jac)
    damping = 1e-6 * normal.diagonal(dim1=-2, dim2=-1).sum(-1).clamp_min(1e-12)
    normal = normal + damping[..., None, None] * torch.eye(3, dtype=pose.dtype, device=pose.device)
    step = torch.linalg.solve(normal, -(jac.mT @ (w * residual)[..., None]))[..., 0]
    return translation + step


def solve_root_translation_torch(
    pose3d_rel_mm: torch.Tensor, keypoints_px: torch.Tensor, weights: torch.Tensor,
    f_px: torch.Tensor, c_px: torch.Tensor, gauss_newton_steps: int = 3,
) -> torch.Tensor:
    """`solve_root_translation` on float tensors of one dtype/device (f_px, c_px: (2,))."""
    uv = keypoints_px - c_px
    weights = torch.where(weights > 0, weights, torch.zeros_like(weights))
    translation = _linear_solution(pose3d_rel_mm, uv, weights, f_px)
    for _ in range(gauss_newton_steps):
        translation = _gauss_newton_step(pose3d_rel_mm, uv, weights, f_px, translation)
    enough = (weights > 0).sum(-1) >= MIN_VISIBLE_JOINTS
    return torch.where(enough[:, None], translation, torch.full_like(translation, float("nan")))


def solve_root_translation(
    pose3d_rel_mm: Any, keypoints_px: Any, weights: Any, f_px: Any, c_px: Any,
    gauss_newton_steps: int = 3,
) -> Any:
    """Root translation (T, 3) mm, camera frame, per frame.

    pose3d_rel_mm: (T, J, 3) mm root-relative, camera frame (x right, y down, z forward);
    keypoints_px: (T, J, 2) px; weights: (T, J) >= 0 (detector confidence; 0 = ignore);
    f_px, c_px: (2,) or scalar px. Frames with fewer than 2 weighted joints get NaN.
    Returns a tensor for tensor input (same dtype/device), else a float64 numpy array.
    """
    is_tensor = isinstance(pose3d_rel_mm, torch.Tensor)
    ref = pose3d_rel_mm if is_tensor else torch.as_tensor(np.asarray(pose3d_rel_mm, np.float64))
    dtype, device = ref.dtype, ref.device

    def tensor(x: Any) -> torch.Tensor:
        # np.array copies: frozen inputs (e.g. a read-only PoseResult array) stay untouched.
        return torch.as_tensor(np.array(x) if not isinstance(x, torch.Tensor) else x,
                               dtype=dtype, device=device)

    pose, uv, w = ref.to(dtype), tensor(keypoints_px), tensor(weights)
    f, c = tensor(f_px).expand(2), tensor(c_px).expand(2)
    if pose.ndim != 3 or pose.shape[-1] != 3 or uv.shape != (*pose.shape[:2], 2) \
            or w.shape != pose.shape[:2]:
        raise PoseInputError(
            f"solve_root_translation needs poses (T, J, 3), keypoints (T, J, 2) and weights "
            f"(T, J); got {tuple(pose.shape)}, {tuple(uv.shape)} and {tuple(w.shape)}."
        )
    if not (torch.all(f > 0) and torch.isfinite(f).all() and torch.isfinite(c).all()):
        raise PoseInputError("solve_root_translation needs a positive, finite focal length.")
    w = torch.where(torch.isfinite(uv).all(-1), torch.nan_to_num(w), torch.zeros_like(w))
    translation = solve_root_translation_torch(
        pose, torch.nan_to_num(uv), w, f, c, gauss_newton_steps
    )
    return translation if is_tensor else translation.numpy()
