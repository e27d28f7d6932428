"""One skeleton per person per video: robust bone lengths, body height and forward kinematics.

Bones follow `JOINTS16.bones` (15 bones; bone b ends at joint b + 1).

Bone lengths: a bone's 3D length is measured with its x, y from the detected 2D joints
back-projected at the depths of the network's pose (placed by the solved root translation), and
only in the frames where the bone lies most nearly in the image plane, where the uncertain depth
difference matters least; the median over those frames is robust to detector outliers. The
bone's image-plane extent alone (no network depth) can never exceed its length, so its 90th
percentile over the clip is a floor for the estimate (it catches a network that shortens bones).
Detector jitter lengthens every measured bone, so its share is subtracted, and where it is large
against the bone (a small, far person) the network's own median length is trusted instead.
Left and right bones are averaged (optional). Bones named in `from_network` keep the network's
median length: the trunk's Spine and Thorax and the Head point are no detector's keypoints
(they are made from the hips, shoulders and face), so their 2D says little about those lengths.

Height: the chain ankle -> knee -> hip -> spine -> thorax -> head of the 16-joint skeleton spans
0.894 of the standing height by Winter's anthropometric proportions (Biomechanics and Motor
Control of Human Movement, 4th ed., 2009: ankle 0.039 H, knee 0.285 H, hip joint 0.530 H,
base of the neck 0.818 H), with our Head point 0.40 x hip-thorax above the thorax (0.933 H, as
`posemachines.data.mocap_mapping` places it); the rest (0.039 H under the ankle, 0.067 H from
the Head point to the crown) is the heel/foot and crown allowance.
"""


from __future__ import annotations

import numpy as np
from numpy.typing import ArrayLike

from posemachines.correction.statistics import lower_median
from posemachines.skeleton import JOINTS16

BONE_PARENTS: tuple[int, ...] = tuple(p for p, _ in JOINTS16.bones)
BONE_CHILDREN: tuple[int, ...] = tuple(c for _, c in JOINTS16.bones)
NUM_BONES = len(BONE_CHILDREN)
#: Quantile of a bone's image-plane extent over the clip that floors its length estimate.
LOWER_BOUND_QUANTILE = 0.9
#: Fraction of the standing height spanned by shin + thigh + spine (two bones) + thorax-head.
HEIGHT_CHAIN_FRACTION = 0.894
_SHIN = (BONE_CHILDREN.index(3), BONE_CHILDREN.index(6))
_THIGH = (BONE_CHILDREN.index(2), BONE_CHILDREN.index(5))
#: Hip-Spine, Spine-Thorax and Thorax-Head: bones between synthesised keypoints.
TRUNK_BONES: tuple[int, ...] = (BONE_CHILDREN.index(7), BONE_CHILDREN.index(8),
                                BONE_CHILDREN.index(9))


def mirror_bone_index() -> tuple[int, ...]:
    """For every bone, the index of its left/right twin (itself on the midline)."""
    perm = JOINTS16.flip_permutation
    return tuple(BONE_CHILDREN.index(perm[c]) for c in BONE_CHILDREN)


def ancestry_matrix() -> np.ndarray:
    """(16, 15) float64 0/1: joint j = sum of the bone vectors b on the path from the root to j."""
    matrix = np.zeros((len(JOINTS16.parents), NUM_BONES))
    for joint in range(len(JOINTS16.parents)):
        node = joint
        while JOINTS16.parents[node] >= 0:
            matrix[joint, BONE_CHILDREN.index(node)] = 1.0
            node = JOINTS16.parents[node]
    return matrix


def bone_vectors(pose: np.ndarray) -> np.ndarray:
    """(..., 16, 3) joints -> (..., 15, 3) child minus parent."""
    return pose[..., BONE_CHILDREN, :] - pose[..., BONE_PARENTS, :]


def standing_height_mm(bone_lengths_mm: ArrayLike) -> float:
    """Body height (mm) of a skeleton with these bone lengths (15,) (see the module docstring)."""
    lengths = np.asarray(bone_lengths_mm, dtype=np.float64)
    chain = (lengths[list(_SHIN)].mean() + lengths[list(_THIGH)].mean()
             + lengths[list(TRUNK_BONES)].sum())
    return float(chain / HEIGHT_CHAIN_FRACTION)


def estimate_bone_lengths(
    pose3d_rel_mm: np.ndarray, translation_mm: np.ndarray, keypoints_px: np.ndarray,
    weights: np.ndarray, f_px: np.ndarray, c_px: np.ndarray, *, noise_px: float = 0.0,
    in_plane_quantile: float = 0.5, reliable_noise_frac: float = 0.1, symmetric: bool = True,
    from_network: tuple[int, ...] = (), max_change: float = float("inf"),
) -> np.ndarray:
    """The clip's bone lengths (15,) mm, in the scale of the network's pose.

    pose3d_rel_mm (T, 16, 3) and translation_mm (T, 3) camera frame; keypoints_px (T, 16, 2);
    weights (T, 16) (0 = missing); f_px, c_px (2,); noise_px: the detections' jitter sigma.
    2D evidence per bone: the (lower) median squared back-projected length, less the part the
    jitter adds (2 sigma^2 (Z / f)^2), over the frames whose in-plane fraction |d_xy| / |d| is
    at or above `in_plane_quantile`, floored by the (likewise de-noised) 90th percentile of the
    image-plane extent. It is blended with the network's median length, trusting the 2D less
    as the jitter grows against the bone: weight 1 / (1 + (noise / length / reliable_noise_frac)^2)
    with noise the back-projected jitter of the bone. A bone never seen, or named in
    `from_network`, keeps the network's; every estimate stays within `max_change` (a fraction)
    of the network's median length.
    """
    depth = pose3d_rel_mm[..., 2] + translation_mm[:, None, 2]
    rays = (keypoints_px - c_px) / f_px
    back_projected = np.concatenate([rays * depth[..., None], depth[..., None]], axis=-1)
    vectors = bone_vectors(back_projected)
    squared = (vectors**2).sum(-1)  # (T, 15)
    planar = (vectors[..., :2] ** 2).sum(-1)
    in_plane = np.sqrt(planar / np.maximum(squared, 1e-9))
    mean_depth = 0.5 * (depth[:, BONE_PARENTS] + depth[:, BONE_CHILDREN])
    jitter = 2.0 * (noise_px * mean_depth / np.mean(f_px)) ** 2  # (T, 15) mm^2
    seen = (weights[:, BONE_PARENTS] > 0) & (weights[:, BONE_CHILDREN] > 0)
    seen &= np.isfinite(squared) & (depth[:, BONE_PARENTS] > 0) & (depth[:, BONE_CHILDREN] > 0)
    network = lower_median(np.linalg.norm(bone_vectors(pose3d_rel_mm), axis=-1), axis=0)
    estimate = network.copy()
    for bone in range(NUM_BONES):  # 15 bones: a loop over bones, not frames
        frames = seen[:, bone]
        if bone in from_network or not frames.any():
            continue
        fraction = in_plane[frames, bone]
        chosen = fraction >= np.quantile(fraction, in_plane_quantile)
        clean = np.maximum(squared[frames, bone] - jitter[frames, bone], 0.0)
        clean_planar = np.maximum(planar[frames, bone] - jitter[frames, bone], 0.0)
        from_2d = np.sqrt(max(lower_median(clean[chosen]),
                              np.quantile(clean_planar, LOWER_BOUND_QUANTILE)))
        relative_noise = np.sqrt(lower_median(jitter[frames, bone])) / max(network[bone], 1.0)
        trust = 1.0 / (1.0 + (relative_noise / reliable_noise_frac) ** 2)
        estimate[bone] = trust * from_2d + (1.0 - trust) * network[bone]
    if symmetric:
        estimate = 0.5 * (estimate + estimate[list(mirror_bone_index())])
    if max_change == float("inf"):
        return estimate
    return np.minimum(np.maximum(estimate, (1.0 - max_change) * network),
                      (1.0 + max_change) * network)
