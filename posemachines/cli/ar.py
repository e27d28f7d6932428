"""`posemachines ar INPUT --effect crown,cape`: 3D props attached to the person, as ar.mp4."""

from __future__ import annotations

import argparse
import dataclasses
import time
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import TYPE_CHECKING

import numpy as np

from posemachines.cli.progress import FrameProgress
from posemachines.errors import PoseInputError
from posemachines.structures import PoseResult

if TYPE_CHECKING:
    from posemachines.ar import BodyMask
    from posemachines.inference.frames import FrameSource

DEFAULT_EFFECTS = "crown,cape"


def register(subparsers: argparse._SubParsersAction) -> None:
    from posemachines.inference.detectors import DEFAULT_DETECTOR, DETECTOR_NAMES

    parser = subparsers.add_parser(
        "ar", help="AR: 3D props attached to the person (crown, cape, flames ...) -> ar.mp4")
    parser.add_argument("input", type=Path, nargs="?", default=None,
                        help="video, image or image folder")
    parser.add_argument("--effect", default=DEFAULT_EFFECTS,
                        help=f"comma-separated effects (default {DEFAULT_EFFECTS}); "
                             "'list' prints them")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: ./posemachines_out/<input name>)")
    parser.add_argument("--detector", choices=DETECTOR_NAMES, default=DEFAULT_DETECTOR)
    parser.add_argument("--focal-px", type=float, default=None,
                        help="camera focal length in px, if known")
    parser.add_argument("--height-cm", type=float, default=None,
                        help="the person's height, if known (fixes the metric scale)")
    parser.add_argument("--no-mask", dest="mask", action="store_false",
                        help="hide props behind the body proxy only, not the person's mask")
    parser.set_defaults(func=run_ar)


def run_ar(args: argparse.Namespace) -> int:
    from posemachines.ar import describe_effects, effect_names
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
    path = write_ar_output(with_camera(result, args.focal_px), source, out_dir,
                           args.detector if args.mask else None, effects)
    wall = time.perf_counter() - started
    print(f"{len(source)} frames, person found in {result.num_frames}, effects "
          f"{','.join(effects)}, {wall:.1f} s -> {path}")
    if failure is not None:
        raise PoseInputError(f"{failure} (the {result.num_frames} frames before were written)")
    return 0


def write_ar_output(result: PoseResult, source: FrameSource, out_dir: Path,
                    detector_name: str | None, effects: str | Sequence[str] = DEFAULT_EFFECTS
                    ) -> Path:
    """ar.mp4 in `out_dir`: `effects` on the video `source`, hidden by the person mask of a
    second pass of BlazePose `detector_name`, which also turns the head props with the face
    (None: the body proxy alone, the head turning with the shoulders); its path."""
    from posemachines.ar import AR_NAME, write_ar_video

    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / AR_NAME
    masks, face_px = None, None
    if detector_name:
        with FrameProgress(len(source), "person masks") as bar:
            masks, face_px = scan_person(detector_name, (frame.rgb for frame in source),
                                         bar.update)
    with FrameProgress(len(source), "AR") as bar:
        write_ar_video((frame.rgb for frame in source), with_camera(result), path, effects,
                       masks=masks,
                       num_frames=len(face_px) if face_px is not None else len(source) or None,
                       on_frame=bar.update, face_px=face_px)
    return path


def with_camera(result: PoseResult, focal_px: float | None = None) -> PoseResult:
    """`result` with a camera and a root translation: its own where the Estimator solved them,
    else a pinhole at the image centre (focal from `focal_px` or the default guess) and the
    translation that projects each pose onto its keypoints."""
    from posemachines.camera import Camera
    from posemachines.correction.focal import estimate_focal_px
    from posemachines.correction.root_translation import solve_root_translation

    if result.camera is not None and result.root_translation_mm is not None:
        return result
    camera = result.camera
    if camera is None:
        width, height = result.image_size
        focal = estimate_focal_px(result.image_size, focal_px=focal_px)
        camera = Camera(R=np.eye(3), t_mm=np.zeros(3), f_px=np.array([focal, focal]),
                        c_px=np.array([width / 2.0, height / 2.0]), k=np.zeros(3), p=np.zeros(2),
                        width=width, height=height)
    translation = result.root_translation_mm
    if translation is None:
        translation = solve_root_translation(result.pose3d_mm, result.keypoints_px,
                                             result.confidence, camera.f_px, camera.c_px)
        translation = fill_missing_rows(np.asarray(translation, np.float64))
    return dataclasses.replace(result, camera=camera, root_translation_mm=translation)


def fill_missing_rows(values: np.ndarray) -> np.ndarray:
    """(T, 3) with NaN rows (too few joints seen) filled from the nearest solved rows."""
    solved = np.flatnonzero(np.isfinite(values).all(axis=1))
    if not len(solved):
        raise PoseInputError("The person's place in the camera could not be solved.")
    rows = np.arange(len(values))
    return np.stack([np.interp(rows, solved, values[solved, k]) for k in range(3)], axis=1)


#: BlazePose landmarks of the face the head's orientation comes from: left eye, right eye,
#: left ear, right ear (`ar.rig.face_frames`).
FACE_LANDMARKS = (2, 5, 7, 8)
#: BlazePose's landmark depth comes out about 5x the x scale: on the walk clip (a man turning
#: from profile to facing the camera) scaling it by 0.2 makes the ear-to-ear distance most
#: constant over the clip (spread 6 % of its mean, against 46 % unscaled), puts the eyes 0.6
#: ear widths ahead of the ears (a head's proportion; 0.95 unscaled) and makes the two
#: directions most nearly perpendicular (mean |cos| 0.14, against 0.68).
FACE_DEPTH_SCALE = 0.2


def scan_person(detector_name: str, frames: Iterable[np.ndarray],
                on_frame: Callable[[], None] | None = None
                ) -> tuple[dict[int, BodyMask], np.ndarray]:
    """A tracked BlazePose pass over a video's frames: the person mask of every frame where a
    person was found (frame index -> mask, from the landmark model's segmentation output), and
    face landmarks (N, 4, 3) px (x, y, depth) for the head's orientation, NaN where unseen."""
    from posemachines.ar import mask_from_crop
    from posemachines.inference.detectors import create_detector
    from posemachines.inference.detectors.blazepose_geometry import image_to_crop_matrix

    detector = create_detector(detector_name, segmentation=True)
    masks: dict[int, BodyMask] = {}
    faces: list[np.ndarray] = []
    for index, frame in enumerate(frames):
        detection = detector.detect(frame)
        face = np.full((len(FACE_LANDMARKS), 3), np.nan)
        if detection is not None:
            if detection.segmentation is not None:
                crop = detection.segmentation
                masks[index] = mask_from_crop(crop, image_to_crop_matrix(detection.roi,
                                                                         crop.shape[0]))
            points = list(FACE_LANDMARKS)
            if np.min(detection.presence[points]) >= 0.5:
                face = np.column_stack([detection.landmarks_px[points],
                                        FACE_DEPTH_SCALE * detection.landmarks_z[points]])
        faces.append(face)
        if on_frame is not None:
            on_frame()
    return masks, np.asarray(faces, np.float64).reshape(-1, len(FACE_LANDMARKS), 3)
