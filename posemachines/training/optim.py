"""Adam or AdamW and the learning-rate schedule (lr -> lr_final by a step, cosine or one cycle)."""

from __future__ import annotations

import math
from collections.abc import Iterable

import torch
from torch.optim.lr_scheduler import LambdaLR

from posemachines.training.config import OptimSection

#: One-cycle start: lr / ONE_CYCLE_DIVISOR (torch OneCycleLR's default div_factor).
ONE_CYCLE_DIVISOR = 25.0


def build_optimizer(
    params: Iterable[torch.nn.Parameter], optim: OptimSection
) -> torch.optim.Optimizer:
    """Adam (weight decay in the gradient) or AdamW (decoupled), per `optim.optimizer`."""
    kind = torch.optim.AdamW if optim.optimizer == "adamw" else torch.optim.Adam
    return kind(list(params), lr=optim.lr, weight_decay=optim.weight_decay)


def _cosine(start: float, end: float, fraction: float) -> float:
    """From `start` (fraction 0) to `end` (fraction 1) along half a cosine."""
    return end + 0.5 * (start - end) * (1.0 + math.cos(math.pi * fraction))


def learning_rate(step: int, total_steps: int, optim: OptimSection) -> float:
    """The lr used for step `step` (0-based) of `total_steps`."""
    if optim.schedule == "constant" or total_steps <= 1:
        return optim.lr
    if optim.schedule == "step":
        return optim.lr if step < optim.decay_at * total_steps else optim.lr_final
    if optim.schedule == "onecycle":  # the phase bounds of torch's OneCycleLR
        peak = float(optim.warmup * total_steps) - 1.0
        if peak > 0.0 and step <= peak:
            return _cosine(optim.lr / ONE_CYCLE_DIVISOR, optim.lr, step / peak)
        fraction = min((step - peak) / (total_steps - 1 - peak), 1.0)
        return _cosine(optim.lr, optim.lr_final, fraction)
    return _cosine(optim.lr, optim.lr_final, min(step / (total_steps - 1), 1.0))


def build_scheduler(
    optimizer: torch.optim.Optimizer, total_steps: int, optim: OptimSection
) -> LambdaLR:
    """Per-step scheduler: call `.step()` after every optimiser step.

    The multiplier is a plain function, so the scheduler's state dict holds only numbers.
    """

    def factor(step: int) -> float:
        return learning_rate(step, total_steps, optim) / optim.lr

    return LambdaLR(optimizer, factor)
