"""The AR pipeline on a video: the person's mask and face per frame, and ar.mp4.

`write_ar_output` runs a second, tracked BlazePose pass over the frames for the landmark model's
person mask (props behind the person are hidden by it) and the face landmarks (the head props
turn with the face), then renders the effects (`ar.video.write_ar_video`). `with_camera` gives a
result without a solved camera (an old file) the default pinhole and its root translation.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

import numpy as np

from posemachines.ar.compose import AR_NAME, write_ar_video
from posemachines.ar.occlusion import mask_from_crop
from posemachines.ar.renderer import BodyMask
from posemachines.camera import Camera
from posemachines.correction.focal import estimate_focal_px
from posemachines.correction.root_translation import solve_root_translation
from posemachines.errors import PoseInputError
from posemachines.inference.detectors import create_detector
from posemachines.inference.detectors.blazepose_geometry import image_to_crop_matrix
from posemachines.inference.frames import FrameSource
from posemachines.structures import PoseResult


def write_ar_output(result: PoseResult, source: FrameSource, out_dir: Path,
                    detector_name: str | None, effects: str | Sequence[str],
                    on_scan_frame: Callable[[], None] | None = None,
                    on_render_frame: Callable[[], None] | None = None) -> Path:
    """ar.mp4 in `out_dir`: `effects` on the video `source`, hidden by the person mask of a
    second pass of BlazePose `detector_name`, which also turns the head props with the face
    (None: the body proxy alone, the head turning with the shoulders); its path. The callbacks
    tick once per frame of the scan and of the rendering."""
    out_dir.mkdir(parents=True, exist_ok=True)
    path = out_dir / AR_NAME
    masks, face_px = None, None
    if detector_name:
        masks, face_px = scan_person(detector_name, (frame.rgb for frame in source),
                                     on_scan_frame)
    write_ar_video((frame.rgb for frame in source), with_camera(result), path, effects,
                   masks=masks,
                   num_frames=len(face_px) if face_px is not None else len(source) or None,
                   on_frame=on_render_frame, face_px=face_px)
    return path


def with_camera(result: PoseResult, focal_px: float | None = None) -> PoseResult:
    """`result` with a camera and a root translation: its own where the Estimator solved them,
    else a pinhole at the image centre (focal from `focal_px` or the default guess) and the
    translation that projects each pose onto its keypoints."""
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
