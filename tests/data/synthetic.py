"""Synthetic Human3.6M-like data in the real file layouts, for tests (no licensed data needed).

Poses are a plausible standing/walking person (world frame, z up, mm) near the capture
centre, so the real Human3.6M cameras see them; 2D comes from projecting through those cameras.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posemachines.camera import H36M_CAMERA_IDS, h36m_camera
from posemachines.data.videopose3d import (
    H36M_2D_METADATA,
    write_videopose3d_2d,
    write_videopose3d_3d,
)
from posemachines.skeleton import H36M32_TO_17, to_joints16

#: A standing person in Human3.6M's 17-joint order (mm, x = person's left, z up).
_REST_POSE_17 = np.array([
    [0, 0, 900], [-130, 0, 900], [-130, 0, 480], [-130, 0, 70], [130, 0, 900],
    [130, 0, 480], [130, 0, 70], [0, 0, 1130], [0, 0, 1380], [0, -60, 1480], [0, 0, 1600],
    [170, 0, 1350], [180, 0, 1070], [190, 0, 820], [-170, 0, 1350], [-180, 0, 1070],
    [-190, 0, 820],
], dtype=np.float64)


def synthetic_h36m32_world_mm(frames: int, rng: np.random.Generator) -> np.ndarray:
    """(frames, 32, 3) mm, world: a person turning and drifting within 1 m of the origin.

    The 15 joints VideoPose3D drops copy the hip, as some raw Human3.6M joints duplicate others.
    """
    t = np.arange(frames)[:, None, None] / 50.0
    swing = np.zeros((frames, 17, 3))
    swing[:, [2, 3], 1] = 150 * np.sin(2 * np.pi * t[:, :, 0])
    swing[:, [5, 6], 1] = -150 * np.sin(2 * np.pi * t[:, :, 0])
    pose = _REST_POSE_17 + swing + rng.normal(0, 10, (frames, 17, 3))
    yaw = rng.uniform(-np.pi, np.pi) + 0.5 * t[:, 0, 0]
    cos, sin = np.cos(yaw), np.sin(yaw)
    rotation = np.zeros((frames, 3, 3))
    rotation[:, 0, 0], rotation[:, 0, 1] = cos, -sin
    rotation[:, 1, 0], rotation[:, 1, 1] = sin, cos
    rotation[:, 2, 2] = 1
    offset = rng.uniform(-800, 800, 3) * np.array([1, 1, 0])
    phase = t[:, 0]
    drift = np.concatenate([200 * np.sin(phase), 200 * np.cos(phase), np.zeros_like(phase)], 1)
    world17 = pose @ rotation.transpose(0, 2, 1) + (offset + drift)[:, None, :]
    world32 = np.repeat(world17[:, :1], 32, axis=1)
    world32[:, list(H36M32_TO_17)] = world17
    return world32


def project_h36m17(subject: str, world32_mm: np.ndarray) -> list[np.ndarray]:
    """(N, 32, 3) mm world -> the 17 VideoPose3D joints in px, one (N, 17, 2) per camera."""
    joints17 = world32_mm[:, list(H36M32_TO_17)]
    out = []
    for index in range(len(H36M_CAMERA_IDS)):
        camera = h36m_camera(subject, index)
        out.append(np.asarray(camera.project(camera.world_to_camera(joints17))))
    return out


@dataclass(frozen=True)
class SyntheticVideoPose3D:
    """Paths written and what they hold, in posemachines units and joints."""

    path_3d: Path
    path_2d: Path
    poses_world_mm: dict[str, dict[str, np.ndarray]]  # (N, 16, 3) mm, world
    poses_2d_px: dict[str, dict[str, list[np.ndarray]]]  # 4 x (N, 16, 2) px


def write_synthetic_videopose3d(
    directory: Path,
    subjects: tuple[str, ...] = ("S1", "S9"),
    actions: tuple[str, ...] = ("Directions 1", "Walking"),
    frames: int = 20,
    rng: np.random.Generator | None = None,
) -> SyntheticVideoPose3D:
    """Write data_3d_h36m.npz (32 joints, metres) and data_2d_h36m_gt.npz (17 joints, px)
    into `directory`, consistent through the real Human3.6M cameras of each subject."""
    rng = np.random.default_rng(0) if rng is None else rng
    world32: dict[str, dict[str, np.ndarray]] = {}
    pixels17: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject in subjects:
        world32[subject], pixels17[subject] = {}, {}
        for action in actions:
            world32[subject][action] = synthetic_h36m32_world_mm(frames, rng)
            pixels17[subject][action] = project_h36m17(subject, world32[subject][action])
    path_3d = write_videopose3d_3d(Path(directory) / "data_3d_h36m.npz", world32)
    path_2d = write_videopose3d_2d(
        Path(directory) / "data_2d_h36m_gt.npz", pixels17, H36M_2D_METADATA
    )
    poses_world = {
        s: {a: to_joints16(x, "h36m32")[0] for a, x in acts.items()} for s, acts in world32.items()
    }
    poses_2d = {
        s: {a: [to_joints16(x, "h36m17")[0] for x in cams] for a, cams in acts.items()}
        for s, acts in pixels17.items()
    }
    return SyntheticVideoPose3D(path_3d, path_2d, poses_world, poses_2d)
