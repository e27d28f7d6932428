"""Live: latency from frame arrival to 3D, frames processed vs dropped, causal vs offline accuracy.

    python benchmarks/bench_live.py [--video PATH] [--loops 2] [--mocap runs/mocap16.npz]
                                    [--take-step 6]

In one run:
1. Baseline: the 2D detector alone, every frame of the clip in order (ms/frame); decoding; and
   the whole causal pipeline (`Estimator.stream` over the file, no drops: decoding, detection,
   streaming lifter with the flip test, causal correction) against the detector.
2. The clip (default: the 1280x720 walk of the shared media, played `--loops` times) played in
   real time at 25 and at 30 frames/s, frames read by the live source's thread and dropped when
   the pipeline is busy: per-frame latency from arrival to 3D (p50 / p95 / max, ms), frames
   processed / dropped, and the rate of processed frames.
3. Accuracy: `evaluation.causal`'s rows on every `--take-step`-th held-out Bandai Namco take,
   one camera, detector-like noisy 2D, flip test on (the full protocol: `posemachines evaluate
   --protocol mocap-heldout --data runs/mocap16.npz --causal --flip-test`).
Wall-clock times: run it on a quiet machine (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np
import torch

from posemachines.data.mocap import load_mocap_npz
from posemachines.data.virtual_cameras import VirtualCameraConfig
from posemachines.evaluation.causal import OFFLINE, VARIANTS, variant_poses
from posemachines.evaluation.metrics import mpjpe, pa_mpjpe
from posemachines.evaluation.mocap_protocols import select_takes, view_take
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.protocols import get_protocol
from posemachines.evaluation.runner import load_lifter
from posemachines.inference.estimator import Estimator
from posemachines.inference.stream_sources import open_stream
from posemachines.models.shipped import shipped_lifter_path
from posemachines.training.augment import DetectorNoiseConfig, add_detector_noise

SHARED = Path(os.environ.get("POSEMACHINES_SHARED_DATA", "../shared/data"))
DEFAULT_VIDEO = SHARED / "media" / "walk_reading_side_gmdcsa.mp4"


def baseline(estimator: Estimator, video: Path) -> tuple[float, float, float]:
    """ms/frame of decoding, of the detector alone and of the whole causal pipeline (decoding
    included), no frame dropped."""
    start = time.perf_counter()
    frames = [frame.rgb for frame in open_stream(video)]
    decode_ms = 1000 * (time.perf_counter() - start) / len(frames)
    detector = estimator.detector
    detector.reset()
    start = time.perf_counter()
    for rgb in frames:
        detector.detect(rgb)
    detector_ms = 1000 * (time.perf_counter() - start) / len(frames)
    start = time.perf_counter()
    count = sum(1 for _ in estimator.stream(video))
    return decode_ms, detector_ms, 1000 * (time.perf_counter() - start) / count


def realtime(estimator: Estimator, video: Path, fps: float, loops: int) -> dict[str, float]:
    """Play the video `loops` times at `fps` in real time through the causal pipeline."""
    source = open_stream(video, realtime=True, loop=loops > 1, fps=fps)
    stream = estimator.stream(source)
    latencies, indices = [], []
    start = time.perf_counter()
    last_index = loops * _frame_count(video) - 1
    for result in stream:
        latencies.append(1000 * result.latency_s)
        indices.append(result.frame_index)
        if result.frame_index >= last_index:
            break
    seconds = time.perf_counter() - start
    stream.close()
    processed = len(indices)
    return {"p50": float(np.percentile(latencies, 50)), "p95": float(np.percentile(latencies, 95)),
            "max": float(np.max(latencies)), "processed": processed,
            "dropped": indices[-1] + 1 - processed, "fps": processed / seconds}


def _frame_count(video: Path) -> int:
    return sum(1 for _ in open_stream(video))


def accuracy(mocap: Path, take_step: int) -> dict[str, tuple[float, float, int]]:
    """Noisy-2D MPJPE / PA-MPJPE (mm) and frames of each causal-evaluation variant."""
    model = load_lifter(shipped_lifter_path())
    takes = select_takes(load_mocap_npz(mocap).clips, get_protocol("mocap-heldout"))[::take_step]
    options = EvaluationOptions(flip_test=True, progress=False)
    sums = {variant: np.zeros(3) for variant in VARIANTS}
    for number, take in enumerate(takes):
        views = view_take(take.joints_mm, np.random.default_rng([0, number, 0]), 1,
                          VirtualCameraConfig())
        xy, confidence = add_detector_noise(
            views.xy_px, np.ones(views.xy_px.shape[:3], dtype=np.float32),
            np.random.default_rng([0, number, 1]), DetectorNoiseConfig())
        poses = variant_poses(model, xy, confidence, views.f_px, views.c_px, take.fps, options)
        for variant, pose in poses.items():
            sums[variant] += [float(np.sum(mpjpe(pose, views.pose3d_mm, root_align=True,
                                                 reduction="none"))),
                              float(np.sum(pa_mpjpe(pose, views.pose3d_mm, reduction="none"))),
                              pose.shape[1]]
    return {variant: (s[0] / s[2], s[1] / s[2], int(s[2])) for variant, s in sums.items()}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--loops", type=int, default=2, help="times the clip is played")
    parser.add_argument("--mocap", type=Path, default=Path("runs/mocap16.npz"))
    parser.add_argument("--take-step", type=int, default=6,
                        help="score every N-th held-out take (1: all 81)")
    args = parser.parse_args()
    torch.set_num_threads(1)
    print(f"load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs; {args.video}")
    estimator = Estimator(time_reversal=False, detector="blazepose-lite")  # live's default
    list(estimator.stream(args.video))  # warm-up: models loaded, first calls done
    decode_ms, detector_ms, pipeline_ms = baseline(estimator, args.video)
    print("\n| run | ms/frame | x detector |\n|---|---:|---:|")
    print(f"| 2D detector alone (baseline) | {detector_ms:.1f} | 1.00 |")
    print(f"| decoding the video | {decode_ms:.1f} | {decode_ms / detector_ms:.2f} |")
    print(f"| causal pipeline, every frame, decoding included | {pipeline_ms:.1f} | "
          f"{pipeline_ms / detector_ms:.2f} |")
    print("\n| input | latency p50 / p95 / max (ms) | p50 x detector | processed | dropped | "
          "processed fps |\n|---|---|---:|---:|---:|---:|")
    for fps in (25.0, 30.0):
        row = realtime(estimator, args.video, fps, args.loops)
        print(f"| {fps:.0f} fps | {row['p50']:.1f} / {row['p95']:.1f} / {row['max']:.1f} | "
              f"{row['p50'] / detector_ms:.2f} | {row['processed']} | {row['dropped']} | "
              f"{row['fps']:.1f} |")
    if not args.mocap.is_file():
        print(f"\naccuracy skipped: no {args.mocap} (posemachines data mocap)")
        return
    rows = accuracy(args.mocap, args.take_step)
    offline = rows[OFFLINE][0]
    print("\n| noisy 2D, held-out takes | MPJPE | PA-MPJPE | MPJPE vs offline |\n"
          "|---|---:|---:|---:|")
    for variant, (error, pa_error, frames) in rows.items():
        print(f"| {variant} ({frames} frames) | {error:.1f} | {pa_error:.1f} | "
              f"{100 * (error / offline - 1):+.1f} % |")


if __name__ == "__main__":
    main()
