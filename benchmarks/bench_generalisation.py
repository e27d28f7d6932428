"""SHORT-RUN A/B of the lifter's generalisation: train variants briefly, score them cross-dataset.

Every variant trains on Bandai Namco only (LAFAN1 stays unseen) for --steps steps, then is
scored by `posemachines.evaluation.evaluate` on `cross-mocap` (all LAFAN1 takes) and
`mocap-heldout` (held-out Bandai Namco takes), plus a diagnostic pass on LAFAN1 (noisy 2D, whole
takes streamed): predicted / true body size (sum of the 15 bone lengths), the signed thigh and
half-hip length errors, the feet's MPJPE (the issue's symptoms: people too small, short thighs,
feet worst) and N-MPJPE (scale factored out). Variants:

- baseline: configs/lifter_first_default.yaml as shipped;
- anthropometry: + `options.anthropometry` (a new adult body for 80 % of the clips);
- orientation: + anthropometry + `options.orientation` (30 % of the clips tilted off upright);
- general: configs/lifter_lite.yaml (anthropometry, wider intrinsics) with orientation,
  Bandai Namco only: scripts/train_lifter_cross.sh's recipe.

Short runs are an indication, not the full retrain: the models are far from converged.

    python benchmarks/bench_generalisation.py --mocap runs/mocap16.npz --steps 800
        [--variants baseline,anthropometry] [--cameras-per-take 2] [--device cpu] [--jobs 2]
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from pathlib import Path

import numpy as np
import torch

from posemachines.data.mocap import load_mocap_npz
from posemachines.data.virtual_cameras import VirtualCameraConfig
from posemachines.evaluation.lifting import encode_for, lift_sequences
from posemachines.evaluation.metrics import mpjpe, n_mpjpe
from posemachines.evaluation.mocap_protocols import CAMERA_SHIFT, view_take
from posemachines.evaluation.runner import EvaluationOptions, evaluate, load_lifter
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import bone_lengths
from posemachines.training.augment import DetectorNoiseConfig, add_detector_noise

BANDAI_NAMCO = "bandai-namco-1,bandai-namco-2"
VARIANTS: dict[str, tuple[str, tuple[str, ...]]] = {
    "baseline": ("configs/lifter_first_default.yaml", ()),
    "anthropometry": ("configs/lifter_first_default.yaml",
                      ("options.anthropometry.probability=0.8",)),
    "orientation": ("configs/lifter_first_default.yaml",
                    ("options.anthropometry.probability=0.8",
                     "options.orientation.probability=0.3")),
    "general": ("configs/lifter_lite.yaml", (f"options.sources={BANDAI_NAMCO}",
                                                "options.orientation.probability=0.3")),
}
PROTOCOLS = ("cross-mocap", "mocap-heldout")
ROWS = ("clean 2D, whole take (streaming)", "clean 2D, whole take, scaled to the true height",
        "noisy 2D, whole take (streaming)", "noisy 2D, clips of 5 frames",
        "clean 2D, single frame (T=1)", "real Human3.6M frames, annotated 2D",
        "real MPI-INF-3DHP frames, annotated 2D")
FEET = (3, 6)


def train_command(name: str, args: argparse.Namespace) -> list[str]:
    config, overrides = VARIANTS[name]
    sets = [*overrides, f"optim.steps={args.steps}", f"checkpoint.dir={args.out / name}",
            f"options.mocap={args.mocap}", f"device={args.device}", "log.progress=false",
            f"log.val_every_n_steps={args.steps}", f"checkpoint.every_n_steps={args.steps}",
            f"num_threads={args.threads}", "log.tensorboard=false", f"seed={args.seed}"]
    # The trainer directly, not the CLI: the CLI's other commands import video visibility_roots.
    code = ("import sys; from posemachines.training.config import load_config; "
            "from posemachines.training.trainer import train; "
            "train(load_config(sys.argv[1], sys.argv[2:]))")
    return [sys.executable, "-c", code, config, *sets]


def diagnostics(
    model: PoseMachine, mocap: Path, cameras: int, device: str, camera: VirtualCameraConfig
) -> dict[str, float]:
    """Body size ratio, signed thigh / half-hip errors (mm), feet MPJPE and N-MPJPE (mm, the
    MPJPE after the optimal scale per pose) on LAFAN1; plus 'take <name>': MPJPE per take."""
    sums = np.zeros(5)
    frames = 0
    per_take: dict[str, float] = {}
    for number, take in enumerate(c for c in load_mocap_npz(mocap).clips if c.source == "lafan1"):
        views = view_take(take.joints_mm, np.random.default_rng([0, number, 0]), cameras, camera)
        xy, conf = add_detector_noise(views.xy_px, np.ones(views.xy_px.shape[:3], np.float32),
                                      np.random.default_rng([0, number, 1]), DetectorNoiseConfig())
        keypoints, visibility_root = encode_for(model, xy, conf, views.f_px, views.c_px)
        pred = lift_sequences(model, keypoints, visibility_root, None,
                              device=device).astype(np.float64)
        pred -= pred[..., :1, :]  # root-aligned, as the protocols score
        gt = views.pose3d_mm
        pred_bones, gt_bones = bone_lengths(pred), bone_lengths(gt)
        feet = np.linalg.norm(pred[..., FEET, :] - gt[..., FEET, :], axis=-1).mean(-1)
        sums += [np.sum(pred_bones.sum(-1) / gt_bones.sum(-1)),
                 np.sum((pred_bones - gt_bones)[..., [1, 4]].mean(-1)),
                 np.sum((pred_bones - gt_bones)[..., [0, 3]].mean(-1)), np.sum(feet),
                 np.sum(n_mpjpe(pred, gt, reduction="none"))]
        frames += int(np.prod(pred.shape[:2]))
        per_take[f"take {take.name}"] = float(np.mean(mpjpe(pred, gt, reduction="none")))
    keys = ("size ratio", "thigh error (mm)", "half-hip error (mm)", "feet MPJPE (mm)",
            "N-MPJPE (mm)")
    return {**dict(zip(keys, (sums / frames).tolist(), strict=True)), **per_take}


def evaluate_variant(name: str, args: argparse.Namespace) -> dict[str, object]:
    torch.set_num_threads(args.threads)
    start = time.perf_counter()
    model = load_lifter(args.out / name / "best.pt", args.device)
    options = EvaluationOptions(cameras_per_take=args.cameras_per_take, device=args.device,
                                progress=False, weights_label=name,
                                camera_shift=args.camera_shift)
    result: dict[str, object] = {}
    for protocol in PROTOCOLS:
        table = evaluate(model, protocol, args.mocap, options).table
        result[protocol] = {row: table.values[row] for row in ROWS if row in table.values}
    camera = CAMERA_SHIFT if args.camera_shift else VirtualCameraConfig()
    result["diagnostics"] = diagnostics(model, args.mocap, args.cameras_per_take, args.device,
                                        camera)
    result["eval_s"] = time.perf_counter() - start
    return result


def markdown(results: dict[str, dict], steps: int, camera_shift: bool) -> str:
    cameras = "shifted cameras" if camera_shift else "cameras as in training"
    lines = [f"SHORT RUN: {steps} training steps per variant (an indication, not converged); "
             f"{cameras}.", ""]
    for protocol in PROTOCOLS:
        lines += [f"**{protocol}**", "",
                  "| variant | row | MPJPE | PA-MPJPE | bone length error (mm) | (%) |",
                  "|---|---|---|---|---|---|"]
        for name, result in results.items():
            for row, values in result[protocol].items():
                cells = " | ".join(f"{v:.1f}" for v in values.values())
                lines.append(f"| {name} | {row} | {cells} |")
        lines.append("")
    first = next(iter(results.values()))["diagnostics"]
    keys = tuple(k for k in first if not k.startswith("take "))
    lines += ["**LAFAN1 diagnostics** (noisy 2D, whole take)", "",
              "| variant | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|"]
    for name, result in results.items():
        lines.append(f"| {name} | " + " | ".join(
            f"{result['diagnostics'][k]:.3f}" if k == "size ratio"
            else f"{result['diagnostics'][k]:.1f}" for k in keys) + " |")
    lines += ["", "**LAFAN1 MPJPE per take** (noisy 2D, whole take)", "",
              "| take | " + " | ".join(results) + " |", "|---" * (len(results) + 1) + "|"]
    for take in (k for k in first if k.startswith("take ")):
        lines.append(f"| {take[5:]} | " + " | ".join(
            f"{r['diagnostics'][take]:.1f}" for r in results.values()) + " |")
    return "\n".join(lines)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--mocap", type=Path, default=Path("runs/mocap16.npz"))
    parser.add_argument("--steps", type=int, default=800)
    parser.add_argument("--seed", type=int, default=0, help="training seed")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--out", type=Path, default=Path("runs/bench_generalisation"))
    parser.add_argument("--cameras-per-take", type=int, default=2)
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--threads", type=int, default=1)
    parser.add_argument("--jobs", type=int, default=1, help="variants trained/scored at once")
    parser.add_argument("--skip-training", action="store_true",
                        help="score the best.pt already in --out/<variant>/")
    parser.add_argument("--camera-shift", action="store_true",
                        help="score with the protocols' shifted cameras (2.2-3.5 m, 2-3x width)")
    args = parser.parse_args()
    names = [n for n in args.variants.split(",") if n]
    unknown = set(names) - set(VARIANTS)
    if unknown:
        parser.error(f"unknown variants {sorted(unknown)}; choose from {', '.join(VARIANTS)}")
    timings: dict[str, float] = {}
    if not args.skip_training:
        env = {**os.environ, "OMP_NUM_THREADS": str(args.threads)}
        pending = list(names)
        while pending:
            batch, pending = pending[:args.jobs], pending[args.jobs:]
            start = time.perf_counter()
            running = [subprocess.Popen(train_command(n, args), env=env) for n in batch]
            if any(process.wait() for process in running):
                sys.exit("a training run failed")
            timings.update({n: time.perf_counter() - start for n in batch})
    with ProcessPoolExecutor(max_workers=args.jobs) as pool:
        futures = {n: pool.submit(evaluate_variant, n, args) for n in names}
        results = {n: future.result() for n, future in futures.items()}
    print(markdown(results, args.steps, args.camera_shift))
    print("\ntraining wall time (s, variants in parallel per batch): "
          + ", ".join(f"{n} {t:.0f}" for n, t in timings.items())
          + "; evaluation (s): " + ", ".join(f"{n} {r['eval_s']:.0f}" for n, r in results.items()))
    (args.out / "results.json").write_text(json.dumps(results, indent=1))


if __name__ == "__main__":
    main()
