"""Focal length of an unknown camera: the user's value, a 35 mm-equivalent from metadata, a
default guess from the image size, optionally refined over a clip (`refine_focal_px`).

Default: a ~60 degree diagonal field of view (a common webcam / phone "1x" lens lies between 60
and 75 degrees), f = (diagonal / 2) / tan(30 deg) = 0.866 x the image diagonal in px, which is
about 1.0 x the width for 16:9 video (inside the lifter's training range of 0.8-2.0 x width).
"""

from __future__ import annotations

import math

import numpy as np

from posemachines.correction.root_translation import project, solve_root_translation
from posemachines.errors import PoseInputError

#: Diagonal field of view assumed when nothing is known about the lens, degrees.
DEFAULT_DIAGONAL_FOV_DEG = 60.0
#: Diagonal of the 36 x 24 mm full frame that "35 mm-equivalent" focal lengths refer to.
FULL_FRAME_DIAGONAL_MM = math.hypot(36.0, 24.0)


def _diagonal_px(image_size: tuple[int, int]) -> float:
    width, height = image_size
    if not (width > 0 and height > 0):
        raise PoseInputError(f"Image size must be two positive pixel counts, got {image_size}.")
    return math.hypot(width, height)


def focal_from_fov(image_size: tuple[int, int], diagonal_fov_deg: float) -> float:
    """Focal length (px) of a pinhole camera with this diagonal field of view (degrees)."""
    if not 0.0 < diagonal_fov_deg < 180.0:
        raise PoseInputError(f"Diagonal field of view must be in (0, 180) degrees, got "
                             f"{diagonal_fov_deg}.")
    return _diagonal_px(image_size) / 2.0 / math.tan(math.radians(diagonal_fov_deg) / 2.0)


def estimate_focal_px(
    image_size: tuple[int, int],
    *,
    focal_px: float | None = None,
    focal_35mm: float | None = None,
    diagonal_fov_deg: float = DEFAULT_DIAGONAL_FOV_DEG,
) -> float:
    """Focal length in px: `focal_px` if given, else from a 35 mm-equivalent focal length (mm,
    as video/EXIF metadata store it), else the default field-of-view guess above.

    image_size: (width, height) px.
    """
    if focal_px is not None:
        if not (math.isfinite(focal_px) and focal_px > 0):
            raise PoseInputError(f"Focal length must be a positive number of pixels, got "
                                 f"{focal_px}.")
        return float(focal_px)
    if focal_35mm is not None:
        if not (math.isfinite(focal_35mm) and focal_35mm > 0):
            raise PoseInputError(f"35 mm-equivalent focal length must be positive, got "
                                 f"{focal_35mm}.")
        return float(focal_35mm) / FULL_FRAME_DIAGONAL_MM * _diagonal_px(image_size)
    return focal_from_fov(image_size, diagonal_fov_deg)


def refine_focal_px(
    pose3d_rel_mm: np.ndarray, keypoints_px: np.ndarray, weights: np.ndarray,
    focal_px: float, c_px: np.ndarray, *, search_range: tuple[float, float] = (0.5, 2.0),
    samples: int = 17,
) -> float:
    """The focal length (px) within `search_range` x `focal_px` under which the clip's poses,
    each placed by its best root translation, re-project closest to the 2D (weighted squared
    px error over all frames): a log-spaced grid, then a parabola through the best three.

    pose3d_rel_mm (T, J, 3) mm, keypoints_px (T, J, 2), weights (T, J), c_px (2,). Only the
    perspective effects constrain f, so this helps with wide lenses and near, deep poses.
    """
    log_f = np.linspace(math.log(search_range[0]), math.log(search_range[1]), samples) \
        + math.log(focal_px)
    # Solving with focal f on pixels u is solving with focal_px on c + (u - c) focal_px / f, so
    # all candidates go through one batched solve (candidates stacked along the frame axis).
    ratio = np.exp(math.log(focal_px) - log_f)  # focal_px / f, (K,)
    frames, joints = pose3d_rel_mm.shape[:2]
    rescaled = c_px + (keypoints_px - c_px) * ratio[:, None, None, None]  # (K, T, J, 2)
    rescaled = rescaled.reshape(samples * frames, joints, 2)
    f = np.array([focal_px, focal_px])
    poses = np.tile(pose3d_rel_mm, (samples, 1, 1))
    translation = solve_root_translation(poses, rescaled, np.tile(weights, (samples, 1)), f,
                                         c_px, gauss_newton_steps=1)
    points = poses + translation[:, None]
    residual = (project(points, f, c_px) - rescaled).reshape(samples, frames, joints, 2)
    squared = (residual**2).sum(-1) / ratio[:, None, None] ** 2 * weights  # original px^2
    costs = np.nan_to_num(squared, nan=0.0).reshape(samples, -1).sum(-1)
    best = int(np.argmin(costs))
    if 0 < best < samples - 1:
        left, mid, right = costs[best - 1 : best + 2].tolist()
        curvature = left - 2 * mid + right
        if curvature > 0:
            offset = 0.5 * (left - right) / curvature
            return float(np.exp(log_f[best] + offset * (log_f[1] - log_f[0])))
    return float(np.exp(log_f[best]))
