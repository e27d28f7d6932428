"""Where `posemachines infer` spends its time, and its frames/s beside MediaPipe's legacy Pose.

    python benchmarks/bench_infer.py [--video PATH] [--detector blazepose-full] [--repeats 2]
                                     [--mediapipe-python /tmp/mpvenv/bin/python]
                                     [--no-cli | --processes-only]

On one clip (default: the shipped 1280x720 squat clip), in one run:
1. Per-stage ms/frame of one instrumented `Estimator.predict_video`: decoding, the detector's
   crop (preprocessing), the person-detector and landmark networks, the rest of the detector
   (tensor conversion, decoding of the outputs, heatmap refinement, ROI tracking), the lifter
   passes (the flip test and the time reversal make four, one batched call), the geometric
   correction (with its mean L-BFGS iterations), the world placement, and each output writer.
2. End-to-end frames/s, best of `--repeats`, models loaded beforehand (as a long-running
   process or a batch worker sees it): JSON only; every output (`write_outputs`); and every
   output with both videos from one decode (`viz.videos.write_videos`).
3. Several people (`--max-people`): frames/s at 1280x720 with 1, 3 and 6 people, 2D +
   tracking and the lift (bench_people.py's frames and timing; `--people-frames`).
4. Fresh processes, what a user who types the command waits for (`--processes-only` runs just
   these): the start-up (`posemachines --version`, `--help`, `infer` on one frame) and
   `posemachines infer` on the clip, JSON only and every output, wall time from outside the
   process, beside a fresh MediaPipe process (import, graph, decode + Pose over the clip).
5. The baseline in the same run: MediaPipe's legacy `mp.solutions.pose` (video mode,
   model_complexity=1, the "full" landmark model, as `--detector blazepose-full`), decoding
   with cv2 included. mediapipe==0.10.21 needs numpy<2, so it runs in its own interpreter:
   `--mediapipe-python` (or $POSEMACHINES_MEDIAPIPE_PYTHON; made with
   `python -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.21 'numpy<2'`);
   without one its rows are skipped with the reason.
Wall-clock times: run it on a quiet machine (the load average is printed).
"""

from __future__ import annotations

import argparse
import os
import subprocess
import sys
import tempfile
import time
from collections import defaultdict
from collections.abc import Callable
from pathlib import Path
from typing import Any

import cv2
import numpy as np
from bench_people import people_speed

from posemachines.export.formats import write_json
from posemachines.export.writer import OUTPUT_FORMATS, write_outputs
from posemachines.inference import estimator as estimator_module
from posemachines.inference.detectors import blazepose, tflite_runner
from posemachines.inference.estimator import Estimator
from posemachines.inference.frames import open_frames
from posemachines.viz.videos import write_videos

ROOT = Path(__file__).resolve().parents[1]
SHARED = Path(os.environ.get("POSEMACHINES_SHARED_DATA", ROOT.parent / "shared" / "data"))
DEFAULT_VIDEO = SHARED / "media" / "squat_sit_stand_front_gmdcsa.mp4"
STILL_FORMATS = [name for name in OUTPUT_FORMATS if name not in ("overlay", "skeleton3d")]

#: Runs in MediaPipe's interpreter: decode + `Pose.process` per frame; prints frames and seconds.
MEDIAPIPE_SCRIPT = """
import sys, time, cv2, mediapipe as mp
capture = cv2.VideoCapture(sys.argv[1])
frames = found = 0
with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
    pose.process(cv2.cvtColor(capture.read()[1], cv2.COLOR_BGR2RGB))  # graph warm-up
    capture.release()
    capture = cv2.VideoCapture(sys.argv[1])
    start, start_cpu = time.perf_counter(), time.process_time()
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        found += pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)).pose_landmarks is not None
        frames += 1
    print(frames, found, time.perf_counter() - start, time.process_time() - start_cpu)
"""


class StageClock:
    """Wall seconds, CPU seconds (this process, all threads) and calls per stage name, filled
    by `timed` wrappers."""

    def __init__(self) -> None:
        self.seconds: dict[str, float] = defaultdict(float)
        self.cpu: dict[str, float] = defaultdict(float)
        self.calls: dict[str, int] = defaultdict(int)

    def timed(self, stage: str | Callable[..., str], function: Callable[..., Any]
              ) -> Callable[..., Any]:
        """`function` wrapped to add its wall time to `stage` (or stage(*args) for methods)."""
        def wrapper(*args: Any, **kwargs: Any) -> Any:
            start, start_cpu = time.perf_counter(), time.process_time()
            try:
                return function(*args, **kwargs)
            finally:
                name = stage(*args) if callable(stage) else stage
                self.seconds[name] += time.perf_counter() - start
                self.cpu[name] += time.process_time() - start_cpu
                self.calls[name] += 1
        return wrapper


def model_stage(model: tflite_runner.TfliteModel, *_: Any) -> str:
    return "person detector network" if "detection" in model.path.name else "landmark network"


def instrumented_run(estimator: Estimator, video: Path, out_dir: Path) -> tuple[StageClock, Any]:
    """One predict_video + every writer with each stage timed; (clock, result)."""
    clock = StageClock()
    lifter_type = type(estimator.lifter)
    originals = (blazepose.crop_roi, tflite_runner.TfliteModel.run,
                 estimator_module.place_in_scene, lifter_type.__call__)
    blazepose.crop_roi = clock.timed("detector crop (preprocessing)", blazepose.crop_roi)
    tflite_runner.TfliteModel.run = clock.timed(  # type: ignore[method-assign]
        model_stage, tflite_runner.TfliteModel.run)
    estimator_module.place_in_scene = clock.timed("world placement",
                                                  estimator_module.place_in_scene)
    detector = estimator.detector
    detector.detect = clock.timed("detector total", detector.detect)  # type: ignore[method-assign]
    lifter_type.__call__ = clock.timed("lifter passes", lifter_type.__call__)  # type: ignore
    estimator.lift = clock.timed("lifting total", estimator.lift)  # type: ignore[method-assign]
    estimator.lift_track = clock.timed("lift_track total", estimator.lift_track)  # type: ignore
    try:
        source = open_frames(video)
        clock.timed("decoding (cv2, to RGB)", lambda: sum(1 for _ in source))()
        result = estimator.predict_video(source)
        for name in STILL_FORMATS:
            clock.timed(f"write {name}", write_outputs)(result, out_dir, [name])
        for name in ("overlay", "skeleton3d"):
            clock.timed(f"write {name} (decodes again)", write_outputs)(
                result, out_dir, [name], lambda: (frame.rgb for frame in source))
    finally:
        blazepose.crop_roi, tflite_runner.TfliteModel.run = originals[:2]  # type: ignore
        estimator_module.place_in_scene = originals[2]
        lifter_type.__call__ = originals[3]  # type: ignore[method-assign]
        for name in ("detect",):
            vars(detector).pop(name, None)
        for name in ("lift", "lift_track"):
            vars(estimator).pop(name, None)
    return clock, result


def stage_rows(clock: StageClock, result: Any) -> list[tuple[str, float, float, str]]:
    """(stage, wall s, CPU s, note) in pipeline order; 'the rest' rows are totals minus parts."""
    steps = result.correction.steps if result.correction is not None else np.zeros(1)
    rows = []
    for times in (clock.seconds, clock.cpu):
        networks = times["person detector network"] + times["landmark network"]
        rows.append([
            times["decoding (cv2, to RGB)"], times["detector crop (preprocessing)"],
            times["person detector network"], times["landmark network"],
            times["detector total"] - networks - times["detector crop (preprocessing)"],
            times["lifter passes"], times["lifting total"] - times["lifter passes"],
            times["lift_track total"] - times["lifting total"] - times["world placement"],
            times["world placement"],
            *(value for name, value in times.items() if name.startswith("write ")),
        ])
    names = [
        ("decoding (cv2, to RGB)", ""), ("detector crop (preprocessing)", ""),
        ("person detector network", f"{clock.calls['person detector network']} runs"),
        ("landmark network", f"{clock.calls['landmark network']} runs"),
        ("detector, the rest (tensors, outputs, tracking)", ""),
        ("lifter passes", f"{clock.calls['lifter passes']} batched call(s) of the numpy lifter"),
        ("lifting, the rest (input encoding, averaging)", ""),
        ("geometric correction", f"mean {np.mean(steps):.0f} L-BFGS iterations"),
        ("world placement", ""),
        *((name, "") for name in clock.seconds if name.startswith("write ")),
    ]
    return [(name, wall, cpu, note)
            for (name, note), wall, cpu in zip(names, rows[0], rows[1], strict=True)]


def cpu_seconds() -> float:
    """CPU time of this process (all threads) and its finished children (ffmpeg), s."""
    own, children = os.times()[:2], os.times()[2:4]
    return sum(own) + sum(children)


def timed_run(run: Callable[[], object]) -> tuple[float, float]:
    """(wall s, CPU s) of one call."""
    start, start_cpu = time.perf_counter(), cpu_seconds()
    run()
    return time.perf_counter() - start, cpu_seconds() - start_cpu


def time_each(runs: dict[str, Callable[[], object]], best: dict[str, tuple[float, float]],
              failures: dict[str, str]) -> None:
    """Run each of `runs` once, keeping each one's best (wall, CPU) s in `best` and the error
    line of a failed run in `failures`."""
    for name, run in runs.items():
        try:
            timing = timed_run(run)
        except RuntimeError as error:
            failures[name] = str(error)
            continue
        best[name] = min(best.get(name, timing), timing)


def mediapipe_run(python: str | None, video: Path) -> tuple[tuple[float, float] | None, str]:
    """((wall s, CPU s) or None, note) of MediaPipe's legacy Pose (full) over `video`."""
    command = [python] if python else [sys.executable]
    try:
        done = subprocess.run([*command, "-c", MEDIAPIPE_SCRIPT, str(video)],
                              capture_output=True, text=True, timeout=900)
    except (OSError, subprocess.TimeoutExpired) as error:
        return None, f"skipped: {error}"
    if done.returncode != 0:
        last = (done.stderr.strip().splitlines() or ["failed"])[-1]
        hint = "" if python else " (give --mediapipe-python)"
        return None, f"skipped: {last}{hint}"
    frames, found, wall, cpu = done.stdout.split()[-4:]
    return (float(wall), float(cpu)), f"person in {found}/{frames} frames"


#: A fresh MediaPipe process over the clip, timed from outside: import, graph, decode + Pose.
MEDIAPIPE_PROCESS_SCRIPT = """
import sys, cv2, mediapipe as mp
capture = cv2.VideoCapture(sys.argv[1])
with mp.solutions.pose.Pose(static_image_mode=False, model_complexity=1) as pose:
    while True:
        ok, bgr = capture.read()
        if not ok:
            break
        pose.process(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
"""


def process_run(command: list[str]) -> Callable[[], object]:
    """A fresh process running `command` (start-up and imports included), to be timed."""
    def run() -> None:
        done = subprocess.run(command, capture_output=True, text=True)
        if done.returncode != 0:
            raise RuntimeError((done.stderr.strip().splitlines() or ["failed"])[-1])
    return run


def process_rows(video: Path, frames: int, detector: str, mediapipe_python: str | None,
                 repeats: int, out: Path) -> None:
    """Print the fresh-process tables: start-up seconds, then whole-clip frames/s of
    `posemachines infer` beside a fresh MediaPipe process (best of `repeats`, interleaved)."""
    out.mkdir(parents=True, exist_ok=True)
    first = out / "first_frame.png"
    capture = cv2.VideoCapture(str(video))
    cv2.imwrite(str(first), capture.read()[1])
    capture.release()
    cli = [sys.executable, "-m", "posemachines"]
    infer = [*cli, "infer", "--detector", detector]
    starts: dict[str, Callable[[], object]] = {
        "`posemachines --version`": process_run([*cli, "--version"]),
        "`posemachines --help`": process_run([*cli, "--help"]),
        "`posemachines infer` on one frame, JSON only": process_run(
            [*infer, str(first), "--out", str(out / "one"), "--format", "json"]),
    }
    clips: dict[str, Callable[[], object]] = {}
    mediapipe_name = "MediaPipe legacy Pose, full, video mode"
    if mediapipe_python:
        mediapipe = [mediapipe_python, "-c", MEDIAPIPE_PROCESS_SCRIPT]
        starts["MediaPipe: import, graph, one frame"] = process_run([*mediapipe, str(first)])
        clips[mediapipe_name] = process_run([*mediapipe, str(video)])
    clips["`posemachines infer --format json`"] = process_run(
        [*infer, str(video), "--out", str(out / "json"), "--format", "json"])
    clips["`posemachines infer`, every output"] = process_run(
        [*infer, str(video), "--out", str(out / "all")])
    best: dict[str, tuple[float, float]] = {}
    failures: dict[str, str] = {}
    for _ in range(repeats):  # interleaved, so that load changes hit every row alike
        time_each(starts | clips, best, failures)
    print(f"\nfresh processes, wall time from outside, best of {repeats}; CPU of the process "
          "and its children (ffmpeg)\n\n| start-up | wall s | CPU s |\n|---|---:|---:|")
    for name in starts:
        if name in best:
            print(f"| {name} | {best[name][0]:.2f} | {best[name][1]:.2f} |")
    baseline = best.get(mediapipe_name)
    print(f"\n| whole clip, {frames} frames | wall s | frames/s | vs MediaPipe process | "
          "CPU ms/frame |\n|---|---:|---:|---:|---:|")
    if not mediapipe_python:
        print(f"| {mediapipe_name} | skipped: give --mediapipe-python (a venv with "
              "mediapipe==0.10.21) | | | |")
    for name, (wall, cpu) in ((name, best[name]) for name in clips if name in best):
        ratio = f"{baseline[0] / wall:.2f}" if baseline else "-"
        print(f"| {name} | {wall:.2f} | {frames / wall:.1f} | {ratio} | "
              f"{1000 * cpu / frames:.1f} |")
    for name, reason in failures.items():
        print(f"| {name} | failed: {reason} | | | |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--video", type=Path, default=DEFAULT_VIDEO)
    parser.add_argument("--detector", default="blazepose-full")
    parser.add_argument("--repeats", type=int, default=2)
    parser.add_argument("--mediapipe-python",
                        default=os.environ.get("POSEMACHINES_MEDIAPIPE_PYTHON"))
    parser.add_argument("--no-cli", action="store_true", help="skip the fresh-process tables")
    parser.add_argument("--processes-only", action="store_true",
                        help="only the fresh-process tables (start-up, whole clip)")
    parser.add_argument("--people-frames", type=int, default=60,
                        help="frames per several-people row (1, 3, 6 people); 0 skips them")
    args = parser.parse_args()
    if args.processes_only:
        with tempfile.TemporaryDirectory() as folder:
            print(f"{args.video.name}, {args.detector}; load average {os.getloadavg()[0]:.1f} on "
                  f"{os.cpu_count()} CPUs")
            process_rows(args.video, len(open_frames(args.video)), args.detector,
                         args.mediapipe_python, args.repeats, Path(folder))
        return

    estimator = Estimator(detector=args.detector)
    source = open_frames(args.video)
    folder = tempfile.TemporaryDirectory()
    out = Path(folder.name)

    def json_only() -> None:
        write_json(estimator.predict_video(source), out / "poses3d.json")

    def every_output() -> None:
        write_outputs(estimator.predict_video(source), out / "all", OUTPUT_FORMATS,
                      lambda: (frame.rgb for frame in source))

    def every_output_one_decode() -> None:
        found = estimator.predict_video(source)
        write_outputs(found, out / "one", STILL_FORMATS)
        write_videos((frame.rgb for frame in source), found, out / "one" / "overlay.mp4",
                     out / "one" / "skeleton3d.mp4")

    json_only()  # warm-up: first calls and allocations
    clock, result = instrumented_run(estimator, args.video, out / "stages")
    frames = result.num_frames + len(result.missing_frames)
    runs: dict[str, Callable[[], object]] = {
        "posemachines, JSON only": json_only,
        "posemachines, every output (write_outputs)": every_output,
        "posemachines, every output, both videos from one decode": every_output_one_decode,
    }
    best: dict[str, tuple[float, float]] = {}
    failures: dict[str, str] = {}
    baseline: tuple[float, float] | None = None
    note = ""
    for _ in range(args.repeats):  # interleaved, so that load changes hit every row alike
        measured, note = mediapipe_run(args.mediapipe_python, args.video)
        if measured is not None:
            baseline = measured if baseline is None else min(baseline, measured)
        time_each(runs, best, failures)

    print(f"{args.video.name}: {frames} frames at {source.width}x{source.height}, "
          f"{args.detector}, person in {result.num_frames}; load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} CPUs\n")
    print("| stage | wall ms/frame | CPU ms/frame | note |\n|---|---:|---:|---|")
    for name, wall, cpu, stage_note in stage_rows(clock, result):
        print(f"| {name} | {1000 * wall / frames:.2f} | {1000 * cpu / frames:.2f} | "
              f"{stage_note} |")
    print(f"\nend to end, best of {args.repeats}; CPU includes ffmpeg and the TFLite threads\n")
    print("| run | frames/s | vs MediaPipe | CPU ms/frame | vs MediaPipe |\n"
          "|---|---:|---:|---:|---:|")
    if baseline is not None:
        print(f"| MediaPipe legacy Pose, full, video mode ({note}) | {frames / baseline[0]:.1f}"
              f" | 1.00 | {1000 * baseline[1] / frames:.1f} | 1.00 |")
    else:
        print(f"| MediaPipe legacy Pose, full, video mode | {note} | | | |")
    for name, (wall, cpu) in best.items():
        ratios = ((f"{baseline[0] / wall:.2f}", f"{cpu / baseline[1]:.2f}") if baseline
                  else ("-", "-"))
        print(f"| {name} | {frames / wall:.1f} | {ratios[0]} | {1000 * cpu / frames:.1f} | "
              f"{ratios[1]} |")
    for name, reason in failures.items():
        print(f"| {name} | failed: {reason} | | | |")
    if not args.no_cli:
        process_rows(args.video, frames, args.detector, args.mediapipe_python, args.repeats,
                     out / "processes")
    folder.cleanup()
    if args.detector.startswith("blazepose-") and args.people_frames:
        people_rows(estimator, args.detector, args.people_frames, args.repeats)


def people_rows(estimator: Estimator, detector: str, num_frames: int, repeats: int) -> None:
    """frames/s with 1, 3 and 6 people at 1280x720 (`--max-people`; bench_people.py's frames:
    the squat clip's man side by side), beside today's single-person path, best of `repeats`."""
    (baseline, _), rows = people_speed(estimator, (1, 3, 6), num_frames, repeats,
                                       detector.removeprefix("blazepose-"))
    print(f"\nseveral people at 1280x720, {num_frames} frames, {detector}, models loaded, "
          f"decoding excluded, best of {repeats} (benchmarks/bench_people.py)\n")
    print("| people | 2D + tracking ms/frame | lift ms/frame | frames/s | 2D vs one-person path |"
          f"\n|---|---:|---:|---:|---:|\n| 1, default path (--max-people 1), 2D only | "
          f"{baseline:.1f} | - | "
          f"{1000 / baseline:.1f} | 1.00 |")
    for count, (_, detect, lift, _) in rows.items():
        print(f"| {count}, several-people path | {detect:.1f} | {lift:.1f} | "
              f"{1000 / (detect + lift):.1f} | {detect / baseline:.2f} |")


if __name__ == "__main__":
    main()
