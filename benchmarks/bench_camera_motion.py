"""Moving-camera check on lifted mocap: false alarms under static cameras, detections under
moving ones, with and without the significance rule (`CameraMotionConfig.min_tilt_z`).

Takes (training takes only: walks, turns, LAFAN1 walks and floor work, CMU walks and the CMU
salsa, Indian and martial-arts dances; at most `--frames` frames at 30 fps) are filmed as in
`bench_world.py` (two static cameras, 1 % detector-like 2D noise), lifted and corrected by the
shipped models, and checked by `detect_camera_motion` on what `to_world` checks (the pose plus
the smoothed trajectory). Moving cameras: the same takes through the 1.8 m camera whose pitch
drifts by 8, 10 or 15 deg over the clip, or that is raised by 300 mm within half a second mid
clip. Cells: the share of shots flagged as moving (static rows: false alarms, lower is better;
moving rows: detections, higher is better).

    python benchmarks/bench_camera_motion.py [--data ../shared/data] [--frames 400]
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from bench_world import (
    CAMERAS,
    FPS,
    TRAINING_CLIPS,
    Shot,
    detections,
    film,
    lift_shot,
    shot_parser,
)
from scipy.spatial.transform import Rotation

from posemachines.data.mocap import load_mocap_clip
from posemachines.inference.estimator import Estimator
from posemachines.world import smooth_trajectory
from posemachines.world.camera_motion import CameraMotionConfig, detect_camera_motion

DANCES = {f"cmu {kind} {take}": f"mocap/cmu/acrnn_dance/{kind}/{take}.bvh"
          for kind, takes in (("salsa", "03 04 06 07 10 11 12 13 14 16 17 18 19 20 21 22"),
                              ("indian", "04 06 07 08"), ("martial", "03 04 05 06"))
          for take in takes.split()}
RULES = {"tilt > 5 deg (before)": CameraMotionConfig(min_tilt_z=0.0),
         "tilt > 5 deg and > 1.5 s.e. (now)": CameraMotionConfig()}


@dataclass
class MovingShot:
    """A clip seen by a camera whose rotation (T, 3, 3) and eye (T, 3) mm change per frame."""

    world: np.ndarray
    rotation: np.ndarray
    eye: np.ndarray

    @property
    def camera_joints(self) -> np.ndarray:
        return np.einsum("tij,tkj->tki", self.rotation, self.world - self.eye[:, None])


def pitch_drift(shot: Shot, degrees: float) -> MovingShot:
    """The shot's camera pitching by `degrees` over the clip (about its own x axis)."""
    frames = len(shot.world)
    angles = np.linspace(0.0, degrees, frames)[:, None]
    turn = Rotation.from_euler("x", angles, degrees=True).as_matrix()
    return MovingShot(shot.world, turn @ shot.rotation, np.repeat(shot.eye[None], frames, 0))


def raised(shot: Shot, lift_mm: float = 300.0) -> MovingShot:
    """The shot's camera raised by `lift_mm` within 0.5 s in the middle of the clip."""
    frames = len(shot.world)
    ramp = np.clip((np.arange(frames) - frames // 2) / (0.5 * FPS), 0.0, 1.0)
    eye = shot.eye[None] + lift_mm * ramp[:, None] * np.array([0.0, 1.0, 0.0])
    return MovingShot(shot.world, np.repeat(shot.rotation[None], frames, 0), eye)


def checked_joints(shot: Shot | MovingShot, estimator: Estimator, seed: int) -> np.ndarray:
    """(T, 16, 3) mm camera frame: lifted, corrected pose plus smoothed trajectory."""
    pose, root = lift_shot(estimator, *detections(shot, seed))
    return pose + smooth_trajectory(root, None, FPS).translation_mm[:, None]


def main() -> None:
    args = shot_parser(__doc__.splitlines()[0], 400).parse_args()
    estimator = Estimator(world=False)
    rows: dict[str, list[list[bool]]] = {}
    for seed, (name, relative) in enumerate({**TRAINING_CLIPS, **DANCES}.items()):
        world = load_mocap_clip(args.data / relative).joints_mm.astype(np.float64)[:args.frames]
        kind = "dances" if name in DANCES else "walks and floor work"
        shots = {f"static, {kind}": [film(world, h, p) for h, p in CAMERAS]}
        moving = film(world, *CAMERAS[1])
        for drift in (8, 10, 15):
            shots[f"pitch drifting {drift} deg, all"] = [pitch_drift(moving, drift)]
        shots["raised 300 mm, all"] = [raised(moving)]
        for row, views in shots.items():
            for shot in views:
                joints = checked_joints(shot, estimator, seed)
                verdicts = [detect_camera_motion(joints, FPS, config=rule).moving
                            for rule in RULES.values()]
                rows.setdefault(row, []).append(verdicts)
        print(f"  {name}: " + ", ".join(f"{row} {np.mean(v, axis=0).round(2).tolist()}"
                                        for row, v in rows.items() if row.startswith("static")),
              flush=True)
    print(f"\nShare of shots flagged as a moving camera ({len(TRAINING_CLIPS)} + {len(DANCES)} "
          f"training takes, <= {args.frames} frames)\n")
    print("| shots | n | " + " | ".join(RULES) + " |")
    print("|---" * (len(RULES) + 2) + "|")
    for row in sorted(rows, key=lambda r: not r.startswith("static")):  # stable: as filmed
        flagged = np.mean(rows[row], axis=0)
        print(f"| {row} | {len(rows[row])} | " + " | ".join(f"{v:.0%}" for v in flagged) + " |")


if __name__ == "__main__":
    main()
