"""Model size and cost: parameter count and multiply-accumulates (MACs) per frame.

MACs are counted with torch.utils.flop_counter.FlopCounterMode (FLOPs / 2) on a network built
on the meta device, so even the paper model costs no arithmetic to count. They cover
convolutions and matrix products (including the LSTM gates); element-wise ops are left out.
"""

from __future__ import annotations

import torch
from torch import nn
from torch.utils.flop_counter import FlopCounterMode

from posemachines.models.configs import PoseMachineConfig


def count_parameters(module: nn.Module) -> int:
    """Number of trainable and frozen parameters (buffers excluded)."""
    return sum(p.numel() for p in module.parameters())


def example_inputs(
    config: PoseMachineConfig, batch: int = 1, frames: int = 1, device: str | torch.device = "cpu"
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Random model inputs (frames or keypoints, visibility_root or None) of the config's shapes."""
    if config.input_path == "image":
        size = config.image_size
        inputs = torch.rand(batch, frames, 3, size, size, device=device)
    else:
        inputs = torch.randn(batch, frames, config.num_joints, 2, device=device)
    visibility_root = None
    if config.visibility_root_dim:
        visibility_root = torch.rand(batch, frames, config.visibility_root_dim, device=device)
    return inputs, visibility_root


def count_macs_per_frame(config: PoseMachineConfig) -> int:
    """MACs of one streaming step (batch 1, one frame) of a `PoseMachine` built from config."""
    from posemachines.models.pose_machine import PoseMachine

    with torch.device("meta"):
        model = PoseMachine(config).eval()
    inputs, visibility_root = example_inputs(config, device="meta")
    counter = FlopCounterMode(display=False)
    with counter, torch.no_grad():
        model(inputs, visibility_root=visibility_root)
    return counter.get_total_flops() // 2
