"""Is the camera static? The floor, fitted in sliding windows, must stay put in camera coordinates.

Windows of `window_s` seconds every `step_s` seconds each get their own floor fit (footprints
whose run centre falls in the window, the window's own trunk prior). The camera counts as moving
when
- tilt: two windows' floor normals differ by more than `max_tilt_deg` along a floor direction
  that the footprints of both windows decided (directions the trunk prior decided are not
  compared: a person who bends over for a while would otherwise look like a tilting camera),
  and by at least `min_tilt_z` times the difference's standard error (the two fits' normal
  errors combined: a dancer's prints, crowded on a small spot, tilt 3-s windows by 5-10 deg
  under a static camera, each window's normal uncertain by ~5 deg), or
- height: the footprints of one window lie, by their median, more than `max_height_leg` leg
  lengths above or below those of another, measured from the floor fitted to the whole clip.
That catches a camera that tilts, rolls or rises; it cannot see a camera that pans or travels
level (the floor looks the same), nor a steady rise while the person walks steadily (that looks
like a sloping floor); those need image motion.
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace

import numpy as np

from posemachines.world.body import FOOT_JOINTS, check_fps, check_joints, leg_length_mm
from posemachines.world.floor_fit import (
    FloorFit,
    FloorFitConfig,
    Footprints,
    body_prior,
    candidate_contacts,
    fit_floor,
    footprints,
)

#: Two decided directions are compared when they are within this angle (deg) of each other.
SHARED_DIRECTION_DEG = 25.0


#: `FloorFitConfig.spread_noise_ratio` of the moving-camera check's floor fits.
WINDOW_SPREAD_NOISE_RATIO = 10.0


@dataclass(frozen=True)
class CameraMotionConfig:
    """window_s / step_s: sliding windows (s); max_tilt_deg, max_height_leg: allowed drift;
    min_tilt_z: a tilt counts only this many standard errors above zero;
    min_footprints: a window (or clip) with fewer is not judged; window_min_spread_leg: a
    window's prints decide a tilt only where they spread this far (leg lengths; a few prints
    over a short distance read small rest-height changes as large tilts); floor: the fits,
    whose footprints decide a tilt where they spread 10 times their height noise, not the 40 of
    the clip's floor (`FloorFitConfig`): windows that lean on the body's up more often differ
    by a dancer's lean (static dances flagged 2 % -> 8 %, `benchmarks/bench_camera_motion.py`)."""

    window_s: float = 3.0
    step_s: float = 1.0
    max_tilt_deg: float = 5.0
    min_tilt_z: float = 1.5
    max_height_leg: float = 0.15
    min_footprints: int = 3
    window_min_spread_leg: float = 0.5
    floor: FloorFitConfig = field(
        default_factory=lambda: FloorFitConfig(spread_noise_ratio=WINDOW_SPREAD_NOISE_RATIO))


@dataclass(frozen=True, eq=False)
class CameraMotion:
    """moving: the floor drifts in camera coordinates; reason: one sentence ('' when static);
    window_start (W,) first frame of each window; window_up (W, 3) its floor normal in camera
    coordinates (NaN: too few footprints); window_height_mm (W,) median height of its
    footprints over the whole clip's floor; tilt_drift_deg, height_drift_mm: the largest
    differences between windows (NaN: fewer than two windows judged)."""

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


def shared_tilt_deg(first: FloorFit, second: FloorFit) -> float:
    """Largest angle (deg) between two fits' normals along a floor direction both decided
    (0 when they decided none in common)."""
    difference = first.normal - second.normal
    largest = 0.0
    for axis in first.seen_axes:
        projected = second.seen_axes.T @ (second.seen_axes @ axis)
        if np.linalg.norm(projected) >= np.cos(np.radians(SHARED_DIRECTION_DEG)):
            tilt = np.degrees(np.arcsin(min(1.0, abs(difference @ axis))))
            largest = max(largest, float(tilt))
    return largest


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
    prior = body_prior(joints[valid], config.floor)
    candidates = candidate_contacts(feet, fps, prior.up, leg, valid, config.floor)
    prints = footprints(feet, candidates, fps, config.floor)
    length = max(1, int(round(config.window_s * fps)))
    step = max(1, int(round(config.step_s * fps)))
    starts = np.arange(0, max(len(joints) - length, 0) + 1, step)
    ups = np.full((len(starts), 3), np.nan)
    heights = np.full(len(starts), np.nan)
    nothing = CameraMotion(False, "", starts, ups, heights, float("nan"), float("nan"))
    if len(prints.feet) < config.min_footprints:
        return nothing
    whole = fit_floor(prints, prior, leg, len(FOOT_JOINTS), config.floor)
    above = prints.positions_mm @ whole.normal + whole.offset_mm + whole.foot_bias_mm[prints.feet]
    window_config = replace(config.floor, min_spread_leg=config.window_min_spread_leg)
    fits: dict[int, FloorFit] = {}
    for k, start in enumerate(starts):  # a few windows per clip
        window = _window_prints(prints, int(start), int(start + length))
        in_window = valid[start:start + length]
        if len(window.feet) < config.min_footprints or not in_window.any():
            continue
        window_prior = body_prior(joints[start:start + length][in_window], config.floor)
        fits[k] = fit_floor(window, window_prior, leg, len(FOOT_JOINTS), window_config)
        ups[k] = fits[k].normal
        centre = (prints.start + prints.stop) / 2.0
        heights[k] = np.median(above[(centre >= start) & (centre < start + length)])
    if len(fits) < 2:
        return nothing
    judged = sorted(fits)
    tilt, flagged = 0.0, None
    for i, first in enumerate(judged):
        for second in judged[i + 1:]:
            angle = max(shared_tilt_deg(fits[first], fits[second]),
                        shared_tilt_deg(fits[second], fits[first]))
            sigma = np.hypot(fits[first].normal_sigma_deg, fits[second].normal_sigma_deg)
            tilt = max(tilt, angle)
            if (angle > config.max_tilt_deg and angle >= config.min_tilt_z * sigma
                    and (flagged is None or angle > flagged[0])):
                flagged = (angle, angle / max(sigma, 1e-9), first, second)
    height = float(np.ptp(heights[judged]))
    reasons = []
    if flagged is not None:
        angle, z, a, b = flagged[0], flagged[1], starts[flagged[2]] / fps, starts[flagged[3]] / fps
        reasons.append(f"the floor tilts by {angle:.1f} deg ({z:.1f} standard errors) in camera "
                       f"coordinates between {a:.1f} s and {b:.1f} s (limit "
                       f"{config.max_tilt_deg:g} deg)")
    if height > config.max_height_leg * leg:
        reasons.append(f"the floor moves by {height:.0f} mm under the person "
                       f"(limit {config.max_height_leg * leg:.0f} mm)")
    reason = ("The camera seems to move: " + " and ".join(reasons) + ".") if reasons else ""
    return CameraMotion(bool(reasons), reason, starts, ups, heights, tilt, height)
