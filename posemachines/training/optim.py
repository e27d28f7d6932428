"""Adam and the learning-rate schedule (lr -> lr_final by a step or a cosine)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch.optim.lr_scheduler import LambdaLR

from posemachines.training.config import OptimSection


def build_optimizer(params: Iterable[torch.nn.Parameter], optim: OptimSection) -> torch.optim.Adam:
    return torch.optim.Adam(list(params), lr=optim.lr, weight_decay=optim.weight_decay)


def learning_rate(step: int, total_steps: int, optim: OptimSection) -> float:
    """The lr used for step `step` (0-based) of `total_steps`."""
    if optim.schedule == "constant" or total_steps <= 1:
        return optim.lr
    if optim.schedule == "step":
        return optim.lr if step < optim.decay_at * total_steps else optim.lr_final
    progress = min(step / (total_steps - 1), 1.0)
    return optim.lr_final + 0.5 * (optim.lr - optim.lr_final) * (1.0 + math.cos(math.pi * progress))


def build_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, optim: OptimSection
) -> LambdaLR:
    """Per-step scheduler: call `.step()` after every optimiser step.

    The multiplier is a plain function, so the scheduler's state dict holds only numbers.
    """

    def factor(step: int) -> float:
        return learning_rate(step, total_steps, optim) / optim.lr

    return LambdaLR(optimizer, factor)
