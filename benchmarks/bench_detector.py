"""Speed of the BlazePose 2D detector on a 640x360 clip, CPU, ai-edge-litert.

Rows: the bare network invocations (baseline, measured in the same run), detection only
(letterbox + detector + decoding + NMS + ROI), landmark only (ROI crop + landmark model +
heatmap refinement + un-projection, as when tracking), and the whole `detect()` per frame with
tracking (the video path) and without (every frame re-detected).

    python benchmarks/bench_detector.py [--data ../shared/data] [--video media/mmpose_demo.mp4]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posemachines.inference.detectors import BlazePoseDetector
from posemachines.inference.detectors.blazepose import (
    LANDMARK_INPUT_SIZE,
    RunCounts,
    detector_model_path,
    landmark_model_path,
)
from posemachines.inference.detectors.blazepose_anchors import DETECTOR_INPUT_SIZE
from posemachines.inference.detectors.tflite_runner import TfliteModel
from posemachines.inference.frames import open_frames

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"


def clip_frames(video: Path, width: int, height: int, count: int) -> list[np.ndarray]:
    """`count` frames resized to width x height, played forward and back for smooth motion."""
    frames = [
        cv2.resize(f.rgb, (width, height), interpolation=cv2.INTER_AREA) for f in open_frames(video)
    ]
    cycle = frames + frames[-2:0:-1] if len(frames) > 1 else frames
    return [cycle[i % len(cycle)] for i in range(count)]


@dataclass
class Stage:
    """One timed row: `call` runs once per frame; `counts` reports detector runs if any."""

    model: str
    name: str
    call: Callable[[np.ndarray], object]
    counts: RunCounts | None = None
    best_ms: float = float("inf")


def time_pass(call: Callable[[np.ndarray], object], frames: list[np.ndarray]) -> float:
    """Mean ms per frame over one pass through the clip."""
    start = time.perf_counter()
    for frame in frames:
        call(frame)
    return (time.perf_counter() - start) * 1000.0 / len(frames)


def raw_invoke(model: TfliteModel) -> Callable[[np.ndarray], object]:
    batch = np.zeros(model.input_shape, np.float32)
    outputs = [model.output_index(model.output_shapes[0])]
    return lambda _frame: model.run(batch, outputs)


def variant_stages(variant: str, frames: list[np.ndarray], threads: int) -> list[Stage]:
    net = TfliteModel(landmark_model_path(variant), threads)
    fixed = BlazePoseDetector(variant, num_threads=threads)
    roi = next(r for r in map(fixed.find_person_roi, frames) if r is not None)
    tracker = BlazePoseDetector(variant, num_threads=threads, tracking=True)
    static = BlazePoseDetector(variant, num_threads=threads, tracking=False)
    return [
        Stage(variant, f"baseline: landmark net only ({LANDMARK_INPUT_SIZE}px)", raw_invoke(net)),
        Stage(variant, "landmark only (tracked ROI)", lambda f: fixed.landmarks_in_roi(f, roi)),
        Stage(variant, "end-to-end, tracking", tracker.detect, tracker.counts),
        Stage(variant, "end-to-end, detect every frame", static.detect, static.counts),
    ]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--video", default="media/mmpose_demo.mp4", help="relative to --data")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved passes; best kept")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, nargs=2, default=(640, 360), metavar=("W", "H"))
    args = parser.parse_args()

    frames = clip_frames(args.data / args.video, *args.size, args.frames)
    person = BlazePoseDetector("lite", num_threads=args.threads)
    stages = [
        Stage(
            "-",
            f"baseline: detector net only ({DETECTOR_INPUT_SIZE}px)",
            raw_invoke(TfliteModel(detector_model_path(), args.threads)),
        ),
        Stage("-", "detection only (letterbox+net+decode+NMS)", person.find_person_roi),
    ]
    for variant in ("lite", "full"):
        stages += variant_stages(variant, frames, args.threads)
    for stage in stages:
        time_pass(stage.call, frames[:3])  # warm-up: XNNPACK packs weights on first calls
    # Rounds interleave the stages so that load from other processes hits all of them alike.
    for _ in range(args.rounds):
        for stage in stages:
            stage.best_ms = min(stage.best_ms, time_pass(stage.call, frames))

    print(
        f"{args.video} resized to {args.size[0]}x{args.size[1]}, {args.frames} frames, "
        f"{args.threads} threads, best of {args.rounds} interleaved passes"
    )
    print("| model | stage | ms/frame | FPS | detector runs/frame |\n|---|---|---:|---:|---:|")
    for stage in stages:
        counts = stage.counts
        share = f"{counts.detector / counts.landmark:.2f}" if counts and counts.landmark else ""
        print(
            f"| {stage.model} | {stage.name} | {stage.best_ms:.2f} | "
            f"{1000.0 / stage.best_ms:.0f} | {share} |"
        )


if __name__ == "__main__":
    main()
