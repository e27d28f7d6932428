"""Is the camera static? The floor fitted in sliding windows must stay put in camera coordinates.

Windows of `window_s` seconds every `step_s` seconds each get their own floor fit (footprints
whose run centre falls in the window, the window's own trunk prior). The camera counts as moving
when any two windows' floor normals differ by more than `max_tilt_deg`, or one window's floor
passes more than `max_height_leg` leg lengths above or below another window's footprints (the
floor is compared where the person stood, not under the camera, where a small tilt error would
be magnified by the distance). That catches a camera that
tilts, rolls or rises; it cannot see a camera that pans or travels level (the floor looks the
same), which needs image motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posemachines.world.body import FOOT_JOINTS, check_fps, check_joints, leg_length_mm
from posemachines.world.floor_fit import (
    FloorFitConfig,
    Footprints,
    candidate_contacts,
    fit_floor,
    footprints,
    trunk_prior,
)


@dataclass(frozen=True)
class CameraMotionConfig:
    """window_s / step_s: sliding windows (s); max_tilt_deg, max_height_leg: allowed drift;
    min_footprints: a window with fewer is skipped; floor: the per-window fit."""

    window_s: float = 3.0
    step_s: float = 1.0
    max_tilt_deg: float = 5.0
    max_height_leg: float = 0.15
    min_footprints: int = 3
    floor: FloorFitConfig = field(default_factory=FloorFitConfig)


@dataclass(frozen=True, eq=False)
class CameraMotion:
    """moving: the floor drifts in camera coordinates; reason: one sentence ('' when static);
    window_start (W,) first frame of each window; window_up (W, 3) its floor normal in camera
    coordinates (NaN: too few footprints); window_height_mm (W,) camera height above the ankles'
    plane; tilt_drift_deg: largest angle between two windows' normals; height_drift_mm: largest
    height of one window's footprints over another window's floor (NaN: fewer than two windows
    fitted)."""

    moving: bool
    reason: str
    window_start: np.ndarray
    window_up: np.ndarray
    window_height_mm: np.ndarray
    tilt_drift_deg: float
    height_drift_mm: float


def _window_prints(prints: Footprints, start: int, stop: int) -> Footprints:
    centre = (prints.start + prints.stop) / 2.0
    keep = (centre >= start) & (centre < stop)
    return Footprints(prints.positions_mm[keep], prints.feet[keep], prints.start[keep],
                      prints.stop[keep])


def detect_camera_motion(
    joints_cam_mm: np.ndarray, fps: float, valid: np.ndarray | None = None,
    config: CameraMotionConfig | None = None,
) -> CameraMotion:
    """Check absolute camera-frame joints (T, 16, 3) mm (valid (T,) bool: measured frames)."""
    config = config or CameraMotionConfig()
    fps = check_fps(fps)
    joints = check_joints(joints_cam_mm, "joints_cam_mm")
    valid = np.isfinite(joints).all(axis=(1, 2)) if valid is None else np.asarray(valid, bool)
    leg = leg_length_mm(joints[valid])
    feet = joints[:, list(FOOT_JOINTS)]
    candidates = candidate_contacts(feet, fps, trunk_prior(joints[valid]).up, leg, valid,
                                    config.floor)
    prints = footprints(feet, candidates, fps, config.floor)
    length = max(1, int(round(config.window_s * fps)))
    step = max(1, int(round(config.step_s * fps)))
    starts = np.arange(0, max(len(joints) - length, 0) + 1, step)
    ups = np.full((len(starts), 3), np.nan)
    heights = np.full(len(starts), np.nan)
    centres = np.full((len(starts), 3), np.nan)
    for k, start in enumerate(starts):  # a few windows per clip
        window = _window_prints(prints, start, start + length)
        in_window = valid[start:start + length]
        if len(window.feet) < config.min_footprints or not in_window.any():
            continue
        prior = trunk_prior(joints[start:start + length][in_window], config.floor)
        fit = fit_floor(window, prior, leg, len(FOOT_JOINTS), config.floor)
        ups[k], heights[k] = fit.normal, fit.offset_mm
        centres[k] = window.positions_mm.mean(axis=0)
    fitted = np.flatnonzero(np.isfinite(heights))
    if len(fitted) < 2:
        return CameraMotion(False, "", starts, ups, heights, float("nan"), float("nan"))
    cosines = np.clip(ups[fitted] @ ups[fitted].T, -1.0, 1.0)
    tilt = float(np.degrees(np.arccos(cosines.min())))
    first, second = np.unravel_index(np.argmin(cosines), cosines.shape)
    height = float(np.abs(centres[fitted] @ ups[fitted].T + heights[fitted]).max())
    reasons = []
    if tilt > config.max_tilt_deg:
        a, b = sorted((starts[fitted[first]], starts[fitted[second]]))
        reasons.append(f"the floor tilts by {tilt:.1f} deg in camera coordinates between "
                       f"{a / fps:.1f} s and {b / fps:.1f} s (limit {config.max_tilt_deg:g} deg)")
    if height > config.max_height_leg * leg:
        reasons.append(f"the floor moves by {height:.0f} mm under the person "
                       f"(limit {config.max_height_leg * leg:.0f} mm)")
    reason = ("The camera seems to move: " + " and ".join(reasons) + ".") if reasons else ""
    return CameraMotion(bool(reasons), reason, starts, ups, heights, tilt, height)
