"""The paper's network: CPM 2D sub-network, 2D-to-3D transformer, 3D-to-2D projector."""

from posemachines.models.checkpoint import load_checkpoint, save_checkpoint
from posemachines.models.configs import CONFIGS, PoseMachineConfig, get_config
from posemachines.models.pose_machine import PoseMachine, PoseOutput
from posemachines.models.transformer import LSTMState

__all__ = [
    "CONFIGS",
    "LSTMState",
    "PoseMachine",
    "PoseMachineConfig",
    "PoseOutput",
    "get_config",
    "load_checkpoint",
    "save_checkpoint",
]
