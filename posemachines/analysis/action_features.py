"""View- and scale-invariant features of pose windows for the action classifier.

A window is WINDOW_FRAMES poses at FEATURE_FPS (2 s). Each window is turned into a body-centred
frame: y along `up` (against gravity), x along the horizontal part of the window's mean
left-right axis (left hip minus right hip plus left shoulder minus right shoulder), z = x cross
y (the facing direction). One rotation per window, so turning within the window stays visible.
Every pose is first rebuilt with CANONICAL_BONES (each bone keeps its direction, takes a typical
adult's length in leg lengths; `canonical_skeleton`), so the features do not depend on the
person's (or the mocap rig's) proportions either: trained on a mix of rigs, a classifier would
otherwise learn which rig a class came from. Positions are root-relative in leg lengths (hip ->
knee -> ankle = 1), so the features do not depend on the camera's direction or the person's
size.
Per frame: the 15 non-root joints' positions (45 values, leg lengths) and velocities (45,
leg lengths/s over VELOCITY_SCALE), i.e. features (B, FEATURE_CHANNELS, WINDOW_FRAMES).
"""

from __future__ import annotations

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS, flip_horizontal, unit_vectors

#: Poses per window and their rate: windows are 2 s long.
WINDOW_FRAMES = 60
FEATURE_FPS = 30.0
#: Velocities (leg lengths/s) are divided by this to be of order 1 like the positions.
VELOCITY_SCALE = 4.0
FEATURE_CHANNELS = 2 * 15 * 3
#: A left-right axis more vertical than this (horizontal part below this fraction of its
#: length: a person lying on the side) gives way to the body axis for the heading.
MIN_HORIZONTAL_FRACTION = 0.3

_J = {name: index for index, name in enumerate(JOINTS16_NAMES)}
#: Bone lengths (child joint -> length in leg lengths, hip -> knee -> ankle = 1) of the rebuilt
#: skeleton: a typical adult, the medians of LAFAN1, CMU and our lifter on the shipped real
#: clips (which agree within ~0.05; Bandai Namco's rig has a shorter trunk, 0.54, and narrower
#: hips, 0.16, and shoulders, 0.26).
CANONICAL_BONES: dict[str, float] = {
    "RHip": 0.12, "RKnee": 0.5, "RFoot": 0.5, "LHip": 0.12, "LKnee": 0.5, "LFoot": 0.5,
    "Spine": 0.3, "Thorax": 0.33, "Head": 0.26, "LShoulder": 0.19, "LElbow": 0.36,
    "LWrist": 0.29, "RShoulder": 0.19, "RElbow": 0.36, "RWrist": 0.29,
}


def _horizontal(vectors: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(B, 3) vectors minus their component along the (B, 3) unit `up`."""
    return vectors - np.sum(vectors * up, axis=-1, keepdims=True) * up


def body_frames(poses_mm: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(B, T, 16, 3) poses and (B, 3) up -> (B, 3, 3) rotations whose rows are x, y (up), z."""
    up = unit_vectors(up)
    left = (poses_mm[:, :, _J["LHip"]] - poses_mm[:, :, _J["RHip"]]
            + poses_mm[:, :, _J["LShoulder"]] - poses_mm[:, :, _J["RShoulder"]]).mean(axis=1)
    left_flat = _horizontal(left, up)
    body = (poses_mm[:, :, _J["Thorax"]] - poses_mm[:, :, _J["Hip"]]).mean(axis=1)
    sideways = np.cross(up, _horizontal(body, up))
    lying_on_side = (np.linalg.norm(left_flat, axis=-1)
                     < MIN_HORIZONTAL_FRACTION * np.linalg.norm(left, axis=-1))
    x_axis = unit_vectors(np.where(lying_on_side[:, None], sideways, left_flat))
    return np.stack([x_axis, up, np.cross(x_axis, up)], axis=1)


def leg_lengths_mm(poses_mm: np.ndarray) -> np.ndarray:
    """(B, T, 16, 3) -> (B,) median over frames of the mean hip -> knee -> ankle length."""
    def bone(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(poses_mm[:, :, _J[a]] - poses_mm[:, :, _J[b]], axis=-1)

    legs = (bone("RHip", "RKnee") + bone("RKnee", "RFoot")
            + bone("LHip", "LKnee") + bone("LKnee", "LFoot")) / 2
    return np.median(legs, axis=1)


def canonical_skeleton(poses_mm: np.ndarray) -> np.ndarray:
    """(..., 16, 3) poses -> the same poses rebuilt from the root (at the origin) with every
    bone along its own direction and CANONICAL_BONES long (leg lengths)."""
    rebuilt = np.zeros(np.shape(poses_mm), dtype=np.float64)
    for child, parent in enumerate(JOINTS16_PARENTS):  # parents come before their children
        if parent >= 0:
            direction = unit_vectors(poses_mm[..., child, :] - poses_mm[..., parent, :])
            rebuilt[..., child, :] = (rebuilt[..., parent, :]
                                      + CANONICAL_BONES[JOINTS16_NAMES[child]] * direction)
    return rebuilt


def check_windows(poses_mm: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Validated float64 (B, T, 16, 3) poses and (B, 3) up; raises PoseDataError."""
    poses = np.asarray(poses_mm, dtype=np.float64)
    if poses.ndim != 4 or poses.shape[2:] != (16, 3):
        raise PoseDataError(f"Action windows must be (B, T, 16, 3) 3D poses in mm, got "
                            f"{poses.shape}.")
    if poses.shape[1] < 2:
        raise PoseDataError("Action windows need at least 2 poses each.")
    if not np.isfinite(poses).all():
        raise PoseDataError("Action windows hold NaN or infinite joint positions.")
    up = np.broadcast_to(np.asarray(up, dtype=np.float64), (len(poses), 3))
    if not np.isfinite(up).all() or np.any(np.linalg.norm(up, axis=-1) < 1e-9):
        raise PoseDataError("The up direction must be a finite non-zero 3D vector.")
    return poses, up


def window_features(poses_mm: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(B, T, 16, 3) mm poses (any frame, any root) and (3,) or (B, 3) up in that frame ->
    (B, FEATURE_CHANNELS, T) float32 features, the same for any rotation or scale of both."""
    poses, up = check_windows(poses_mm, up)
    legs = leg_lengths_mm(poses)
    if np.any(legs <= 1e-6):
        raise PoseDataError("A pose window has legs of zero length: the result holds no 3D "
                            "poses to recognise actions in.")
    rebuilt = canonical_skeleton(poses)
    local = np.einsum("btjk,bik->btji", rebuilt, body_frames(rebuilt, up))[:, :, 1:]
    positions = local.reshape(len(poses), poses.shape[1], -1)
    steps = np.diff(positions, axis=1, prepend=positions[:, :1]) * FEATURE_FPS
    features = np.concatenate([positions, steps / VELOCITY_SCALE], axis=-1)
    return np.ascontiguousarray(features.transpose(0, 2, 1), dtype=np.float32)


def mirror_windows(poses_mm: np.ndarray, up: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(B, T, 16, 3) poses and (B, 3) up mirrored left <-> right (x negated, sides swapped)."""
    mirrored_up = np.array(up, dtype=np.float64)
    mirrored_up[..., 0] = -mirrored_up[..., 0]
    return flip_horizontal(np.asarray(poses_mm)), mirrored_up


def torso_frames(poses_mm: np.ndarray) -> np.ndarray:
    """(..., 16, 3) poses -> (..., 3, 3) rotations whose rows are the torso's x (right to left
    shoulder), y (hip to thorax) and z (x cross y, the chest's facing direction)."""
    up = unit_vectors(poses_mm[..., _J["Thorax"], :] - poses_mm[..., _J["Hip"], :])
    across = poses_mm[..., _J["LShoulder"], :] - poses_mm[..., _J["RShoulder"], :]
    x_axis = unit_vectors(across - np.sum(across * up, axis=-1, keepdims=True) * up)
    return np.stack([x_axis, up, np.cross(x_axis, up)], axis=-2)


_ARMS = {"left": (_J["LShoulder"], _J["LElbow"], _J["LWrist"]),
         "right": (_J["RShoulder"], _J["RElbow"], _J["RWrist"])}


def hold_arms(poses_mm: np.ndarray, held_mm: np.ndarray, sides: np.ndarray) -> np.ndarray:
    """Windows (B, T, 16, 3) with arms held still against the torso, as when carrying or
    reading something: the elbow and wrist of each side marked in `sides` (B, 2) bool (left,
    right) keep, in every frame, the place relative to shoulder and torso that they have in
    `held_mm` (B, 16, 3), one pose per window (scaled by the ratio of the two leg lengths)."""
    poses = np.array(poses_mm, dtype=np.float64)
    held = np.asarray(held_mm, dtype=np.float64)
    scale = leg_lengths_mm(poses) / np.maximum(leg_lengths_mm(held[:, None]), 1e-9)
    frames, held_frames = torso_frames(poses), torso_frames(held)
    for side, (shoulder, elbow, wrist) in zip((0, 1), _ARMS.values(), strict=True):
        rows = np.flatnonzero(sides[:, side])
        offsets = held[rows][:, [elbow, wrist]] - held[rows][:, [shoulder]]
        local = np.einsum("bik,bjk->bji", held_frames[rows], offsets) * scale[rows, None, None]
        placed = poses[rows][:, :, [shoulder]] + np.einsum("btik,bji->btjk", frames[rows], local)
        poses[rows, :, elbow], poses[rows, :, wrist] = placed[:, :, 0], placed[:, :, 1]
    return poses
