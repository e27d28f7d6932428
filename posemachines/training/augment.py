"""2D input augmentation that imitates how a real detector errs, plus flip augmentation.

All functions are vectorised over a batch of clips: 2D keypoints `(B, T, 16, 2)` px with
confidences `(B, T, 16)`, 3D targets `(B, T, 16, 3)` mm (camera frame, root-relative).
Randomness comes only from the `rng` passed in, so a batch is a pure function of its seed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.skeleton import JOINTS16, NUM_JOINTS


@dataclass(frozen=True)
class DetectorNoiseConfig:
    """How much detector-like error to add; fractions are of the person's 2D size (bbox diagonal).

    jitter_frac: range of the per-clip Gaussian sigma (BlazePose on clean video ~1-2 % of size).
    outlier_prob: chance per joint and frame of a gross error of `outlier_frac` of the size.
    drop_prob: chance per joint and frame that the joint is missing (confidence 0).
    occlusion_clip_prob: chance per clip that one limb chain is occluded for a run of frames.
    swap_prob: chance per clip and frame that left and right legs (or arms) trade places.
    temporal_jitter_prob: chance per clip that frames are shuffled by one (frame-rate hiccup).
    """

    jitter_frac: tuple[float, float] = (0.0, 0.03)
    outlier_prob: float = 0.01
    outlier_frac: tuple[float, float] = (0.1, 0.3)
    drop_prob: float = 0.02
    occlusion_clip_prob: float = 0.1
    swap_prob: float = 0.01
    temporal_jitter_prob: float = 0.1


NO_NOISE = DetectorNoiseConfig(
    jitter_frac=(0.0, 0.0), outlier_prob=0.0, drop_prob=0.0, occlusion_clip_prob=0.0,
    swap_prob=0.0, temporal_jitter_prob=0.0,
)

_LIMB_CHAINS = ((1, 2, 3), (4, 5, 6), (10, 11, 12), (13, 14, 15))
_LEG_SWAP = np.array([0, 4, 5, 6, 1, 2, 3, *range(7, NUM_JOINTS)])
_ARM_SWAP = np.array([*range(10), 13, 14, 15, 10, 11, 12])


def person_size_px(xy_px: np.ndarray) -> np.ndarray:
    """Bounding-box diagonal of each clip's first frame: (B, T, J, 2) -> (B,) px."""
    extent = xy_px[:, 0].max(axis=1) - xy_px[:, 0].min(axis=1)
    return np.maximum(np.linalg.norm(extent, axis=-1), 1.0)


def add_detector_noise(
    xy_px: np.ndarray, confidence: np.ndarray, rng: np.random.Generator,
    config: DetectorNoiseConfig = DetectorNoiseConfig(),
) -> tuple[np.ndarray, np.ndarray]:
    """Return noisy copies of (B, T, J, 2) px keypoints and (B, T, J) confidences.

    Missing joints get confidence 0; their coordinates are left in place (callers mask them).
    """
    xy = xy_px.astype(np.float64, copy=True)
    conf = confidence.astype(np.float32, copy=True)
    batch, frames, joints, _ = xy.shape
    size = person_size_px(xy)[:, None, None, None]

    sigma = rng.uniform(*config.jitter_frac, size=(batch, 1, 1, 1)) * size
    xy += rng.normal(size=xy.shape) * sigma

    outlier = rng.random((batch, frames, joints)) < config.outlier_prob
    if outlier.any():
        direction = rng.normal(size=(*outlier.shape, 2))
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True) + 1e-9
        magnitude = rng.uniform(*config.outlier_frac, size=outlier.shape)[..., None] * size
        xy += np.where(outlier[..., None], direction * magnitude, 0.0)
        conf = np.where(outlier, conf * rng.uniform(0.3, 0.8, size=outlier.shape), conf)

    swap = rng.random((batch, frames)) < config.swap_prob
    if swap.any():
        use_legs = rng.random((batch, frames)) < 0.5
        legs, arms = swap & use_legs, swap & ~use_legs
        xy[legs] = xy[legs][:, _LEG_SWAP]
        xy[arms] = xy[arms][:, _ARM_SWAP]

    dropped = rng.random((batch, frames, joints)) < config.drop_prob
    occluded = rng.random((batch,)) < config.occlusion_clip_prob
    for b in np.flatnonzero(occluded):
        chain = _LIMB_CHAINS[rng.integers(len(_LIMB_CHAINS))]
        start = rng.integers(frames)
        stop = rng.integers(start + 1, frames + 1)
        dropped[b, start:stop, list(chain[rng.integers(len(chain)):])] = True
    conf = np.where(dropped, 0.0, conf).astype(np.float32)

    hiccup = rng.random((batch,)) < config.temporal_jitter_prob
    if frames > 1 and hiccup.any():
        for b in np.flatnonzero(hiccup):
            t = rng.integers(frames - 1)
            xy[b, [t, t + 1]] = xy[b, [t + 1, t]]
            conf[b, [t, t + 1]] = conf[b, [t + 1, t]]
    return xy, conf


def flip_clips(
    xy_px: np.ndarray, pose3d_mm: np.ndarray, confidence: np.ndarray, image_width: np.ndarray,
    flip: np.ndarray,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Mirror the clips where `flip` (B,) is True: x -> width - x in 2D, x -> -x in 3D, L<->R.

    image_width: (B,) px, so the mirrored 2D stays inside the same image.
    """
    perm = list(JOINTS16.flip_permutation)
    xy, pose, conf = xy_px.copy(), pose3d_mm.copy(), confidence.copy()
    xy[flip] = xy[flip][..., perm, :]
    xy[flip, ..., 0] = image_width[flip, None, None] - xy[flip, ..., 0]
    pose[flip] = pose[flip][..., perm, :]
    pose[flip, ..., 0] = -pose[flip, ..., 0]
    conf[flip] = conf[flip][..., perm]
    return xy, pose, conf
