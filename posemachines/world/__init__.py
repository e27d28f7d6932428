"""Motion in the world: the person moving through the scene, standing on the floor.

Pure numpy/scipy, arrays in and out. Camera frame: x right, y down, z forward, mm (as the rest
of posemachines). World frame: Y up, floor at y = 0, origin on the floor under the first frame's
root, +Z the camera's forward direction projected on the floor, X = Y x Z (see `ground`).

Modules: `trajectory` (smooth and fill the root translation), `floor_fit` and `ground` (floor,
gravity and camera extrinsics of a static camera), `camera_motion` (is the camera static?),
`contacts` (foot contacts; `contact_model` the probability fitted on lifted mocap,
`contact_truth` the labels of clean mocap), `foot_lock` (planted feet, exact bone lengths),
`gait` (cadence, step length, speed, stance) and `pipeline.to_world`, which chains them. See
docs/world.md.
"""

from posemachines.world.camera_motion import CameraMotion, CameraMotionConfig, detect_camera_motion
from posemachines.world.contacts import ContactConfig, Contacts, detect_contacts
from posemachines.world.foot_lock import FootLockConfig, FootLockResult, lock_feet, two_bone_ik
from posemachines.world.gait import GaitMetrics, Measure, gait_metrics
from posemachines.world.ground import GroundConfig, GroundEstimate, estimate_ground
from posemachines.world.pipeline import WorldConfig, WorldMotion, to_world
from posemachines.world.trajectory import Trajectory, TrajectoryConfig, smooth_trajectory

__all__ = [
    "CameraMotion", "CameraMotionConfig", "ContactConfig", "Contacts", "FootLockConfig",
    "FootLockResult", "GaitMetrics", "GroundConfig", "GroundEstimate", "Measure", "Trajectory",
    "TrajectoryConfig", "WorldConfig", "WorldMotion", "detect_camera_motion", "detect_contacts",
    "estimate_ground", "gait_metrics", "lock_feet", "smooth_trajectory", "to_world",
    "two_bone_ik",
]
