"""Gravity, floor and extrinsics of a static camera, estimated from the person's own motion.

The floor is the plane through the footprints (`floor_fit`: slow, low ankles; RANSAC, robust
least squares, body prior), lowered by the ankles' rest height (`ankle_height_mm`, default
`ANKLE_HEIGHT_FRACTION` leg lengths). When the feet never rest (fewer than `min_footprints`
footprints, e.g. an upper-body clip) the trunk's mean up is used alone and the floor is put
under the lowest ankles.

Conventions. Camera frame: x right, y down, z forward, mm. `up` (3,) is the unit world-up
direction in camera coordinates; a camera-frame point X lies `up @ X + floor_offset_mm` mm above
the floor, so the camera height is `floor_offset_mm`. Pitch > 0: the camera looks down
(pitch = asin(-up_z)); roll > 0: the scene appears turned clockwise in the image
(roll = atan2(up_x, -up_y)), i.e. the camera frame is the level one rotated by +roll about z.
World frame: Y up, floor at y = 0, origin on the floor under the first valid frame's root,
+Z the camera's forward projected on the floor (its image-up direction when it looks straight
down), X = Y x Z (right-handed: seen from the camera, +X points to the left).
`X_world = R_world_from_camera @ X_cam + t_world_mm`.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posemachines.errors import PoseInputError
from posemachines.world.body import FOOT_JOINTS, check_fps, check_joints, leg_length_mm
from posemachines.world.floor_fit import (
    FloorFitConfig,
    body_prior,
    candidate_contacts,
    fit_floor,
    footprints,
    merge_same_spots,
)

#: Ankle joint height above the floor at rest, in leg lengths (hip-knee-ankle). Anthropometric
#: tables give ~0.08 (malleolus); the mocap rigs we train on put the ankle joint at 0.08
#: (LAFAN1) to 0.15 (Bandai Namco) leg lengths. Pass `ankle_height_mm` when it is known.
ANKLE_HEIGHT_FRACTION = 0.11


@dataclass(frozen=True)
class GroundConfig:
    """floor: footprint detection and plane fit; min_footprints: fewer falls back to the trunk's
    up; ankle_height_fraction: see `ANKLE_HEIGHT_FRACTION`."""

    floor: FloorFitConfig = field(default_factory=FloorFitConfig)
    min_footprints: int = 2
    ankle_height_fraction: float = ANKLE_HEIGHT_FRACTION


@dataclass(frozen=True, eq=False)
class GroundEstimate:
    """Floor, gravity and camera extrinsics of a static camera (see the module docstring).

    up (3,) unit world up in camera coordinates; floor_offset_mm: height above the floor of a
    camera-frame point X is `up @ X + floor_offset_mm`; camera_height_mm (= floor_offset_mm);
    pitch_deg, roll_deg; R_world_from_camera (3, 3), t_world_mm (3,): camera -> world (Y up,
    floor y = 0); ankle_height_mm: the ankles' mean rest height above the floor (given or
    `ankle_height_fraction` leg lengths); ankle_rest_heights_mm (2,) RFoot, LFoot each (they may
    differ by the bias between the feet); leg_length_mm measured; source: 'feet' (fitted to
    footprints), 'body' (trunk up only) or 'shared' (`ground_on_known_floor`); num_footprints,
    inlier_fraction, residual_mm (RMS footprint distance from the plane over inliers),
    normal_sigma_deg (standard error of `up`).
    """

    up: np.ndarray
    floor_offset_mm: float
    camera_height_mm: float
    pitch_deg: float
    roll_deg: float
    R_world_from_camera: np.ndarray
    t_world_mm: np.ndarray
    ankle_height_mm: float
    ankle_rest_heights_mm: np.ndarray
    leg_length_mm: float
    source: str
    num_footprints: int
    inlier_fraction: float
    residual_mm: float
    normal_sigma_deg: float

    @property
    def rotation_camera_from_world(self) -> np.ndarray:
        """World -> camera rotation (3, 3): `posemachines.camera.Camera.R`."""
        return self.R_world_from_camera.T

    @property
    def t_camera_mm(self) -> np.ndarray:
        """World -> camera translation (3,) mm: `posemachines.camera.Camera.t_mm`."""
        return -self.R_world_from_camera.T @ self.t_world_mm

    def camera_to_world(self, points_mm: np.ndarray) -> np.ndarray:
        """Camera-frame points (..., 3) mm -> world (..., 3) mm (Y up, floor y = 0)."""
        return np.asarray(points_mm) @ self.R_world_from_camera.T + self.t_world_mm

    def world_to_camera(self, points_mm: np.ndarray) -> np.ndarray:
        """World points (..., 3) mm -> camera frame (..., 3) mm."""
        return (np.asarray(points_mm) - self.t_world_mm) @ self.R_world_from_camera


def pitch_roll_deg(up: np.ndarray) -> tuple[float, float]:
    """(pitch, roll) in degrees of a camera whose world-up direction in its coordinates is `up`
    (3,): pitch = asin(-up_z) (> 0 looking down), roll = atan2(up_x, -up_y)."""
    up = np.asarray(up, dtype=np.float64) / np.linalg.norm(up)
    return (float(np.degrees(np.arcsin(np.clip(-up[2], -1.0, 1.0)))),
            float(np.degrees(np.arctan2(up[0], -up[1]))))


def world_from_camera(
    up: np.ndarray, floor_offset_mm: float, origin_above_mm: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """(R (3, 3), t (3,)) mapping camera coordinates to the world frame of the module docstring;
    the origin is the floor point under the camera-frame point `origin_above_mm` (3,)."""
    forward = np.array([0.0, 0.0, 1.0]) - up[2] * up
    if np.linalg.norm(forward) < 0.1:  # looking (almost) straight down: use image up
        forward = np.array([0.0, -1.0, 0.0]) + up[1] * up
    z_axis = forward / np.linalg.norm(forward)
    x_axis = np.cross(up, z_axis)
    rotation = np.stack([x_axis, up, z_axis])
    origin = origin_above_mm - (up @ origin_above_mm + floor_offset_mm) * up
    return rotation, -rotation @ origin


def estimate_ground(
    joints_cam_mm: np.ndarray, fps: float, valid: np.ndarray | None = None,
    ankle_height_mm: float | None = None, config: GroundConfig | None = None,
) -> GroundEstimate:
    """Floor and camera pose from absolute camera-frame joints (T, 16, 3) mm (pose + root
    translation) of a static camera; valid (T,) bool marks measured frames (default all)."""
    config = config or GroundConfig()
    fps = check_fps(fps)
    joints = check_joints(joints_cam_mm, "joints_cam_mm")
    valid = np.isfinite(joints).all(axis=(1, 2)) if valid is None else np.asarray(valid, bool)
    if valid.shape != (len(joints),) or not valid.any():
        raise PoseInputError("estimate_ground needs a (T,) valid mask with a finite frame.")
    leg = leg_length_mm(joints[valid])
    prior = body_prior(joints[valid], config.floor)
    ankle_h = config.ankle_height_fraction * leg if ankle_height_mm is None else ankle_height_mm
    feet = joints[:, list(FOOT_JOINTS)]
    candidates = candidate_contacts(feet, fps, prior.up, leg, valid, config.floor)
    prints = merge_same_spots(footprints(feet, candidates, fps, config.floor), leg,
                              config.floor)
    rest_heights = np.full(len(FOOT_JOINTS), float(ankle_h))
    if len(prints.feet) >= config.min_footprints:
        fit = fit_floor(prints, prior, leg, len(FOOT_JOINTS), config.floor)
        up, ankle_offset, source = fit.normal, fit.offset_mm, "feet"
        rest_heights -= fit.foot_bias_mm
        inlier_fraction, residual = float(fit.inliers.mean()), fit.residual_mm
        sigma = fit.normal_sigma_deg
    else:
        prior = body_prior(joints[valid], config.floor, from_feet=False)
        up, source = prior.up, "body"
        ankle_offset = -float(np.nanpercentile(feet[valid] @ up, 5))
        inlier_fraction, residual = 0.0, float("nan")
        sigma = float(np.degrees(1.0 / np.sqrt(np.linalg.eigvalsh(prior.precision)[1])))
    floor_offset = float(ankle_offset + ankle_h)
    first = int(np.flatnonzero(valid)[0])
    rotation, translation = world_from_camera(up, floor_offset, joints[first, 0])
    pitch, roll = pitch_roll_deg(up)
    return GroundEstimate(
        up=up, floor_offset_mm=floor_offset, camera_height_mm=floor_offset,
        pitch_deg=pitch, roll_deg=roll,
        R_world_from_camera=rotation, t_world_mm=translation, ankle_height_mm=float(ankle_h),
        ankle_rest_heights_mm=rest_heights, leg_length_mm=leg, source=source,
        num_footprints=int(len(prints.feet)), inlier_fraction=inlier_fraction,
        residual_mm=float(residual), normal_sigma_deg=sigma,
    )


def ground_on_known_floor(
    joints_cam_mm: np.ndarray, valid: np.ndarray, rotation_camera_from_world: np.ndarray,
    t_camera_mm: np.ndarray, config: GroundConfig | None = None,
) -> GroundEstimate:
    """The floor of a static camera already known (world -> camera `X_cam = R X_world + t`,
    world Y up and floor y = 0; e.g. found under another person in the same clip) as this
    person's GroundEstimate: absolute camera-frame joints (T, 16, 3) mm with valid (T,) bool
    frames give their own leg length and each ankle's rest height, its median height over the
    valid frames where it is the lower ankle (the standing foot, while walking), or
    `ankle_height_fraction` leg lengths for an ankle never the lower one. Source 'shared'."""
    config = config or GroundConfig()
    joints = check_joints(joints_cam_mm, "joints_cam_mm")
    valid = np.asarray(valid, dtype=bool)
    if valid.shape != (len(joints),) or not valid.any():
        raise PoseInputError("ground_on_known_floor needs a (T,) valid mask with a frame.")
    rotation = np.asarray(rotation_camera_from_world, dtype=np.float64).T  # camera -> world
    translation = -rotation @ np.asarray(t_camera_mm, dtype=np.float64)
    leg = leg_length_mm(joints[valid])
    heights = (joints[valid][:, list(FOOT_JOINTS)] @ rotation.T + translation)[..., 1]
    lower = np.argmin(heights, axis=1)
    rest = np.array([float(np.median(heights[lower == foot, foot])) if (lower == foot).any()
                     else config.ankle_height_fraction * leg for foot in range(len(FOOT_JOINTS))])
    up = rotation[1]
    pitch, roll = pitch_roll_deg(up)
    return GroundEstimate(
        up=up, floor_offset_mm=float(translation[1]), camera_height_mm=float(translation[1]),
        pitch_deg=pitch, roll_deg=roll, R_world_from_camera=rotation, t_world_mm=translation,
        ankle_height_mm=float(rest.mean()), ankle_rest_heights_mm=rest, leg_length_mm=leg,
        source="shared", num_footprints=0, inlier_fraction=0.0, residual_mm=float("nan"),
        normal_sigma_deg=float("nan"),
    )
