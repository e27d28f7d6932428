"""The `Task` contract between the trainer and one kind of training.

A task owns everything stage-specific: which model, which data, which loss terms, which
parameters train, how to validate and how best.pt is written. The trainer owns the loop,
optimiser, schedule, AMP, DDP, batching order, checkpoints and logs; see
`posemachines.training.trainer` for how it calls a task.

A task types and parses its own `options:` section: `Options` is a dataclass and `__init__`
builds it from the config's plain `options` mapping (`config.build_section`: typed, unknown
keys are errors). So the config module knows no task, and a task module depends on the config,
never the reverse. Which name in a config's `task:` means which class is the registry's concern
(`posemachines.training.tasks`), not the task's.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ClassVar, cast

import torch
from torch import nn
from torch.utils.data import Dataset, default_collate

from posemachines.models import PoseMachine
from posemachines.models.checkpoint import save_checkpoint
from posemachines.training.config import TrainConfig, build_section


@dataclass
class NoOptions:
    """A task without an `options:` section."""


class Task:
    """One kind of training. Subclasses override the methods marked "must"."""

    #: Dataclass typing the config's `options:` section (unknown keys are errors).
    Options: ClassVar[type] = NoOptions
    #: Validation metric that picks best.pt when `checkpoint.best_metric` is empty.
    best_metric: ClassVar[str] = "mpjpe_mm"

    def __init__(self, config: TrainConfig) -> None:
        self.config = config
        self.options = self.parse_options(config.options)

    @classmethod
    def parse_options(cls, raw: dict[str, Any]) -> Any:
        """The config's `options:` mapping as an `Options` instance; raises PoseInputError."""
        return build_section(cls.Options, raw, "options.")

    def build_model(self) -> nn.Module:
        """Must: a fresh model (CPU); the trainer loads `model.init_from` and moves it."""
        raise NotImplementedError

    def train_dataset(self) -> Dataset:
        """Must: a map-style dataset; item i must depend only on i (and `set_epoch`, if any)."""
        raise NotImplementedError

    def collate(self, items: list[Any]) -> Any:
        """Items -> one batch (default: torch's default_collate)."""
        return default_collate(items)

    def trainable_parameters(self, model: nn.Module) -> Iterable[nn.Parameter]:
        """Parameters to optimise; the trainer freezes the rest (default: all)."""
        return model.parameters()

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        """Must: forward `batch` (already on the device) through `model` (maybe DDP-wrapped).

        Returns scalar loss terms; 'loss' is the one minimised, the rest are logged.
        Randomness must come from torch/numpy/python global RNGs (checkpointed) only.
        """
        raise NotImplementedError

    @torch.no_grad()
    def validate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        """Metrics of the bare model in eval mode, e.g. {'mpjpe_mm': 52.1} (default: none)."""
        return {}

    def save_model(self, model: nn.Module, path: Path, extra: dict[str, Any]) -> None:
        """Write an inference checkpoint of the bare model (best.pt) in the models' format.

        The trainer calls it right after the validation that improved `best_metric`."""
        save_checkpoint(path, cast(PoseMachine, model), extra=extra)
