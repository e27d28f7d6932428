"""A synthetic walking-and-turning person seen by a known pinhole camera, for correction tests.

Poses are camera frame (x right, y down, z forward), mm, root-relative, built by forward
kinematics from a fixed skeleton, so the true bone lengths are known exactly.
"""

from __future__ import annotations

import numpy as np

from posemachines.skeleton import JOINTS16

FOCAL_PX = 1500.0
IMAGE_SIZE = (1920, 1080)
CENTRE_PX = np.array([960.0, 540.0])
#: Standing rest pose facing the camera (x right, y down), mm.
REST_MM = np.array([
    [0, 0, 0], [-130, 0, 0], [-130, 420, 0], [-130, 830, 0], [130, 0, 0], [130, 420, 0],
    [130, 830, 0], [0, -230, 0], [0, -480, 0], [0, -680, 0], [170, -450, 0], [180, -170, 0],
    [190, 80, 0], [-170, -450, 0], [-180, -170, 0], [-190, 80, 0],
], dtype=np.float64)


def _rotation(angle: np.ndarray, axis: int) -> np.ndarray:
    """(T, 3, 3) rotations about camera axis 0 (x) or 1 (y)."""
    c, s = np.cos(angle), np.sin(angle)
    first, second = [k for k in range(3) if k != axis]
    rotation = np.zeros((*angle.shape, 3, 3))
    rotation[..., axis, axis] = 1.0
    rotation[..., first, first], rotation[..., second, second] = c, c
    rotation[..., first, second], rotation[..., second, first] = -s, s
    return rotation


def walking_clip(frames: int, fps: float = 30.0) -> tuple[np.ndarray, np.ndarray]:
    """Root-relative poses (T, 16, 3) mm and root translations (T, 3) mm, camera frame."""
    t = np.arange(frames) / fps
    parents = JOINTS16.parents
    bones = REST_MM - REST_MM[[max(p, 0) for p in parents]]
    local = np.repeat(bones[None], frames, axis=0)
    swing = 0.5 * np.sin(2 * np.pi * t)
    knee = 0.3 * (1 + np.sin(2 * np.pi * t))
    for joint, angle in ((2, swing), (3, swing + knee), (5, -swing), (6, knee - swing),
                         (11, -0.6 * swing), (12, -0.6 * swing - 0.5), (14, 0.6 * swing),
                         (15, 0.6 * swing - 0.5)):
        local[:, joint] = np.einsum("tij,tj->ti", _rotation(angle, 0), local[:, joint])
    pose = np.zeros((frames, 16, 3))
    for joint in range(1, 16):
        pose[:, joint] = pose[:, parents[joint]] + local[:, joint]
    pose = np.einsum("tij,tkj->tki", _rotation(2.0 * t, 1), pose)  # a full turn in 3 s
    root = np.stack([300 * np.sin(0.5 * t), 200 + 0 * t, 4000 + 500 * np.cos(0.4 * t)], -1)
    return pose, root


def project(pose_mm: np.ndarray, root_mm: np.ndarray, focal_px: float = FOCAL_PX) -> np.ndarray:
    """(T, 16, 3) root-relative + (T, 3) -> (T, 16, 2) px through the test camera."""
    points = pose_mm + root_mm[:, None]
    return points[..., :2] / points[..., 2:3] * focal_px + CENTRE_PX
