"""Order statistics with torch's conventions, so that the numpy correction keeps its numbers.

`torch.median` returns the lower of the two middle values of an even count (numpy's `median`
averages them) and NaN when any value is NaN; the correction was tuned with torch's.
"""

from __future__ import annotations

import numpy as np


def lower_median(values: np.ndarray, axis: int | None = None) -> np.ndarray:
    """The lower median of `values` along `axis` (None: all values): the ((n - 1) // 2)-th
    smallest; NaN where a NaN is among them. Returns an array (0-d for axis None)."""
    values = np.asarray(values, dtype=np.float64)
    if axis is None:
        values, axis = values.reshape(-1), 0
    count = values.shape[axis]
    if count == 0:
        raise ValueError("lower_median of an empty array")
    middle = np.take(np.partition(values, (count - 1) // 2, axis=axis), (count - 1) // 2,
                     axis=axis)
    return np.where(np.isnan(values).any(axis=axis), np.nan, middle)
