"""The floor plane from footprints: where the feet rested, fitted robustly with a body prior.

1. Candidate contacts: ankles that are slow (Savitzky-Golay speed below
   `contact_speed_leg_per_s` leg lengths / s, or below 1.5 times the foot's lower-quartile
   speed when noise or a moving camera makes even planted feet look faster) and low (within
   `contact_height_leg` leg lengths of the lower ankle along the prior's up). Each run of
   candidate frames of one foot (at least `min_footprint_s` long) is one footprint: the median
   position over the run, which averages out most of the per-frame noise. Prints of one foot on
   one spot (their viewing rays within `same_spot_leg`) are merged (`merge_same_spots`).
2. RANSAC (MSAC score, seeded, vectorised) over the footprints finds the inliers; then
   `scipy.optimize.least_squares` (soft-L1 loss) fits the normal, a common offset and a small
   per-foot offset (prior `foot_bias_leg`): a lifted pose may hold one ankle a little higher
   than the other, which a straight walk, whose prints lie on two lines a step width apart,
   would otherwise read as a sideways tilt of the floor.
3. The body prior (`body_prior`): the ankles->thorax direction of the tallest frames, trusted
   `lateral_sigma_deg` across the body (people lean sideways little on average) and
   `forward_sigma_deg` along its facing direction. It decides the tilt the footprints cannot:
   across a straight walk, or everywhere for a person on one spot.
All arrays are camera frame (x right, y down, z forward), mm.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import least_squares

from posemachines.arrays import true_runs
from posemachines.errors import PoseInputError
from posemachines.skeleton import trunk_axes
from posemachines.world.body import FOOT_JOINTS, THORAX, velocity_mm_s


@dataclass(frozen=True)
class FloorFitConfig:
    """Candidates: slower than contact_speed_leg_per_s (leg lengths / s), or than
    relative_speed times the foot's `speed_percentile` speed where that is higher (noisy poses,
    a moving camera), up to max_contact_speed_leg_per_s; contact_height_leg (leg lengths
    above the lower ankle); speed_window_s (derivative window), min_footprint_s (shortest run).
    Fit: inlier_leg (RANSAC inlier distance, leg lengths), min_noise_leg (least footprint
    noise assumed), ransac_trials, seed, max_tilt_deg (RANSAC planes further from the prior's up
    are rejected), foot_bias_leg (spread of the per-foot offsets); the prints decide the tilt
    along a direction where each foot's prints spread (standard deviation) by min_spread_leg leg
    lengths and spread_noise_ratio times their height noise (`seen_directions`; 40, not 10:
    prints crowded on a few spots tilt with the lifted depth's errors, which their height
    noise does not show, so a dance in place takes its tilt from the body; docs/world.md);
    prints whose viewing rays pass within same_spot_leg are one spot (`merge_same_spots`).
    Prior (see `body_prior`): lateral_sigma_deg, forward_sigma_deg (trust across and along the
    body), stretched_fraction (tallest frames), ankle_lean_deg, upright_in_image_deg and
    min_upright_fraction (frames left out when lying)."""

    contact_speed_leg_per_s: float = 0.35
    speed_percentile: float = 25.0
    relative_speed: float = 1.5
    max_contact_speed_leg_per_s: float = 1.5
    contact_height_leg: float = 0.1
    speed_window_s: float = 0.2
    min_footprint_s: float = 0.05
    inlier_leg: float = 0.03
    min_noise_leg: float = 0.004
    ransac_trials: int = 256
    seed: int = 0
    max_tilt_deg: float = 30.0
    foot_bias_leg: float = 0.01
    min_spread_leg: float = 0.1
    spread_noise_ratio: float = 40.0
    lateral_sigma_deg: float = 3.0
    forward_sigma_deg: float = 5.0
    stretched_fraction: float = 0.95
    ankle_lean_deg: float = 2.5
    upright_in_image_deg: float = 45.0
    min_upright_fraction: float = 0.1
    same_spot_leg: float = 0.1


#: The image's up direction in camera coordinates (y points down).
_IMAGE_UP = np.array([0.0, -1.0, 0.0])


@dataclass(frozen=True, eq=False)
class UpPrior:
    """up (3,) unit body up; precision (3, 3) rad^-2 on tilts of the normal away from it."""

    up: np.ndarray
    precision: np.ndarray


@dataclass(frozen=True, eq=False)
class Footprints:
    """Where feet rested: positions_mm (N, 3) median over each run; feet (N,) which contact
    joint (column of the candidate mask); start, stop (N,) frames (stop exclusive)."""

    positions_mm: np.ndarray
    feet: np.ndarray
    start: np.ndarray
    stop: np.ndarray


@dataclass(frozen=True, eq=False)
class FloorFit:
    """The plane `normal @ X + offset_mm = 0` through the resting ankles; foot f rests on
    `normal @ X + offset_mm + foot_bias_mm[f] = 0`.

    normal (3,) unit, oriented with the prior's up; foot_bias_mm (F,); inliers (N,) bool over the
    footprints; residual_mm: RMS inlier distance; normal_sigma_deg: the normal's largest standard
    error (from the fit's Jacobian, prior included); seen_axes (k, 3): unit floor directions
    (camera frame) along which the footprints spread enough to decide the tilt.
    """

    normal: np.ndarray
    offset_mm: float
    foot_bias_mm: np.ndarray
    inliers: np.ndarray
    residual_mm: float
    normal_sigma_deg: float
    seen_axes: np.ndarray

    @property
    def seen_directions(self) -> int:
        """How many tilt directions (0-2) the footprints decided; the prior took the rest."""
        return len(self.seen_axes)


def body_prior(
    joints_mm: np.ndarray, config: FloorFitConfig | None = None, from_feet: bool = True
) -> UpPrior:
    """The body's up and its precision from (T, 16, 3) joints (NaN frames skipped); from_feet
    False: the trunk's mean up over the upright frames (for feet that never rest).

    Only frames whose trunk points within `upright_in_image_deg` of the image's up (camera -y)
    count, when at least `min_upright_fraction` of them do: a clip of someone lying on the floor
    for longer than they sit or stand had its up along the lying body. Up is then the mean
    direction from the ankles' midpoint to the thorax over the frames where the
    body stands tallest (the thorax's height above the ankles along the trunk's mean direction
    at least `stretched_fraction` of its 98th percentile; a body lying down is long, not tall),
    turned back by `ankle_lean_deg` about the body's left axis (a standing body's centre of
    mass lies above the middle of the feet, a little in front of the ankle joints). The trunk
    alone leans with every squat, bow or sit (+14..+19 deg on such mocap takes, which put
    the camera 60-70 % too high); the tallest frames' body axis is within 2-5 deg of vertical
    on standing, walking, squatting, bowing and sitting takes (docs/world.md).
    """
    config = config or FloorFitConfig()
    up, left, forward = trunk_axes(joints_mm)
    axis = joints_mm[:, THORAX] - joints_mm[:, list(FOOT_JOINTS)].mean(axis=1)
    stature = np.linalg.norm(axis, axis=-1)
    ok = np.isfinite(up).all(-1) & np.isfinite(left).all(-1) & np.isfinite(stature)
    if not ok.any():
        raise PoseInputError("The poses have no finite trunk (Hip, Thorax, hips) to orient.")
    upright = ok & (up @ _IMAGE_UP > np.cos(np.radians(config.upright_in_image_deg)))
    if upright.sum() >= max(3, config.min_upright_fraction * ok.sum()):
        ok = upright  # a person lying down is left out, unless the image is turned
    trunk = up[ok].mean(axis=0)
    rise = axis @ (trunk / max(np.linalg.norm(trunk), 1e-9))  # lying down is long, not tall
    top = float(np.percentile(rise[ok], 98))  # negative for a body upside down (garbage 3D)
    tall = ok & (rise >= top - (1.0 - config.stretched_fraction) * abs(top))
    mean = (axis[tall] / stature[tall, None]).mean(axis=0) if from_feet else trunk
    facing = forward[tall].mean(axis=0)
    facing -= (facing @ mean) * mean / (mean @ mean)
    if np.linalg.norm(mean) < 1e-6 or np.linalg.norm(facing) < 1e-6:
        raise PoseInputError("The poses have no consistent body (ankles->Thorax) direction.")
    mean, facing = mean / np.linalg.norm(mean), facing / np.linalg.norm(facing)
    lean = np.radians(config.ankle_lean_deg if from_feet else 0.0)
    body_up = np.cos(lean) * mean - np.sin(lean) * facing
    lateral = np.einsum("ti,tj->ij", left[ok], left[ok]) / ok.sum()
    along = np.einsum("ti,tj->ij", forward[ok], forward[ok]) / ok.sum()
    precision = (lateral / np.radians(config.lateral_sigma_deg) ** 2
                 + along / np.radians(config.forward_sigma_deg) ** 2)
    return UpPrior(up=body_up, precision=precision)


def candidate_contacts(
    feet_mm: np.ndarray, fps: float, up: np.ndarray, leg_mm: float,
    valid: np.ndarray | None = None, config: FloorFitConfig | None = None,
) -> np.ndarray:
    """(T, F) bool: which of the feet (T, F, 3) mm are slow and low (see the module docstring)."""
    config = config or FloorFitConfig()
    speed = np.linalg.norm(velocity_mm_s(feet_mm, fps, config.speed_window_s), axis=-1)
    height = feet_mm @ up
    low = height - np.nanmin(height, axis=1, keepdims=True) < config.contact_height_leg * leg_mm
    usual = config.relative_speed * np.nanpercentile(speed, config.speed_percentile, axis=0)
    limit = np.clip(usual, config.contact_speed_leg_per_s * leg_mm,
                    config.max_contact_speed_leg_per_s * leg_mm)
    mask = low & (speed < limit) & np.isfinite(height)
    return mask if valid is None else mask & np.asarray(valid, bool)[:, None]


def footprints(
    feet_mm: np.ndarray, candidates: np.ndarray, fps: float, config: FloorFitConfig | None = None,
) -> Footprints:
    """One footprint per run of candidate frames (T, F) of the feet (T, F, 3) mm."""
    config = config or FloorFitConfig()
    shortest = max(1, int(round(config.min_footprint_s * fps)))
    positions, feet, starts, stops = [], [], [], []
    for foot in range(candidates.shape[1]):
        for start, stop in zip(*true_runs(candidates[:, foot]), strict=True):
            if stop - start >= shortest:
                positions.append(np.median(feet_mm[start:stop, foot], axis=0))
                feet.append(foot)
                starts.append(start)
                stops.append(stop)
    return Footprints(np.reshape(positions, (-1, 3)), np.asarray(feet, dtype=int),
                      np.asarray(starts, dtype=int), np.asarray(stops, dtype=int))


def merge_same_spots(
    prints: Footprints, leg_mm: float, config: FloorFitConfig | None = None
) -> Footprints:
    """One footprint per spot: prints of one foot whose viewing rays pass within
    `same_spot_leg` leg lengths of each other (at the nearer print's depth) are one print, at
    their median position (first start, last stop).

    A foot planted on one spot is still in the image, but the lifted depth of a squatting or
    bowing body swings (by up to ~1 m along the ray on mocap squats through the lifter), which
    spreads that one spot's prints along the viewing ray, down and away from the camera, and
    the floor fit took that spread for a tilt (pitch -11 deg instead of +8). Positions are
    camera frame (x right, y down, z forward), mm."""
    config = config or FloorFitConfig()
    points = prints.positions_mm
    if len(points) < 2:
        return prints
    rays = points[:, :2] / np.maximum(points[:, 2:], 1e-6)
    gap = np.linalg.norm(rays[:, None] - rays[None], axis=-1) * np.minimum(
        points[:, None, 2], points[None, :, 2])
    linked = (gap < config.same_spot_leg * leg_mm) & (prints.feet[:, None] == prints.feet[None])
    spot = np.arange(len(points))
    for _ in range(len(points)):  # label propagation: each print takes its smallest linked label
        merged = np.min(np.where(linked, spot[None, :], len(points)), axis=1)
        if np.array_equal(merged, spot):
            break
        spot = merged
    labels = np.unique(spot)
    return Footprints(
        np.stack([np.median(points[spot == k], axis=0) for k in labels]),
        prints.feet[labels], np.array([prints.start[spot == k].min() for k in labels]),
        np.array([prints.stop[spot == k].max() for k in labels]))


def _ransac_normal(
    points: np.ndarray, up: np.ndarray, tolerance: float, config: FloorFitConfig
) -> np.ndarray | None:
    """Best (MSAC) unit normal of a plane through 3 of the points, or None."""
    rng = np.random.default_rng(config.seed)
    picks = rng.integers(0, len(points), size=(config.ransac_trials, 3))
    a, b, c = (points[picks[:, k]] for k in range(3))
    normal = np.cross(b - a, c - a)
    doubled_area = np.linalg.norm(normal, axis=-1)
    longest = np.max(np.stack([np.linalg.norm(b - a, axis=-1), np.linalg.norm(c - a, axis=-1),
                               np.linalg.norm(c - b, axis=-1)]), axis=0)
    spread = doubled_area / np.maximum(longest, 1e-9)
    normal = normal / np.maximum(doubled_area, 1e-12)[:, None]
    normal *= np.where(normal @ up < 0, -1.0, 1.0)[:, None]
    usable = (spread > tolerance) & (normal @ up > np.cos(np.radians(config.max_tilt_deg)))
    if not usable.any():
        return None
    normal, a = normal[usable], a[usable]
    distance = points @ normal.T - np.sum(a * normal, axis=-1)
    score = np.minimum(distance**2, tolerance**2).sum(axis=0)
    return normal[int(np.argmin(score))]


def _residuals(
    params: np.ndarray, points: np.ndarray, feet: np.ndarray, basis: np.ndarray,
    directions: np.ndarray, noise: float, bias_sigma: float, prior_root: np.ndarray,
) -> np.ndarray:
    """Footprint heights in noise units, per-foot biases and the tilt prior, stacked."""
    free = len(directions)
    tilt = params[:free] @ directions
    normal = basis[0] + tilt @ basis[1:]
    normal = normal / np.linalg.norm(normal)
    bias = params[free + 1:]
    heights = (points @ normal + params[free] + bias[feet]) / noise
    return np.concatenate([heights, bias / bias_sigma, prior_root @ tilt])


def seen_directions(
    prints: Footprints, basis: np.ndarray, min_spread_mm: float
) -> np.ndarray:
    """(k, 2) unit tangent directions (in `basis[1:]` coordinates) along which each foot's
    prints spread by at least `min_spread_mm` (standard deviation): the tilts the floor fit may
    take from the footprints. Along the others the prints' own noise would read as a tilt."""
    centred = prints.positions_mm.copy()
    for foot in np.unique(prints.feet):
        centred[prints.feet == foot] -= centred[prints.feet == foot].mean(axis=0)
    flat = centred @ basis[1:].T
    values, vectors = np.linalg.eigh(flat.T @ flat / max(len(flat), 1))
    return vectors[:, np.sqrt(np.maximum(values, 0.0)) >= min_spread_mm].T


def fit_floor(
    prints: Footprints, prior: UpPrior, leg_mm: float, num_feet: int,
    config: FloorFitConfig | None = None,
) -> FloorFit:
    """Robust plane through at least 2 footprints, normal near the prior's up."""
    config = config or FloorFitConfig()
    points, feet = prints.positions_mm, prints.feet
    if len(points) < 2:
        raise PoseInputError("A floor fit needs at least 2 footprints.")
    up = prior.up
    helper = np.eye(3)[int(np.argmin(np.abs(up)))]
    first = np.cross(up, helper)
    first /= np.linalg.norm(first)
    basis = np.stack([up, first, np.cross(up, first)])
    tolerance = config.inlier_leg * leg_mm
    start = _ransac_normal(points, up, tolerance, config) if len(points) >= 3 else None
    start = up if start is None else start
    height = points @ start
    deviation = height - np.median(height)
    inliers = np.abs(deviation) < tolerance
    noise = 1.4826 * np.median(np.abs(deviation[inliers])) if inliers.sum() >= 3 else 0.0
    noise = max(noise, config.min_noise_leg * leg_mm)
    directions = seen_directions(
        prints, basis, max(config.min_spread_leg * leg_mm, config.spread_noise_ratio * noise))

    tangent_precision = basis[1:] @ prior.precision @ basis[1:].T
    prior_root = np.linalg.cholesky(tangent_precision + 1e-9 * np.eye(2)).T
    tilt = (start / (start @ up)) @ basis[1:].T
    initial = np.concatenate([directions @ tilt, [-np.median(height)], np.zeros(num_feet)])
    free = len(directions)
    solution = least_squares(
        _residuals, initial, loss="soft_l1", f_scale=2.5,
        x_scale=np.concatenate([np.full(free, 0.01), np.full(1 + num_feet, noise)]),
        args=(points, feet, basis, directions, noise, config.foot_bias_leg * leg_mm, prior_root),
    )
    normal = basis[0] + (solution.x[:free] @ directions) @ basis[1:]
    normal /= np.linalg.norm(normal)
    offset, bias = solution.x[free], solution.x[free + 1:]
    distance = points @ normal + offset + bias[feet]
    inliers = np.abs(distance) < max(tolerance, 3.0 * noise)
    covariance = np.linalg.pinv(solution.jac.T @ solution.jac)[:free, :free]
    prior_covariance = np.linalg.inv(tangent_precision + 1e-9 * np.eye(2))
    if free == 0:
        variances = list(np.linalg.eigvalsh(prior_covariance))
    else:  # the seen directions from the data, the unseen one from the prior
        unseen = np.linalg.svd(np.vstack([directions, np.zeros((2, 2))]))[2][free:]
        variances = list(np.linalg.eigvalsh(covariance))
        variances += [d @ prior_covariance @ d for d in unseen]
    sigma = np.sqrt(max(variances))
    return FloorFit(
        normal=normal, offset_mm=float(offset), foot_bias_mm=bias, inliers=inliers,
        residual_mm=float(np.sqrt(np.mean(distance[inliers] ** 2))) if inliers.any() else np.nan,
        normal_sigma_deg=float(np.degrees(np.arctan(sigma))),
        seen_axes=directions @ basis[1:],
    )
