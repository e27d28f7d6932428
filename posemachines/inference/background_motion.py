"""Is the camera static? Track the background (everything but the person) from frame to frame.

The world module judges a static camera from the floor alone, which cannot see a camera that
pans or travels level. The frames can: corners outside the person's box are tracked with
pyramidal Lucas-Kanade optical flow (OpenCV's `goodFeaturesToTrack` and `calcOpticalFlowPyrLK`)
between frames `stride` apart at a reduced size, and a similarity transform is fitted to them
with RANSAC (`estimateAffinePartial2D`). Chaining those transforms gives how far the background
has moved since the first frame; the camera counts as moving when the background's drift
exceeds `max_drift_frac` of the image width or it turns by more than `max_turn_deg` — a
hand-held camera's shake stays below that, a pan or a walk with the camera does not.
"""

from __future__ import annotations

from dataclasses import dataclass

import cv2
import numpy as np

#: Frames are reduced to this width before tracking (px).
WORK_WIDTH = 320


@dataclass(frozen=True)
class BackgroundMotionConfig:
    """stride: frames between tracked pairs; max_corners and min_corners: corners tracked per
    pair and the fewest that decide it; person_margin: the person's box grown by this fraction
    before it is masked out; max_drift_frac, max_turn_deg: the limits of a static camera."""

    stride: int = 3
    max_corners: int = 150
    min_corners: int = 12
    person_margin: float = 0.25
    max_drift_frac: float = 0.04
    max_turn_deg: float = 1.5


@dataclass(frozen=True)
class BackgroundMotion:
    """moving; reason (a sentence, '' when static); drift_frac: the largest distance of the
    image centre's background point from where it started, in image widths; turn_deg: the
    largest rotation; pairs: frame pairs judged."""

    moving: bool
    reason: str
    drift_frac: float
    turn_deg: float
    pairs: int


class BackgroundTracker:
    """Feed frames in order with the person's keypoints; read `result()` at the end."""

    def __init__(self, config: BackgroundMotionConfig | None = None) -> None:
        self.config = config or BackgroundMotionConfig()
        self._previous: np.ndarray | None = None
        self._previous_mask: np.ndarray | None = None
        self._count = 0
        self._scale = 1.0
        self._width = 0
        self._chain = np.eye(3)
        self._drift = 0.0
        self._turn = 0.0
        self._pairs = 0

    def update(self, rgb: np.ndarray, person_px: np.ndarray | None) -> None:
        """One frame (H, W, 3) uint8 and the person's keypoints (K, 2) px, or everyone's
        (P, K, 2) (None: no person); each person's box is left out of the background."""
        self._count += 1
        if (self._count - 1) % self.config.stride:
            return
        height, width = rgb.shape[:2]
        self._scale = WORK_WIDTH / width
        self._width = width
        small = cv2.resize(cv2.cvtColor(rgb, cv2.COLOR_RGB2GRAY),
                           (WORK_WIDTH, max(1, int(round(height * self._scale)))),
                           interpolation=cv2.INTER_AREA)
        mask = np.full(small.shape, 255, np.uint8)
        people = () if person_px is None else np.asarray(person_px).reshape(
            -1, *np.shape(person_px)[-2:])
        for points in people:
            low, high = points.min(axis=0), points.max(axis=0)
            grow = (high - low) * self.config.person_margin + 10.0
            (x0, y0), (x1, y1) = ((low - grow) * self._scale).astype(int), \
                ((high + grow) * self._scale).astype(int)
            mask[max(y0, 0):max(y1, 0), max(x0, 0):max(x1, 0)] = 0
        if self._previous is not None:
            self._track(self._previous, small, self._previous_mask)
        self._previous, self._previous_mask = small, mask

    def _track(self, before: np.ndarray, after: np.ndarray, mask: np.ndarray | None) -> None:
        corners = cv2.goodFeaturesToTrack(before, self.config.max_corners, 0.01, 7, mask=mask)
        if corners is None or len(corners) < self.config.min_corners:
            return
        moved, status, _ = cv2.calcOpticalFlowPyrLK(before, after, corners, None)
        kept = status.ravel() == 1
        if kept.sum() < self.config.min_corners:
            return
        transform, inliers = cv2.estimateAffinePartial2D(
            corners[kept], moved[kept], method=cv2.RANSAC, ransacReprojThreshold=1.5)
        if transform is None or inliers is None or inliers.sum() < self.config.min_corners:
            return
        self._pairs += 1
        self._chain = np.vstack([transform, [0.0, 0.0, 1.0]]) @ self._chain
        centre = np.array([WORK_WIDTH / 2.0, before.shape[0] / 2.0, 1.0])
        drift = float(np.linalg.norm((self._chain @ centre)[:2] - centre[:2])) / WORK_WIDTH
        turn = float(abs(np.degrees(np.arctan2(self._chain[1, 0], self._chain[0, 0]))))
        self._drift, self._turn = max(self._drift, drift), max(self._turn, turn)

    def result(self) -> BackgroundMotion:
        config = self.config
        reasons = []
        if self._drift > config.max_drift_frac:
            reasons.append(f"the background moves by {100 * self._drift:.0f} % of the image "
                           f"width (limit {100 * config.max_drift_frac:g} %)")
        if self._turn > config.max_turn_deg:
            reasons.append(f"the image turns by {self._turn:.1f} deg "
                           f"(limit {config.max_turn_deg:g} deg)")
        reason = ("The camera seems to move: " + " and ".join(reasons) + ".") if reasons else ""
        return BackgroundMotion(bool(reasons), reason, float(self._drift), float(self._turn),
                                self._pairs)
