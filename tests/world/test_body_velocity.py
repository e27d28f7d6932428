"""`world.body.savgol_slope`: scipy.signal's Savitzky-Golay derivative without scipy.signal."""

import numpy as np
import pytest
from scipy.signal import savgol_filter

from posemachines.world.body import savgol_slope, velocity_mm_s


def test_the_slope_of_a_parabola_is_exact_inside_and_at_both_ends():
    frames = np.arange(12, dtype=np.float64)
    values = np.stack([3.0 * frames**2 - 5.0 * frames + 7.0, -2.0 * frames], axis=1)  # (12, 2)
    expected = np.stack([6.0 * frames - 5.0, np.full(12, -2.0)], axis=1)
    np.testing.assert_allclose(savgol_slope(values, 5), expected, atol=1e-9)


@pytest.mark.parametrize(("shape", "window"), [((5,), 5), ((6, 3), 5), ((40, 2, 3), 9),
                                               ((100, 16, 3), 15)])
def test_it_matches_scipy_savgol_filter_in_interp_mode(shape, window):
    values = np.random.default_rng(0).normal(scale=100.0, size=shape)
    expected = savgol_filter(values, window, 2, deriv=1, axis=0, mode="interp")
    found = savgol_slope(values, window)
    assert found.shape == values.shape and found.dtype == np.float64
    np.testing.assert_allclose(found, expected, rtol=0, atol=1e-9)
    assert savgol_slope(values.astype(np.float32), window).dtype == np.float32


def test_velocity_is_the_slope_times_the_frame_rate():
    walk = np.zeros((30, 2, 3))
    walk[:, :, 0] = 40.0 * np.arange(30)[:, None]  # 40 mm a frame along x
    velocity = velocity_mm_s(walk, fps=25.0, window_s=0.3)
    np.testing.assert_allclose(velocity[..., 0], 1000.0)
    np.testing.assert_allclose(velocity[..., 1:], 0.0, atol=1e-9)
