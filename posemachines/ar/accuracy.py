"""How well the props sit on the person: each effect's anchor joints, projected through the
solved camera, against the 2D keypoints; and how much they shake against the raw keypoints."""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.ar.compose import ArCompositor
from posemachines.camera import project_points
from posemachines.structures import PoseResult

#: Keypoints below this confidence are not used as the reference.
MIN_CONFIDENCE = 0.5


@dataclass(frozen=True)
class AnchorAccuracy:
    """One effect: median_px, the median distance (px) of its anchors' projections from the
    keypoints; jitter_px and keypoint_jitter_px, the mean image acceleration (px/frame^2) of
    the anchors and of the raw keypoints over the same frames."""

    effect: str
    median_px: float
    jitter_px: float
    keypoint_jitter_px: float


def anchor_accuracy(result: PoseResult, compositor: ArCompositor) -> list[AnchorAccuracy]:
    """Per effect of `compositor` (built on `result`): anchor error and jitter."""
    track = compositor.scene.track
    rows = np.asarray(result.frame_indices)
    keep = rows < track.num_frames
    rows = rows[keep]
    projected = project_points(track.joints_mm[rows], compositor.f_px, compositor.c_px)
    keypoints = np.asarray(result.keypoints_px, np.float64)[keep]
    seen = np.asarray(result.confidence)[keep] >= MIN_CONFIDENCE
    consecutive = np.flatnonzero((rows[2:] - rows[:-2]) == 2) + 1
    report = []
    for effect in compositor.effects:
        joints = list(effect.anchors)
        error = np.linalg.norm(projected[:, joints] - keypoints[:, joints], axis=-1)
        steady = seen[consecutive - 1][:, joints] & seen[consecutive][:, joints] & \
            seen[consecutive + 1][:, joints]
        report.append(AnchorAccuracy(
            effect=effect.name,
            median_px=float(np.median(error[seen[:, joints]])),
            jitter_px=_acceleration(projected[:, joints], consecutive, steady),
            keypoint_jitter_px=_acceleration(keypoints[:, joints], consecutive, steady),
        ))
    return report


def _acceleration(points: np.ndarray, middle: np.ndarray, valid: np.ndarray) -> float:
    """Mean |p[t-1] - 2 p[t] + p[t+1]| (px) over the middle frames where `valid`."""
    second = points[middle - 1] - 2 * points[middle] + points[middle + 1]
    return float(np.mean(np.linalg.norm(second, axis=-1)[valid]))
