"""posemachines: 3D Human Pose Machines with Self-Supervised Learning (Wang et al., TPAMI 2020).

Turns images, videos or 2D keypoints of a person into a 16-joint 3D skeleton in millimetres,
camera frame, root-relative.
"""

from posemachines.errors import PoseDataError, PoseInputError, PoseMachinesError, PoseModelError
from posemachines.lazy import lazy_attributes
from posemachines.version import __version__

__all__ = [
    "Estimator",
    "PoseDataError",
    "PoseInputError",
    "PoseMachinesError",
    "PoseModelError",
    "__version__",
]


#: `from posemachines import Estimator` loads the pipeline (cv2, the detector) on first use only.
__getattr__ = lazy_attributes(__name__, {"Estimator": "inference.estimator"})
