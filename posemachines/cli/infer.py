"""`posemachines infer INPUT` and `posemachines demo`: 3D poses from a video, image or keypoints."""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor
from importlib import resources
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posemachines.cli.infer_people import run_infer_people
from posemachines.cli.progress import FrameProgress
from posemachines.errors import PoseInputError
from posemachines.structures import PoseResult

if TYPE_CHECKING:
    from posemachines.inference.estimator import Estimator

SAMPLE_VIDEO = "squat_front_gmdcsa.mp4"
#: What `demo` writes, in the order a newcomer should open it: file name -> what it shows.
DEMO_GUIDE: tuple[tuple[str, str], ...] = (
    ("overlay.mp4", "the video with the detected 2D skeleton drawn on it"),
    ("skeleton3d.mp4", "the video beside the 3D skeleton on the floor, from the front and "
                       "orbiting"),
    ("viewer.html", "the 3D motion in any browser, offline: floor, path, footprints, the video "
                    "beside it; drag to turn, scroll to zoom"),
    ("poses3d.json", "the numbers: 16 joints per frame in mm, camera and world frames "
                     "(docs/poses3d_schema.md)"),
    ("motion.bvh", "the motion as an animation for Blender and other 3D tools"),
    ("motion.glb", "the same as glTF 2.0, for game engines and the web"),
)


def sample_video_path() -> Path:
    """The 3.4 s squat clip shipped for the demo (MIT, see assets/sample/README.md)."""
    return Path(str(resources.files("posemachines") / "assets" / "sample" / SAMPLE_VIDEO))


def _add_pipeline_options(parser: argparse.ArgumentParser) -> None:
    from posemachines.correction.methods import CORRECTION_METHODS
    from posemachines.export.format_names import OUTPUT_FORMATS
    from posemachines.inference.detectors import (
        DEFAULT_DETECTOR,
        DEFAULT_IMAGE_DETECTOR,
        DETECTOR_NAMES,
    )

    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: ./posemachines_out/<input name>)")
    parser.add_argument("--format", default="all",
                        help=f"comma-separated outputs: {','.join(OUTPUT_FORMATS)},ar (default all "
                             "but ar: AR props, `posemachines ar`)")
    parser.add_argument("--detector", choices=DETECTOR_NAMES, default=None,
                        help=f"2D model (default: {DEFAULT_IMAGE_DETECTOR} for a single image, "
                             f"{DEFAULT_DETECTOR} for a video or folder; docs/detector.md)")
    parser.add_argument("--weights", default=None,
                        help="lifter: a shipped name, 'mocap' (default; non-commercial terms), "
                             "'lite' (a third of the cost; non-commercial) or 'cmu' (CMU mocap "
                             "only; commercial use allowed), or a checkpoint path "
                             "(posemachines/weights/README.md)")
    parser.add_argument("--correction", choices=CORRECTION_METHODS, default="geometric",
                        help="test-time correction (default geometric; 'paper' = Psi_C/Psi_P)")
    parser.add_argument("--no-correction", dest="correction", action="store_const",
                        const="none", help="same as --correction none")
    parser.add_argument("--focal-px", type=float, default=None,
                        help="camera focal length in px, if known (default: from the file's "
                             "lens metadata where present, else guessed from the image size)")
    parser.add_argument("--height-cm", type=float, default=None,
                        help="the person's height, if known (fixes the metric scale)")
    parser.add_argument("--no-flip-test", dest="flip_test", action="store_false",
                        help="lift the detections only as seen, not also mirrored (by default "
                             "the two lifts are averaged)")
    parser.add_argument("--no-time-reversal", dest="time_reversal", action="store_false",
                        help="lift the clip only forwards in time, not also played backwards "
                             "(by default the two lifts are averaged)")
    parser.add_argument("--no-world", dest="world", action="store_false",
                        help="skip the floor, contacts and world frame (the trajectory and "
                             "camera stay in the outputs; docs/world.md)")
    parser.add_argument("--max-people", type=int, default=1, metavar="N",
                        help="follow up to N people, each with an id (default 1: the "
                             "single-person path, its speed and outputs; docs/people.md)")
    parser.add_argument("--analyze", action="store_true",
                        help="also run joint-angle and fall analysis and label the overlay")
    parser.add_argument("--device", default="cpu")


def register(subparsers: argparse._SubParsersAction) -> None:
    infer = subparsers.add_parser("infer", help="3D poses from a video, image, folder or keypoints")
    infer.add_argument("input", type=Path, nargs="?", default=None,
                       help="video, image or image folder")
    infer.add_argument("--keypoints", type=Path, default=None,
                       help="2D keypoints from elsewhere: COCO JSON, OpenPose JSON folder, "
                            "VideoPose3D npz (then INPUT, if given, is only drawn on)")
    infer.add_argument("--fps", type=float, default=30.0,
                       help="frame rate of --keypoints input without a video (default 30)")
    _add_pipeline_options(infer)
    infer.set_defaults(func=run_infer)

    demo = subparsers.add_parser(
        "demo", help="run `infer` on the shipped sample video (a man squatting, 3 s)")
    _add_pipeline_options(demo)
    demo.set_defaults(func=run_demo, input=None, keypoints=None, fps=30.0)


def _formats(spec: str) -> tuple[str, ...]:
    from posemachines.export.format_names import OUTPUT_FORMATS

    if spec == "all":
        return tuple(OUTPUT_FORMATS)
    return tuple(name.strip() for name in spec.split(",") if name.strip())


def run_demo(args: argparse.Namespace) -> int:
    args.input = sample_video_path()
    args.out = args.out or Path("posemachines_out") / args.input.stem
    code = run_infer(args)
    print(demo_guide(args.out))
    return code


def demo_guide(out_dir: Path) -> str:
    """Which of the files in `out_dir` to open, and what each shows (those that exist)."""
    lines = [f"Open in {out_dir}:"]
    lines += [f"  {name:<15} {what}" for name, what in DEMO_GUIDE if (out_dir / name).is_file()]
    lines.append("Your own video: posemachines infer VIDEO (--analyze adds joint angles and "
                 "actions)")
    return "\n".join(lines)


def run_infer(args: argparse.Namespace) -> int:
    from posemachines.data.keypoints_json import load_keypoints
    from posemachines.inference.detection_track import (
        PartialResultError,
        background_tracker,
        detect_track,
    )
    from posemachines.inference.detectors import create_detector, default_detector_name
    from posemachines.inference.frames import open_frames

    if args.input is None and args.keypoints is None:
        raise PoseInputError("Give an INPUT video/image/folder or --keypoints FILE.")
    name = (args.input or args.keypoints).stem
    out_dir = args.out or Path("posemachines_out") / name
    formats = _formats(args.format)
    ar_video = "ar" in formats
    formats = tuple(name for name in formats if name != "ar")
    if args.max_people < 1:
        raise PoseInputError(f"--max-people must be at least 1, got {args.max_people}.")
    if args.max_people > 1:
        return run_infer_people(args, out_dir, formats)
    started = time.perf_counter()
    failure: PartialResultError | None = None
    source = open_frames(args.input) if args.input is not None else None
    # Start-up: the lifter's stack (the lifter, scipy, the writers: ~1 s of CPU in a fresh
    # process; torch is not among them) loads in a worker thread while the detector, which
    # needs none of it, reads the video (issue 21).
    with ThreadPoolExecutor(max_workers=1, thread_name_prefix="posemachines-load") as pool:
        loading = pool.submit(_load_estimator, args)
        track = None
        if args.keypoints is None and source is not None:
            detector = create_detector(args.detector or default_detector_name(source.kind))
            with FrameProgress(len(source), name) as bar:
                def on_frame() -> None:
                    bar.update()
                    if loading.done():
                        loading.result()  # a failed load (e.g. wrong --weights) stops it now

                track = detect_track(detector, source, on_frame,
                                     background_tracker(source, args.world))
        estimator = loading.result()
    # Loaded by `_load_estimator` in the worker thread above.
    from posemachines.correction import describe
    from posemachines.export.writer import write_outputs

    if track is not None and source is not None:
        try:
            result = estimator.lift_detections(track, source)
        except PartialResultError as error:
            failure, result = error, error.result
    else:
        keypoints = load_keypoints(args.keypoints)
        fps = source.fps if source is not None else args.fps
        size = (source.width, source.height) if source is not None else None
        result = estimator.predict_keypoints(keypoints, fps=fps, image_size=size,
                                             source=str(args.keypoints))
    labels = None
    if args.analyze:  # the analysis stack (scipy.signal, matplotlib) only when asked for
        from posemachines.batch.analyze import analyze_into

        labels = analyze_into(result, out_dir)
    frames = (lambda: (frame.rgb for frame in source)) if source is not None else None
    written = write_outputs(result, out_dir, formats, frames=frames, labels=labels)
    if ar_video:
        from posemachines.cli.ar import write_ar_video_output

        if source is None:
            raise PoseInputError("--format ar draws on the video: give it as INPUT.")
        written = [*written, write_ar_video_output(
            result, source, out_dir, args.detector or default_detector_name(source.kind))]
    wall = time.perf_counter() - started
    total = result.num_frames + len(result.missing_frames)
    correction = describe(result.correction) if result.correction else "no correction"
    print(
        f"{total} frames, person found in {result.num_frames}, {correction}, {wall:.1f} s "
        f"({total / max(wall, 1e-9):.1f} FPS) -> {out_dir} ({len(written)} files)"
    )
    if result.world is not None:
        print(_world_summary(result))
    if failure is not None:
        raise PoseInputError(f"{failure} (the {result.num_frames} frames before were written)")
    return 0


def _load_estimator(args: argparse.Namespace) -> Estimator:
    """The Estimator `args` ask for, with the writers imported: everything `run_infer` needs
    after the detector (run in a thread)."""
    from posemachines.export import writer  # noqa: F401  (imported now, used after detection)
    from posemachines.inference.estimator import Estimator

    return Estimator(
        weights=args.weights, detector=args.detector, correction=args.correction,
        device=args.device, focal_px=args.focal_px, height_cm=args.height_cm,
        flip_test=args.flip_test, time_reversal=args.time_reversal, world=args.world,
    )


def _world_summary(result: PoseResult) -> str:
    """One line (plus warnings) on where the person is: camera height and tilt, path length."""
    world = result.world
    assert world is not None
    lines = []
    if world.frame == "world":
        root = world.joints_mm[:, 0]
        travelled = float(np.linalg.norm(np.diff(root[:, [0, 2]], axis=0), axis=1).sum())
        net = float(np.linalg.norm(root[-1, [0, 2]] - root[0, [0, 2]]))
        scale = "m" if world.metric else "m at an average adult's scale"
        lines.append(f"world: camera {world.camera_height_mm / 1000:.2f} {scale} above the "
                     f"floor, pitch {world.pitch_deg:+.1f} deg (down), roll "
                     f"{world.roll_deg:+.1f} deg; the root covered {travelled / 1000:.2f} m over "
                     f"the floor, {net / 1000:.2f} m from start to end")
    lines += [f"warning: {text}" for text in world.warnings]
    return "\n".join(lines)
