"""The torch `PoseMachine` behind the `Lifter` interface (numpy in, numpy out) for a device
other than the CPU, where `models.lifters.load_lifter` picks it over the numpy lifter."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import torch

from posemachines.errors import PoseInputError, PoseModelError
from posemachines.models.checkpoint import load_checkpoint
from posemachines.models.configs import PoseMachineConfig
from posemachines.models.numpy_lifter import LifterOutput, NumpyLSTMState
from posemachines.models.pose_machine import PoseMachine
from posemachines.threads import single_thread


def usable_device(device: str | torch.device) -> torch.device:
    """`device` as a torch device this process can use, else PoseInputError in one line."""
    try:
        parsed = torch.device(device)
    except (RuntimeError, TypeError):
        raise PoseInputError(f"Unknown device '{device}'; use cpu, cuda or cuda:N.") from None
    if parsed.type == "cuda" and not torch.cuda.is_available():
        raise PoseInputError(f"Device '{device}': this torch ({torch.__version__}) sees no CUDA "
                             "GPU; use --device cpu (the default, which needs no torch).")
    if parsed.type not in ("cpu", "cuda"):
        raise PoseInputError(f"Device '{device}' is not supported; use cpu, cuda or cuda:N.")
    return parsed


class TorchLifter:
    """A pose-only `PoseMachine` on `device`, called like `NumpyLifter`."""

    def __init__(self, model: PoseMachine, device: str | torch.device = "cpu") -> None:
        if model.config.input_path != "pose":
            raise PoseModelError(f"Model '{model.config.name}' is the image model; a lifter "
                                 "takes 2D keypoints (a pose-only checkpoint).")
        self.device = torch.device(device)
        self.model = model.to(self.device).eval()

    @classmethod
    def load(cls, path: Path | str, device: str | torch.device = "cpu") -> TorchLifter:
        """The checkpoint `path` on `device`; PoseInputError for a device this torch lacks."""
        model, _ = load_checkpoint(path, map_location=usable_device(device))
        return cls(model, device)

    @property
    def config(self) -> PoseMachineConfig:
        return self.model.config

    def __call__(self, keypoints: np.ndarray, state: NumpyLSTMState | None = None, *,
                 visibility_root: np.ndarray | None = None) -> LifterOutput:
        """As `NumpyLifter.__call__`: (B, T, 16, 2) (+ (B, T, E)) -> 3D in mm and the state."""
        def tensor(array: np.ndarray) -> torch.Tensor:
            return torch.from_numpy(np.ascontiguousarray(array, dtype=np.float32)).to(self.device)

        with torch.no_grad(), single_thread():
            output = self.model(
                tensor(keypoints), None if state is None else (tensor(state[0]), tensor(state[1])),
                visibility_root=None if visibility_root is None else tensor(visibility_root))
        h, c = output.state
        return LifterOutput(pose3d_mm=output.pose3d_mm.cpu().numpy(),
                            intermediate3d_mm=output.intermediate3d_mm.cpu().numpy(),
                            state=(h.cpu().numpy(), c.cpu().numpy()))
