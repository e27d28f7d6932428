"""Root trajectory over a whole clip: smoothed with an acceleration prior, filled across gaps.

The estimate x_t (T, 3) minimises, per axis k,

    sum_t w_t (x_tk - y_tk)^2 / sigma_k^2  +  sum_t (x_{t-1,k} - 2 x_tk + x_{t+1,k})^2 / a^2

(y: measured root translation, w: per-frame weight, 0 where no person was found; sigma:
measurement noise per camera axis; a: acceleration allowed per frame^2, stated at 30 fps and
scaled by (30 / fps)^2, as in the geometric correction). The normal equations are pentadiagonal
and are solved with `scipy.linalg.solveh_banded` in O(T). Inside the observed range a gap is
bridged by the acceleration-minimising curve (a cubic that joins both sides' velocities);
before the first and after the last observed frame the nearest estimate is held.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.linalg import solveh_banded

from posemachines.errors import PoseInputError
from posemachines.world.body import REFERENCE_FPS, check_fps


@dataclass(frozen=True)
class TrajectoryConfig:
    """measurement_sigma_mm: noise of the measured root translation along camera x, y, z (mm;
    depth is the least certain); accel_sigma_mm: allowed root acceleration, mm / frame^2 at
    `REFERENCE_FPS` (the same acceleration per s^2 at other rates)."""

    measurement_sigma_mm: tuple[float, float, float] = (20.0, 20.0, 60.0)
    accel_sigma_mm: float = 10.0


@dataclass(frozen=True, eq=False)
class Trajectory:
    """Root translation over the full frame range.

    translation_mm (T, 3) mm, camera frame; frames (T,) frame indices 0..T-1; filled (T,) bool,
    True where nothing was measured (interpolated inside the observed range, held outside);
    fps: frame rate.
    """

    translation_mm: np.ndarray
    frames: np.ndarray
    filled: np.ndarray
    fps: float


def second_difference_normal(num_frames: int) -> np.ndarray:
    """D^T D of the (T-2, T) second-difference operator in `solveh_banded` upper form (3, T)."""
    banded = np.zeros((3, num_frames))
    if num_frames < 3:
        return banded
    diagonal, first, second = banded[2], banded[1, 1:], banded[0, 2:]
    diagonal[:-2] += 1.0
    diagonal[1:-1] += 4.0
    diagonal[2:] += 1.0
    first[:-1] -= 2.0
    first[1:] -= 2.0
    second += 1.0
    return banded


def smooth_series(values: np.ndarray, weights: np.ndarray, accel_sigma: float) -> np.ndarray:
    """Minimiser of sum w (x - y)^2 + sum (second difference of x)^2 / accel_sigma^2.

    values (T, D) (entries with weight 0 are ignored and may be NaN); weights (T,) or (T, D)
    >= 0 (1 / variance, same unit^-2 as values); accel_sigma per frame^2 in the values' unit.
    Columns need two frames of positive weight (else they are held at their weighted mean).
    """
    values = np.asarray(values, dtype=np.float64)
    frames, dims = values.shape
    weights = np.broadcast_to(np.asarray(weights, dtype=np.float64).reshape(frames, -1),
                              (frames, dims))
    data = np.where(weights > 0, np.nan_to_num(values), 0.0)
    prior = second_difference_normal(frames) / accel_sigma**2
    out = np.empty_like(data)
    for dim in range(dims):  # D <= 3 banded solves
        w = weights[:, dim]
        if np.count_nonzero(w > 0) < 2 or frames < 3:
            mean = np.sum(w * data[:, dim]) / max(np.sum(w), 1e-300)
            out[:, dim] = np.where(w > 0, data[:, dim], mean) if frames < 3 else mean
            continue
        banded = prior.copy()
        banded[2] += w + 1e-12 * w.max()
        out[:, dim] = solveh_banded(banded, w * data[:, dim], check_finite=False)
    return out


def smooth_trajectory(
    translation_mm: np.ndarray, frame_indices: np.ndarray | None, fps: float,
    num_frames: int | None = None, weights: np.ndarray | None = None,
    config: TrajectoryConfig | None = None,
) -> Trajectory:
    """Smooth and fill the root translation over frames 0..num_frames-1.

    translation_mm (N, 3) mm camera frame for the frames `frame_indices` (N,) (strictly
    increasing ints; None: 0..N-1); rows with NaN count as missing. fps: frame rate.
    num_frames: length of the clip (default last index + 1). weights (N,) optional per-frame
    confidence in [0, 1] multiplying the measurement weight.
    """
    config = config or TrajectoryConfig()
    fps = check_fps(fps)
    measured = np.asarray(translation_mm, dtype=np.float64)
    if measured.ndim != 2 or measured.shape[1] != 3:
        raise PoseInputError(f"translation_mm must have shape (N, 3), got {measured.shape}.")
    frames_in = (np.arange(len(measured)) if frame_indices is None
                 else np.asarray(frame_indices))
    if frames_in.shape != (len(measured),) or not np.issubdtype(frames_in.dtype, np.integer):
        raise PoseInputError("frame_indices must be N integer frame numbers, one per row.")
    if len(frames_in) and (frames_in[0] < 0 or np.any(np.diff(frames_in) <= 0)):
        raise PoseInputError("frame_indices must be non-negative and strictly increasing.")
    total = int(frames_in[-1]) + 1 if num_frames is None and len(frames_in) else num_frames
    if total is None or total < 1 or (len(frames_in) and frames_in[-1] >= total):
        raise PoseInputError("num_frames must cover every frame index.")
    frame_weight = np.ones(len(measured)) if weights is None else np.asarray(weights, float)
    if frame_weight.shape != (len(measured),) or np.any(~(frame_weight >= 0)):
        raise PoseInputError("weights must be N non-negative numbers, one per row.")

    sigma = np.asarray(config.measurement_sigma_mm, dtype=np.float64)
    full_values = np.full((total, 3), np.nan)
    full_weight = np.zeros((total, 3))
    ok = np.isfinite(measured).all(axis=1) & (frame_weight > 0)
    full_values[frames_in[ok]] = measured[ok]
    full_weight[frames_in[ok]] = frame_weight[ok, None] / sigma**2
    observed = np.flatnonzero(ok)
    if len(observed) == 0:
        raise PoseInputError("The root translation has no finite frame to build a trajectory.")
    first, last = int(frames_in[observed[0]]), int(frames_in[observed[-1]])
    accel = config.accel_sigma_mm * (REFERENCE_FPS / fps) ** 2
    span = slice(first, last + 1)
    result = np.empty((total, 3))
    result[span] = smooth_series(full_values[span], full_weight[span], accel)
    result[:first] = result[first]
    result[last + 1:] = result[last]
    return Trajectory(
        translation_mm=result, frames=np.arange(total), filled=full_weight[:, 0] == 0, fps=fps
    )
