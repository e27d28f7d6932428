"""The training layer's task registry: a config's `task:` name -> its `Task` class.

Imports run one way: this registry imports the task modules, which import `task` (the
contract) and `config`; `config` imports none of them. Tasks of higher layers (the action
classifier in `posemachines.analysis.action_task`) are not listed here, since training must not
import analysis: the layer that runs training passes a larger mapping to `build_task` /
`trainer.train` (`posemachines train` passes `TASKS | ACTION_TASKS`). A config may also name
any importable class directly as "package.module:ClassName" (e.g. a test's task).
"""

from __future__ import annotations

import importlib
from collections.abc import Mapping

from posemachines.errors import PoseInputError
from posemachines.training.config import TrainConfig
from posemachines.training.lifter_task import LifterMocapTask
from posemachines.training.task import Task
from posemachines.training.tasks_cpm import Cpm2DTask
from posemachines.training.tasks_pose import (
    FinetuneStageTask,
    MaskStageTask,
    ProjectorStageTask,
    TransformerStageTask,
)
from posemachines.training.tasks_synthetic import SyntheticLifterTask

TASKS: dict[str, type[Task]] = {
    "synthetic": SyntheticLifterTask,
    "cpm2d": Cpm2DTask,
    "transformer": TransformerStageTask,
    "projector": ProjectorStageTask,
    "finetune": FinetuneStageTask,
    "mask": MaskStageTask,
    "lifter_mocap": LifterMocapTask,
}


def task_class(name: str, tasks: Mapping[str, type[Task]] = TASKS) -> type[Task]:
    """The Task subclass registered as `name` in `tasks`, or named by a "module:Class" path."""
    if name in tasks:
        return tasks[name]
    if ":" not in name:
        raise PoseInputError(f"Unknown task '{name}'; known tasks: {', '.join(sorted(tasks))}.")
    module_name, _, class_name = name.partition(":")
    try:
        module = importlib.import_module(module_name)
    except ImportError as error:
        raise PoseInputError(f"Task '{name}' cannot be loaded: {error}.") from None
    cls = getattr(module, class_name, None)
    if not (isinstance(cls, type) and issubclass(cls, Task)):
        raise PoseInputError(f"Task '{name}' is not a posemachines Task class.")
    return cls


def build_task(config: TrainConfig, tasks: Mapping[str, type[Task]] = TASKS) -> Task:
    """The task `config.task` names, with its options parsed; raises PoseInputError."""
    return task_class(config.task, tasks)(config)
