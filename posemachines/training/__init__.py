"""Training: losses, the step-based trainer (AMP, DDP, exact resume), stage tasks and configs.

    from posemachines.training.config import load_config
    from posemachines.training.trainer import train
    result = train(load_config("configs/tiny_test.yaml", ["optim.steps=100"]))

`posemachines train CONFIG.yaml [--resume] [--set key=value ...]` is the same from the shell
(it also knows the analysis layer's tasks: `train(config, tasks=TASKS | ACTION_TASKS)` with
`posemachines.analysis.action_task.ACTION_TASKS`). `trainer.py` documents the loop and how to
plug in a new `Task`; `task.py` is the contract, `tasks.py` the registry. This package file
imports nothing, so that a module needing only the losses (`correction.paper`) does not load
every task and its data stack.
"""
