"""Run MediaPipe's legacy `mp.solutions.pose` (full model, static images) as a reference.

Needs `mediapipe==0.10.21`, which wants numpy<2, so it runs in its own venv:
    python -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.21 'numpy<2'
    /tmp/mpvenv/bin/python tests/inference/mediapipe_reference.py ../shared/data \
        tests/fixtures/mediapipe_reference.json
The live test in test_blazepose_mediapipe.py imports this module when mediapipe is importable.
Only numpy, cv2 and mediapipe are used here, so it also runs outside posemachines' env.
"""

from __future__ import annotations

import json
import sys
from pathlib import Path

import cv2
import numpy as np

#: One clearly visible main person each; paths relative to the shared data folder.
REFERENCE_IMAGES: tuple[str, ...] = (
    "media/opencv_messi5.jpg",
    "media/opencv_basketball1.png",
    "fixtures/coco/000000000785.jpg",
    "fixtures/mpii/004645041.jpg",
    "fixtures/mpii/051423444.jpg",
    "fixtures/mpii/060754485.jpg",
    "fixtures/h36m/S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg",
    "fixtures/posetrack18/videos/000001_mpiinew_test/000000.jpg",
)


def read_rgb(path: Path) -> np.ndarray:
    image = cv2.imread(str(path), cv2.IMREAD_COLOR)
    if image is None:
        raise FileNotFoundError(path)
    return cv2.cvtColor(image, cv2.COLOR_BGR2RGB)


def mediapipe_landmarks(images_rgb: list[np.ndarray]) -> list[dict | None]:
    """Per image: landmarks_px (33, 2), z_px (33,), visibility, presence, or None."""
    import mediapipe as mp

    results: list[dict | None] = []
    with mp.solutions.pose.Pose(static_image_mode=True, model_complexity=1) as pose:
        for image in images_rgb:
            height, width = image.shape[:2]
            found = pose.process(image).pose_landmarks
            if found is None:
                results.append(None)
                continue
            marks = found.landmark
            results.append(
                {
                    "width": width,
                    "height": height,
                    "landmarks_px": [[m.x * width, m.y * height] for m in marks],
                    "z_px": [m.z * width for m in marks],
                    "visibility": [m.visibility for m in marks],
                    "presence": [m.presence for m in marks],
                }
            )
    return results


def _rounded(value):
    if isinstance(value, float):
        return round(value, 3)
    if isinstance(value, list):
        return [_rounded(v) for v in value]
    if isinstance(value, dict):
        return {k: _rounded(v) for k, v in value.items()}
    return value


def main(data_root: Path, out_path: Path) -> None:
    import mediapipe as mp

    images = [read_rgb(data_root / name) for name in REFERENCE_IMAGES]
    reference = {
        "note": (
            "MediaPipe legacy mp.solutions.pose(static_image_mode=True, model_complexity=1) "
            "landmarks on the shared-data images, made by tests/inference/mediapipe_reference.py "
            "in a separate venv (mediapipe needs numpy<2); px = normalised x * width, "
            "y * height, z * width."
        ),
        "mediapipe_version": mp.__version__,
        "images": {
            name: _rounded(result)
            for name, result in zip(REFERENCE_IMAGES, mediapipe_landmarks(images), strict=True)
        },
    }
    out_path.write_text(json.dumps(reference, indent=1) + "\n")


if __name__ == "__main__":
    main(Path(sys.argv[1]), Path(sys.argv[2]))
