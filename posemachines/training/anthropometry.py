"""Anthropometric augmentation: give every training clip a new adult body, whole-body proportions.

A clip's 16-joint world poses `(T, 16, 3)` mm are rebuilt by forward kinematics along
`JOINTS16.bones`: every bone keeps its direction in every frame and gets the clip's sampled
length; the root (Hip) stays where it was. One body is drawn per clip (all frames share it).

A body is a stature H and, per part, a length as a fraction of H drawn uniformly from a range
(left and right equal). The ranges are the adult anthropometric ones widened to the joint
definitions of the mocap we know (where "hip", "thorax", "head" sit differs between datasets
as much as body size does):

- Stature H: 1518-1869 mm, the 5th-percentile woman to the 95th-percentile man (Huston,
  Principles of Biomechanics, CRC Press 2009, standing dimensions table).
- Segment lengths, fractions of H (Drillis & Contini 1966, as reproduced in Winter,
  Biomechanics and Motor Control of Human Movement, 4th ed. 2009, fig. 4.1): hip joint height
  0.530, knee 0.285, ankle 0.039 -> thigh 0.245, shin 0.246; shoulder height 0.818 -> trunk
  0.288; upper arm 0.186; forearm 0.146; shoulder (biacromial) breadth 0.259; hip breadth 0.191.
  Individuals spread about +-8 % around such a ratio: Huston's 5th-95th percentile segment
  lengths lie within +-7.8 % (upper arm, 333-389 mm around 361 mm) and +-8.4 % (lower leg,
  506-599 mm around 553 mm) of the median.
- Joint definitions, measured on the mapped mocap (docs/mocap_mapping.md: Bandai Namco,
  LAFAN1, Human3.6M), with H estimated from thigh + shin = 0.491 H: half hip width 0.040 H
  (Bandai Namco) to 0.073 H (Human3.6M; up to 147 mm) - joint centres, so below half the
  0.191 H body breadth; upper arm 0.149-0.189 H (glenohumeral centres sit below the acromion
  that 0.186 H is measured from); thorax-head 0.105-0.128 H; thorax-shoulder 0.066-0.107 H;
  Hip-Spine-Thorax 0.265-0.323 H; the Thorax 1-8 cm above the shoulder joints.

The vertical placement of the joints on the midline is jittered as follows: Spine by the split
of the trunk between Hip-Spine and Spine-Thorax (`spine_split`), Head by the thorax-head length,
Thorax by `thorax_shift_frac` (the Thorax slides along the spine after the lengths are set; its
children, head and shoulders, stay put, so it sits higher or lower above the shoulders), and the
hip joints by sampling trunk and thigh independently (hip joints placed higher on the body are
a shorter trunk and a longer thigh).
"""

from __future__ import annotations

from dataclasses import dataclass, fields

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16, NUM_JOINTS

BONE_PARENTS: tuple[int, ...] = tuple(p for p, _ in JOINTS16.bones)
BONE_CHILDREN: tuple[int, ...] = tuple(c for _, c in JOINTS16.bones)
NUM_BONES = len(BONE_CHILDREN)
THORAX = JOINTS16.names.index("Thorax")
#: Bone index (into `JOINTS16.bones`) ending at each joint.
_BONE_TO = {child: index for index, child in enumerate(BONE_CHILDREN)}
#: Body part -> the bones (by child joint name) that get its length.
PART_BONES: dict[str, tuple[str, ...]] = {
    "half_hip_frac": ("RHip", "LHip"),
    "thigh_frac": ("RKnee", "LKnee"),
    "shin_frac": ("RFoot", "LFoot"),
    "neck_head_frac": ("Head",),
    "clavicle_frac": ("LShoulder", "RShoulder"),
    "upper_arm_frac": ("LElbow", "RElbow"),
    "forearm_frac": ("LWrist", "RWrist"),
}
_STATURE_LIMITS_MM = (500.0, 2500.0)


@dataclass(frozen=True)
class AnthropometryConfig:
    """Uniform sampling ranges (low, high); `*_frac` are fractions of the stature H.

    probability: chance per clip of a new body (otherwise the clip keeps its own).
    trunk_frac: Hip-Spine + Spine-Thorax; spine_split: the Hip-Spine share of it.
    thorax_shift_frac: the Thorax slides this far up (+) or down the spine, children kept.
    Defaults and their sources: module docstring.
    """

    probability: float = 1.0
    stature_mm: tuple[float, float] = (1518.0, 1869.0)
    half_hip_frac: tuple[float, float] = (0.038, 0.085)
    thigh_frac: tuple[float, float] = (0.225, 0.265)
    shin_frac: tuple[float, float] = (0.226, 0.266)
    trunk_frac: tuple[float, float] = (0.25, 0.33)
    spine_split: tuple[float, float] = (0.42, 0.54)
    neck_head_frac: tuple[float, float] = (0.09, 0.14)
    clavicle_frac: tuple[float, float] = (0.06, 0.12)
    upper_arm_frac: tuple[float, float] = (0.145, 0.20)
    forearm_frac: tuple[float, float] = (0.13, 0.158)
    thorax_shift_frac: tuple[float, float] = (-0.015, 0.03)

    def __post_init__(self) -> None:
        for item in fields(self):
            if item.name == "probability":
                continue
            low, high = (float(v) for v in getattr(self, item.name))
            if not low <= high:
                raise PoseDataError(f"AnthropometryConfig.{item.name} must be (low, high), "
                                    "low <= high.")
            object.__setattr__(self, item.name, (low, high))
        if not 0.0 <= self.probability <= 1.0:
            raise PoseDataError("AnthropometryConfig.probability must lie in [0, 1].")
        low, high = self.stature_mm
        if low < _STATURE_LIMITS_MM[0] or high > _STATURE_LIMITS_MM[1]:
            raise PoseDataError("AnthropometryConfig.stature_mm must be adult heights in mm "
                                f"({_STATURE_LIMITS_MM[0]:g}-{_STATURE_LIMITS_MM[1]:g}).")
        lengths = [*PART_BONES, "trunk_frac"]
        if min(getattr(self, name)[0] for name in lengths) <= 0 or not (
                self.spine_split[0] > 0 and self.spine_split[1] < 1):
            raise PoseDataError("AnthropometryConfig length fractions must be > 0 and "
                                "spine_split inside (0, 1).")


@dataclass(frozen=True)
class BodyProportions:
    """n sampled bodies: stature_mm (n,); bone_mm (n, 15) in `JOINTS16.bones` order;
    thorax_shift_mm (n,)."""

    stature_mm: np.ndarray
    bone_mm: np.ndarray
    thorax_shift_mm: np.ndarray

    def __len__(self) -> int:
        return int(self.stature_mm.shape[0])


def sample_proportions(
    rng: np.random.Generator, n: int, config: AnthropometryConfig | None = None
) -> BodyProportions:
    """Draw n bodies (see the module docstring); deterministic for a given `rng` state."""
    config = config or AnthropometryConfig()
    names = ("stature_mm", *PART_BONES, "trunk_frac", "spine_split", "thorax_shift_frac")
    ranges = np.array([getattr(config, name) for name in names])  # (K, 2)
    draws = ranges[:, 0] + rng.random((n, len(names))) * (ranges[:, 1] - ranges[:, 0])
    value = dict(zip(names, draws.T, strict=True))
    stature = value["stature_mm"]
    bone = np.empty((n, NUM_BONES))
    for part, joints in PART_BONES.items():
        for joint in joints:
            bone[:, _BONE_TO[JOINTS16.names.index(joint)]] = value[part] * stature
    trunk = value["trunk_frac"] * stature
    bone[:, _BONE_TO[JOINTS16.names.index("Spine")]] = value["spine_split"] * trunk
    bone[:, _BONE_TO[THORAX]] = (1.0 - value["spine_split"]) * trunk
    return BodyProportions(stature, bone, value["thorax_shift_frac"] * stature)


def apply_proportions(world_mm: np.ndarray, bodies: BodyProportions) -> np.ndarray:
    """Rebuild (B, T, 16, 3) mm poses with body b's bone lengths in clip b (float64 out).

    Each bone keeps its per-frame direction; the root keeps its position; then the Thorax
    slides along the spine by the body's thorax shift, its children staying where they are.
    """
    world = np.asarray(world_mm, dtype=np.float64)
    if world.ndim != 4 or world.shape[2:] != (NUM_JOINTS, 3) or world.shape[0] != len(bodies):
        raise PoseDataError(f"Poses must be ({len(bodies)}, T, {NUM_JOINTS}, 3) mm, "
                            f"got {world.shape}.")
    if not np.all(np.isfinite(world)):
        raise PoseDataError("Poses to re-proportion hold NaN or infinite coordinates.")
    vectors = world[..., BONE_CHILDREN, :] - world[..., BONE_PARENTS, :]
    length = np.linalg.norm(vectors, axis=-1, keepdims=True)
    if np.any(length < 1e-6):
        raise PoseDataError("A bone has zero length in some frame, so it has no direction "
                            "to keep.")
    direction = vectors / length
    out = np.empty_like(world)
    out[..., 0, :] = world[..., 0, :]
    new_length = bodies.bone_mm[:, None, :, None]
    for bone, (parent, child) in enumerate(JOINTS16.bones):  # parents precede children
        out[..., child, :] = out[..., parent, :] + direction[..., bone, :] * new_length[:, :, bone]
    spine_direction = direction[..., _BONE_TO[THORAX], :]
    out[..., THORAX, :] += spine_direction * bodies.thorax_shift_mm[:, None, None]
    return out


def augment_anthropometry(
    rng: np.random.Generator, world_mm: np.ndarray, config: AnthropometryConfig
) -> np.ndarray:
    """(B, T, 16, 3) mm world poses with a new body for each clip (chance `probability`),
    float64; clips left as they were are returned unchanged."""
    bodies = sample_proportions(rng, world_mm.shape[0], config)
    chosen = rng.random((world_mm.shape[0],)) < config.probability
    world = np.asarray(world_mm, dtype=np.float64)
    if not chosen.any():
        return world
    return np.where(chosen[:, None, None, None], apply_proportions(world, bodies), world)
