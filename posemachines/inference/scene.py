"""Place one corrected clip in the scene: trajectory, camera and (for a static camera) the world.

    scene = place_in_scene(pose3d_mm, root_mm, keypoints_px, confidence, frame_indices, fps,
                           image_size, focal_px, metric=True, world=True)
    scene.root_translation_mm  # (T, 3) mm camera frame, smoothed, filled
    scene.camera               # posemachines.camera.Camera (world -> camera when in the world)
    scene.world                # WorldPose or None

The correction solves each frame's root translation; where a method does not (the 'paper' and
'none' corrections), it is solved here from the 2D by the same least squares
(`correction.root_translation`). `world.to_world` smooths it with the temporal prior, finds
the floor and the contacts, and falls back to the camera frame when the camera moves.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.camera import Camera
from posemachines.correction.root_translation import solve_root_translation
from posemachines.errors import PoseInputError
from posemachines.structures import FootContacts, WorldPose
from posemachines.world import WorldMotion, to_world
from posemachines.world.trajectory import smooth_trajectory

#: Fewer poses than this get no world part: too little motion to find a floor or contacts.
MIN_WORLD_POSES = 8


@dataclass(frozen=True)
class Scene:
    """root_translation_mm (T, 3) mm camera frame at the result's frames; camera; world (None
    unless asked for)."""

    root_translation_mm: np.ndarray
    camera: Camera
    world: WorldPose | None


def pinhole_camera(focal_px: float, image_size: tuple[int, int],
                   rotation: np.ndarray | None = None, t_mm: np.ndarray | None = None) -> Camera:
    """A distortion-free camera with its principal point at the image centre."""
    width, height = int(image_size[0]), int(image_size[1])
    return Camera(
        R=np.eye(3) if rotation is None else rotation,
        t_mm=np.zeros(3) if t_mm is None else t_mm,
        f_px=np.array([focal_px, focal_px]), c_px=np.array([width / 2.0, height / 2.0]),
        k=np.zeros(3), p=np.zeros(2), width=width, height=height,
    )


def world_pose(motion: WorldMotion, rows: np.ndarray) -> WorldPose:
    """The rows (frame numbers) of `motion` that the result holds, as a `WorldPose`."""
    contacts = None
    if motion.contacts is not None:
        contacts = FootContacts(
            joints=tuple(int(j) for j in motion.contacts.joints),
            names=tuple(motion.contacts.names),
            in_contact=np.asarray(motion.contacts.in_contact[rows], dtype=bool),
            probability=np.clip(motion.contacts.probability[rows], 0.0, 1.0).astype(np.float32),
        )
    ground = motion.ground
    nan = float("nan")
    return WorldPose(
        frame=motion.frame,
        joints_mm=motion.joints_mm[rows].astype(np.float32),
        contacts=contacts,
        camera_height_mm=nan if ground is None else float(ground.camera_height_mm),
        pitch_deg=nan if ground is None else float(ground.pitch_deg),
        roll_deg=nan if ground is None else float(ground.roll_deg),
        metric=motion.metric,
        warnings=motion.warnings,
    )


def camera_frame_scene(pose3d_mm: np.ndarray, root_translation_mm: np.ndarray,
                       rows: np.ndarray, fps: float, camera: Camera, warning: str | None
                       ) -> Scene:
    """The smoothed trajectory and, with a `warning`, the camera-frame fallback world."""
    translation = smooth_trajectory(root_translation_mm, rows, fps).translation_mm[rows]
    translation = translation.astype(np.float32)
    fallback = None if not warning else WorldPose(
        frame="camera", joints_mm=pose3d_mm + translation[:, None], warnings=(warning,))
    return Scene(translation, camera, fallback)


def place_in_scene(
    pose3d_mm: np.ndarray, root_translation_mm: np.ndarray | None, keypoints_px: np.ndarray,
    confidence: np.ndarray, frame_indices: np.ndarray, fps: float, image_size: tuple[int, int],
    focal_px: float, metric: bool, world: bool, moving_camera: str | None = None,
) -> Scene:
    """pose3d_mm (T, 16, 3) mm root-relative camera frame; root_translation_mm (T, 3) from the
    correction or None (then solved from keypoints_px (T, 16, 2) px / confidence (T, 16));
    frame_indices (T,) increasing; focal_px of the solved camera; metric: the scale is true
    (the person's height was given); world: also find the floor, contacts and world pose
    (from `MIN_WORLD_POSES` poses on);
    moving_camera: why the camera is known to move (from the frames), if it does: the world
    then stays the camera frame with that warning."""
    camera = pinhole_camera(focal_px, image_size)
    if root_translation_mm is None:
        root_translation_mm = solve_root_translation(
            pose3d_mm, keypoints_px, confidence, camera.f_px, camera.c_px)
    rows = np.asarray(frame_indices) - int(frame_indices[0])
    world = world and len(rows) >= MIN_WORLD_POSES  # a still image has no floor to find
    if not world or moving_camera:
        return camera_frame_scene(pose3d_mm, root_translation_mm, rows, fps, camera,
                                  moving_camera and f"{moving_camera} The result stays in the "
                                  "camera frame.")
    try:
        motion = to_world(pose3d_mm, root_translation_mm, rows, fps, metric=metric,
                          keypoints_px=keypoints_px, keypoint_confidence=confidence,
                          focal_px=focal_px)
    except PoseInputError as error:
        return camera_frame_scene(pose3d_mm, root_translation_mm, rows, fps, camera,
                                  f"No floor could be found ({error}) The result stays in the "
                                  "camera frame.")
    if not np.isfinite(motion.joints_mm).all():
        return camera_frame_scene(pose3d_mm, root_translation_mm, rows, fps, camera,
                                  "No floor could be found (the poses do not fit one). The "
                                  "result stays in the camera frame.")
    translation = motion.trajectory.translation_mm[rows].astype(np.float32)
    if motion.ground is not None:
        camera = pinhole_camera(focal_px, image_size, motion.ground.rotation_camera_from_world,
                                motion.ground.t_camera_mm)
    return Scene(translation, camera, world_pose(motion, rows))
