"""`correction.statistics.lower_median`: torch.median's lower middle value, in numpy."""

import numpy as np
import pytest

from posemachines.correction.statistics import lower_median


def test_an_even_count_gives_the_lower_middle_value() -> None:
    assert lower_median(np.array([4.0, 1.0, 3.0, 2.0])) == 2.0
    assert lower_median(np.array([5.0, 1.0, 3.0])) == 3.0
    assert lower_median(np.array([[1.0, 9.0], [2.0, 7.0]])) == 2.0  # all values: 1, 2, 7, 9


def test_along_an_axis_and_nan_propagates() -> None:
    values = np.array([[1.0, 10.0], [4.0, np.nan], [2.0, 30.0], [3.0, 20.0]])
    np.testing.assert_array_equal(lower_median(values, axis=0), [2.0, np.nan])
    np.testing.assert_array_equal(lower_median(values[:, :1], axis=1), values[:, 0])


def test_no_values_is_an_error() -> None:
    with pytest.raises(ValueError, match="empty"):
        lower_median(np.zeros((0, 3)), axis=0)
