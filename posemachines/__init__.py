"""posemachines: 3D Human Pose Machines with Self-Supervised Learning (Wang et al., TPAMI 2020).

Turns images, videos or 2D keypoints of a person into a 16-joint 3D skeleton in millimetres,
camera frame, root-relative.
"""

from posemachines.errors import PoseDataError, PoseInputError, PoseMachinesError, PoseModelError
from posemachines.version import __version__

__all__ = [
    "Estimator",
    "PoseDataError",
    "PoseInputError",
    "PoseMachinesError",
    "PoseModelError",
    "__version__",
]


def __getattr__(name: str) -> object:
    """`from posemachines import Estimator` without importing torch for every submodule."""
    if name == "Estimator":
        from posemachines.inference.estimator import Estimator

        return Estimator
    raise AttributeError(f"module 'posemachines' has no attribute {name!r}")
