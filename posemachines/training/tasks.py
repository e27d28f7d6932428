"""The `Task` contract between the trainer and one kind of training, and the task registry.

A task owns everything stage-specific: which model, which data, which loss terms, which
parameters train, and how to validate. The trainer owns the loop, optimiser, schedule, AMP,
DDP, batching order, checkpoints and logs. See `posemachines.training.trainer` for the full
description of how the trainer calls a task.

The registry maps a config's `task:` name to "module.path:ClassName"; the module is imported
only when that task is used, so a missing or broken module fails only its own task. A config
may also name any importable class directly as "package.module:ClassName".
"""

from __future__ import annotations

import importlib
from collections.abc import Iterable
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING, Any, ClassVar

import torch
from torch import nn
from torch.utils.data import Dataset, default_collate

from posemachines.errors import PoseInputError

if TYPE_CHECKING:
    from posemachines.training.config import TrainConfig

TASKS: dict[str, str] = {
    "synthetic": "posemachines.training.tasks_synthetic:SyntheticLifterTask",
    "cpm2d": "posemachines.training.tasks_cpm:Cpm2DTask",
    "transformer": "posemachines.training.tasks_pose:TransformerStageTask",
    "projector": "posemachines.training.tasks_pose:ProjectorStageTask",
    "finetune": "posemachines.training.tasks_pose:FinetuneStageTask",
    "mask": "posemachines.training.tasks_pose:MaskStageTask",
    "lifter_mocap": "posemachines.training.lifter_task:LifterMocapTask",
}


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
        self.options = config.options

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
        """Write an inference checkpoint of the bare model (best.pt) in the models' format."""
        from posemachines.models.checkpoint import save_checkpoint

        save_checkpoint(path, model, extra=extra)


def task_class(name: str) -> type[Task]:
    """The Task subclass for a registered name or a "module:Class" path (imported on demand)."""
    target = TASKS.get(name, name)
    if ":" not in target:
        known = ", ".join(sorted(TASKS))
        raise PoseInputError(f"Unknown task '{name}'; known tasks: {known}.")
    module_name, _, class_name = target.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise PoseInputError(f"Task '{name}' cannot be loaded: {error}.") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise PoseInputError(f"Task '{name}': {target} is not a posemachines Task class.")
    return cls


def build_task(config: TrainConfig) -> Task:
    return task_class(config.task)(config)
