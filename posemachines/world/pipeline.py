"""Camera-frame poses and root translations -> the person moving through the world.

`to_world` chains the modules: trajectory (smooth, fill) -> absolute camera-frame joints ->
camera-motion check -> ground (floor, gravity, extrinsics) -> world joints -> contacts ->
foot lock -> gait. When the camera moves, the result stays in the camera frame (absolute
joints, smoothed trajectory) with the reason among the warnings and no contacts or gait.
Intrinsics stay with the caller; the extrinsics found here are in `WorldMotion.ground`.

Frames that the floor shows to be impossible are dropped and filled like frames without a
person (`implausible_frames`): a body cut off by the image border, or a false detection, is
2D that the lifter reads as a small body far away, and a root solved that far down the
viewing ray puts the person metres under the floor (a man walking in under a high camera,
his head alone in view: 2.7 m below it). One such pass, when they are a minority of frames.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posemachines.errors import PoseInputError
from posemachines.world.body import FOOT_JOINTS, check_fps
from posemachines.world.camera_motion import CameraMotion, CameraMotionConfig, detect_camera_motion
from posemachines.world.contact_model import ankle_image_speed_mm_s, learned_contact_probability
from posemachines.world.contacts import (
    ContactConfig,
    Contacts,
    detect_contacts,
    viewed_speed_mm_s,
)
from posemachines.world.foot_lock import FootLockConfig, lock_feet
from posemachines.world.gait import GaitMetrics, gait_metrics
from posemachines.world.ground import (
    GroundConfig,
    GroundEstimate,
    estimate_ground,
    ground_on_known_floor,
)
from posemachines.world.trajectory import Trajectory, TrajectoryConfig, smooth_trajectory

#: Above this standard error of the floor normal (deg) the result carries a warning.
UNCERTAIN_FLOOR_DEG = 5.0
#: A frame is impossible when its lower ankle lies further below the floor than the first or
#: higher above it than the second (leg lengths, hip-knee-ankle: ~0.4 and ~2.4 m for an
#: adult). Real motion reaches beyond a flat floor: in the mocap, feet up to 2.55 legs above
#: the floor most stood on (LAFAN1 climbing over obstacles) and down to 0.6 and 0.9 below the
#: height most stood at in 2 of 191 CMU takes (climbing, up on a box for most of the take);
#: the wrong frames of a real clip lay 0.5 to 5.9 legs under the floor.
BELOW_FLOOR_LEG, ABOVE_FLOOR_LEG = 0.5, 3.0
#: Impossible frames are refilled only while they are at most this share of the measured ones
#: (more of them say that the floor is wrong, not the frames).
MAX_IMPLAUSIBLE_SHARE = 0.2


@dataclass(frozen=True)
class WorldConfig:
    """Settings of every stage; learned_contacts: the contact probability of
    `contact_model` (False: the hand-set one of `contacts.ContactConfig`); lock_feet: run the
    foot-lock clean-up; check_camera_motion: test for a moving camera (False: trust that it
    is static); refill_implausible: drop and fill the frames that the floor shows to be
    impossible (module docstring)."""

    trajectory: TrajectoryConfig = field(default_factory=TrajectoryConfig)
    ground: GroundConfig = field(default_factory=GroundConfig)
    camera_motion: CameraMotionConfig = field(default_factory=CameraMotionConfig)
    contacts: ContactConfig = field(default_factory=ContactConfig)
    foot_lock: FootLockConfig = field(default_factory=FootLockConfig)
    learned_contacts: bool = True
    lock_feet: bool = True
    check_camera_motion: bool = True
    refill_implausible: bool = True


@dataclass(frozen=True, eq=False)
class WorldMotion:
    """The clip in the world, over frames 0..T-1.

    frame: 'world' (Y up, floor at y = 0, see `ground`) or 'camera' (x right, y down, z forward;
    the fallback when the camera moves). joints_mm (T, 16, 3) mm absolute in that frame, after
    the foot lock; joints_unlocked_mm (T, 16, 3) before it; root_mm (T, 3) the root's path;
    frames (T,); filled (T,) bool: no person measured (pose and trajectory interpolated);
    trajectory: the smoothed camera-frame root translation; ground: floor and extrinsics (None
    on the fallback); camera_motion; contacts and gait (None on the fallback); metric: lengths
    are true mm (the caller knew the scale) rather than the network's; warnings: sentences.
    """

    frame: str
    joints_mm: np.ndarray
    joints_unlocked_mm: np.ndarray
    root_mm: np.ndarray
    frames: np.ndarray
    filled: np.ndarray
    fps: float
    trajectory: Trajectory
    ground: GroundEstimate | None
    camera_motion: CameraMotion | None
    contacts: Contacts | None
    gait: GaitMetrics | None
    metric: bool
    warnings: tuple[str, ...]

    @property
    def moving_camera(self) -> bool:
        return self.camera_motion is not None and self.camera_motion.moving


def fill_poses(pose_mm: np.ndarray, frame_indices: np.ndarray, num_frames: int) -> np.ndarray:
    """Root-relative poses (N, J, 3) at `frame_indices` -> (num_frames, J, 3): linear in time
    across gaps, held before the first and after the last frame."""
    frames = np.arange(num_frames)
    right = np.clip(np.searchsorted(frame_indices, frames), 1, max(len(frame_indices) - 1, 1))
    left = right - 1
    if len(frame_indices) == 1:
        return np.repeat(pose_mm[:1], num_frames, axis=0)
    span = (frame_indices[right] - frame_indices[left]).astype(np.float64)
    alpha = np.clip((frames - frame_indices[left]) / span, 0.0, 1.0)[:, None, None]
    return (1.0 - alpha) * pose_mm[left] + alpha * pose_mm[right]


def _checked(
    pose3d_mm: np.ndarray, root_translation_mm: np.ndarray, frame_indices: np.ndarray | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Root-relative poses, translations and frame numbers of the finite rows, and the
    (N,) bool mask of those rows."""
    pose = np.asarray(pose3d_mm, dtype=np.float64)
    translation = np.asarray(root_translation_mm, dtype=np.float64)
    if pose.ndim != 3 or pose.shape[1:] != (16, 3) or translation.shape != (len(pose), 3):
        raise PoseInputError(f"to_world needs poses (N, 16, 3) and root translations (N, 3); "
                             f"got {pose.shape} and {translation.shape}.")
    frames = np.arange(len(pose)) if frame_indices is None else np.asarray(frame_indices)
    if frames.shape != (len(pose),) or not np.issubdtype(frames.dtype, np.integer):
        raise PoseInputError("frame_indices must be N integer frame numbers, one per pose.")
    keep = np.isfinite(pose).all(axis=(1, 2)) & np.isfinite(translation).all(axis=1)
    if not keep.any():
        raise PoseInputError("to_world needs at least one frame with a finite pose and root.")
    pose = pose[keep] - pose[keep][:, :1]  # a lifter need not put its root exactly at 0
    return pose, translation[keep], frames[keep], np.asarray(keep, dtype=bool)


def keypoints_at_frames(
    keypoints_px: np.ndarray, confidence: np.ndarray | None, rows: np.ndarray,
    frames: np.ndarray, num_frames: int,
) -> tuple[np.ndarray, np.ndarray]:
    """2D keypoints (N, 16, 2) px and confidence (N, 16) (None: all 1) of the pose rows ->
    (num_frames, 16, 2) and (num_frames, 16) over the clip's frames: rows not in `rows` (bool
    (N,)) and frames without a pose get confidence 0."""
    xy = np.asarray(keypoints_px, dtype=np.float64)
    trust = np.ones(xy.shape[:2]) if confidence is None else np.asarray(confidence, np.float64)
    if xy.shape != (len(rows), 16, 2) or trust.shape != (len(rows), 16):
        raise PoseInputError(f"to_world needs keypoints (N, 16, 2) px and confidence (N, 16) "
                             f"for its N = {len(rows)} poses; got {xy.shape} and "
                             f"{trust.shape}.")
    out_xy, out_trust = np.zeros((num_frames, 16, 2)), np.zeros((num_frames, 16))
    out_xy[frames], out_trust[frames] = xy[rows], trust[rows]
    return out_xy, out_trust


def implausible_frames(world_mm: np.ndarray, leg_mm: float) -> np.ndarray:
    """(T,) bool: the frames of world joints (T, 16, 3) mm (Y up, floor y = 0) whose lower
    ankle lies more than BELOW_FLOOR_LEG leg lengths `leg_mm` below the floor or more than
    ABOVE_FLOOR_LEG above it."""
    lower = np.min(np.asarray(world_mm)[:, list(FOOT_JOINTS), 1], axis=1)
    return (lower < -BELOW_FLOOR_LEG * leg_mm) | (lower > ABOVE_FLOOR_LEG * leg_mm)


def to_world(
    pose3d_mm: np.ndarray, root_translation_mm: np.ndarray, frame_indices: np.ndarray | None,
    fps: float, num_frames: int | None = None, metric: bool = False,
    ankle_height_mm: float | None = None, config: WorldConfig | None = None,
    keypoints_px: np.ndarray | None = None, keypoint_confidence: np.ndarray | None = None,
    focal_px: float | None = None,
    known_floor: tuple[np.ndarray, np.ndarray] | None = None,
) -> WorldMotion:
    """The person's motion in the world from camera-frame results.

    pose3d_mm (N, 16, 3) mm root-relative, camera frame (x right, y down, z forward);
    root_translation_mm (N, 3) mm camera frame; frame_indices (N,) the frames they belong to
    (strictly increasing; None: 0..N-1; rows with NaN count as missing); fps; num_frames: clip
    length (default last index + 1); metric: the poses are at true scale (e.g. the correction
    had the person's height), so gait is in metres; ankle_height_mm: the ankle joint's height
    above the floor at rest (default a fraction of the leg length); keypoints_px (N, 16, 2)
    px and keypoint_confidence (N, 16): the 2D detections the poses were lifted from, whose
    ankle speed the contact model reads (`contact_model.ankle_image_speed_mm_s`; without them,
    from the lifted poses alone); focal_px: the focal length (px) of the camera they were
    seen through (None: estimated from them against the poses). Frames that the floor shows
    to be impossible are filled like missing ones (module docstring; `refill_implausible`).
    known_floor: (R (3, 3), t_mm (3,)) world -> camera extrinsics of a floor already found in
    this static camera (another person's, `inference.shared_floor`): the person is placed on
    it (`ground.ground_on_known_floor`) with no floor fit, camera-motion check or refill.
    """
    config = config or WorldConfig()
    fps = check_fps(fps)
    checked = _checked(pose3d_mm, root_translation_mm, frame_indices)
    return _placed(*checked, fps, num_frames, metric, ankle_height_mm, config, keypoints_px,
                   keypoint_confidence, focal_px, known_floor=known_floor)


def _placed(
    pose: np.ndarray, translation: np.ndarray, frames: np.ndarray, rows: np.ndarray, fps: float,
    num_frames: int | None, metric: bool, ankle_height_mm: float | None, config: WorldConfig,
    keypoints_px: np.ndarray | None, keypoint_confidence: np.ndarray | None,
    focal_px: float | None, refilled: int = 0,
    known_floor: tuple[np.ndarray, np.ndarray] | None = None,
) -> WorldMotion:
    """`to_world` on `_checked` rows; `refilled` of the frames missing from `frames` were
    dropped as impossible (then no frame is checked again)."""
    trajectory = smooth_trajectory(translation, frames, fps, num_frames,
                                   config=config.trajectory)
    total = len(trajectory.frames)
    joints_cam = fill_poses(pose, frames, total) + trajectory.translation_mm[:, None, :]
    detections = (None if keypoints_px is None else
                  keypoints_at_frames(keypoints_px, keypoint_confidence, rows, frames, total))
    valid = ~trajectory.filled
    warnings = []
    if trajectory.filled.sum() > refilled:
        warnings.append(f"{int(trajectory.filled.sum()) - refilled} of {total} frames had no "
                        "person; their pose and trajectory are interpolated (see `filled`).")
    if refilled:
        warnings.append(f"{refilled} frames put the person under or high above the floor (a "
                        "body cut off by the image border, or a false detection); they are "
                        "filled from their neighbours like frames without a person.")
    if known_floor is not None:
        ground = ground_on_known_floor(joints_cam, valid, *known_floor, config.ground)
        return _on_floor(joints_cam, trajectory, ground, None, detections, metric, config,
                         focal_px, warnings)
    motion = (detect_camera_motion(joints_cam, fps, valid, config.camera_motion)
              if config.check_camera_motion else None)
    moving = motion if motion is not None and motion.moving else None
    refill = config.refill_implausible and not refilled
    if moving is not None and not refill:
        return _in_camera_frame(joints_cam, trajectory, moving, metric, warnings)
    try:
        ground = estimate_ground(joints_cam, fps, valid, ankle_height_mm, config.ground)
    except PoseInputError:
        if moving is not None:  # no floor needed to stay in the camera frame
            return _in_camera_frame(joints_cam, trajectory, moving, metric, warnings)
        raise
    if refill:
        # Each frame as measured (the smoothed path spreads a wrong root onto its neighbours).
        impossible = implausible_frames(ground.camera_to_world(pose + translation[:, None]),
                                        ground.leg_length_mm)
        if impossible.any() and impossible.sum() <= MAX_IMPLAUSIBLE_SHARE * len(frames):
            kept_rows = rows.copy()
            kept_rows[np.flatnonzero(rows)[impossible]] = False
            keep = ~impossible
            again = _placed(pose[keep], translation[keep], frames[keep], kept_rows, fps, total,
                            metric, ankle_height_mm, config, keypoints_px,
                            keypoint_confidence, focal_px, int(impossible.sum()))
            if moving is None or not again.moving_camera:  # no floor to judge by if it moves
                return again
    if moving is not None:
        return _in_camera_frame(joints_cam, trajectory, moving, metric, warnings)
    return _on_floor(joints_cam, trajectory, ground, motion, detections, metric, config,
                     focal_px, warnings)


def _on_floor(
    joints_cam: np.ndarray, trajectory: Trajectory, ground: GroundEstimate,
    motion: CameraMotion | None, detections: tuple[np.ndarray, np.ndarray] | None,
    metric: bool, config: WorldConfig, focal_px: float | None, warnings: list[str],
) -> WorldMotion:
    """The world motion of absolute camera-frame joints (T, 16, 3) mm on `ground`: contacts
    (read from the 2D `detections` over the clip's frames where given), foot lock, gait."""
    fps = trajectory.fps
    world = ground.camera_to_world(joints_cam)
    if ground.source == "body":
        warnings.append("The feet never rest in this clip: the floor's tilt comes from the "
                        "trunk alone and its height from the lowest ankles.")
    elif ground.normal_sigma_deg > UNCERTAIN_FLOOR_DEG:
        warnings.append(f"The floor's tilt is uncertain (about {ground.normal_sigma_deg:.0f} "
                        "deg): the feet rest on few spots close together, so the camera's "
                        "pitch and roll may be off by as much.")
    if ground.camera_height_mm <= 0:
        warnings.append("The floor passes above the camera; the floor estimate is unreliable.")
    feet_cam = joints_cam[:, list(FOOT_JOINTS)]
    speed = viewed_speed_mm_s(
        feet_cam, fps, config.contacts.speed_window_s, config.contacts.along_ray_weight,
        0.5 * config.contacts.speed_leg_per_s * ground.leg_length_mm)
    image_speed = None if detections is None else ankle_image_speed_mm_s(
        *detections, joints_cam, fps, focal_px)
    probability = (learned_contact_probability(
        world[:, list(FOOT_JOINTS)], feet_cam, ground.ankle_rest_heights_mm,
        ground.leg_length_mm, fps, image_speed) if config.learned_contacts else None)
    contacts = detect_contacts(world, fps, ground.ankle_rest_heights_mm, ground.leg_length_mm,
                               config=config.contacts, speed_mm_s=speed,
                               probability=probability)
    locked = (lock_feet(world, contacts, fps, config.foot_lock).joints_mm
              if config.lock_feet else world)
    gait = gait_metrics(contacts, locked, metric)
    return WorldMotion("world", locked, world, locked[:, 0], trajectory.frames,
                       trajectory.filled, fps, trajectory, ground, motion, contacts, gait, metric,
                       tuple(warnings))


def _in_camera_frame(joints_cam: np.ndarray, trajectory: Trajectory, motion: CameraMotion,
                     metric: bool, warnings: list[str]) -> WorldMotion:
    """The fallback for a moving camera: absolute camera-frame joints (T, 16, 3) mm."""
    return WorldMotion("camera", joints_cam, joints_cam, joints_cam[:, 0], trajectory.frames,
                       trajectory.filled, trajectory.fps, trajectory, None, motion, None, None,
                       metric, (*warnings, motion.reason + " The result stays in the camera "
                                "frame."))
