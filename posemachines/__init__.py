"""posemachines: 3D Human Pose Machines with Self-Supervised Learning (Wang et al., TPAMI 2020).

Turns images, videos or 2D keypoints of a person into a 16-joint 3D skeleton in millimetres,
camera frame, root-relative.
"""

from posemachines.errors import PoseDataError, PoseInputError, PoseMachinesError, PoseModelError

__version__ = "0.1.0"

__all__ = [
    "PoseDataError",
    "PoseInputError",
    "PoseMachinesError",
    "PoseModelError",
    "__version__",
]
