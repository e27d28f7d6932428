"""BlazePose lite / full / heavy on CPU: 2D accuracy on every real annotated person we have,
agreement with MediaPipe's own pipeline on the shipped videos, and speed.

1. Accuracy (`detector_samples.py`): COCO, MPII, Human3.6M and MPI-INF-3DHP fixture people,
   PCK@0.5 of the torso size and mean px error on the 16 joints. Image mode: person detector +
   landmark model on each image. Video mode: the same image fed twice with tracking on; the
   second frame is scored, so its ROI comes from the first frame's landmarks (the tracked path).
2. Agreement: our pipeline in video mode (tracking, no smoothing) against MediaPipe's legacy
   `mp.solutions.pose` (full model, video mode, no smoothing) frame by frame on the shipped
   videos, from the stored reference `mediapipe_video_reference.npz` (made by
   `mediapipe_video_reference.py` in a mediapipe venv). Agreement = % of MediaPipe's 16 joints
   within half of MediaPipe's torso size, over the frames where MediaPipe found a person (a
   frame where we find nobody counts as all wrong).
3. Speed on a 640x360 clip: the bare networks (baseline), then `detect()` with tracking (the
   video path) and without, best of interleaved rounds: wall-clock ms/frame, and the CPU time
   the process spent per frame (steadier than wall-clock on a shared machine; with --threads 1
   the two agree on a quiet one).

    python benchmarks/bench_detector.py [--data ../shared/data] [--skip-accuracy]
        [--skip-agreement] [--skip-speed]
"""

from __future__ import annotations

import argparse
import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
from detector_samples import AnnotatedPerson, Scores2D, load_annotated_people

from posemachines.inference.detectors import BlazePoseDetector
from posemachines.inference.detectors.blazepose import (
    LANDMARK_INPUT_SIZE,
    VARIANTS,
    RunCounts,
    detector_model_path,
    landmark_model_path,
)
from posemachines.inference.detectors.blazepose_anchors import DETECTOR_INPUT_SIZE
from posemachines.inference.detectors.tflite_runner import TfliteModel
from posemachines.inference.frames import open_frames
from posemachines.skeleton import JOINTS16_NAMES, to_joints16

DEFAULT_DATA = Path(__file__).resolve().parents[1].parent / "shared" / "data"
DEFAULT_REFERENCE = Path(__file__).resolve().parent / "mediapipe_video_reference.npz"
THORAX, HIP = JOINTS16_NAMES.index("Thorax"), JOINTS16_NAMES.index("Hip")
MODES = ("image", "video")


def make_detector(variant: str, tracking: bool, threads: int = 2) -> BlazePoseDetector:
    """A BlazePose detector with the package's bundled models."""
    return BlazePoseDetector(variant, tracking=tracking, num_threads=threads)


# --- 1. accuracy on annotated people ------------------------------------------------------------

def detect_person(detector: BlazePoseDetector, person: AnnotatedPerson,
                  mode: str) -> np.ndarray | None:
    """(16, 2) px in the person's crop, or None; video mode scores the second of two frames."""
    detector.reset()
    found = detector.detect(person.crop_rgb)
    if mode == "video":
        found = detector.detect(person.crop_rgb)
    return None if found is None else found.joints16_px


def accuracy_rows(variants: list[str], data: Path) -> list[tuple[str, str, dict[str, Scores2D]]]:
    people = load_annotated_people(data / "fixtures")
    rows = []
    for variant in variants:
        for mode in MODES:
            detector = make_detector(variant, tracking=mode == "video")
            scores: dict[str, Scores2D] = {}
            for person in people:
                predicted = detect_person(detector, person, mode)
                for key in (person.dataset, "all"):
                    scores.setdefault(key, Scores2D()).add(person, predicted)
            rows.append((variant, mode, scores))
    return rows


def print_accuracy(rows: list[tuple[str, str, dict[str, Scores2D]]]) -> None:
    datasets = [key for key in rows[0][2] if key != "all"]
    counts = ", ".join(f"{name} {rows[0][2][name].people}" for name in datasets)
    print(f"\n2D accuracy on {rows[0][2]['all'].people} annotated people ({counts}); "
          "PCK@0.5 of the torso (Thorax-Hip) size, %")
    print("| model | mode | " + " | ".join(datasets)
          + " | all: PCK@0.5 | all: PCK@0.2 | mean error px | error % torso: mean | median "
          "| missed |")
    print("|---|---|" + "---:|" * (len(datasets) + 6))
    for variant, mode, scores in rows:
        every = scores["all"]
        print(f"| {variant} | {mode} | "
              + " | ".join(f"{scores[name].pck:.1f}" for name in datasets)
              + f" | **{every.pck:.1f}** | {every.pck_at(0.2):.1f} | {every.mean_px:.1f} | "
                f"{every.mean_torso_percent:.1f} | {every.median_torso_percent:.1f} | "
                f"{every.missed} |")


# --- 2. agreement with MediaPipe on videos --------------------------------------------------------

@dataclass
class Agreement:
    """Per model and video: MediaPipe frames, joints agreeing, frames we found nobody."""

    frames: int = 0
    joints: int = 0
    agreeing: int = 0
    missed: int = 0

    @property
    def percent(self) -> float:
        return 100.0 * self.agreeing / max(self.joints, 1)


def reference_videos(reference: np.lib.npyio.NpzFile) -> list[str]:
    return [key.removesuffix(":landmarks_px") for key in reference.files
            if key.endswith(":landmarks_px")]


def agreement(detector: BlazePoseDetector, data: Path, video: str,
              reference: np.lib.npyio.NpzFile) -> Agreement:
    theirs_33 = reference[f"{video}:landmarks_px"].astype(np.float64)
    means = reference[f"{video}:frame_mean"]
    theirs, _ = to_joints16(theirs_33, "blazepose33")
    detector.reset()
    result = Agreement()
    for frame in open_frames(data / video):
        t = frame.index
        if t >= len(means):
            break
        if abs(float(frame.rgb.mean()) - float(means[t])) > 0.5:
            raise SystemExit(f"{video} frame {t}: our decoder's pixels differ from the "
                             "reference's; regenerate it with this OpenCV build.")
        found = detector.detect(frame.rgb)
        if not np.isfinite(theirs[t]).all():
            continue
        result.frames += 1
        result.joints += len(JOINTS16_NAMES)
        if found is None:
            result.missed += 1
            continue
        torso = np.linalg.norm(theirs[t, THORAX] - theirs[t, HIP])
        distance = np.linalg.norm(found.joints16_px - theirs[t], axis=1)
        result.agreeing += int((distance <= 0.5 * torso).sum())
    return result


def print_agreement(variants: list[str], data: Path, reference_path: Path) -> None:
    if not reference_path.is_file():
        print(f"\n(no MediaPipe reference at {reference_path}: agreement skipped)")
        return
    reference = np.load(reference_path)
    videos = reference_videos(reference)
    table = {variant: [agreement(make_detector(variant, tracking=True), data, video,
                                 reference) for video in videos] for variant in variants}
    print(f"\nAgreement with MediaPipe {reference['mediapipe_version']} legacy pose (full model, "
          "video mode, no smoothing): % of its 16 joints within 0.5 torso; "
          "(n) = frames we found nobody where it found a person")
    print("| video | MediaPipe frames | " + " | ".join(variants) + " |")
    print("|---|---:|" + "---:|" * len(variants))
    for i, video in enumerate(videos):
        cells = []
        for variant in variants:
            row = table[variant][i]
            cells.append(f"{row.percent:.1f}" + (f" ({row.missed})" if row.missed else ""))
        print(f"| {Path(video).name} | {table[variants[0]][i].frames} | " + " | ".join(cells)
              + " |")
    totals = []
    for variant in variants:
        total = Agreement()
        for row in table[variant]:
            total.joints += row.joints
            total.agreeing += row.agreeing
            total.missed += row.missed
        totals.append(f"**{total.percent:.1f}**" + (f" ({total.missed})" if total.missed else ""))
    frames = sum(row.frames for row in table[variants[0]])
    print(f"| all | {frames} | " + " | ".join(totals) + " |")


# --- 3. speed -------------------------------------------------------------------------------------

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
    best_cpu_ms: float = float("inf")


def time_pass(call: Callable[[np.ndarray], object],
              frames: list[np.ndarray]) -> tuple[float, float]:
    """Mean wall-clock and process CPU ms per frame over one pass through the clip."""
    start, start_cpu = time.perf_counter(), time.process_time()
    for frame in frames:
        call(frame)
    wall, cpu = time.perf_counter() - start, time.process_time() - start_cpu
    return wall * 1000.0 / len(frames), cpu * 1000.0 / len(frames)


def raw_invoke(model: TfliteModel) -> Callable[[np.ndarray], object]:
    batch = np.zeros(model.input_shape, np.float32)
    outputs = [model.output_index(model.output_shapes[0])]
    return lambda _frame: model.run(batch, outputs)


def variant_stages(variant: str, threads: int) -> list[Stage]:
    net = TfliteModel(landmark_model_path(variant), threads)
    tracker = make_detector(variant, tracking=True, threads=threads)
    static = make_detector(variant, tracking=False, threads=threads)
    return [
        Stage(variant, f"landmark net only ({LANDMARK_INPUT_SIZE}px)", raw_invoke(net)),
        Stage(variant, "end-to-end, tracking", tracker.detect, tracker.counts),
        Stage(variant, "end-to-end, detect every frame", static.detect, static.counts),
    ]


def print_speed(variants: list[str], args: argparse.Namespace) -> None:
    frames = clip_frames(args.data / args.video, *args.size, args.frames)
    stages = [Stage("-", f"baseline: person detector net only ({DETECTOR_INPUT_SIZE}px)",
                    raw_invoke(TfliteModel(detector_model_path(), args.threads)))]
    for variant in variants:
        stages += variant_stages(variant, args.threads)
    for stage in stages:
        time_pass(stage.call, frames[:3])  # warm-up: XNNPACK packs weights on first calls
    # Rounds interleave the stages so that load from other processes hits all of them alike.
    for _ in range(args.rounds):
        for stage in stages:
            wall_ms, cpu_ms = time_pass(stage.call, frames)
            stage.best_ms = min(stage.best_ms, wall_ms)
            stage.best_cpu_ms = min(stage.best_cpu_ms, cpu_ms)
    baseline = stages[0].best_cpu_ms
    print(f"\nSpeed: {args.video} resized to {args.size[0]}x{args.size[1]}, {args.frames} "
          f"frames, {args.threads} threads, best of {args.rounds} interleaved passes, "
          f"load average {os.getloadavg()[0]:.1f}")
    print("| model | stage | CPU ms/frame | × baseline | wall ms/frame | detector runs/frame |")
    print("|---|---|---:|---:|---:|---:|")
    for stage in stages:
        counts = stage.counts
        share = f"{counts.detector / counts.landmark:.2f}" if counts and counts.landmark else ""
        print(f"| {stage.model} | {stage.name} | {stage.best_cpu_ms:.2f} | "
              f"{stage.best_cpu_ms / baseline:.1f} | {stage.best_ms:.2f} | {share} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=DEFAULT_DATA, help="shared data folder")
    parser.add_argument("--variants", default=",".join(VARIANTS))
    parser.add_argument("--reference", type=Path, default=DEFAULT_REFERENCE,
                        help="MediaPipe video reference npz (mediapipe_video_reference.py)")
    parser.add_argument("--skip-accuracy", action="store_true")
    parser.add_argument("--skip-speed", action="store_true")
    parser.add_argument("--skip-agreement", action="store_true")
    parser.add_argument("--video", default="media/mmpose_demo.mp4", help="speed clip, in --data")
    parser.add_argument("--frames", type=int, default=60)
    parser.add_argument("--rounds", type=int, default=5, help="interleaved passes; best kept")
    parser.add_argument("--threads", type=int, default=2)
    parser.add_argument("--size", type=int, nargs=2, default=(640, 360), metavar=("W", "H"))
    args = parser.parse_args()
    variants = args.variants.split(",")

    if not args.skip_accuracy:
        print_accuracy(accuracy_rows(variants, args.data))
    if not args.skip_agreement:
        print_agreement(variants, args.data, args.reference)
    if not args.skip_speed:
        print_speed(variants, args)


if __name__ == "__main__":
    main()
