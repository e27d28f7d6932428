"""Model size and CPU speed: PyTorch (the baseline) vs onnxruntime, whole clip vs streaming.

For each config: parameters, multiply-accumulates per frame, and ms per frame for
- clip: one clip (batch 1) of --clip-frames frames in one call (image models: --image-frames);
- stream: the same frames one call per frame, the LSTM state passed along;
each in PyTorch and in onnxruntime (the exported graph), with the ratio ort / torch.
Weights are random (speed does not depend on them). Times are medians over --repeats runs.

    python benchmarks/bench_models.py [--threads 2] [--configs lite paper-pose lite-image paper]
"""

from __future__ import annotations

import argparse
import os
import statistics
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import onnxruntime as ort
import torch

from posemachines.export.onnx import export_onnx, onnx_io_names
from posemachines.models import PoseMachine, get_config
from posemachines.models.complexity import count_macs_per_frame, count_parameters, example_inputs

DEFAULT_CONFIGS = ("lite", "paper-pose", "lite-image", "paper")


def _median_ms(run: Callable[[], object], repeats: int) -> float:
    run()  # warm-up
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return statistics.median(times) * 1e3


def _torch_runners(model: PoseMachine, inputs, visibility_root) -> tuple[Callable, Callable]:
    frames = inputs.shape[1]

    def clip() -> None:
        with torch.inference_mode():
            model(inputs, visibility_root=visibility_root)

    def stream() -> None:
        state = None
        with torch.inference_mode():
            for t in range(frames):
                step = None if visibility_root is None else visibility_root[:, t : t + 1]
                state = model(inputs[:, t : t + 1], state, visibility_root=step).state

    return clip, stream


def _ort_runners(model: PoseMachine, path: Path, threads: int, inputs, visibility_root) -> tuple:
    options = ort.SessionOptions()
    options.intra_op_num_threads = threads
    options.inter_op_num_threads = 1
    session = ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])
    input_names = onnx_io_names(model)[0]
    frames = inputs.shape[1]
    inputs_np = inputs.numpy()
    visibility_root_np = None if visibility_root is None else visibility_root.numpy()
    zero_h, zero_c = (s.numpy() for s in model.initial_state(1))

    def feeds(t0: int, t1: int, h: np.ndarray, c: np.ndarray) -> dict[str, np.ndarray]:
        values = {input_names[0]: inputs_np[:, t0:t1], "h0": h, "c0": c}
        if visibility_root_np is not None:
            values["visibility_root"] = visibility_root_np[:, t0:t1]
        return values

    def clip() -> None:
        session.run(["pose3d_mm"], feeds(0, frames, zero_h, zero_c))

    def stream() -> None:
        h, c = zero_h, zero_c
        for t in range(frames):
            _, h, c = session.run(["pose3d_mm", "h1", "c1"], feeds(t, t + 1, h, c))

    return clip, stream


def bench_config(name: str, frames: int, repeats: int, threads: int, folder: Path) -> list[str]:
    torch.manual_seed(0)
    config = get_config(name)
    model = PoseMachine(config).eval()
    inputs, visibility_root = example_inputs(config, batch=1, frames=frames)
    path = export_onnx(model, folder / f"{name}.onnx")
    torch_clip, torch_stream = _torch_runners(model, inputs, visibility_root)
    ort_clip, ort_stream = _ort_runners(model, path, threads, inputs, visibility_root)
    per_frame = [
        _median_ms(run, repeats) / frames
        for run in (torch_clip, ort_clip, torch_stream, ort_stream)
    ]
    path.unlink()
    return [
        name,
        config.input_path,
        f"{count_parameters(model) / 1e6:.2f} M",
        f"{count_macs_per_frame(config) / 1e6:,.1f} M",
        str(frames),
        f"{per_frame[0]:.3f}",
        f"{per_frame[1]:.3f}",
        f"{per_frame[1] / per_frame[0]:.2f}",
        f"{per_frame[2]:.3f}",
        f"{per_frame[3]:.3f}",
        f"{per_frame[3] / per_frame[2]:.2f}",
    ]


def _print_table(rows: list[list[str]]) -> None:
    header = [
        "config",
        "path",
        "params",
        "MACs/frame",
        "T",
        "torch clip",
        "ort clip",
        "ort/torch",
        "torch stream",
        "ort stream",
        "ort/torch",
    ]
    widths = [max(len(r[i]) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, ["-" * w for w in widths], *rows]:
        print(" | ".join(cell.rjust(width) for cell, width in zip(row, widths, strict=True)))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--configs", nargs="+", default=list(DEFAULT_CONFIGS))
    parser.add_argument("--clip-frames", type=int, default=64, help="frames for pose-path models")
    parser.add_argument("--image-frames", type=int, default=2, help="frames for image models")
    parser.add_argument("--repeats", type=int, default=5)
    args = parser.parse_args()
    torch.set_num_threads(args.threads)
    load_before = os.getloadavg()[0]
    rows = []
    with tempfile.TemporaryDirectory() as folder:
        for name in args.configs:
            image = get_config(name).input_path == "image"
            frames = args.image_frames if image else args.clip_frames
            repeats = max(1, args.repeats // 2) if image else args.repeats
            rows.append(bench_config(name, frames, repeats, args.threads, Path(folder)))
    print(
        f"ms per frame, batch 1, {args.threads} threads (torch {torch.__version__}, "
        f"onnxruntime {ort.__version__}); load average {load_before:.1f} before, "
        f"{os.getloadavg()[0]:.1f} after on {os.cpu_count()} CPUs"
    )
    _print_table(rows)


if __name__ == "__main__":
    main()
