"""`posemachines ar INPUT --effect crown,cape`: 3D props attached to the person, as ar.mp4."""

from __future__ import annotations

import argparse
import time
from collections.abc import Sequence
from pathlib import Path
from typing import TYPE_CHECKING

from posemachines.cli.progress import FrameProgress
from posemachines.errors import PoseInputError
from posemachines.structures import PoseResult

if TYPE_CHECKING:
    from posemachines.inference.frames import FrameSource

DEFAULT_EFFECTS = "crown,cape"


def register(subparsers: argparse._SubParsersAction) -> None:
    from posemachines.inference.detectors import (
        DEFAULT_DETECTOR,
        DEFAULT_IMAGE_DETECTOR,
        DETECTOR_NAMES,
    )

    parser = subparsers.add_parser(
        "ar", help="AR: 3D props attached to the person (crown, cape, flames ...) -> ar.mp4")
    parser.add_argument("input", type=Path, nargs="?", default=None,
                        help="video, image or image folder")
    parser.add_argument("--effect", default=DEFAULT_EFFECTS,
                        help=f"comma-separated effects (default {DEFAULT_EFFECTS}); "
                             "'list' prints them")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: ./posemachines_out/<input name>)")
    parser.add_argument("--detector", choices=DETECTOR_NAMES, default=None,
                        help=f"2D model (default: {DEFAULT_IMAGE_DETECTOR} for a single image, "
                             f"{DEFAULT_DETECTOR} for a video or folder)")
    parser.add_argument("--focal-px", type=float, default=None,
                        help="camera focal length in px, if known")
    parser.add_argument("--height-cm", type=float, default=None,
                        help="the person's height, if known (fixes the metric scale)")
    parser.add_argument("--no-mask", dest="mask", action="store_false",
                        help="hide props behind the body proxy only, not the person's mask")
    parser.set_defaults(func=run_ar)


def run_ar(args: argparse.Namespace) -> int:
    from posemachines.ar import describe_effects, effect_names
    from posemachines.inference.detectors import default_detector_name
    from posemachines.inference.estimator import Estimator, PartialResultError
    from posemachines.inference.frames import open_frames

    if args.effect.strip() == "list":
        print(describe_effects())
        return 0
    effects = effect_names(args.effect)
    if args.input is None:
        raise PoseInputError("Give an INPUT video, image or image folder.")
    out_dir = args.out or Path("posemachines_out") / args.input.stem
    source = open_frames(args.input)
    estimator = Estimator(detector=args.detector, focal_px=args.focal_px,
                          height_cm=args.height_cm)
    started = time.perf_counter()
    failure: PartialResultError | None = None
    with FrameProgress(len(source), f"{args.input.stem} poses") as bar:
        try:
            result = estimator.predict_video(source, on_frame=bar.update)
        except PartialResultError as error:
            failure, result = error, error.result
    detector = args.detector or default_detector_name(source.kind)
    path = write_ar_video_output(result, source, out_dir, detector if args.mask else None,
                                 effects, args.focal_px)
    wall = time.perf_counter() - started
    print(f"{len(source)} frames, person found in {result.num_frames}, effects "
          f"{','.join(effects)}, {wall:.1f} s -> {path}")
    if failure is not None:
        raise PoseInputError(f"{failure} (the {result.num_frames} frames before were written)")
    return 0


def write_ar_video_output(result: PoseResult, source: FrameSource, out_dir: Path,
                          detector_name: str | None, effects: str | Sequence[str] = DEFAULT_EFFECTS,
                          focal_px: float | None = None) -> Path:
    """`ar.person_scan.write_ar_output` with a progress bar per pass (also `infer --format
    ar`)."""
    from posemachines.ar.person_scan import with_camera, write_ar_output

    with FrameProgress(len(source), "person masks" if detector_name else "AR") as first, \
            FrameProgress(len(source), "AR") as second:
        return write_ar_output(with_camera(result, focal_px), source, out_dir, detector_name,
                               effects, first.update, second.update)
