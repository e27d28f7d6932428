"""A constant-velocity Kalman filter on a person's box (centre x, y, width, height; px).

Written in numpy rather than taken from filterpy: the filter is four matrix lines over an
8-dimensional state, and it is vectorised here over every track at once (filterpy keeps one
object per track and would add a dependency for the same arithmetic). The noise model is
DeepSORT's (Wojke et al. 2017): standard deviations proportional to the box height, so the
filter behaves the same for a person 50 px or 500 px tall.
"""

from __future__ import annotations

import numpy as np

#: State: cx, cy, w, h, and their velocities (px, px/frame). Measurement: cx, cy, w, h.
STATE_DIM, MEASUREMENT_DIM = 8, 4
#: 95 % quantile of the chi-square distribution with 4 degrees of freedom (gating).
CHI2_95_4DOF = 9.4877
#: The same with 2 degrees of freedom (box centre only).
CHI2_95_2DOF = 5.9915


class BoxKalmanFilter:
    """Constant-velocity motion on boxes (cx, cy, w, h) px, one step per frame.

    position_std / velocity_std: process noise per frame as fractions of the box height;
    measurement_std: measurement noise as a fraction of the box height.
    """

    def __init__(self, position_std: float = 1.0 / 20, velocity_std: float = 1.0 / 160,
                 measurement_std: float = 1.0 / 20) -> None:
        self.position_std = position_std
        self.velocity_std = velocity_std
        self.measurement_std = measurement_std
        self.motion = np.eye(STATE_DIM)
        self.motion[:MEASUREMENT_DIM, MEASUREMENT_DIM:] = np.eye(MEASUREMENT_DIM)
        self.observation = np.eye(MEASUREMENT_DIM, STATE_DIM)

    def _scaled(self, height: float, fraction: float) -> np.ndarray:
        """(4,) standard deviations for cx, cy, w, h of a box `height` px tall."""
        return np.full(MEASUREMENT_DIM, fraction * max(height, 1.0))

    def initiate(self, box: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """State mean (8,) and covariance (8, 8) of a new track seen at `box` (4,) cx, cy, w, h;
        its velocity is unknown (zero mean, wide spread)."""
        mean = np.concatenate([box, np.zeros(MEASUREMENT_DIM)])
        std = np.concatenate([2 * self._scaled(box[3], self.position_std),
                              10 * self._scaled(box[3], self.velocity_std)])
        return mean, np.diag(std**2)

    def predict(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """One frame ahead."""
        std = np.concatenate([self._scaled(mean[3], self.position_std),
                              self._scaled(mean[3], self.velocity_std)])
        mean = self.motion @ mean
        covariance = self.motion @ covariance @ self.motion.T + np.diag(std**2)
        return mean, covariance

    def project(self, mean: np.ndarray, covariance: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """The predicted measurement (4,) and its covariance (4, 4), measurement noise added."""
        noise = np.diag(self._scaled(mean[3], self.measurement_std) ** 2)
        return (self.observation @ mean,
                self.observation @ covariance @ self.observation.T + noise)

    def update(self, mean: np.ndarray, covariance: np.ndarray, box: np.ndarray
               ) -> tuple[np.ndarray, np.ndarray]:
        """Correct the state with a measured `box` (4,) cx, cy, w, h."""
        projected, projected_cov = self.project(mean, covariance)
        gain = np.linalg.solve(projected_cov, self.observation @ covariance).T
        mean = mean + gain @ (box - projected)
        covariance = covariance - gain @ projected_cov @ gain.T
        return mean, covariance

    def gating_distance(self, mean: np.ndarray, covariance: np.ndarray, boxes: np.ndarray
                        ) -> np.ndarray:
        """Squared Mahalanobis distance (K,) of measured `boxes` (K, 4) from the prediction.

        Compare with CHI2_95_4DOF: farther boxes are implausible for this track."""
        projected, projected_cov = self.project(mean, covariance)
        factor = np.linalg.cholesky(projected_cov)
        residual = np.linalg.solve(factor, (boxes - projected).T)
        return np.sum(residual**2, axis=0)

    def position_distance(self, mean: np.ndarray, covariance: np.ndarray, centres: np.ndarray
                          ) -> np.ndarray:
        """Squared Mahalanobis distance (K,) of box centres (K, 2) from the predicted centre
        (compare with CHI2_95_2DOF)."""
        projected, projected_cov = self.project(mean, covariance)
        factor = np.linalg.cholesky(projected_cov[:2, :2])
        residual = np.linalg.solve(factor, (centres - projected[:2]).T)
        return np.sum(residual**2, axis=0)
