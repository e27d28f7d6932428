"""Frames/s of each `posemachines infer` stage on a 640x360 clip, and their shares.

    python benchmarks/bench_infer.py [--video PATH] [--frames 120] [--detector blazepose-lite]

Stages, timed separately on the same decoded frames (decoding excluded): the 2D detector with
tracking, lifting (encoding + the lite PoseMachine over the clip), each correction, and the end
to end `Estimator` path (detector + lifting + the default geometric correction). The baseline
row is the detector alone, measured in the same run: the aim is lifting + correction <= 30 %
of it. torch and the TFLite runtime each get 2 threads.
"""

from __future__ import annotations

import argparse
import time
from pathlib import Path

import cv2

from posemachines.correction import create_corrector
from posemachines.inference.detectors import create_detector
from posemachines.inference.estimator import Estimator, detect_track
from posemachines.inference.frames import Frame, open_frames

DEFAULT_VIDEO = Path(__file__).resolve().parents[1] / "posemachines/assets/sample/mmpose_demo.mp4"


def load_clip(path: Path, frames: int, size: tuple[int, int] = (640, 360)) -> list[Frame]:
    """`frames` frames resized to `size`, the source played forward and back as needed."""
    source = [cv2.resize(f.rgb, size, interpolation=cv2.INTER_AREA) for f in open_frames(path)]
    loop = source + source[-2:0:-1] if len(source) > 1 else source
    return [Frame(i, i / 30.0, loop[i % len(loop)]) for i in range(frames)]


def best_of(repeats: int, run) -> float:
    """Fastest wall time of `repeats` calls, seconds."""
    times = []
    for _ in range(repeats):
        start = time.perf_counter()
        run()
        times.append(time.perf_counter() - start)
    return min(times)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--frames", type=int, default=120)
    parser.add_argument("--detector", default="blazepose-lite")
    parser.add_argument("--repeats", type=int, default=3)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(2)
    clip = load_clip(args.video, args.frames)
    size = (clip[0].rgb.shape[1], clip[0].rgb.shape[0])
    detector = create_detector(args.detector, num_threads=2)
    estimator = Estimator(detector=detector)
    track = detect_track(detector, clip)
    lifted = estimator.lift(track.xy_px, track.confidence, size, fps=30.0)

    def run_correction(method: str) -> None:
        create_corrector(method, estimator.model)(lifted)

    def run_end_to_end() -> None:
        estimator.lift_track(detect_track(detector, clip), 30.0, size, "bench")

    stages = {
        "detector (baseline)": lambda: detect_track(detector, clip),
        "lifting": lambda: estimator.lift(track.xy_px, track.confidence, size),
        "correction: geometric": lambda: run_correction("geometric"),
        "correction: paper": lambda: run_correction("paper"),
        "end to end (geometric)": run_end_to_end,
    }
    seconds = {name: best_of(args.repeats, run) for name, run in stages.items()}
    baseline = seconds["detector (baseline)"]
    frames = len(clip)
    print(f"{frames} frames at {size[0]}x{size[1]}, {args.detector}, person in "
          f"{len(track.xy_px)} frames, best of {args.repeats}\n")
    print("| stage | ms/frame | FPS | share of detector time |")
    print("|---|---:|---:|---:|")
    for name, total in seconds.items():
        ms = 1000 * total / frames
        print(f"| {name} | {ms:.2f} | {frames / total:.1f} | {total / baseline:.2f} |")
    overhead = seconds["lifting"] + seconds["correction: geometric"]
    print(f"\nlifting + geometric correction = {overhead / baseline:.0%} of the detector's time")


if __name__ == "__main__":
    main()
