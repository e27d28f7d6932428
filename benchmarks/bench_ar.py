"""AR at 720p: how well the props sit on the person, and how fast they are drawn.

Table 1, for each shipped 1280x720 clip and effect: the median distance (px) of the effect's
anchor joints, projected through the solved camera, from the 2D keypoints, as drawn (joints
pinned to the keypoints, `ar.rig.pin_to_image`) and from the lifted 3D alone; and the anchors'
mean image acceleration (px/frame^2) against the raw keypoints'.

Table 2, speed: the squat clip is run through the Estimator and BlazePose's person masks first
(not timed); its frames are decoded into memory. Then, per frame:

- baseline: numpy's alpha composite of one full-frame premultiplied RGBA layer onto the frame
  (float32, the least a software rasteriser written in numpy must do after drawing), no
  triangle drawn;
- `ArCompositor.render` (moderngl on Mesa's llvmpipe) for the effect sets below, with the mask.

The table gives wall and CPU ms per frame, frames per CPU second and the CPU time as a ratio
of the baseline's. With LP_NUM_THREADS=0 llvmpipe draws in the calling thread, so CPU time is
the cost of a frame on one core.

    LP_NUM_THREADS=0 python benchmarks/bench_ar.py [--data ../shared/data] [--frames 60]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from posemachines.ar import EFFECTS, ArCompositor
from posemachines.ar.accuracy import anchor_accuracy
from posemachines.ar.person_scan import scan_person, with_camera
from posemachines.inference.estimator import Estimator
from posemachines.inference.frames import open_frames

CLIPS = ("media/squat_sit_stand_front_gmdcsa.mp4", "media/walk_reading_side_gmdcsa.mp4")
EFFECT_SETS = ("crown,cape", "glasses,gloves", "glow,footprints", "wings,flames",
               "helmet,armour,trail")


def numpy_composite(frame: np.ndarray, layer: np.ndarray) -> np.ndarray:
    """frame (H, W, 3) uint8 <- premultiplied layer (H, W, 4) uint8, in float32."""
    rgba = layer.astype(np.float32) / 255.0
    out = rgba[..., :3] * 255.0 + frame.astype(np.float32) * (1.0 - rgba[..., 3:])
    return np.clip(out, 0, 255).astype(np.uint8)


def time_per_frame(step, frames: list[tuple[int, np.ndarray]], repeats: int = 2
                   ) -> tuple[float, float]:
    """(wall, CPU) ms per frame, the best of `repeats` passes over the frames. CPU time counts
    every thread of this process: on a machine shared with other jobs it is what a frame costs,
    while wall time also counts the waits for a core."""
    best_wall, best_cpu = np.inf, np.inf
    for _ in range(repeats):
        wall, cpu = time.perf_counter(), time.process_time()
        for index, frame in frames:
            step(index, frame)
        best_wall = min(best_wall, (time.perf_counter() - wall) / len(frames) * 1000.0)
        best_cpu = min(best_cpu, (time.process_time() - cpu) / len(frames) * 1000.0)
    return best_wall, best_cpu


def accuracy_table(clips: list[Path]) -> None:
    print("| clip | effect | anchors | median px (pinned) | median px (3D only) | "
          "jitter px/frame^2 | keypoints' jitter |")
    print("|---|---|---|---:|---:|---:|---:|")
    for clip in clips:
        result = with_camera(Estimator().predict_video(open_frames(clip)))
        pinned = anchor_accuracy(result, ArCompositor(result, list(EFFECTS)))
        lifted = anchor_accuracy(result, ArCompositor(result, list(EFFECTS), pin=False))
        for effect, row, raw in zip(EFFECTS.values(), pinned, lifted, strict=True):
            anchors = ", ".join(result.joint_names[j] for j in effect.anchors)
            print(f"| {clip.stem} | {row.effect} | {anchors} | {row.median_px:.1f} | "
                  f"{raw.median_px:.1f} | {row.jitter_px:.2f} | {row.keypoint_jitter_px:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data", type=Path, default=Path(os.environ.get(
        "POSEMACHINES_SHARED_DATA", Path(__file__).resolve().parents[2] / "shared" / "data")))
    parser.add_argument("--frames", type=int, default=60)
    args = parser.parse_args()
    accuracy_table([args.data / clip for clip in CLIPS])
    path = args.data / CLIPS[0]
    source = open_frames(path)
    result = with_camera(Estimator().predict_video(source))
    masks, face_px = scan_person("blazepose-lite", (frame.rgb for frame in source))
    frames = [(frame.index, frame.rgb) for frame in source if frame.index < args.frames]
    height, width = frames[0][1].shape[:2]
    layer = np.random.default_rng(0).integers(0, 255, (height, width, 4), dtype=np.uint8)
    baseline = time_per_frame(lambda i, f: numpy_composite(f, layer), frames)
    print(f"\n{path.name}: {width}x{height}, {len(frames)} frames, llvmpipe threads "
          f"{os.environ.get('LP_NUM_THREADS', 'all cores')}, load average "
          f"{os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    print(f"| {'what':<50} | wall ms | CPU ms | frames per CPU s | CPU vs baseline |")
    print(f"|{'-' * 52}|--------:|-------:|-----------------:|----------------:|")

    def row(label: str, wall: float, cpu: float) -> None:
        print(f"| {label:<50} | {wall:7.1f} | {cpu:6.1f} | {1000 / cpu:16.1f} | "
              f"{cpu / baseline[1]:15.2f} |")

    row("numpy float composite of a 720p layer (baseline)", *baseline)
    for effects in EFFECT_SETS:
        compositor = ArCompositor(result, effects, len(face_px), face_px=face_px)
        compositor.render(frames[0][0], frames[0][1], masks.get(frames[0][0]))  # GL warm-up
        row(f"ArCompositor.render: {effects}",
            *time_per_frame(lambda i, f, c=compositor: c.render(i, f, masks.get(i)), frames))
        compositor.close()

if __name__ == "__main__":
    main()
