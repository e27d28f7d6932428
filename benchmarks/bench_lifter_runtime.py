"""The numpy lifter (models/numpy_lifter.py) against the torch PoseMachine (the baseline).

Rows: whole clips of B clips x T frames in one call; streaming (one call per frame, the LSTM
state passed along, B=2 as the live path's flip test); and a fresh Python process that imports
the runtime and loads the lifter (torch: `load_checkpoint`; numpy: `NumpyLifter.load`). Torch
runs as inference does (one intra-op thread, inference mode). Times are medians over
--repeats, torch and numpy called in turn (a busy machine slows both alike); max |diff| is the
largest difference of the final 3D between the two, mm.

    python benchmarks/bench_lifter_runtime.py [--weights mocap] [--repeats 5]
"""

from __future__ import annotations

import argparse
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from functools import partial

import numpy as np
import torch

from posemachines.models import PoseMachine
from posemachines.models.checkpoint import load_checkpoint
from posemachines.models.numpy_lifter import NumpyLifter
from posemachines.models.shipped import shipped_lifter_path
from posemachines.threads import single_thread

CLIPS = ((4, 100), (4, 1000), (1, 1000))
STREAM_BATCH, STREAM_FRAMES = 2, 100

FRESH_TORCH = ("from posemachines.models.checkpoint import load_checkpoint; "
               "load_checkpoint({path!r})")
FRESH_NUMPY = ("from posemachines.models.numpy_lifter import NumpyLifter; "
               "NumpyLifter.load({path!r})")


def _median_ms(runs: tuple[Callable[[], object], ...], repeats: int) -> list[float]:
    """Median ms of each of `runs`, called in turn (torch, numpy, torch, ...) so that other
    processes' load falls on all of them alike."""
    times: list[list[float]] = [[] for _ in runs]
    for repeat in range(repeats + 1):  # the first round warms up
        for run, spent in zip(runs, times, strict=True):
            start = time.perf_counter()
            run()
            if repeat:
                spent.append(time.perf_counter() - start)
    return [statistics.median(spent) * 1e3 for spent in times]


def _fresh_process(code: str) -> None:
    subprocess.run([sys.executable, "-c", code], check=True)


def _inputs(batch: int, frames: int, extra_dim: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    keypoints = (0.3 * rng.normal(size=(batch, frames, 16, 2))).astype(np.float32)
    return keypoints, rng.uniform(size=(batch, frames, extra_dim)).astype(np.float32)


def _clip_torch(model: PoseMachine, keypoints: torch.Tensor, visibility: torch.Tensor
                ) -> np.ndarray:
    with torch.inference_mode(), single_thread():
        return model(keypoints, visibility_root=visibility).pose3d_mm.numpy()


def _clip_numpy(lifter: NumpyLifter, keypoints: np.ndarray, visibility: np.ndarray
                ) -> np.ndarray:
    return lifter(keypoints, visibility_root=visibility).pose3d_mm


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", default="mocap", help="shipped lifter name")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    path = shipped_lifter_path(args.weights)
    model, _ = load_checkpoint(path)
    lifter = NumpyLifter.load(path)
    extra_dim = lifter.config.visibility_root_dim
    rows = []

    for batch, frames in CLIPS:
        keypoints, visibility = _inputs(batch, frames, extra_dim)
        run_torch = partial(_clip_torch, model, torch.from_numpy(keypoints),
                            torch.from_numpy(visibility))
        run_numpy = partial(_clip_numpy, lifter, keypoints, visibility)
        diff = float(np.abs(run_torch() - run_numpy()).max())
        rows.append((f"clip B={batch} T={frames}",
                     *_median_ms((run_torch, run_numpy), args.repeats), diff))

    keypoints, visibility = _inputs(STREAM_BATCH, STREAM_FRAMES, extra_dim)

    def stream_torch() -> np.ndarray:
        state, poses = None, []
        with torch.inference_mode(), single_thread():
            for t in range(STREAM_FRAMES):
                output = model(torch.from_numpy(keypoints[:, t:t + 1]), state,
                               visibility_root=torch.from_numpy(visibility[:, t:t + 1]))
                state = output.state
                poses.append(output.pose3d_mm.numpy())
        return np.concatenate(poses, axis=1)

    def stream_numpy() -> np.ndarray:
        state, poses = None, []
        for t in range(STREAM_FRAMES):
            output = lifter(keypoints[:, t:t + 1], state, visibility_root=visibility[:, t:t + 1])
            state = output.state
            poses.append(output.pose3d_mm)
        return np.concatenate(poses, axis=1)

    diff = float(np.abs(stream_torch() - stream_numpy()).max())
    rows.append((f"stream B={STREAM_BATCH}, {STREAM_FRAMES} calls",
                 *_median_ms((stream_torch, stream_numpy), args.repeats), diff))
    fresh = (partial(_fresh_process, FRESH_TORCH.format(path=str(path))),
             partial(_fresh_process, FRESH_NUMPY.format(path=str(path))))
    rows.append(("fresh process: import + load", *_median_ms(fresh, args.repeats),
                 float("nan")))

    print(f"lifter '{args.weights}' ({lifter.config.name}: {lifter.config.lstm_layers} LSTM "
          f"layers of {lifter.config.lstm_hidden}), medians of {args.repeats} runs")
    print(f"{'case':32s} {'torch ms':>10s} {'numpy ms':>10s} {'numpy/torch':>12s} "
          f"{'max |diff| mm':>14s}")
    for name, torch_ms, numpy_ms, diff in rows:
        print(f"{name:32s} {torch_ms:10.2f} {numpy_ms:10.2f} {numpy_ms / torch_ms:12.2f} "
              f"{'-' if np.isnan(diff) else f'{diff:.1e}':>14s}")


if __name__ == "__main__":
    main()
