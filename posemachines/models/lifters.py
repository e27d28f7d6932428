"""Which lifter runs inference: the numpy one on the CPU, the torch network on another device.

    lifter = load_lifter(path)             # NumpyLifter: no torch import (~0.3 s, not ~2.7 s)
    out = lifter(keypoints, visibility_root=features)   # LifterOutput, mm

Both take normalised keypoints (B, T, 16, 2) (+ visibility_root (B, T, E)) and an optional LSTM
state, and return `LifterOutput` (final and intermediate 3D (B, T, 16, 3) mm, the state), the
same poses to float32 rounding (tests/models/test_numpy_lifter.py).
"""

from __future__ import annotations

from pathlib import Path
from typing import Protocol

import numpy as np

from posemachines.models.configs import PoseMachineConfig
from posemachines.models.numpy_lifter import LifterOutput, NumpyLifter, NumpyLSTMState


class Lifter(Protocol):
    """A pose-only lifter: `NumpyLifter` or `torch_lifter.TorchLifter`."""

    @property
    def config(self) -> PoseMachineConfig: ...

    def __call__(self, keypoints: np.ndarray, state: NumpyLSTMState | None = None, *,
                 visibility_root: np.ndarray | None = None) -> LifterOutput: ...


def load_lifter(path: Path | str, device: str = "cpu") -> Lifter:
    """The lifter of checkpoint `path` on `device`: numpy on "cpu", else the torch network
    there (a GPU, "cuda:0"); PoseModelError for an unreadable or image-path checkpoint."""
    if device == "cpu":
        return NumpyLifter.load(path)
    # Imported here, not above: torch loads only where a device asks for it (not a cycle).
    from posemachines.models.torch_lifter import TorchLifter

    return TorchLifter.load(path, device)
