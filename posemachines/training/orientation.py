"""Body-orientation augmentation: tilt whole clips so the lifter sees bodies that are not upright.

Upright mocap (Bandai Namco has no floor work, no falls) teaches a lifter that the body's long
axis runs up the image; on a person lying, kneeling, falling or getting up it then fails badly
(measured by posture in docs/generalisation.md §2b). A tilted clip is the same motion with the
whole body rotated about a horizontal axis: not a real floor pose (gravity still pulls along the
old vertical), but the 2D-to-3D geometry of limbs seen at every angle, which is what the lifter
lacks.

A clip `(T, 16, 3)` mm world (Y up, ground y = 0) is rotated about a horizontal axis of random
heading through its first-frame root by an angle drawn uniformly from `tilt_deg`, then lowered
or raised so its lowest joint over the clip stays at the height it had (a tilted body lies near
the ground, not floating at hip height, so the cameras see it from their usual heights).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.training.articulation import keep_lowest_height


@dataclass(frozen=True)
class OrientationConfig:
    """probability: chance per clip of a tilt; tilt_deg: (low, high) tilt angle, degrees."""

    probability: float = 0.3
    tilt_deg: tuple[float, float] = (20.0, 110.0)

    def __post_init__(self) -> None:
        low, high = (float(v) for v in self.tilt_deg)
        if not 0.0 <= low <= high <= 180.0:
            raise PoseDataError("OrientationConfig.tilt_deg must be (low, high) degrees with "
                                "0 <= low <= high <= 180.")
        if not 0.0 <= self.probability <= 1.0:
            raise PoseDataError("OrientationConfig.probability must lie in [0, 1].")
        object.__setattr__(self, "tilt_deg", (low, high))


def tilt_rotations(heading_rad: np.ndarray, tilt_rad: np.ndarray) -> np.ndarray:
    """(B,) headings and tilts -> (B, 3, 3) rotations by `tilt` about the horizontal axis
    (cos h, 0, sin h) (Rodrigues' formula; Y up)."""
    axis = np.stack([np.cos(heading_rad), np.zeros_like(heading_rad), np.sin(heading_rad)], -1)
    cross = np.zeros((*axis.shape[:-1], 3, 3))
    cross[..., 0, 1], cross[..., 0, 2] = -axis[..., 2], axis[..., 1]
    cross[..., 1, 0], cross[..., 1, 2] = axis[..., 2], -axis[..., 0]
    cross[..., 2, 0], cross[..., 2, 1] = -axis[..., 1], axis[..., 0]
    sin, cos = np.sin(tilt_rad)[..., None, None], np.cos(tilt_rad)[..., None, None]
    return np.eye(3) + sin * cross + (1.0 - cos) * cross @ cross


def tilt_clips(
    rng: np.random.Generator, world_mm: np.ndarray, config: OrientationConfig
) -> np.ndarray:
    """(B, T, 16, 3) mm world poses, a chosen share of clips tilted (module doc); float64.

    Clips not chosen are returned unchanged.
    """
    world = np.asarray(world_mm, dtype=np.float64)
    if world.ndim != 4 or world.shape[-1] != 3:
        raise PoseDataError(f"Poses to tilt must be (B, T, J, 3) mm, got {world.shape}.")
    count = world.shape[0]
    heading = rng.uniform(0.0, 2.0 * np.pi, (count,))
    tilt = np.radians(rng.uniform(*config.tilt_deg, (count,)))
    chosen = rng.random((count,)) < config.probability
    if not chosen.any():
        return world
    pivot = world[:, :1, :1, :]  # first-frame root, (B, 1, 1, 3)
    rotated = np.einsum("bij,btkj->btki", tilt_rotations(heading, tilt), world - pivot) + pivot
    keep_lowest_height(world, rotated)
    return np.where(chosen[:, None, None, None], rotated, world)
