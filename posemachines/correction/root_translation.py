"""Where is the person? The camera-frame root translation that projects a root-relative 3D pose
onto detected 2D joints through a pinhole camera, batched over frames (numpy, float64).

For u = fx (X + tx) / (Z + tz) + cx (and likewise v), multiplying out the depth gives equations
linear in t: fx tx - (u - cx) tz = (u - cx) Z - fx X. Their confidence-weighted least-squares
solution (the standard closed form, as in Pavllo et al.'s and many "root from 2D" solvers) is
refined by a few damped Gauss-Newton steps on the true pixel error.
"""

from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from posemachines.errors import PoseInputError

#: Depths (mm) below this count as "at the camera" and are clamped in the pixel residuals.
MIN_DEPTH_MM = 1.0
#: A frame needs this many joints with weight > 0 to fix its 3 translation unknowns.
MIN_VISIBLE_JOINTS = 2


def project(points_mm: np.ndarray, f_px: ArrayLike, c_px: ArrayLike) -> np.ndarray:
    """Camera-frame points (..., 3) mm -> pixels (..., 2) through a pinhole; depth clamped."""
    depth = np.maximum(points_mm[..., 2:3], MIN_DEPTH_MM)
    return points_mm[..., :2] / depth * np.asarray(f_px) + np.asarray(c_px)


def weighted_pixel_error(
    points_mm: np.ndarray, keypoints_px: np.ndarray, weights: np.ndarray, f_px: ArrayLike,
    c_px: ArrayLike,
) -> np.ndarray:
    """Weighted mean pixel distance per frame: (T, J, 3) mm, (T, J, 2) px, (T, J) -> (T,) px.

    NaN where a frame has no joint with weight > 0.
    """
    distance = np.linalg.norm(project(points_mm, f_px, c_px) - keypoints_px, axis=-1)
    total = weights.sum(-1)
    error = (distance * weights).sum(-1) / np.maximum(total, 1e-12)
    return np.where(total > 0, error, np.nan)


def _solve_rows(
    a0: np.ndarray, a2: np.ndarray, b1: np.ndarray, b2: np.ndarray, rx: np.ndarray,
    ry: np.ndarray, weights: np.ndarray, damping: float,
) -> np.ndarray:
    """Weighted least squares for t (T, 3) of per-joint equation pairs (T, J each)
    a0 t0 + a2 t2 = rx and b1 t1 + b2 t2 = ry, made regular by `damping` x the normal matrix's
    trace (every pinhole row has this sparsity, so the normal equations are summed directly)."""
    normal = np.zeros((*weights.shape[:-1], 3, 3))
    normal[..., 0, 0] = (weights * a0 * a0).sum(-1)
    normal[..., 1, 1] = (weights * b1 * b1).sum(-1)
    normal[..., 2, 2] = (weights * (a2 * a2 + b2 * b2)).sum(-1)
    normal[..., 0, 2] = normal[..., 2, 0] = (weights * a0 * a2).sum(-1)
    normal[..., 1, 2] = normal[..., 2, 1] = (weights * b1 * b2).sum(-1)
    rhs = np.stack([(weights * a0 * rx).sum(-1), (weights * b1 * ry).sum(-1),
                    (weights * (a2 * rx + b2 * ry)).sum(-1)], axis=-1)
    trace = np.maximum(np.trace(normal, axis1=-2, axis2=-1), 1e-12)
    normal += (damping * trace)[..., None, None] * np.eye(3)
    return np.linalg.solve(normal, rhs[..., None])[..., 0]


def _linear_solution(
    pose: np.ndarray, uv: np.ndarray, weights: np.ndarray, f: np.ndarray
) -> np.ndarray:
    """Weighted algebraic least squares for t: (T, J, 3), centred px (T, J, 2), (T, J) -> (T, 3)."""
    fx, fy = np.full_like(weights, f[0]), np.full_like(weights, f[1])
    u, v = uv[..., 0], uv[..., 1]
    return _solve_rows(fx, -u, fy, -v, u * pose[..., 2] - fx * pose[..., 0],
                       v * pose[..., 2] - fy * pose[..., 1], weights, 1e-9)


def _gauss_newton_step(
    pose: np.ndarray, uv: np.ndarray, weights: np.ndarray, f: np.ndarray,
    translation: np.ndarray,
) -> np.ndarray:
    """One damped Gauss-Newton update of t on the weighted pixel residuals."""
    points = pose + translation[:, None, :]
    inverse_depth = 1.0 / np.maximum(points[..., 2], MIN_DEPTH_MM)
    x = f[0] * points[..., 0] * inverse_depth
    y = f[1] * points[..., 1] * inverse_depth
    # d(f X / Z)/dt = (f / Z, 0, -f X / Z^2): rows (a0, 0, a2) and (0, b1, b2).
    step = _solve_rows(f[0] * inverse_depth, -x * inverse_depth, f[1] * inverse_depth,
                       -y * inverse_depth, uv[..., 0] - x, uv[..., 1] - y, weights, 1e-6)
    return translation + step


def solve_root_translation(
    pose3d_rel_mm: ArrayLike, keypoints_px: ArrayLike, weights: ArrayLike, f_px: ArrayLike,
    c_px: ArrayLike, gauss_newton_steps: int = 3,
) -> np.ndarray:
    """Root translation (T, 3) mm, camera frame, per frame (float64).

    pose3d_rel_mm: (T, J, 3) mm root-relative, camera frame (x right, y down, z forward);
    keypoints_px: (T, J, 2) px; weights: (T, J) >= 0 (detector confidence; 0 = ignore; a joint
    whose keypoint is not finite is ignored too); f_px, c_px: (2,) or scalar px. Frames with
    fewer than 2 weighted joints get NaN.
    """
    pose = np.asarray(pose3d_rel_mm, dtype=np.float64)
    uv = np.asarray(keypoints_px, dtype=np.float64)
    w = np.asarray(weights, dtype=np.float64)
    f = np.broadcast_to(np.asarray(f_px, dtype=np.float64), (2,))
    c = np.broadcast_to(np.asarray(c_px, dtype=np.float64), (2,))
    if pose.ndim != 3 or pose.shape[-1] != 3 or uv.shape != (*pose.shape[:2], 2) \
            or w.shape != pose.shape[:2]:
        raise PoseInputError(
            f"solve_root_translation needs poses (T, J, 3), keypoints (T, J, 2) and weights "
            f"(T, J); got {pose.shape}, {uv.shape} and {w.shape}."
        )
    if not (np.all(f > 0) and np.isfinite(f).all() and np.isfinite(c).all()):
        raise PoseInputError("solve_root_translation needs a positive, finite focal length.")
    w = np.where(np.isfinite(uv).all(-1), np.nan_to_num(w), 0.0)
    w = np.where(w > 0, w, 0.0)
    centred = np.nan_to_num(uv) - c
    translation = _linear_solution(pose, centred, w, f)
    for _ in range(gauss_newton_steps):
        translation = _gauss_newton_step(pose, centred, w, f, translation)
    enough = (w > 0).sum(-1) >= MIN_VISIBLE_JOINTS
    return np.where(enough[:, None], translation, np.nan)
