"""Helpers for the analysis tests: mocap world poses seen by a tilted camera, synthetic falls."""

from __future__ import annotations

from functools import cache
from pathlib import Path

import numpy as np

from posemachines.data.mocap import load_mocap_clip
from posemachines.structures import PoseResult

BANDAI_1 = Path("mocap") / "bandai-namco-1" / "data"
BANDAI_2 = Path("mocap") / "bandai-namco-2" / "data"
LAFAN1 = Path("mocap") / "lafan1"


@cache
def mocap_world_mm(path: Path) -> np.ndarray:
    """(T, 16, 3) float64 world mm (Y up) of one BVH file at 30 fps, loaded once per session."""
    joints = load_mocap_clip(path, fps=30.0).joints_mm.astype(np.float64)
    joints.setflags(write=False)
    return joints

#: World (Y up) -> level camera looking along world -Z: x right, y down, z forward.
_LEVEL_CAMERA = np.diag([1.0, -1.0, -1.0])


def rotation_x(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[1, 0, 0], [0, np.cos(a), -np.sin(a)], [0, np.sin(a), np.cos(a)]])


def rotation_y(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])


def rotation_z(degrees: float) -> np.ndarray:
    a = np.radians(degrees)
    return np.array([[np.cos(a), -np.sin(a), 0], [np.sin(a), np.cos(a), 0], [0, 0, 1]])


def camera_rotation(pitch_deg: float = 15.0, yaw_deg: float = 30.0,
                    roll_deg: float = 0.0) -> np.ndarray:
    """World (Y up) -> camera (y down) rotation of a camera pitched down by `pitch_deg`."""
    return rotation_z(roll_deg) @ rotation_x(pitch_deg) @ _LEVEL_CAMERA @ rotation_y(yaw_deg)


def to_camera(world_mm: np.ndarray, pitch_deg: float = 15.0, yaw_deg: float = 30.0,
              roll_deg: float = 0.0) -> np.ndarray:
    """(T, 16, 3) world mm, Y up -> (T, 16, 3) camera mm (y down), root-relative."""
    rotation = camera_rotation(pitch_deg, yaw_deg, roll_deg)
    camera = np.asarray(world_mm, dtype=np.float64) @ rotation.T
    return camera - camera[:, :1]


def camera_up(pitch_deg: float = 15.0, yaw_deg: float = 30.0, roll_deg: float = 0.0) -> np.ndarray:
    """The world's up (0, 1, 0) in that camera's frame."""
    return camera_rotation(pitch_deg, yaw_deg, roll_deg) @ np.array([0.0, 1.0, 0.0])


def _axis_rotation(axis: np.ndarray, degrees: float) -> np.ndarray:
    """Rodrigues: rotation by `degrees` about the unit vector `axis`."""
    a = np.radians(degrees)
    k = np.array([[0, -axis[2], axis[1]], [axis[2], 0, -axis[0]], [-axis[1], axis[0], 0]])
    return np.eye(3) + np.sin(a) * k + (1 - np.cos(a)) * k @ k


def topple_to_floor(pose_world_mm: np.ndarray, fall_s: float, fps: float,
                    direction_deg: float = 0.0, lying_s: float = 3.0) -> np.ndarray:
    """(16, 3) world pose (Y up) -> (F, 16, 3): rigidly toppled to the floor, then lying still.

    The body turns about a horizontal axis through the point on the floor between the feet,
    accelerating like a falling body (angle ~ t^2) to 90 degrees over `fall_s` seconds,
    toward the horizontal direction `direction_deg` (0 = +Z, 90 = +X).
    """
    up = np.array([0.0, 1.0, 0.0])
    heading = np.radians(direction_deg)
    direction = np.array([np.sin(heading), 0.0, np.cos(heading)])
    axis = np.cross(up, direction)
    feet = pose_world_mm[[3, 6]]
    pivot = np.array([feet[:, 0].mean(), feet[:, 1].min(), feet[:, 2].mean()])
    falling = int(round(fall_s * fps))
    angles = 90.0 * (np.arange(1, falling + 1) / falling) ** 2
    angles = np.concatenate([angles, np.full(int(round(lying_s * fps)), 90.0)])
    frames = [(pose_world_mm - pivot) @ _axis_rotation(axis, a).T + pivot for a in angles]
    return np.stack(frames)


def standing_pose_mm() -> np.ndarray:
    """(16, 3) world mm (Y up) of a person standing straight, facing +Z, left side at +X."""
    return np.array([
        [0, 1000, 0], [-100, 1000, 0], [-100, 550, 0], [-100, 100, 0],  # Hip, RHip/Knee/Foot
        [100, 1000, 0], [100, 550, 0], [100, 100, 0],  # LHip, LKnee, LFoot
        [0, 1250, 0], [0, 1500, 0], [0, 1700, 0],  # Spine, Thorax, Head
        [180, 1450, 0], [180, 1170, 0], [180, 920, 0],  # LShoulder, LElbow, LWrist
        [-180, 1450, 0], [-180, 1170, 0], [-180, 920, 0],  # RShoulder, RElbow, RWrist
    ], dtype=np.float64)


#: Frame rate of the synthetic results (fps).
RESULT_FPS = 30.0


def make_result(poses_mm: np.ndarray, first_frame: int = 0) -> PoseResult:
    """A PoseResult around (T, 16, 3) camera-frame poses, as `posemachines infer` writes."""
    count = len(poses_mm)
    frames = np.arange(first_frame, first_frame + count)
    return PoseResult(
        pose3d_mm=poses_mm, keypoints_px=np.zeros((count, 16, 2)),
        confidence=np.ones((count, 16)), frame_indices=frames, timestamps_s=frames / RESULT_FPS,
        fps=RESULT_FPS, image_size=(640, 480), source="synthetic",
    )
