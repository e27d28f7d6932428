"""A real mocap walk (Bandai Namco, world mm, Y up, 30 fps) seen by known virtual cameras.

Camera frames follow posemachines.camera: x right, y down, z forward, `X_cam = R (X - eye)`.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posemachines.camera import look_at
from posemachines.data.mocap import load_mocap_clip
from posemachines.skeleton import JOINTS16, trunk_axes
from posemachines.world.body import LEG_CHAINS
from posemachines.world.contact_truth import mocap_contacts

WALK = "mocap/bandai-namco-2/data/dataset-2_walk_normal_001.bvh"
#: Standing on one spot and bowing (the trunk leans up to ~60 deg, 14 deg on average).
BOW = "mocap/bandai-namco-1/data/dataset-1_bow_normal_001.bvh"
FPS = 30.0
PITCH_DEG, ROLL_DEG, HEIGHT_MM = 15.0, 5.0, 1500.0
#: Camera 6 m to the side of the start and 6 m back, looking 45 deg across the 10 m walk (+Z).
EYE_MM = np.array([6000.0, HEIGHT_MM, -6000.0])
HEADING_DEG = -45.0
#: Image of the virtual camera: focal length and size (px).
FOCAL_PX, WIDTH_PX, HEIGHT_PX = 1000.0, 1280, 720
#: Ground-truth contact: ankle within this of its rest height and slower than this.
TRUE_CONTACT_HEIGHT_MM = 40.0
TRUE_CONTACT_SPEED_MM_S = 300.0


def project(joints_cam_mm: np.ndarray) -> np.ndarray:
    """(..., 2) px of camera-frame points (..., 3) mm in the FOCAL_PX, WIDTH_PX x HEIGHT_PX
    image (principal point at its centre)."""
    return (FOCAL_PX * joints_cam_mm[..., :2] / joints_cam_mm[..., 2:]
            + np.array([WIDTH_PX / 2, HEIGHT_PX / 2]))


def load_walk(shared_data: Path, name: str = WALK) -> np.ndarray:
    """(T, 16, 3) float64 world mm, Y up, floor at y = 0 (the mocap's own floor)."""
    return load_mocap_clip(shared_data / name).joints_mm.astype(np.float64)


def camera_rotation(pitch_deg: float, roll_deg: float, heading_deg: float) -> np.ndarray:
    """World -> camera rotation (3, 3) of a camera heading `heading_deg` about world Y
    (0 = +Z), looking down by `pitch_deg` and rolled by `roll_deg` about its optical axis."""
    pitch, heading, roll = np.radians([pitch_deg, heading_deg, roll_deg])
    forward = np.array([np.cos(pitch) * np.sin(heading), -np.sin(pitch),
                        np.cos(pitch) * np.cos(heading)])
    level = look_at(np.zeros(3), forward)
    c, s = np.cos(roll), np.sin(roll)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ level


def view(joints_world: np.ndarray, rotation: np.ndarray, eye_mm: np.ndarray) -> np.ndarray:
    """World joints (T, J, 3) -> camera frame (T, J, 3); rotation (3, 3) or per frame (T, 3, 3)."""
    relative = joints_world - eye_mm
    if rotation.ndim == 2:
        return relative @ rotation.T
    return np.einsum("tij,tkj->tki", rotation, relative)


def split(joints_cam: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """Root-relative pose (T, 16, 3) and root translation (T, 3), camera frame."""
    return joints_cam - joints_cam[:, :1], joints_cam[:, 0].copy()


def static_view(joints_world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The walk seen by the test camera (pitch 15, roll 5, 1.5 m): (pose, translation)."""
    return split(view(joints_world, camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG), EYE_MM))


def true_contacts(joints_world: np.ndarray, fps: float = FPS) -> np.ndarray:
    """(T, 2) bool for (RFoot, LFoot), the benchmark's truth (`mocap_contacts`): within 40 mm
    of the ankle's own rest height over the floor and slower than 300 mm/s."""
    return mocap_contacts(joints_world, fps, max_height_mm=TRUE_CONTACT_HEIGHT_MM,
                          max_speed_mm_s=TRUE_CONTACT_SPEED_MM_S)


def leg_bones_mm(joints: np.ndarray) -> np.ndarray:
    """(T, 4) thigh and shin lengths of both legs."""
    return np.stack([np.linalg.norm(joints[:, b] - joints[:, a], axis=-1)
                     for hip, knee, ankle in LEG_CHAINS for a, b in ((hip, knee), (knee, ankle))],
                    axis=-1)


def front_view(
    joints_world: np.ndarray, height_mm: float, pitch_deg: float, roll_deg: float,
    distance_mm: float = 3500.0,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(pose, translation, eye (3,)) of a camera `distance_mm` in front of the person (along
    their mean facing direction), `height_mm` above the floor, looking back at them."""
    up, left, forward = trunk_axes(joints_world)
    facing = forward.mean(axis=0) * np.array([1.0, 0.0, 1.0])
    facing /= np.linalg.norm(facing)
    eye = joints_world[:, 0].mean(axis=0) + distance_mm * facing
    eye[1] = height_mm
    heading = np.degrees(np.arctan2(-facing[0], -facing[2]))
    pose, translation = split(view(joints_world, camera_rotation(pitch_deg, roll_deg, heading),
                                   eye))
    return pose, translation, eye


def noisy_view(
    pose: np.ndarray, translation: np.ndarray, seed: int = 0, direction_sigma: float = 0.03,
    translation_sigma_mm: tuple[float, float, float] = (10.0, 10.0, 30.0),
    smooth_frames: float = 1.5,
) -> tuple[np.ndarray, np.ndarray]:
    """Estimator-like errors on a camera-frame (pose, translation): every bone direction turned
    by temporally smooth noise (`direction_sigma` rad, lengths kept, as the correction's one
    skeleton per video does) and the root translation shaken, most along depth."""
    rng = np.random.default_rng(seed)
    frames = len(pose)
    kernel = np.exp(-0.5 * (np.arange(-5, 6) / smooth_frames) ** 2)
    kernel /= np.sqrt(np.sum(kernel**2))

    def smooth_noise(shape: tuple[int, ...]) -> np.ndarray:
        raw = rng.normal(size=(frames + 10, *shape))
        return np.apply_along_axis(lambda x: np.convolve(x, kernel, "valid"), 0, raw)

    turned = np.zeros_like(pose)
    bend = smooth_noise((16, 3)) * direction_sigma
    for child, parent in enumerate(JOINTS16.parents):
        if parent < 0:
            continue
        bone = pose[:, child] - pose[:, parent]
        length = np.linalg.norm(bone, axis=-1, keepdims=True)
        direction = bone / length + bend[:, child]
        direction /= np.linalg.norm(direction, axis=-1, keepdims=True)
        turned[:, child] = turned[:, parent] + length * direction
    shaken = translation + smooth_noise((3,)) * np.asarray(translation_sigma_mm)
    return turned, shaken
