"""`posemachines batch INPUTS... --out DIR`: many videos, resumable, local processes or Ray.

Exit codes: 0 every video done; 1 the batch ran but at least one video failed (listed on
stderr and in DIR/batch_status.csv); 2 bad arguments, inputs or an unwritable DIR.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path
from types import TracebackType
from typing import TYPE_CHECKING

from tqdm import tqdm

if TYPE_CHECKING:  # the pipeline loads on use, in the handler
    from posemachines.batch.status import VideoRecord

EXIT_SOME_FAILED = 1


def register(subparsers: argparse._SubParsersAction) -> None:
    from posemachines.batch.jobs import BACKENDS
    from posemachines.correction.methods import CORRECTION_METHODS
    from posemachines.export.writer import OUTPUT_FORMATS
    from posemachines.inference.detectors import DEFAULT_DETECTOR, DETECTOR_NAMES

    batch = subparsers.add_parser(
        "batch", help="many videos: folders, globs or a CSV/JSONL manifest, resumable",
        description="Process many videos into DIR/<video name>/ each, with DIR/batch_status."
                    "csv; a rerun skips the videos already finished. Exit code 1 when any "
                    "video failed, 2 for bad arguments.")
    batch.add_argument("inputs", nargs="+", metavar="INPUT",
                       help="video, folder (its videos, sub-folders included), glob pattern, "
                            "or manifest .csv/.jsonl (path plus per-video options; "
                            "docs/batch.md)")
    batch.add_argument("--out", type=Path, required=True, metavar="DIR",
                       help="output folder: one folder per video and batch_status.csv")
    batch.add_argument("--workers", type=int, default=1,
                       help="worker processes (local) or actors (ray), default 1")
    batch.add_argument("--backend", choices=BACKENDS, default="local",
                       help="local process pool (default) or a Ray actor pool (needs "
                            "pip install 'posemachines[ray]')")
    batch.add_argument("--ray-address", default=None,
                       help="join this Ray cluster (e.g. auto or ray://head:10001) instead "
                            "of starting a local one")
    batch.add_argument("--threads-per-worker", type=int, default=None,
                       help="CPU threads per worker (default: CPUs / workers)")
    batch.add_argument("--max-retries", type=int, default=2,
                       help="re-runs of a video whose worker process died (default 2)")
    batch.add_argument("--retry-failed", action="store_true",
                       help="run again the videos an earlier run recorded as failed")
    batch.add_argument("--format", default="all",
                       help=f"comma-separated outputs: {','.join(OUTPUT_FORMATS)} (default all)")
    batch.add_argument("--detector", choices=DETECTOR_NAMES, default=DEFAULT_DETECTOR)
    batch.add_argument("--weights", default=None,
                       help="lifter: a shipped name ('mocap', the default, 'lite' or 'cmu') "
                            "or a checkpoint path, as for infer")
    batch.add_argument("--correction", choices=CORRECTION_METHODS, default="geometric")
    batch.add_argument("--no-correction", dest="correction", action="store_const",
                       const="none", help="same as --correction none")
    batch.add_argument("--focal-px", type=float, default=None,
                       help="focal length in px for videos whose manifest row gives none")
    batch.add_argument("--height-cm", type=float, default=None,
                       help="the person's height for videos whose manifest row gives none")
    batch.add_argument("--no-flip-test", dest="flip_test", action="store_false")
    batch.add_argument("--no-time-reversal", dest="time_reversal", action="store_false")
    batch.add_argument("--analyze", action="store_true",
                       help="also write analysis.json and its plots, and label the overlay")
    batch.add_argument("--device", default="cpu")
    batch.set_defaults(func=run_batch_command)


class BatchBars:
    """Two tqdm bars on stderr, videos (skipped and failed counts beside) and frames read;
    shown from `begin`, so that an error before the batch starts stays one line."""

    def __init__(self) -> None:
        self.videos: tqdm | None = None
        self.frame_bar: tqdm | None = None
        self.skipped = self.failed = 0

    def begin(self, videos: int, skipped: int) -> None:
        self.skipped = skipped
        self.videos = tqdm(total=videos, initial=skipped, unit="video", desc="videos",
                           position=0, file=sys.stderr)
        self.videos.set_postfix(skipped=skipped, failed=0)
        self.frame_bar = tqdm(unit="frame", desc="frames", position=1, file=sys.stderr)

    def frames(self, count: int) -> None:
        if self.frame_bar is not None:
            self.frame_bar.update(count)

    def video(self, record: VideoRecord) -> None:
        self.failed += record.status == "failed"
        if self.videos is not None:
            self.videos.set_postfix(skipped=self.skipped, failed=self.failed, refresh=False)
            self.videos.update()

    def __enter__(self) -> BatchBars:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        for bar in (self.frame_bar, self.videos):
            if bar is not None:
                bar.close()


def run_batch_command(args: argparse.Namespace) -> int:
    from posemachines.batch.jobs import VideoOptions
    from posemachines.batch.manifest import parse_formats
    from posemachines.batch.runner import run_batch

    options = VideoOptions(
        detector=args.detector, correction=args.correction, focal_px=args.focal_px,
        height_cm=args.height_cm, formats=parse_formats(args.format),
        flip_test=args.flip_test, time_reversal=args.time_reversal, analyze=args.analyze)
    with BatchBars() as bars:
        report = run_batch(
            args.inputs, args.out, options, workers=args.workers, backend=args.backend,
            threads=args.threads_per_worker, weights=args.weights, device=args.device,
            max_retries=args.max_retries, retry_failed=args.retry_failed,
            ray_address=args.ray_address, progress=bars)
    rate = report.frames / max(report.seconds, 1e-9)
    per_hour = report.ran / max(report.seconds, 1e-9) * 3600
    print(f"{len(report.records)} videos: {len(report.done)} done, {len(report.failed)} "
          f"failed, {report.skipped} finished by an earlier run; this run {report.ran} videos, "
          f"{report.frames} frames in {report.seconds:.1f} s ({rate:.1f} frames/s, "
          f"{per_hour:.0f} videos/hour) -> {report.status_path}")
    for record in report.failed:
        print(f"posemachines: failed: {record.name} ({record.input}): {record.error}",
              file=sys.stderr)
    return EXIT_SOME_FAILED if report.failed else 0
