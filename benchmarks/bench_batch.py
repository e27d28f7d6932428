"""Batch throughput: the same short clips through `run_batch` on 1 and 2 local workers and on a
local Ray with 2 actors, in one run; 1 local worker is the baseline of the scaling ratio.

The clips are cut (first frames, full resolution) from the project's real single-person videos:
the package's sample and the GMDCSA24 / Intel clips in ../shared/data/media, two cuts of each
(frames 0.. and frames N..) until --clips are made. Wall time counts everything a user waits
for: worker start-up (spawning, imports, the Estimator), decoding, the pipeline and the writing.
Defaults: the default detector and correction, JSON output only (--formats).

    nice python benchmarks/bench_batch.py [--clips 12] [--frames 30] [--formats json]
        [--skip-ray]
"""

from __future__ import annotations

import argparse
import os
import tempfile
import time
from pathlib import Path

import cv2

from posemachines.batch import VideoOptions, run_batch
from posemachines.batch.manifest import parse_formats
from posemachines.cli.infer import sample_video_path
from posemachines.optional import MissingDependencyError

SHARED_MEDIA = Path(__file__).resolve().parents[2] / "shared" / "data" / "media"
SOURCES = ("walk_reading_side_gmdcsa.mp4", "squat_sit_stand_front_gmdcsa.mp4",
           "fall_from_chair_side_gmdcsa.mp4", "fall_backward_side_gmdcsa.mp4",
           "asl_walk_intel.mkv", "asl_again_intel.mkv")


def cut(source: Path, target: Path, start: int, frames: int) -> bool:
    """Frames start..start+frames of `source` as an mp4 at `target`; False if too short."""
    capture = cv2.VideoCapture(str(source))
    capture.set(cv2.CAP_PROP_POS_FRAMES, start)
    fps = capture.get(cv2.CAP_PROP_FPS) or 30.0
    images = []
    while len(images) < frames:
        ok, bgr = capture.read()
        if not ok:
            break
        images.append(bgr)
    capture.release()
    if len(images) < frames:
        return False
    height, width = images[0].shape[:2]
    writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, (width, height))
    for bgr in images:
        writer.write(bgr)
    writer.release()
    return True


def make_clips(folder: Path, count: int, frames: int) -> list[Path]:
    media = os.environ.get("POSEMACHINES_SHARED_DATA")
    root = Path(media) / "media" if media else SHARED_MEDIA
    sources = [sample_video_path()] + [root / name for name in SOURCES if (root / name).is_file()]
    clips: list[Path] = []
    for segment in range(2):
        for source in sources:
            target = folder / f"{source.stem}_{segment}.mp4"
            if len(clips) < count and cut(source, target, segment * frames, frames):
                clips.append(target)
    return clips


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--clips", type=int, default=12)
    parser.add_argument("--frames", type=int, default=30, help="frames per clip")
    parser.add_argument("--formats", default="json")
    parser.add_argument("--skip-ray", action="store_true")
    args = parser.parse_args()
    options = VideoOptions(formats=parse_formats(args.formats))
    cpus = len(os.sched_getaffinity(0))
    with tempfile.TemporaryDirectory(prefix="bench_batch_") as scratch:
        (Path(scratch) / "clips").mkdir()
        clips = make_clips(Path(scratch) / "clips", args.clips, args.frames)
        height, width = cv2.VideoCapture(str(clips[0])).read()[1].shape[:2]
        print(f"{len(clips)} clips x {args.frames} frames ({width}x{height} first), "
              f"formats {','.join(options.formats)}, {cpus} CPUs\n")
        runs = [("local", 1), ("local", 2)] + ([] if args.skip_ray else [("ray", 2)])
        rows = []
        for backend, workers in runs:
            out = Path(scratch) / f"out_{backend}_{workers}"
            started = time.perf_counter()
            try:
                report = run_batch(clips, out, options, workers=workers, backend=backend)
            except MissingDependencyError as error:
                print(f"{backend} x{workers} skipped: {error}")
                continue
            wall = time.perf_counter() - started
            failed = len(report.failed)
            rows.append((backend, workers, max(1, cpus // workers), len(report.done), failed,
                         report.frames, wall))
    print("| backend | workers | threads/worker | videos done (failed) | frames | wall s "
          "| videos/hour | frames/s | vs 1 local worker |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|---:|")
    baseline = rows[0][6] if rows else 1.0
    for backend, workers, threads, done, failed, frames, wall in rows:
        print(f"| {backend} | {workers} | {threads} | {done} ({failed}) | {frames} | {wall:.1f} "
              f"| {done / wall * 3600:.0f} | {frames / wall:.1f} | {baseline / wall:.2f}x |")


if __name__ == "__main__":
    main()
