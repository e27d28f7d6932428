"""Plausible 16-joint poses for export/viz tests: a rest skeleton turned by random joint rotations.

Bone lengths are constant over frames (a rigid skeleton), as mocap gives them.
"""

from __future__ import annotations

import dataclasses

import numpy as np
from scipy.spatial.transform import Rotation

from posemachines.camera import Camera
from posemachines.skeleton import JOINTS16_PARENTS
from posemachines.structures import CorrectionInfo, FootContacts, PoseResult, WorldPose

#: Standing subject facing the camera, camera frame (x right, y down, z forward), mm, from its
#: parent. The subject's left side is at +x. Hips sit a little below the pelvis joint.
REST_BONES_MM = np.array([
    [0, 0, 0],                                               # Hip
    [-130, 20, 0], [0, 440, 10], [0, 430, -20],              # RHip, RKnee, RFoot
    [130, 20, 0], [0, 440, 10], [0, 430, -20],               # LHip, LKnee, LFoot
    [0, -230, -10], [0, -250, 0], [0, -200, -30],            # Spine, Thorax, Head
    [150, 40, 0], [0, 280, 0], [0, 250, 0],                  # LShoulder, LElbow, LWrist
    [-150, 40, 0], [0, 280, 0], [0, 250, 0],                 # RShoulder, RElbow, RWrist
], dtype=float)


def rest_pose() -> np.ndarray:
    """(16, 3) mm camera frame, root-relative: the rest skeleton standing upright."""
    pose = np.zeros((16, 3))
    for joint, parent in enumerate(JOINTS16_PARENTS[1:], start=1):
        pose[joint] = pose[parent] + REST_BONES_MM[joint]
    return pose


def random_poses(num_frames: int, seed: int = 0, max_angle_deg: float = 45.0) -> np.ndarray:
    """(T, 16, 3) mm camera frame, root-relative: random local rotations of the rest skeleton.

    The root turns freely about the vertical axis and tilts up to 20 degrees.
    """
    rng = np.random.default_rng(seed)
    poses = np.zeros((num_frames, 16, 3))
    for t in range(num_frames):
        world = [Rotation.identity()] * 16
        root_turn = Rotation.from_euler("yxz", [rng.uniform(-180, 180),
                                                *rng.uniform(-20, 20, size=2)], degrees=True)
        world[0] = root_turn
        for joint, parent in enumerate(JOINTS16_PARENTS[1:], start=1):
            local = Rotation.from_rotvec(
                rng.normal(size=3) / np.sqrt(3) * np.radians(max_angle_deg))
            world[joint] = world[parent] * local
            poses[t, joint] = poses[t, parent] + world[parent].apply(REST_BONES_MM[joint])
    return poses


def project(poses_mm: np.ndarray, image_size: tuple[int, int] = (64, 48),
            depth_mm: float = 4500.0) -> np.ndarray:
    """(T, 16, 2) px: pinhole projection with the root `depth_mm` in front of the camera."""
    width, height = image_size
    focal = 1.2 * max(width, height)
    points = poses_mm + np.array([0.0, 0.0, depth_mm])
    return focal * points[..., :2] / points[..., 2:] + np.array([width / 2, height / 2])


def scene_camera(image_size: tuple[int, int] = (64, 48)) -> Camera:
    """A camera 1.6 m above the floor, pitched 10 degrees down (world Y up, X = Y x Z)."""
    pitch = np.radians(10.0)
    # camera <- world: world Y up -> camera -y; world X -> camera -x; then pitch about x.
    flip = np.diag([-1.0, -1.0, 1.0])
    tilt = np.array([[1, 0, 0], [0, np.cos(pitch), np.sin(pitch)],
                     [0, -np.sin(pitch), np.cos(pitch)]])
    rotation = tilt @ flip
    centre_world = np.array([0.0, 1600.0, -3000.0])
    width, height = image_size
    return Camera(R=rotation, t_mm=-rotation @ centre_world, f_px=np.array([77.0, 77.0]),
                  c_px=np.array([width / 2, height / 2]), k=np.zeros(3), p=np.zeros(2),
                  width=width, height=height)


def add_scene(result: PoseResult) -> PoseResult:
    """`result` walking 10 mm per frame along world +Z, with camera, world joints and contacts
    (RFoot down on even frames, LFoot on odd ones)."""
    count = result.num_frames
    camera = scene_camera(result.image_size)
    root_world = np.stack([np.zeros(count), np.full(count, 900.0), 10.0 * np.arange(count)], 1)
    root_camera = camera.world_to_camera(root_world[:, None])[:, 0]
    joints_world = camera.camera_to_world(result.pose3d_mm + root_camera[:, None])
    right_down = np.arange(count) % 2 == 0
    contacts = FootContacts(
        joints=(3, 6), names=("RFoot", "LFoot"),
        in_contact=np.stack([right_down, ~right_down], axis=1),
        probability=np.stack([np.where(right_down, 0.9, 0.2), np.where(right_down, 0.1, 0.8)],
                             axis=1))
    world = WorldPose(frame="world", joints_mm=joints_world, contacts=contacts,
                      camera_height_mm=1600.0, pitch_deg=10.0, roll_deg=0.0,
                      warnings=("A test warning.",))
    return dataclasses.replace(result, root_translation_mm=root_camera, camera=camera,
                               world=world)


def make_result(num_frames: int = 5, *, image_size: tuple[int, int] = (64, 48),
                with_correction: bool = True, seed: int = 0, with_scene: bool = False
                ) -> PoseResult:
    """A PoseResult of `num_frames` poses with one missing frame (index 2) in the middle;
    with_scene adds a trajectory, camera and world (`add_scene`)."""
    rng = np.random.default_rng(seed + 1)
    poses = random_poses(num_frames, seed=seed)
    frame_indices = np.array([i if i < 2 else i + 1 for i in range(num_frames)])
    correction = None
    if with_correction:
        correction = CorrectionInfo(
            method="self_supervised", steps=rng.integers(0, 10, size=num_frames),
            kept=rng.random(num_frames) > 0.3, displacement_mm=rng.random(num_frames) * 20,
        )
    confidence = rng.uniform(0.5, 1.0, size=(num_frames, 16))
    confidence[:, 12] = 0.1  # LWrist poorly seen
    result = PoseResult(
        pose3d_mm=poses, keypoints_px=project(poses, image_size), confidence=confidence,
        frame_indices=frame_indices, timestamps_s=frame_indices / 25.0, fps=25.0,
        image_size=image_size, source="synthetic.mp4", missing_frames=(2,),
        correction=correction,
    )
    return add_scene(result) if with_scene else result
