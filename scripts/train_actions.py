"""Train the action classifier shipped as posemachines/weights/actions.pt (CPU, ~20 min).

    python scripts/train_actions.py [--out PATH] [--set key=value ...]

A thin wrapper around `posemachines train configs/actions.yaml` (the `actions` task,
posemachines/analysis/action_task.py, which documents the data and the recipe): it converts the
shipped mocap to the config's `options.mocap` npz when that is missing, trains, copies the run's
best.pt (already in the format `load_action_model` reads) to --out, and writes the held-out
numbers stored in it to --metrics (JSON) and its confusion matrices to --confusion (PNG).
"""

from __future__ import annotations

import argparse
import json
import shutil
import sys
from pathlib import Path

import numpy as np
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from posemachines.analysis.actions import load_action_model
from posemachines.cli import main as posemachines_main
from posemachines.data.mocap import convert_mocap_tree
from posemachines.training.config import load_config


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", type=Path, default=Path("configs/actions.yaml"))
    parser.add_argument("--mocap-root", type=Path, default=Path("../shared/data/mocap"))
    parser.add_argument("--out", type=Path, default=Path("posemachines/weights/actions.pt"))
    parser.add_argument("--metrics", type=Path, default=Path("runs/actions/metrics.json"))
    parser.add_argument("--confusion", type=Path, default=Path("docs/actions_confusion.png"))
    parser.add_argument("--set", dest="overrides", action="append", default=[],
                        metavar="KEY=VALUE", help="config override, as for posemachines train")
    return parser.parse_args()


def plot_confusions(matrices: dict[str, np.ndarray], scores: dict[str, dict],
                    classes: tuple[str, ...], path: Path) -> None:
    """One panel per condition: counts, coloured by the share of the true class."""
    figure = Figure(figsize=(8 * len(matrices), 7.5), layout="constrained")
    FigureCanvasAgg(figure)
    for axis, (name, matrix) in zip(figure.subplots(1, len(matrices)), matrices.items(),
                                    strict=True):
        rates = matrix / np.maximum(matrix.sum(axis=1, keepdims=True), 1)
        axis.imshow(rates, cmap="Blues", vmin=0, vmax=1)
        for (row, column), count in np.ndenumerate(matrix):
            if count:
                axis.text(column, row, str(count), ha="center", va="center", fontsize=7,
                          color="white" if rates[row, column] > 0.5 else "black")
        ticks = range(len(classes))
        axis.set_xticks(ticks, classes, rotation=60, ha="right", fontsize=8)
        axis.set_yticks(ticks, classes, fontsize=8)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        score = scores[name]
        axis.set_title(f"{name}: accuracy {score['accuracy']:.3f}, macro-F1 "
                       f"{score['macro_f1']:.3f} ({score['windows']} windows)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)


def run() -> int:
    args = parse_args()
    config = load_config(args.config, args.overrides)
    mocap = config.options.get("mocap")
    if mocap and not Path(mocap).is_file():
        convert_mocap_tree(args.mocap_root, Path(mocap))
    command = ["train", str(args.config)]
    for item in args.overrides:
        command += ["--set", item]
    code = posemachines_main(command)
    if code:
        return code
    best = Path(config.checkpoint.dir) / "best.pt"
    model = load_action_model(best)
    for name, scores in model.metrics["test"].items():
        print(f"{name}: accuracy {scores['accuracy']:.3f}, macro-F1 {scores['macro_f1']:.3f} "
              f"(windows); per frame {scores.get('per_frame')}")
    matrices = {name: np.array(rows) for name, rows in model.metrics["confusion"].items()}
    plot_confusions(matrices, model.metrics["test"], model.classes, args.confusion)
    args.metrics.parent.mkdir(parents=True, exist_ok=True)
    args.metrics.write_text(json.dumps(model.metrics, indent=1) + "\n")
    args.out.parent.mkdir(parents=True, exist_ok=True)
    shutil.copyfile(best, args.out)
    print(f"{best} -> {args.out}")
    return 0


if __name__ == "__main__":
    sys.exit(run())
