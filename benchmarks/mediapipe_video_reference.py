"""MediaPipe's legacy `mp.solutions.pose` in video mode on the shipped videos: the reference that
`bench_detector.py` scores our BlazePose pipeline against, frame by frame.

Needs `mediapipe==0.10.21`, which wants numpy<2, so it runs in its own venv:
    python -m venv /tmp/mpvenv && /tmp/mpvenv/bin/pip install mediapipe==0.10.21 'numpy<2'
    /tmp/mpvenv/bin/python benchmarks/mediapipe_video_reference.py ../shared/data \
        benchmarks/mediapipe_video_reference.npz
Video mode (static_image_mode=False: track from the previous frame's landmarks), landmark
smoothing off (our detector does not smooth by default either), model_complexity 1 (the full
landmark model, the only one the wheel carries; `--complexity 0|2` needs pose_landmark_lite or
_heavy.tflite copied into mediapipe/modules/pose_landmark/ first). Frames are decoded with
cv2.VideoCapture as posemachines does; each frame's mean grey value is stored so the benchmark
can tell when its own decoder gives other pixels. Only numpy, cv2 and mediapipe are used here.
"""

from __future__ import annotations

import argparse
from pathlib import Path

import cv2
import numpy as np

#: Shipped videos (relative to the shared data folder) and the most frames read from each.
REFERENCE_VIDEOS: tuple[tuple[str, int], ...] = (
    ("media/mmpose_demo.mp4", 5),
    ("fixtures/posetrack18/videos/000001_mpiinew_test/000001_mpiinew_test.mp4", 5),
    ("media/walk_reading_side_gmdcsa.mp4", 200),
    ("media/squat_sit_stand_front_gmdcsa.mp4", 200),
    ("media/fall_from_chair_side_gmdcsa.mp4", 200),
    ("media/fall_backward_side_gmdcsa.mp4", 200),
    ("media/three_shoppers_aisle_intel.gif", 200),
    ("media/two_people_walking_toward_intel.gif", 200),
    ("media/people_one_by_one_back_intel.mp4", 200),
    ("media/asl_again_intel.mkv", 200),
    ("media/asl_walk_intel.mkv", 200),
    ("media/opencv_vtest.avi", 200),
)


def read_video_rgb(path: Path, max_frames: int) -> list[np.ndarray]:
    """Up to `max_frames` (H, W, 3) uint8 RGB frames, decoded by cv2.VideoCapture."""
    capture = cv2.VideoCapture(str(path))
    frames: list[np.ndarray] = []
    while len(frames) < max_frames:
        ok, bgr = capture.read()
        if not ok:
            break
        frames.append(cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
    capture.release()
    if not frames:
        raise FileNotFoundError(f"no frames in {path}")
    return frames


def mediapipe_video(frames: list[np.ndarray], complexity: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, 33, 2) px landmarks (NaN where no person) and (T, 33) visibility, video mode."""
    import mediapipe as mp

    points = np.full((len(frames), 33, 2), np.nan, np.float32)
    visibility = np.zeros((len(frames), 33), np.float32)
    with mp.solutions.pose.Pose(
        static_image_mode=False, model_complexity=complexity, smooth_landmarks=False
    ) as pose:
        for t, frame in enumerate(frames):
            found = pose.process(frame).pose_landmarks
            if found is None:
                continue
            height, width = frame.shape[:2]
            points[t] = [[m.x * width, m.y * height] for m in found.landmark]
            visibility[t] = [m.visibility for m in found.landmark]
    return points, visibility


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("data", type=Path, help="shared data folder")
    parser.add_argument("out", type=Path, help="npz to write")
    parser.add_argument("--complexity", type=int, default=1, choices=(0, 1, 2))
    args = parser.parse_args()
    import mediapipe as mp

    arrays: dict[str, np.ndarray] = {
        "mediapipe_version": np.array(mp.__version__),
        "model_complexity": np.array(args.complexity),
    }
    for name, max_frames in REFERENCE_VIDEOS:
        frames = read_video_rgb(args.data / name, max_frames)
        points, visibility = mediapipe_video(frames, args.complexity)
        arrays[f"{name}:landmarks_px"] = points
        arrays[f"{name}:visibility"] = visibility
        arrays[f"{name}:frame_mean"] = np.array([f.mean() for f in frames], np.float32)
        found = np.isfinite(points[:, 0, 0]).sum()
        print(f"{name}: {len(frames)} frames, person in {found}")
    np.savez_compressed(args.out, **arrays)


if __name__ == "__main__":
    main()
