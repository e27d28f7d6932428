"""Checks that turn bad pose arrays into one-sentence PoseDataErrors.

`check_pose_array` validates shape, joint count, finiteness and, for 3D, the unit: the median
bone length of an adult is ~250 mm (a small child's ~130 mm), so a median below 40 mm (metres
give ~0.25, centimetres ~25) or above 2000 mm means the array holds another unit.
"""

from __future__ import annotations

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import H36M17, JOINTS16, Skeleton, bone_lengths

#: Millimetres per unit for the units a 3D pose array may be expected in.
MM_PER_UNIT: dict[str, float] = {"mm": 1.0, "cm": 10.0, "m": 1000.0}
#: Plausible range of the median bone length of a human, in mm.
MEDIAN_BONE_RANGE_MM: tuple[float, float] = (40.0, 2000.0)
_UNIT_NAMES = {"mm": "millimetres", "cm": "centimetres", "m": "metres"}


def check_pose_array(
    array: object,
    *,
    name: str,
    dims: int,
    num_joints: int | tuple[int, ...],
    unit: str | None = "mm",
    skeleton: Skeleton | None = None,
) -> np.ndarray:
    """Return `array` as a float ndarray (..., J, dims) after checking it; raise PoseDataError.

    num_joints: the allowed joint count(s). unit: for 3D arrays, the unit the values must be in
    ('mm', 'cm', 'm'; None skips the unit check). skeleton: bones used for the unit check;
    defaults to the 16- or 17-joint Human3.6M skeleton by joint count, else the joints' mean
    distance from their centroid (x2) stands in for a bone length.
    """
    try:
        values = np.asarray(array)
    except (TypeError, ValueError):
        raise PoseDataError(f"{name} is not a numeric array.") from None
    if not np.issubdtype(values.dtype, np.number):
        raise PoseDataError(f"{name} is not a numeric array (dtype {values.dtype}).")
    if values.ndim < 2 or values.shape[-1] != dims:
        raise PoseDataError(
            f"{name} must have shape (..., J, {dims}) for {dims}D joints, got {values.shape}."
        )
    allowed = (num_joints,) if isinstance(num_joints, int) else tuple(num_joints)
    if values.shape[-2] not in allowed:
        expected = " or ".join(str(n) for n in allowed)
        raise PoseDataError(f"{name}: expected {expected} joints, got {values.shape[-2]}.")
    if not np.issubdtype(values.dtype, np.floating):
        values = values.astype(np.float64)
    if not np.all(np.isfinite(values)):
        count = int(np.sum(~np.isfinite(values)))
        raise PoseDataError(f"{name} holds {count} NaN or infinite values.")
    if dims == 3 and unit is not None:
        _check_unit(values, name, unit, skeleton)
    return values


def _check_unit(values: np.ndarray, name: str, unit: str, skeleton: Skeleton | None) -> None:
    if unit not in MM_PER_UNIT:
        raise ValueError(f"unit must be one of {sorted(MM_PER_UNIT)}, got {unit!r}")
    median = median_bone_length(values, skeleton)
    if median is None:
        return
    median_mm = median * MM_PER_UNIT[unit]
    low, high = MEDIAN_BONE_RANGE_MM
    if low <= median_mm <= high:
        return
    guess = _guess_unit(median)
    looks = f"looks like {_UNIT_NAMES[guess]}" if guess else "has implausible values"
    raise PoseDataError(
        f"{name} {looks} (median bone length {median:.4g}), but {_UNIT_NAMES[unit]} "
        f"are expected."
    )


def median_bone_length(values: np.ndarray, skeleton: Skeleton | None = None) -> float | None:
    """Median bone length over all non-degenerate poses of (..., J, 3); None if all degenerate."""
    if skeleton is None:
        skeleton = {16: JOINTS16, 17: H36M17}.get(values.shape[-2])
    poses = values.reshape(-1, values.shape[-2], values.shape[-1])
    if skeleton is not None and skeleton.num_joints == values.shape[-2]:
        lengths = bone_lengths(poses, skeleton)
    else:
        centroid = poses.mean(axis=-2, keepdims=True)
        lengths = 2.0 * np.linalg.norm(poses - centroid, axis=-1).mean(axis=-1, keepdims=True)
    lengths = lengths[lengths.max(axis=-1) > 0]
    if lengths.size == 0:
        return None
    return float(np.median(lengths))


def _guess_unit(median: float) -> str | None:
    """The unit in which a median bone length of `median` is plausible (~0.25 m)."""
    for unit in ("m", "cm", "mm"):
        if 0.05 <= median * MM_PER_UNIT[unit] / 1000.0 <= 1.0:
            return unit
    return None
