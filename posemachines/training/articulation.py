"""Limb-articulation augmentation: bend hips and knees so the lifter sees sitting, kneeling and
crouching bodies that upright mocap lacks, and optionally raise the arms forward.

Bandai Namco has walking, running and gestures but no kneeling, sitting or crawling; tilting a
standing body whole (`orientation.py`) shows limbs at new angles to the image but never a bent
leg. Here a chosen clip gets extra hip flexion (thigh swung forward about the pelvis's lateral
axis) and extra knee flexion (shin swung back about the same axis), constant over the clip, on
top of the take's own motion; combined with a tilt this also makes all-fours and lying-curled
poses. Optionally (`arm_probability`) a clip's arms are swung forward and up about the shoulders
(shoulder flexion, the same axis as the hip's), as when reaching, crawling or pushing up from
the floor. Bone lengths are kept exactly (rigid rotations of the limb chains).

Directions, checked on the shipped mocap (runs/mocap16.npz, every 10th frame): with L the
pelvis's left axis (LHip − RHip) and U its up axis (Thorax − Pelvis), forward F = L × U holds the
flexed thigh in 81–88 % of frames, and the bent knee's axis thigh × shin points along +L in
100 % of frames with the knee bent over 30°: hip flexion turns the thigh about −L, knee flexion
turns the shin about +L; shoulder flexion, like the hip's, turns the arm about −L.

Clips `(B, T, 16, 3)` mm world, Y up. After bending, the clip is raised or lowered so its lowest
joint keeps the height it had (a kneeling body lowers its pelvis; the feet stay on the ground).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import angle_between_rad, trunk_axes

#: (hip, knee, ankle) indices in the 16-joint skeleton, right leg then left leg.
LEGS: tuple[tuple[int, int, int], ...] = ((1, 2, 3), (4, 5, 6))
#: (shoulder, elbow, wrist) indices, right arm then left arm.
ARMS: tuple[tuple[int, int, int], ...] = ((13, 14, 15), (10, 11, 12))


@dataclass(frozen=True)
class ArticulationConfig:
    """probability: chance per clip of bending the legs; hip_flexion_deg / knee_flexion_deg:
    (low, high) extra flexion drawn per clip, degrees; max_hip_deg / max_knee_deg: the totals
    no bend goes past (hip: thigh angle forward of hanging straight down; knee: angle between
    thigh and shin, 0 = straight); symmetric_prob: chance that both legs share one draw (with
    `jitter_deg` of per-leg spread), else each leg draws its own. arm_probability: chance per
    clip of extra shoulder flexion, `shoulder_flexion_deg` per arm, total capped at
    `max_shoulder_deg` (0 = arm hanging, 90 = pointing forward, 180 = straight up); drawn
    independently of the legs (0 = off, and then no random numbers are drawn for arms)."""

    probability: float = 0.3
    hip_flexion_deg: tuple[float, float] = (0.0, 110.0)
    knee_flexion_deg: tuple[float, float] = (0.0, 140.0)
    max_hip_deg: float = 125.0
    max_knee_deg: float = 155.0
    symmetric_prob: float = 0.6
    jitter_deg: float = 10.0
    arm_probability: float = 0.0
    shoulder_flexion_deg: tuple[float, float] = (0.0, 150.0)
    max_shoulder_deg: float = 170.0

    def __post_init__(self) -> None:
        if not all(0.0 <= p <= 1.0 for p in (self.probability, self.symmetric_prob,
                                              self.arm_probability)):
            raise PoseDataError("ArticulationConfig probabilities must lie in [0, 1].")
        for name in ("hip_flexion_deg", "knee_flexion_deg", "shoulder_flexion_deg"):
            low, high = (float(v) for v in getattr(self, name))
            if not 0.0 <= low <= high <= 180.0:
                raise PoseDataError(f"ArticulationConfig.{name} must be (low, high) degrees "
                                    "with 0 <= low <= high <= 180.")
            object.__setattr__(self, name, (low, high))


def _rotate(vectors: np.ndarray, axes: np.ndarray, angles_rad: np.ndarray) -> np.ndarray:
    """Rodrigues: (..., 3) vectors about (..., 3) unit axes by (...,) angles."""
    cos, sin = np.cos(angles_rad)[..., None], np.sin(angles_rad)[..., None]
    along = (axes * vectors).sum(-1, keepdims=True) * axes
    return vectors * cos + np.cross(axes, vectors) * sin + along * (1.0 - cos)


def _flex_forward(
    world: np.ndarray, chain: tuple[int, int, int], turn_rad: np.ndarray, max_rad: float,
    axes: tuple[np.ndarray, np.ndarray, np.ndarray],
) -> None:
    """Swing a limb chain forward about its first joint by (B, 1) radians, in place, stopping
    at `max_rad` forward of hanging straight down; axes: `trunk_axes` of the poses."""
    up, left, forward = axes
    base, middle, end = chain
    upper = world[..., middle, :] - world[..., base, :]
    lower = world[..., end, :] - world[..., middle, :]
    now = np.arctan2((upper * forward).sum(-1), -(upper * up).sum(-1))
    turn = np.clip(turn_rad, 0.0, np.maximum(max_rad - now, 0.0))
    world[..., middle, :] = world[..., base, :] + _rotate(upper, -left, turn)
    world[..., end, :] = world[..., middle, :] + _rotate(lower, -left, turn)


def bend_legs(
    world_mm: np.ndarray, hip_rad: np.ndarray, knee_rad: np.ndarray,
    max_hip_rad: float, max_knee_rad: float,
) -> np.ndarray:
    """(B, T, 16, 3) mm world poses with each leg's hip and knee flexed further.

    hip_rad, knee_rad: (B, 2) extra flexion per clip for the (right, left) leg, radians;
    frames already near a limit bend only up to it. Returns float64; no height adjustment.
    """
    world = np.array(world_mm, dtype=np.float64)
    axes = trunk_axes(world)
    for leg, (hip, knee, ankle) in enumerate(LEGS):
        thigh = world[..., knee, :] - world[..., hip, :]
        shin = world[..., ankle, :] - world[..., knee, :]
        knee_now = angle_between_rad(thigh, shin)
        knee_turn = np.clip(knee_rad[:, leg, None], 0.0, np.maximum(max_knee_rad - knee_now, 0))
        world[..., ankle, :] = world[..., knee, :] + _rotate(shin, axes[1], knee_turn)
        _flex_forward(world, (hip, knee, ankle), hip_rad[:, leg, None], max_hip_rad, axes)
    return world


def raise_arms(world_mm: np.ndarray, shoulder_rad: np.ndarray, max_rad: float) -> np.ndarray:
    """(B, T, 16, 3) mm world poses with each arm swung forward and up about its shoulder by
    (B, 2) radians for the (right, left) arm, up to `max_rad` from hanging; float64."""
    world = np.array(world_mm, dtype=np.float64)
    axes = trunk_axes(world)
    for arm, chain in enumerate(ARMS):
        _flex_forward(world, chain, shoulder_rad[:, arm, None], max_rad, axes)
    return world


def keep_lowest_height(original: np.ndarray, moved: np.ndarray) -> np.ndarray:
    """Shift each clip of `moved` (B, T, J, 3) vertically so its lowest joint over the clip is
    as high as in `original` (mm world, Y up); in place, returned for chaining."""
    moved[..., 1] += (original[..., 1].min(axis=(1, 2)) - moved[..., 1].min(axis=(1, 2)))[
        :, None, None]
    return moved


def articulate_clips(
    rng: np.random.Generator, world_mm: np.ndarray, config: ArticulationConfig
) -> np.ndarray:
    """(B, T, 16, 3) mm world poses, a chosen share of clips with bent legs (module doc);
    float64. Clips chosen for neither legs nor arms are returned unchanged."""
    world = np.asarray(world_mm, dtype=np.float64)
    if world.ndim != 4 or world.shape[-2:] != (16, 3):
        raise PoseDataError(f"Poses to articulate must be (B, T, 16, 3) mm, got {world.shape}.")
    count = world.shape[0]
    chosen = rng.random((count,)) < config.probability
    if not chosen.any() and config.arm_probability == 0.0:
        return world
    hip = rng.uniform(*config.hip_flexion_deg, (count, 2))
    knee = rng.uniform(*config.knee_flexion_deg, (count, 2))
    shared = rng.random((count,)) < config.symmetric_prob
    hip[shared] = hip[shared, :1] + rng.normal(0.0, config.jitter_deg, (int(shared.sum()), 2))
    knee[shared] = knee[shared, :1] + rng.normal(0.0, config.jitter_deg, (int(shared.sum()), 2))
    bent = bend_legs(world, np.radians(hip), np.radians(knee),
                     np.radians(config.max_hip_deg), np.radians(config.max_knee_deg))
    bent = np.where(chosen[:, None, None, None], bent, world)
    if config.arm_probability > 0.0:
        raised = rng.random((count,)) < config.arm_probability
        shoulder = np.radians(rng.uniform(*config.shoulder_flexion_deg, (count, 2)))
        shoulder[~raised] = 0.0
        bent = raise_arms(bent, shoulder, np.radians(config.max_shoulder_deg))
    return keep_lowest_height(world, bent)
