"""Shared data structures at the bottom of the package: what every stage passes to the next.

`Keypoints2D` (2D joints over time), `PoseResult` and `CorrectionInfo` (3D poses of a video);
`WorldPose` and `FootContacts` (the result in the scene); `pose_checks` validates pose arrays.
This package imports only `camera`, `skeleton`, `arrays` and `errors`.
"""

from posemachines.structures.keypoints import Keypoints2D
from posemachines.structures.pose_result import CorrectionInfo, PoseResult
from posemachines.structures.world_pose import FootContacts, WorldPose

__all__ = ["CorrectionInfo", "FootContacts", "Keypoints2D", "PoseResult", "WorldPose"]
