"""A synthetic person for the AR tests: a standing 16-joint skeleton facing the camera."""

from __future__ import annotations

import numpy as np

from posemachines.camera import Camera, project_points
from posemachines.structures import PoseResult

WIDTH, HEIGHT = 640, 480
F_PX, C_PX = np.array([600.0, 600.0]), np.array([320.0, 240.0])
#: A standing person facing the camera (x right, y down; the person's left is image right), mm.
STANDING = np.array([
    [0, 0, 0], [-100, 0, 0], [-100, 430, 0], [-100, 850, 0], [100, 0, 0], [100, 430, 0],
    [100, 850, 0], [0, -230, 0], [0, -480, 0], [0, -750, 0], [170, -470, 0], [190, -200, 0],
    [200, 40, 0], [-170, -470, 0], [-190, -200, 0], [-200, 40, 0],
], dtype=np.float64)
ROOT_MM = np.array([0.0, 100.0, 3500.0])


def camera() -> Camera:
    return Camera(R=np.eye(3), t_mm=np.zeros(3), f_px=F_PX, c_px=C_PX, k=np.zeros(3),
                  p=np.zeros(2), width=WIDTH, height=HEIGHT)


def standing_result(num_frames: int = 20, sway_mm: float = 0.0, noise_px: float = 0.0,
                    seed: int = 0) -> PoseResult:
    """`num_frames` poses of the standing person (swaying sideways by sway_mm), keypoints its
    exact projection plus Gaussian noise of noise_px."""
    t = np.arange(num_frames)
    root = ROOT_MM + np.outer(np.sin(t / 5.0), [sway_mm, 0, 0])
    pose = np.repeat(STANDING[None], num_frames, axis=0)
    keypoints = project_points(pose + root[:, None], F_PX, C_PX)
    keypoints = keypoints + np.random.default_rng(seed).normal(0, noise_px, keypoints.shape)
    return PoseResult(
        pose3d_mm=pose, keypoints_px=keypoints, confidence=np.ones((num_frames, 16)),
        frame_indices=t, timestamps_s=t / 30.0, fps=30.0, image_size=(WIDTH, HEIGHT),
        root_translation_mm=root, camera=camera(),
    )
