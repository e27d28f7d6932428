"""Body measures shared by the world modules: foot joints, leg length, joint speeds, runs.

Everything works on `JOINTS16` arrays (..., 16, 3) mm in any right-handed frame.
"""

from __future__ import annotations

import numpy as np

from posemachines.errors import PoseInputError
from posemachines.skeleton import JOINTS16, LEG_CHAINS, leg_lengths

_NAMES = JOINTS16.names
#: The joints that touch the floor in our skeleton: the ankles (RFoot, LFoot). A skeleton with
#: heels or toes adds them to a `contact_joints` tuple; every API takes joint indices.
FOOT_JOINTS: tuple[int, ...] = tuple(chain[2] for chain in LEG_CHAINS)
HIP = _NAMES.index("Hip")
THORAX = _NAMES.index("Thorax")
#: Frame rate at which per-frame smoothing constants are stated (the mocap's).
REFERENCE_FPS = 30.0


def check_fps(fps: float) -> float:
    """`fps` as a float; PoseInputError unless it is a positive, finite frame rate."""
    if not (np.isfinite(fps) and fps > 0):
        raise PoseInputError(f"fps must be a positive frame rate, got {fps}.")
    return float(fps)


def check_joints(joints_mm: np.ndarray, name: str = "joints_mm") -> np.ndarray:
    """(T, 16, 3) float64 copy of `joints_mm`; PoseInputError for another shape or no frame."""
    array = np.asarray(joints_mm, dtype=np.float64)
    if array.ndim != 3 or array.shape[1:] != (JOINTS16.num_joints, 3) or len(array) == 0:
        raise PoseInputError(f"{name} must have shape (T, 16, 3) with T > 0, got {array.shape}.")
    return array


def leg_length_mm(joints_mm: np.ndarray) -> float:
    """Median hip-knee-ankle length (mm) over frames and both legs of (T, 16, 3) joints."""
    length = np.nanmedian(leg_lengths(joints_mm))
    if not np.isfinite(length) or length <= 0:
        raise PoseInputError("The poses have no finite leg (hip-knee-ankle) to measure.")
    return float(length)


def body_up(joints_mm: np.ndarray) -> np.ndarray:
    """(3,) unit mean Hip->Thorax direction of (T, 16, 3) joints (NaN frames skipped)."""
    trunk = joints_mm[:, THORAX] - joints_mm[:, HIP]
    trunk = trunk / np.maximum(np.linalg.norm(trunk, axis=-1, keepdims=True), 1e-9)
    mean = np.nanmean(trunk, axis=0)
    norm = np.linalg.norm(mean)
    if not np.isfinite(norm) or norm < 1e-6:
        raise PoseInputError("The poses have no consistent trunk (Hip->Thorax) direction.")
    return mean / norm


def velocity_mm_s(positions_mm: np.ndarray, fps: float, window_s: float) -> np.ndarray:
    """Velocity (T, ..., 3) mm/s of positions (T, ..., 3) mm by a Savitzky-Golay derivative.

    The window spans about `window_s` seconds (odd, at least 5 frames, quadratic fit); clips
    shorter than that use central differences.
    """
    frames = len(positions_mm)
    window = max(5, int(round(window_s * fps)) | 1)
    if frames < 2:
        return np.zeros_like(positions_mm)
    if frames < window:
        return np.gradient(positions_mm, axis=0) * fps
    return savgol_slope(positions_mm, window) * fps


def savgol_slope(values: np.ndarray, window: int) -> np.ndarray:
    """Per-frame slope (T, ...) of values (T, ...) by a quadratic least-squares fit over an odd
    `window` of frames: scipy.signal.savgol_filter(values, window, 2, deriv=1, axis=0,
    mode="interp") in numpy, since importing scipy.signal costs ~0.6 s of CPU at every
    `posemachines infer` start (issue 21). Inside, the slope of the fit centred on the frame
    (its quadratic term is even, so only the linear one counts); in the first and last
    window // 2 frames, the derivative of one quadratic fitted to the first / last window."""
    frames, half = len(values), window // 2
    data = np.asarray(values, dtype=np.float64)
    offsets = np.arange(-half, half + 1, dtype=np.float64)
    slopes = np.empty_like(data)
    inside = np.lib.stride_tricks.sliding_window_view(data, window, axis=0)  # (T-w+1, ..., w)
    slopes[half:frames - half] = inside @ (offsets / (offsets**2).sum())
    at = np.arange(window, dtype=np.float64)
    fit = np.linalg.pinv(np.stack([np.ones(window), at, at**2], axis=1))  # (3, w)
    shape = (half,) + (1,) * (data.ndim - 1)
    for edge, positions, rows in ((data[:window], at[:half], slice(0, half)),
                                  (data[-window:], at[window - half:], slice(frames - half, None))):
        coefficients = np.tensordot(fit, edge, axes=(1, 0))  # (3, ...): constant, linear, square
        slopes[rows] = coefficients[1] + 2 * coefficients[2] * positions.reshape(shape)
    return slopes.astype(values.dtype) if values.dtype == np.float32 else slopes
