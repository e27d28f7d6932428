"""The paper's network: CPM 2D sub-network, 2D-to-3D transformer, 3D-to-2D projector.

The torch modules (`pose_machine`, `checkpoint`, ...) and their torch-free counterparts for
inference (`checkpoint_reader`, `numpy_lifter`; `lifters.load_lifter` picks one) live side by
side; the names load on first use, so that importing a torch-free module of this package does
not import torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posemachines.lazy import lazy_attributes

if TYPE_CHECKING:
    from posemachines.models.checkpoint import load_checkpoint, save_checkpoint
    from posemachines.models.checkpoint_reader import read_checkpoint
    from posemachines.models.configs import CONFIGS, PoseMachineConfig, get_config
    from posemachines.models.lifters import Lifter, load_lifter
    from posemachines.models.numpy_lifter import LifterOutput, NumpyLifter
    from posemachines.models.pose_machine import PoseMachine, PoseOutput
    from posemachines.models.transformer import LSTMState

#: Public name -> the submodule that defines it.
_HOMES = {
    "CONFIGS": "configs", "PoseMachineConfig": "configs", "get_config": "configs",
    "LSTMState": "transformer", "PoseMachine": "pose_machine", "PoseOutput": "pose_machine",
    "load_checkpoint": "checkpoint", "save_checkpoint": "checkpoint",
    "read_checkpoint": "checkpoint_reader",
    "LifterOutput": "numpy_lifter", "NumpyLifter": "numpy_lifter",
    "Lifter": "lifters", "load_lifter": "lifters",
}
__all__ = [
    "CONFIGS",
    "LSTMState",
    "Lifter",
    "LifterOutput",
    "NumpyLifter",
    "PoseMachine",
    "PoseMachineConfig",
    "PoseOutput",
    "get_config",
    "load_lifter",
    "load_checkpoint",
    "read_checkpoint",
    "save_checkpoint",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
