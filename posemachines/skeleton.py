"""Joint orders, parents, bones, left/right swaps and mappings into the paper's 16-joint set.

The paper uses Human3.6M's 17 joints without Neck/Nose. Every other keypoint format is mapped
into those 16 joints by a fixed linear combination of its own joints (a (16, J_src) weight
matrix), so the same mapping applies to 2D pixels, 3D millimetres and batches of either.
A mapped joint's confidence is the minimum confidence of the source joints it uses.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import cache
from typing import overload

import numpy as np

from posemachines.errors import PoseDataError

H36M17_NAMES: tuple[str, ...] = (
    "Hip", "RHip", "RKnee", "RFoot", "LHip", "LKnee", "LFoot", "Spine", "Thorax",
    "Neck/Nose", "Head", "LShoulder", "LElbow", "LWrist", "RShoulder", "RElbow", "RWrist",
)
H36M17_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)

JOINTS16_NAMES: tuple[str, ...] = tuple(n for n in H36M17_NAMES if n != "Neck/Nose")
#: Head hangs from Thorax once Neck/Nose is removed.
JOINTS16_PARENTS: tuple[int, ...] = (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 8, 10, 11, 8, 13, 14)
#: Indices of the 17 used joints in raw Human3.6M's 32-joint order (as VideoPose3D keeps them).
H36M32_TO_17: tuple[int, ...] = (0, 1, 2, 3, 6, 7, 8, 12, 13, 14, 15, 17, 18, 19, 25, 26, 27)
NUM_JOINTS = 16
ROOT = 0
#: Joints the paper's test-time correction watches: pelvis, both shoulders, both hips.
CORRECTION_ANCHORS: tuple[int, ...] = (0, 1, 4, 10, 13)


@dataclass(frozen=True)
class Skeleton:
    """A kinematic tree: joint names, parent indices (-1 for the root) and left/right pairs."""

    names: tuple[str, ...]
    parents: tuple[int, ...]

    @property
    def num_joints(self) -> int:
        return len(self.names)

    @property
    def bones(self) -> tuple[tuple[int, int], ...]:
        """(parent, child) index pairs, one per non-root joint, in joint order."""
        return tuple((p, j) for j, p in enumerate(self.parents) if p >= 0)

    @property
    def flip_permutation(self) -> tuple[int, ...]:
        """Index map that swaps every left joint with its right twin (identity elsewhere)."""
        perm = list(range(self.num_joints))
        for j, name in enumerate(self.names):
            twin = _mirror_name(name)
            if twin != name and twin in self.names:
                perm[j] = self.names.index(twin)
        return tuple(perm)

    @property
    def left_joints(self) -> tuple[int, ...]:
        return tuple(j for j, n in enumerate(self.names) if n.startswith("L"))

    @property
    def right_joints(self) -> tuple[int, ...]:
        return tuple(j for j, n in enumerate(self.names) if n.startswith("R"))


def _mirror_name(name: str) -> str:
    if name.startswith("L") and name[1:2].isupper():
        return "R" + name[1:]
    if name.startswith("R") and name[1:2].isupper():
        return "L" + name[1:]
    return name


H36M17 = Skeleton(H36M17_NAMES, H36M17_PARENTS)
JOINTS16 = Skeleton(JOINTS16_NAMES, JOINTS16_PARENTS)


def _leg_chain(side: str) -> tuple[int, int, int]:
    """(hip, knee, ankle) JOINTS16 indices of one leg; `side` is "R" or "L"."""
    return (JOINTS16_NAMES.index(side + "Hip"), JOINTS16_NAMES.index(side + "Knee"),
            JOINTS16_NAMES.index(side + "Foot"))


#: (hip, knee, ankle) JOINTS16 indices of the right and the left leg.
LEG_CHAINS: tuple[tuple[int, int, int], ...] = (_leg_chain("R"), _leg_chain("L"))


def bone_lengths(joints: np.ndarray, skeleton: Skeleton = JOINTS16) -> np.ndarray:
    """Lengths of every bone of `skeleton`: (..., J, D) -> (..., J-1), same unit as input."""
    parents = [p for p, _ in skeleton.bones]
    children = [c for _, c in skeleton.bones]
    return np.linalg.norm(joints[..., children, :] - joints[..., parents, :], axis=-1)


def leg_lengths(joints: np.ndarray) -> np.ndarray:
    """Hip-knee-ankle length of each leg (right, left): JOINTS16 (..., 16, D) -> (..., 2)."""
    hips, knees, ankles = np.array(LEG_CHAINS).T
    return (np.linalg.norm(joints[..., knees, :] - joints[..., hips, :], axis=-1)
            + np.linalg.norm(joints[..., ankles, :] - joints[..., knees, :], axis=-1))


def unit_vectors(vectors: np.ndarray) -> np.ndarray:
    """(..., D) vectors scaled to length 1 (near-zero ones stay near zero)."""
    return vectors / np.maximum(np.linalg.norm(vectors, axis=-1, keepdims=True), 1e-9)


def angle_between_rad(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Angle (radians, 0..pi) between (..., D) vectors."""
    cosine = np.sum(unit_vectors(first) * unit_vectors(second), axis=-1)
    return np.arccos(np.clip(cosine, -1.0, 1.0))


def trunk_axes(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Up (Hip -> Thorax), left (RHip -> LHip, made orthogonal to up) and forward (left x up)
    unit vectors (..., 3) of (..., 16, 3) `JOINTS16` poses."""
    names = JOINTS16.names
    up = unit_vectors(joints[..., names.index("Thorax"), :] - joints[..., names.index("Hip"), :])
    across = joints[..., names.index("LHip"), :] - joints[..., names.index("RHip"), :]
    left = unit_vectors(across - np.sum(across * up, axis=-1, keepdims=True) * up)
    return up, left, np.cross(left, up)


def flip_horizontal(joints: np.ndarray, skeleton: Skeleton = JOINTS16) -> np.ndarray:
    """Mirror x (negate the first coordinate) and swap left/right joints: (..., J, D)."""
    flipped = joints[..., list(skeleton.flip_permutation), :].copy()
    flipped[..., 0] = -flipped[..., 0]
    return flipped


# ---------------------------------------------------------------------------------------------
# Format mappings. Each entry: target joint -> {source joint index: weight}; weights sum to 1.
# ---------------------------------------------------------------------------------------------
#: Spine sits halfway between pelvis and thorax (Human3.6M's spine marker is ~0.48 of the way).
SPINE_FRACTION = 0.5
#: Formats without a head-top point: the head top is extrapolated from the ear midpoint along
#: thorax->ears by half that distance (thorax-to-ear ~ 200 mm, ear-to-crown ~ 100-120 mm).
HEAD_EXTRAPOLATION = 0.5

#: BlazePose's hip landmarks, like the hips people annotate in images, sit below the hip joint
#: centres of our skeleton (and of Human3.6M, MPI-INF-3DHP and the mocap the lifter learned
#: from): the joint centres are taken this fraction of the hip-to-shoulder distance up the
#: trunk from them. On the real MPI-INF-3DHP fixture frames through our detector 0.15 lifted
#: best (PA-MPJPE 165.3 -> 161.9 mm; 0.1: 162.4, 0.2: 162.2), and on the Human3.6M frames,
#: not used to choose it, PA-MPJPE fell 68.7 -> 63.6 mm (detected hips were 2.4 % of the
#: person's height below Human3.6M's; docs/generalisation.md §6d).
BLAZEPOSE_HIP_RAISE = 0.15
#: A target's confidence is the least of its source joints weighted at least this much.
CONFIDENCE_MIN_WEIGHT = 0.2

Recipe = dict[str, dict[int, float]]


def _mid(a: int, b: int) -> dict[int, float]:
    return {a: 0.5, b: 0.5}


def _spine(hips: dict[int, float], thorax: dict[int, float]) -> dict[int, float]:
    out: dict[int, float] = {}
    for j, w in hips.items():
        out[j] = out.get(j, 0.0) + (1 - SPINE_FRACTION) * w
    for j, w in thorax.items():
        out[j] = out.get(j, 0.0) + SPINE_FRACTION * w
    return out


def _head_from_ears(ears: dict[int, float], thorax: dict[int, float]) -> dict[int, float]:
    out: dict[int, float] = {}
    for j, w in ears.items():
        out[j] = out.get(j, 0.0) + (1 + HEAD_EXTRAPOLATION) * w
    for j, w in thorax.items():
        out[j] = out.get(j, 0.0) - HEAD_EXTRAPOLATION * w
    return out


def _raised(joint: dict[int, float], hips: dict[int, float], shoulders: dict[int, float],
             fraction: float) -> dict[int, float]:
    """`joint` moved `fraction` of the way from the hips' centre to the shoulders' centre."""
    out = dict(joint)
    for j, w in shoulders.items():
        out[j] = out.get(j, 0.0) + fraction * w
    for j, w in hips.items():
        out[j] = out.get(j, 0.0) - fraction * w
    return out


def _recipe(
    hip: dict[int, float], rhip: int, rknee: int, rfoot: int, lhip: int, lknee: int, lfoot: int,
    thorax: dict[int, float], head: dict[int, float], lsho: int, lelb: int, lwri: int,
    rsho: int, relb: int, rwri: int, spine: dict[int, float] | None = None,
) -> Recipe:
    return {
        "Hip": hip, "RHip": {rhip: 1.0}, "RKnee": {rknee: 1.0}, "RFoot": {rfoot: 1.0},
        "LHip": {lhip: 1.0}, "LKnee": {lknee: 1.0}, "LFoot": {lfoot: 1.0},
        "Spine": spine if spine is not None else _spine(hip, thorax), "Thorax": thorax,
        "Head": head, "LShoulder": {lsho: 1.0}, "LElbow": {lelb: 1.0}, "LWrist": {lwri: 1.0},
        "RShoulder": {rsho: 1.0}, "RElbow": {relb: 1.0}, "RWrist": {rwri: 1.0},
    }


def _h36m17() -> Recipe:
    return {name: {H36M17_NAMES.index(name): 1.0} for name in JOINTS16_NAMES}


def _h36m32() -> Recipe:
    return {name: {H36M32_TO_17[H36M17_NAMES.index(name)]: 1.0} for name in JOINTS16_NAMES}


def _coco17() -> Recipe:
    # 0 nose, 1/2 eyes, 3 lear, 4 rear, 5 lsho, 6 rsho, 7 lelb, 8 relb, 9 lwri, 10 rwri,
    # 11 lhip, 12 rhip, 13 lknee, 14 rknee, 15 lank, 16 rank.
    hip, thorax = _mid(11, 12), _mid(5, 6)
    return _recipe(hip, 12, 14, 16, 11, 13, 15, thorax, _head_from_ears(_mid(3, 4), thorax),
                   5, 7, 9, 6, 8, 10)


def _mpii16() -> Recipe:
    # 0 rank, 1 rkne, 2 rhip, 3 lhip, 4 lkne, 5 lank, 6 pelvis, 7 thorax, 8 upper neck,
    # 9 head top, 10 rwri, 11 relb, 12 rsho, 13 lsho, 14 lelb, 15 lwri. MPII annotates the
    # pelvis, thorax and head top directly, so they are used as they are.
    return _recipe({6: 1.0}, 2, 1, 0, 3, 4, 5, {7: 1.0}, {9: 1.0}, 13, 14, 15, 12, 11, 10)


def _body25() -> Recipe:
    # OpenPose BODY_25: 0 nose, 1 neck, 2 rsho, 3 relb, 4 rwri, 5 lsho, 6 lelb, 7 lwri,
    # 8 midhip, 9 rhip, 10 rknee, 11 rank, 12 lhip, 13 lknee, 14 lank, 15/16 eyes,
    # 17 rear, 18 lear, 19-24 feet. Thorax = mean of shoulders (OpenPose's neck sits higher).
    hip, thorax = _mid(9, 12), _mid(2, 5)
    return _recipe(hip, 9, 10, 11, 12, 13, 14, thorax, _head_from_ears(_mid(17, 18), thorax),
                   5, 6, 7, 2, 3, 4)


def _blazepose33() -> Recipe:
    # MediaPipe BlazePose: 7 lear, 8 rear, 11 lsho, 12 rsho, 13 lelb, 14 relb, 15 lwri,
    # 16 rwri, 23 lhip, 24 rhip, 25 lknee, 26 rknee, 27 lank, 28 rank. Hip joints = the hip
    # landmarks raised by BLAZEPOSE_HIP_RAISE, hip centre = their mean, thorax = mean of
    # shoulders, spine halfway, head top extrapolated from the ears.
    landmarks, thorax = _mid(23, 24), _mid(11, 12)
    rhip, lhip = (_raised({j: 1.0}, landmarks, thorax, BLAZEPOSE_HIP_RAISE) for j in (24, 23))
    recipe = _recipe(_raised(landmarks, landmarks, thorax, BLAZEPOSE_HIP_RAISE), 24, 26, 28,
                     23, 25, 27, thorax, _head_from_ears(_mid(7, 8), thorax), 11, 13, 15, 12,
                     14, 16)
    return {**recipe, "RHip": rhip, "LHip": lhip}


_FORMATS = {
    "h36m17": (17, _h36m17),
    "h36m32": (32, _h36m32),
    "coco17": (17, _coco17),
    "mpii16": (16, _mpii16),
    "body25": (25, _body25),
    "blazepose33": (33, _blazepose33),
}
FORMATS: tuple[str, ...] = tuple(_FORMATS)


@cache
def mapping_matrix(source: str) -> np.ndarray:
    """(16, J_src) weights that map a source format's joints to the 16-joint set."""
    if source not in _FORMATS:
        raise PoseDataError(f"Unknown keypoint format '{source}'; known: {', '.join(FORMATS)}.")
    num_src, build = _FORMATS[source]
    recipe = build()
    matrix = np.zeros((NUM_JOINTS, num_src))
    for t, name in enumerate(JOINTS16_NAMES):
        for j, w in recipe[name].items():
            matrix[t, j] += w
    matrix.setflags(write=False)
    return matrix


def source_joint_count(source: str) -> int:
    mapping_matrix(source)
    return _FORMATS[source][0]


@overload
def to_joints16(joints: np.ndarray, source: str) -> tuple[np.ndarray, None]: ...
@overload
def to_joints16(
    joints: np.ndarray, source: str, confidence: np.ndarray
) -> tuple[np.ndarray, np.ndarray]: ...
@overload
def to_joints16(
    joints: np.ndarray, source: str, confidence: np.ndarray | None
) -> tuple[np.ndarray, np.ndarray | None]: ...
def to_joints16(
    joints: np.ndarray, source: str, confidence: np.ndarray | None = None
) -> tuple[np.ndarray, np.ndarray | None]:
    """Map (..., J_src, D) joints of `source` format to (..., 16, D); same unit as input.

    confidence (..., J_src) maps to (..., 16): the minimum over each target's source joints
    (those weighted at least `CONFIDENCE_MIN_WEIGHT`).
    """
    matrix = mapping_matrix(source)
    if joints.shape[-2] != matrix.shape[1]:
        raise PoseDataError(
            f"Format '{source}' has {matrix.shape[1]} joints but the array has "
            f"{joints.shape[-2]}."
        )
    mapped = np.einsum("tj,...jd->...td", matrix, joints)
    if confidence is None:
        return mapped, None
    used = np.abs(matrix) >= CONFIDENCE_MIN_WEIGHT
    conf16 = np.stack(
        [confidence[..., used[t]].min(axis=-1) for t in range(NUM_JOINTS)], axis=-1
    )
    return mapped, conf16
