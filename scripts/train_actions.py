"""Train the action classifier shipped as posemachines/weights/actions.pt (CPU, ~10 min).

    python scripts/train_actions.py [--mocap runs/mocap16.npz] [--lifter PATH] [--out PATH]

Data: the shipped mocap converted to 16 joints (`posemachines data mocap ../shared/data/mocap
runs/mocap16.npz`; built here from --mocap-root when the npz is missing), labelled and split
by `posemachines.analysis.action_data` / `action_taxonomy`. Training windows come half from the
clean mocap 3D and half from the same takes as the lifter predicts them from projected, noisy
2D (`lift_segments`, --lifted-copies cameras per take). The held-out takes are scored both ways;
the numbers go into the weights, --metrics (JSON) and --confusion (PNG).
"""

from __future__ import annotations

import argparse
import json
import math
import time
from pathlib import Path

import numpy as np
import torch

from posemachines.analysis.action_data import (
    LabelledSegment,
    WindowPool,
    classification_scores,
    confusion_matrix,
    labelled_segments,
    lift_segments,
)
from posemachines.analysis.action_features import mirror_windows, window_features
from posemachines.analysis.action_taxonomy import ACTION_CLASSES
from posemachines.analysis.actions import (
    ActionModel,
    ActionNet,
    recognize_actions,
    save_action_model,
)
from posemachines.camera_sampling import VirtualCameraConfig
from posemachines.data.mocap import convert_mocap_tree, load_mocap_npz
from posemachines.models.checkpoint import load_checkpoint
from posemachines.training.augment import DetectorNoiseConfig
from posemachines.training.mocap_views import MocapViewConfig

#: Standard deviation of the random tilt given to `up` in training (radians, ~6 degrees):
#: at run time up comes from `vertical.estimate_up`, which runners and bows tilt.
UP_JITTER = 0.1
TEST_STRIDE = 3
#: Takes of classes with fewer training frames than this are filmed by more cameras (at most
#: MAX_LIFTED_COPIES), so small classes see as many views as large ones.
BALANCE_FRAMES = 4000
MAX_LIFTED_COPIES = 8


def parse_args() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", type=Path, default=Path("runs/mocap16.npz"))
    parser.add_argument("--mocap-root", type=Path, default=Path("../shared/data/mocap"))
    parser.add_argument("--lifter", type=Path,
                        default=Path("posemachines/weights/lifter_mocap.pt"))
    parser.add_argument("--out", type=Path, default=Path("posemachines/weights/actions.pt"))
    parser.add_argument("--metrics", type=Path, default=Path("runs/actions/metrics.json"))
    parser.add_argument("--confusion", type=Path, default=Path("docs/actions_confusion.png"))
    parser.add_argument("--steps", type=int, default=3000)
    parser.add_argument("--batch-size", type=int, default=128)
    parser.add_argument("--lr", type=float, default=2e-3)
    parser.add_argument("--lifted-copies", type=int, default=2,
                        help="virtual cameras per training take for the lifted windows")
    parser.add_argument("--test-copies", type=int, default=3,
                        help="virtual cameras per held-out take for the lifted test windows")
    parser.add_argument("--lifted-share", type=float, default=0.5,
                        help="share of each batch drawn from lifted windows")
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--threads", type=int, default=1)
    return parser.parse_args()


def view_config(extra: dict) -> MocapViewConfig:
    """Cameras and detector noise as the lifter was trained with (its saved options)."""
    options = (extra.get("config") or {}).get("options") or {}
    return MocapViewConfig(camera=VirtualCameraConfig(**(options.get("camera") or {})),
                           noise=DetectorNoiseConfig(**(options.get("noise") or {})))


def make_lifter(path: Path, batch_size: int = 64):
    """keypoints (B, T, 16, 2), extra (B, T, E) -> lifted (B, T, 16, 3) mm, in batches."""
    model, extra = load_checkpoint(path)

    def lift(keypoints: np.ndarray, features: np.ndarray) -> np.ndarray:
        out = []
        with torch.no_grad():
            for start in range(0, len(keypoints), batch_size):
                output = model(torch.from_numpy(keypoints[start: start + batch_size]),
                               extra=torch.from_numpy(features[start: start + batch_size]))
                out.append(output.pose3d_mm.numpy())
        return np.concatenate(out)

    return lift, view_config(extra)


def lifted_copies(segments: list[LabelledSegment], minimum: int) -> list[LabelledSegment]:
    """Each segment repeated by how rare its main class is (see BALANCE_FRAMES)."""
    counts = np.bincount(np.concatenate([s.labels[s.labels >= 0] for s in segments]),
                         minlength=len(ACTION_CLASSES))
    repeated = []
    for segment in segments:
        labelled = segment.labels[segment.labels >= 0]
        main = np.bincount(labelled, minlength=len(ACTION_CLASSES)).argmax()
        copies = min(MAX_LIFTED_COPIES, max(minimum, math.ceil(BALANCE_FRAMES / counts[main])))
        repeated += [segment] * copies
    return repeated


def jitter_up(rng: np.random.Generator, up: np.ndarray) -> np.ndarray:
    tilted = up / np.linalg.norm(up, axis=-1, keepdims=True)
    return tilted + rng.normal(0.0, UP_JITTER, size=up.shape)


def batch_features(rng: np.random.Generator, pool: WindowPool, rows: np.ndarray,
                   augment: bool) -> tuple[np.ndarray, np.ndarray]:
    poses, up, labels = pool.windows(rows)
    if augment:
        up = jitter_up(rng, up)
        mirror = rng.random(len(rows)) < 0.5
        poses[mirror], up[mirror] = mirror_windows(poses[mirror], up[mirror])
    return window_features(poses, up), labels


def train(pools: tuple[WindowPool, WindowPool], args: argparse.Namespace) -> ActionNet:
    rng = np.random.default_rng([args.seed, 1])
    torch.manual_seed(args.seed)
    net = ActionNet(len(ACTION_CLASSES))
    optimiser = torch.optim.AdamW(net.parameters(), lr=args.lr, weight_decay=1e-3)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimiser, args.lr, total_steps=args.steps,
                                                   pct_start=0.1)
    loss_fn = torch.nn.CrossEntropyLoss(label_smoothing=0.05)
    lifted_count = int(round(args.batch_size * args.lifted_share))
    net.train()
    for step in range(1, args.steps + 1):
        parts = [batch_features(rng, pool, pool.sample_rows(rng, count), augment=True)
                 for pool, count in zip(pools, (args.batch_size - lifted_count, lifted_count),
                                        strict=True) if count]
        features = torch.from_numpy(np.concatenate([p[0] for p in parts]))
        labels = torch.from_numpy(np.concatenate([p[1] for p in parts]))
        loss = loss_fn(net(features), labels)
        optimiser.zero_grad()
        loss.backward()
        optimiser.step()
        schedule.step()
        if step % 250 == 0 or step == 1:
            print(f"step {step}: loss {loss.item():.3f}", flush=True)
    return net.eval()


def evaluate(model: ActionModel, pool: WindowPool) -> tuple[dict, np.ndarray]:
    """Scores and the confusion matrix of every window of `pool`."""
    rng = np.random.default_rng(0)
    predicted, truth = [], []
    for start in range(0, len(pool), 512):
        features, labels = batch_features(rng, pool, np.arange(start, min(start + 512,
                                                                          len(pool))), False)
        predicted.append(model.probabilities(features).argmax(axis=1))
        truth.append(labels)
    matrix = confusion_matrix(np.concatenate(truth), np.concatenate(predicted),
                              len(model.classes))
    return classification_scores(matrix) | {"windows": len(pool)}, matrix


def evaluate_frames(model: ActionModel, segments: list[LabelledSegment]) -> dict:
    """Per-frame scores of the run-time path (`recognize_actions`: sliding windows, centre
    interpolation, short runs merged) over whole segments, on their labelled frames."""
    truth, predicted = [], []
    for segment in segments:
        timeline = recognize_actions(segment.joints_mm, np.arange(len(segment.labels)) / 30.0,
                                     up=segment.up, model=model)
        labelled = segment.labels >= 0
        truth.append(segment.labels[labelled])
        predicted.append(timeline.label_indices[labelled])
    matrix = confusion_matrix(np.concatenate(truth), np.concatenate(predicted),
                              len(model.classes))
    scores = classification_scores(matrix)
    return {"accuracy": scores["accuracy"], "macro_f1": scores["macro_f1"],
            "frames": int(matrix.sum())}


def plot_confusions(matrices: dict[str, np.ndarray], scores: dict[str, dict],
                    path: Path) -> None:
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

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
        ticks = range(len(ACTION_CLASSES))
        axis.set_xticks(ticks, ACTION_CLASSES, rotation=60, ha="right", fontsize=8)
        axis.set_yticks(ticks, ACTION_CLASSES, fontsize=8)
        axis.set_xlabel("predicted")
        axis.set_ylabel("true")
        score = scores[name]
        axis.set_title(f"{name}: accuracy {score['accuracy']:.3f}, macro-F1 "
                       f"{score['macro_f1']:.3f} ({score['windows']} windows)", fontsize=10)
    path.parent.mkdir(parents=True, exist_ok=True)
    figure.savefig(path, dpi=80)


def main() -> None:
    args = parse_args()
    torch.set_num_threads(args.threads)
    started = time.perf_counter()
    if not args.mocap.is_file():
        convert_mocap_tree(args.mocap_root, args.mocap)
    segments = labelled_segments(load_mocap_npz(args.mocap))
    train_segments = [s for s in segments if not s.test]
    test_segments = [s for s in segments if s.test]
    lifter, views = make_lifter(args.lifter)
    rng = np.random.default_rng([args.seed, 0])
    lifted_train = lift_segments(lifted_copies(train_segments, args.lifted_copies), lifter, rng,
                                 views)
    lifted_test = lift_segments(test_segments * args.test_copies, lifter,
                                np.random.default_rng([args.seed, 2]), views)
    prepared = time.perf_counter() - started
    print(f"data ready in {prepared:.0f} s: {len(train_segments)} train / {len(test_segments)} "
          f"test segments", flush=True)
    pools = (WindowPool(train_segments), WindowPool(lifted_train))
    net = train(pools, args)
    trained = time.perf_counter() - started - prepared
    model = ActionModel(net, ACTION_CLASSES, {})
    scores, matrices = {}, {}
    for name, test in (("clean mocap 3D", test_segments), ("lifter 3D", lifted_test)):
        scores[name], matrices[name] = evaluate(model, WindowPool(test, TEST_STRIDE))
        scores[name]["per_frame"] = evaluate_frames(model, test)
        print(f"{name}: accuracy {scores[name]['accuracy']:.3f}, macro-F1 "
              f"{scores[name]['macro_f1']:.3f} (windows); per frame {scores[name]['per_frame']}")
    model.metrics = {
        "test": scores, "classes": list(ACTION_CLASSES), "steps": args.steps,
        "seed": args.seed, "lifter": args.lifter.name, "lifted_copies": args.lifted_copies,
        "test_copies": args.test_copies,
        "data_s": round(prepared, 1), "train_s": round(trained, 1), "threads": args.threads,
        "confusion": {name: matrix.tolist() for name, matrix in matrices.items()},
    }
    save_action_model(args.out, model)
    plot_confusions(matrices, scores, args.confusion)
    args.metrics.parent.mkdir(parents=True, exist_ok=True)
    args.metrics.write_text(json.dumps(model.metrics, indent=1) + "\n")
    params = sum(p.numel() for p in net.parameters())
    print(f"{params} parameters; data {prepared:.0f} s, training {trained:.0f} s, total "
          f"{math.ceil(time.perf_counter() - started)} s -> {args.out}")


if __name__ == "__main__":
    main()
