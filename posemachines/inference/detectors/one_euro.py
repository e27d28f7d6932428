"""One-euro filter (Casiez et al., CHI 2012) over arrays, as MediaPipe's landmark smoothing.

Tiny and stateful, so written here rather than adding a dependency. Defaults are MediaPipe's
pose-landmark settings (min_cutoff 0.05 Hz, beta 80, derivative cutoff 1 Hz) with values
divided by the object scale (the ROI side in px), which makes them resolution independent.
"""

from __future__ import annotations

import math

import numpy as np


class OneEuroFilter:
    """Adaptive low-pass filter: smooth when still, responsive when moving fast."""

    def __init__(
        self, min_cutoff: float = 0.05, beta: float = 80.0, derivative_cutoff: float = 1.0
    ) -> None:
        self.min_cutoff = min_cutoff
        self.beta = beta
        self.derivative_cutoff = derivative_cutoff
        self.reset()

    def reset(self) -> None:
        """Forget the history; the next value passes through unchanged."""
        self._last_time: float | None = None
        self._last_raw: np.ndarray | None = None
        self._value: np.ndarray | None = None
        self._derivative: np.ndarray | None = None

    @staticmethod
    def _alpha(cutoff: np.ndarray | float, period_s: float) -> np.ndarray | float:
        tau = 1.0 / (2.0 * math.pi * cutoff)
        return 1.0 / (1.0 + tau / period_s)

    def __call__(self, value: np.ndarray, time_s: float, value_scale: float = 1.0) -> np.ndarray:
        """Filter `value` (any shape, same every call) observed at `time_s` seconds.

        value_scale multiplies the value differences before they drive the cutoff (MediaPipe
        passes 1 / object size in px). Non-increasing times return the value unfiltered.
        """
        value = np.asarray(value, dtype=np.float64)
        if (self._last_time is None or self._value is None or self._last_raw is None
                or self._derivative is None):
            self._last_time, self._last_raw, self._value = time_s, value, value
            self._derivative = np.zeros_like(value)
            return value
        period = time_s - self._last_time
        if period <= 0:
            return value
        speed = (value - self._last_raw) * value_scale / period
        alpha_d = self._alpha(self.derivative_cutoff, period)
        self._derivative = alpha_d * speed + (1 - alpha_d) * self._derivative
        alpha = self._alpha(self.min_cutoff + self.beta * np.abs(self._derivative), period)
        self._value = alpha * value + (1 - alpha) * self._value
        self._last_time, self._last_raw = time_s, value
        return self._value
