"""`posemachines train CONFIG.yaml [--resume] [--set key=value ...]`: run one training stage.

Works the same under `torchrun --nproc_per_node=N -m posemachines train ...` (DDP).

Task registration: the trainer gets the training layer's registry (`training.TASKS`: the
paper's stages, the mocap lifter, the synthetic task) merged with the tasks of the layers above
it, which training may not import: `analysis.action_task.ACTION_TASKS` (`task: actions`, the
action classifier). As in every CLI handler, the imports wait for the command to run, so
`posemachines --help` and the other commands do not load torch.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "train",
        help="train a model from a stage config (configs/*.yaml)",
        description="Train one stage; the YAML names the task, data, model, optimiser and run "
        "folder. Under torchrun the same command trains with DistributedDataParallel.",
    )
    parser.add_argument(
        "config", type=Path, help="stage config, e.g. configs/stage2_transformer.yaml"
    )
    parser.add_argument(
        "--resume", action="store_true",
        help="continue from <checkpoint.dir>/last.pt (starts at step 0 when there is none)",
    )
    parser.add_argument(
        "--set", dest="overrides", action="append", default=[], metavar="KEY=VALUE",
        help="override a config value, e.g. --set optim.lr=3e-4 (repeatable)",
    )
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from posemachines.analysis.action_task import ACTION_TASKS
    from posemachines.training.config import load_config
    from posemachines.training.tasks import TASKS
    from posemachines.training.trainer import train

    config = load_config(args.config, args.overrides)
    result = train(config, resume=args.resume, tasks=TASKS | ACTION_TASKS)
    if os.environ.get("RANK", "0") == "0":
        loss = result.final_terms.get("loss")
        parts = [f"trained {result.steps} steps"]
        if loss is not None:
            parts.append(f"final loss {loss:.6g}")
        if result.best_value is not None:
            parts.append(f"best {result.best_metric} {result.best_value:.4g}")
        print(f"{', '.join(parts)} -> {result.run_dir}")
    return 0
