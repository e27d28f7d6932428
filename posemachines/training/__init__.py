"""Training: losses, the step-based trainer (AMP, DDP, exact resume), stage tasks and configs.

    from posemachines.training import load_config, train
    result = train(load_config("configs/tiny_test.yaml", ["optim.steps=100"]))

`posemachines train CONFIG.yaml [--resume] [--set key=value ...]` is the same from the shell
(it also knows the analysis layer's tasks: `train(config, tasks=TASKS | ACTION_TASKS)` with
`posemachines.analysis.action_task.ACTION_TASKS`). `trainer.py` documents the loop and how to
plug in a new `Task`; `task.py` is the contract, `tasks.py` the registry.
"""

from posemachines.training.config import TrainConfig, load_config
from posemachines.training.task import Task
from posemachines.training.tasks import TASKS, build_task, task_class
from posemachines.training.trainer import Trainer, TrainResult, train

__all__ = [
    "TASKS",
    "Task",
    "TrainConfig",
    "TrainResult",
    "Trainer",
    "build_task",
    "load_config",
    "task_class",
    "train",
]
