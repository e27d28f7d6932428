"""Per-frame anatomical angles (degrees) from 3D joints in any frame, e.g. a tilted camera's.

Joint angles are rotation-invariant and need no vertical:
- knee_flexion_L/R: thigh (hip -> knee) vs shank (knee -> ankle); 0 = straight leg.
- elbow_flexion_L/R: upper arm (shoulder -> elbow) vs forearm (elbow -> wrist); 0 = straight.
- hip_flexion_L/R, hip_abduction_L/R: the thigh in the trunk's frame (up = Hip -> Thorax,
  left = RHip -> LHip made orthogonal to up, forward = left x up). Flexion is the thigh's angle
  in the sagittal plane from straight down (positive forward, negative behind); abduction its
  angle out of that plane (positive away from the body's midline).
- shoulder_elevation_L/R: upper arm vs the trunk's down axis; 0 hanging, 90 level, 180 overhead.
Only trunk_inclination needs gravity: the angle of Hip -> Thorax from the up direction that
`posemachines.analysis.vertical.estimate_up` finds (0 upright, 90 horizontal).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.analysis.vertical import VERTICAL_JOINTS, VerticalEstimate, estimate_up
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES, angle_between_rad, trunk_axes, unit_vectors
from posemachines.structures.pose_checks import check_pose_array

_J = {name: index for index, name in enumerate(JOINTS16_NAMES)}
_TRUNK = ("Hip", "Thorax", "LHip", "RHip")


#: Every angle's name -> the joints it is computed from.
ANGLE_JOINTS: dict[str, tuple[str, ...]] = {
    "knee_flexion_L": ("LHip", "LKnee", "LFoot"),
    "knee_flexion_R": ("RHip", "RKnee", "RFoot"),
    "elbow_flexion_L": ("LShoulder", "LElbow", "LWrist"),
    "elbow_flexion_R": ("RShoulder", "RElbow", "RWrist"),
    "hip_flexion_L": (*_TRUNK, "LKnee"),
    "hip_flexion_R": (*_TRUNK, "RKnee"),
    "hip_abduction_L": (*_TRUNK, "LKnee"),
    "hip_abduction_R": (*_TRUNK, "RKnee"),
    "shoulder_elevation_L": ("Hip", "Thorax", "LShoulder", "LElbow"),
    "shoulder_elevation_R": ("Hip", "Thorax", "RShoulder", "RElbow"),
    "trunk_inclination": ("Hip", "Thorax"),
}
ANGLE_NAMES: tuple[str, ...] = tuple(ANGLE_JOINTS)
#: Joint name (as in JOINTS16) -> the angle that describes it, for `--reps LKnee` and such.
ANGLE_OF_JOINT: dict[str, str] = {
    "LKnee": "knee_flexion_L", "RKnee": "knee_flexion_R",
    "LElbow": "elbow_flexion_L", "RElbow": "elbow_flexion_R",
    "LHip": "hip_flexion_L", "RHip": "hip_flexion_R",
    "LShoulder": "shoulder_elevation_L", "RShoulder": "shoulder_elevation_R",
    "Hip": "trunk_inclination", "Spine": "trunk_inclination", "Thorax": "trunk_inclination",
}


@dataclass(frozen=True)
class JointAngles:
    """degrees: (T, K) float, NaN where a needed joint was not seen; names: the K angles."""

    names: tuple[str, ...]
    degrees: np.ndarray
    vertical: VerticalEstimate

    def __getitem__(self, name: str) -> np.ndarray:
        """(T,) degrees of one angle."""
        return self.degrees[:, self.names.index(resolve_angle_name(name))]


def resolve_angle_name(name: str) -> str:
    """An angle name, or a joint name like 'LKnee' mapped to its angle; PoseDataError else."""
    if name in ANGLE_JOINTS:
        return name
    if name in ANGLE_OF_JOINT:
        return ANGLE_OF_JOINT[name]
    raise PoseDataError(
        f"Unknown angle or joint '{name}'; use one of {', '.join(ANGLE_NAMES)} "
        f"or a joint among {', '.join(ANGLE_OF_JOINT)}."
    )


def _angle_between_deg(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    return np.degrees(angle_between_rad(a, b))


def _flexion(poses: np.ndarray, near: str, middle: str, far: str) -> np.ndarray:
    first = poses[:, _J[middle]] - poses[:, _J[near]]
    second = poses[:, _J[far]] - poses[:, _J[middle]]
    return _angle_between_deg(first, second)


def _hip_angles(poses: np.ndarray, side: str) -> tuple[np.ndarray, np.ndarray]:
    up, left, forward = trunk_axes(poses)
    thigh = unit_vectors(poses[:, _J[f"{side}Knee"]] - poses[:, _J[f"{side}Hip"]])
    outward = left if side == "L" else -left
    down_part = -np.sum(thigh * up, axis=-1)
    flexion = np.degrees(np.arctan2(np.sum(thigh * forward, axis=-1), down_part))
    abduction = np.degrees(np.arcsin(np.clip(np.sum(thigh * outward, axis=-1), -1.0, 1.0)))
    return flexion, abduction


def _shoulder_elevation(poses: np.ndarray, side: str) -> np.ndarray:
    trunk_down = poses[:, _J["Hip"]] - poses[:, _J["Thorax"]]
    upper_arm = poses[:, _J[f"{side}Elbow"]] - poses[:, _J[f"{side}Shoulder"]]
    return _angle_between_deg(upper_arm, trunk_down)


def _all_angles(poses: np.ndarray, up: np.ndarray) -> dict[str, np.ndarray]:
    angles: dict[str, np.ndarray] = {}
    for side in "LR":
        angles[f"knee_flexion_{side}"] = _flexion(poses, f"{side}Hip", f"{side}Knee",
                                                  f"{side}Foot")
        angles[f"elbow_flexion_{side}"] = _flexion(poses, f"{side}Shoulder", f"{side}Elbow",
                                                   f"{side}Wrist")
        angles[f"hip_flexion_{side}"], angles[f"hip_abduction_{side}"] = _hip_angles(poses, side)
        angles[f"shoulder_elevation_{side}"] = _shoulder_elevation(poses, side)
    trunk = poses[:, _J["Thorax"]] - poses[:, _J["Hip"]]
    angles["trunk_inclination"] = _angle_between_deg(trunk, np.broadcast_to(up, trunk.shape))
    return angles


def _seen(confidence: np.ndarray | None, joints: tuple[str, ...], min_confidence: float,
          num_frames: int) -> np.ndarray:
    if confidence is None:
        return np.ones(num_frames, dtype=bool)
    return np.all(confidence[:, [_J[j] for j in joints]] >= min_confidence, axis=1)


def joint_angles(
    poses_mm: np.ndarray,
    confidence: np.ndarray | None = None,
    up: np.ndarray | None = None,
    min_confidence: float = 0.1,
) -> JointAngles:
    """Angles of (T, 16, 3) mm poses (JOINTS16 order, any frame; camera frame if `up` is None).

    confidence: optional (T, 16); an angle is NaN in frames where one of its joints is below
    `min_confidence`. up: (3,) up direction; estimated from the poses when None.
    """
    poses = check_pose_array(poses_mm, name="poses", dims=3, num_joints=16)
    if poses.ndim != 3 or len(poses) == 0:
        raise PoseDataError(f"Angles need poses of shape (T, 16, 3) with T >= 1, "
                            f"got {poses.shape}.")
    if confidence is not None and np.shape(confidence) != poses.shape[:2]:
        raise PoseDataError(f"confidence must have shape {poses.shape[:2]}, "
                            f"got {np.shape(confidence)}.")
    if up is None:
        usable = _seen(confidence, VERTICAL_JOINTS, min_confidence, len(poses))
        vertical = estimate_up(poses[usable])
    else:
        direction = unit_vectors(np.asarray(up, dtype=np.float64))
        vertical = VerticalEstimate(direction, "given", float("nan"), float("nan"))
    values = _all_angles(poses, vertical.up)
    degrees = np.stack([values[name] for name in ANGLE_NAMES], axis=1)
    for k, name in enumerate(ANGLE_NAMES):
        unseen = ~_seen(confidence, ANGLE_JOINTS[name], min_confidence, len(poses))
        degrees[unseen, k] = np.nan
    return JointAngles(ANGLE_NAMES, degrees, vertical)
