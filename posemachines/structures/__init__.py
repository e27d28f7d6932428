"""Shared data structures at the bottom of the package: what every stage passes to the next.

`Keypoints2D` (2D joints over time), `PoseResult` and `CorrectionInfo` (3D poses of a video);
`pose_checks` validates pose arrays. This package imports only `skeleton` and `errors`.
"""

from posemachines.structures.keypoints import Keypoints2D
from posemachines.structures.pose_result import CorrectionInfo, PoseResult

__all__ = ["CorrectionInfo", "Keypoints2D", "PoseResult"]
