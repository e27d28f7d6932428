"""Motion in the world, end to end: held-out mocap seen by static virtual cameras, through the
lifter, the correction and `posemachines.world`, against the mocap's own world motion.

Each clip (held-out takes: Bandai Namco 2 take 006, the LAFAN1 actor subject 2, CMU subject 08
walks and CMU's held-out dances, salsa 15 and 30, Indian 15, martial arts 10; at most 240
frames at 30 fps) is filmed by two static cameras
(1.0 m high pitched 5 deg down, 1.8 m high pitched 20 deg down; both rolled 2 deg; 1280x720,
focal 1000 px, far enough to keep the path in view), its 2D given detector-like noise (1 % of
the person's height per joint, 2 % dropped joints) and lifted by the shipped lifter with the
geometric correction; `to_world` reads the same noisy 2D (the ankles' image speed), as the
Estimator does. Rows, each adding one stage:

- root fixed: today's root-relative poses, placed at the first frame's root;
- + trajectory: the per-frame root translation, smoothed (`world.smooth_trajectory`);
- + world frame: floor, gravity and camera from the clip (`to_world`, feet not locked);
- + contact clean-up: the foot lock (`to_world`'s default: what `Estimator` returns);
- + --height-cm: the same with the person's true height given (metric scale).

Columns (mean over clips and cameras): W-MPJPE and WA-MPJPE (mm; 100-frame segments rigidly
aligned on their first two frames / as a whole), root path error (% of the distance the root
travels; whole clip aligned), gravity error (deg), camera-height error (%), foot skating (mean
ankle speed during the true contacts, mm/frame), floor penetration (mean depth of the ankles
below their rest height over the floor, mm), contact F1, acceleration error (mm/frame^2) and
the post-processing time (ms/frame). A last row gives the mocap's own foot skating.

The true contacts (`posemachines.world.contact_truth.mocap_contacts`) follow the mocap-trained
world models: low AND slow, as HuMoR labels heel and toe contacts on AMASS (under 5 mm per
120-Hz frame, ankle within 8 cm / toe within 4 cm of the floor), with WHAM's speed (1 cm per
30-Hz frame, 300 mm/s; GVHMR: 0.25 m/s): the ankle within 40 mm of its own rest height over
the floor and slower than 300 mm/s (central differences). The floor is the lower ankle's lowest
within +-1 s (CMU's takes are not level); each ankle's rest height over it is the 10th
percentile of its height on its frames slower than 150 mm/s, printed per clip: CMU's rig rests
its ankles unequally (left 18-21 mm above the right on the subject 08 walks), and a floor shared
by both feet called the higher foot airborne while it stood. The toes (Bandai Namco, LAFAN1,
CMU's foot end sites) are not used: they add the toe-off phase (heel rising, 3-14 % of frames),
which an ankle-only skeleton neither shows nor may lock.

`--clips training` runs the same on training takes of the same kinds (walks, turns, a LAFAN1
walk and obstacle course, CMU walks of other subjects, other salsa takes): tune settings there,
never on the held-out takes.

    python benchmarks/bench_world.py [--data ../shared/data] [--frames 240] [--clips training]
"""

from __future__ import annotations

import argparse
import os
import time
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posemachines.camera import look_at
from posemachines.correction.skeleton_fit import BONE_CHILDREN, BONE_PARENTS, standing_height_mm
from posemachines.data.mocap import load_mocap_clip
from posemachines.inference.estimator import Estimator
from posemachines.world import WorldConfig, smooth_trajectory, to_world
from posemachines.world.body import FOOT_JOINTS
from posemachines.world.contact_truth import local_floor_mm, mocap_contacts, rest_heights_mm

FPS, WIDTH, HEIGHT, FOCAL = 30.0, 1280, 720, 1000.0
CLIPS = {
    "bandai walk": "mocap/bandai-namco-2/data/dataset-2_walk_normal_006.bvh",
    "bandai turn": "mocap/bandai-namco-2/data/dataset-2_walk-turn-left_elderly_006.bvh",
    "lafan1 push": "mocap/lafan1/push1_subject2.bvh",
    "cmu walk": "mocap/cmu/08/08_01.bvh",
    "cmu stride": "mocap/cmu/08/08_11.bvh",
    "cmu salsa": "mocap/cmu/acrnn_dance/salsa/15.bvh",
    "cmu salsa 30": "mocap/cmu/acrnn_dance/salsa/30.bvh",
    "cmu indian": "mocap/cmu/acrnn_dance/indian/15.bvh",
    "cmu martial": "mocap/cmu/acrnn_dance/martial/10.bvh",
}
#: Training takes (`data.splits`) like the held-out ones, for tuning (`--clips training`).
TRAINING_CLIPS = {
    "bandai walk 003": "mocap/bandai-namco-2/data/dataset-2_walk_normal_003.bvh",
    "bandai walk youthful 001": "mocap/bandai-namco-2/data/dataset-2_walk_youthful_001.bvh",
    "bandai turn left 002": "mocap/bandai-namco-2/data/dataset-2_walk-turn-left_elderly_002.bvh",
    "bandai turn right 004": "mocap/bandai-namco-2/data/dataset-2_walk-turn-right_normal_004.bvh",
    "lafan1 walk": "mocap/lafan1/walk4_subject1.bvh",
    "lafan1 obstacles": "mocap/lafan1/obstacles1_subject1.bvh",
    "cmu walk 02_01": "mocap/cmu/02/02_01.bvh",
    "cmu walk 05_01": "mocap/cmu/05/05_01.bvh",
    "cmu walk 06_01": "mocap/cmu/06/06_01.bvh",
    "cmu walk 07_01": "mocap/cmu/07/07_01.bvh",
    "cmu salsa 01": "mocap/cmu/acrnn_dance/salsa/01.bvh",
    "cmu salsa 02": "mocap/cmu/acrnn_dance/salsa/02.bvh",
    "cmu salsa 05": "mocap/cmu/acrnn_dance/salsa/05.bvh",
    "cmu salsa 09": "mocap/cmu/acrnn_dance/salsa/09.bvh",
}
#: The issue's protocols: which held-out clips each pools (per-protocol table).
PROTOCOLS = {"Bandai Namco": ("bandai walk", "bandai turn"), "LAFAN1 actor": ("lafan1 push",),
             "CMU walking": ("cmu walk", "cmu stride"),
             "CMU dance": ("cmu salsa", "cmu salsa 30", "cmu indian", "cmu martial")}
CAMERAS = ((1000.0, 5.0), (1800.0, 20.0))  # (height mm, pitch deg down)
ROWS = ("root fixed", "+ trajectory", "+ world frame", "+ contact clean-up", "+ --height-cm")
COLUMNS = ("W-MPJPE", "WA-MPJPE", "root path %", "gravity deg", "cam height %",
           "skating mm/f", "penetration mm", "contact F1", "accel err", "ms/frame")


@dataclass
class Shot:
    """One clip through one camera: truth (world, Y up, floor y = 0) and the camera."""

    world: np.ndarray
    rotation: np.ndarray
    eye: np.ndarray

    @property
    def camera_joints(self) -> np.ndarray:
        return (self.world - self.eye) @ self.rotation.T


def film(world: np.ndarray, height_mm: float, pitch_deg: float) -> Shot:
    centre = world[:, 0].mean(axis=0)
    extent = np.ptp(world[:, 0, [0, 2]], axis=0).max()
    distance = max(5000.0, 0.9 * extent + 3000.0)
    heading = np.radians(45.0)
    eye = centre + distance * np.array([np.sin(heading), 0.0, -np.cos(heading)])
    eye[1] = height_mm
    toward = np.arctan2(centre[0] - eye[0], centre[2] - eye[2])
    pitch, roll = np.radians(pitch_deg), np.radians(2.0)
    forward = np.array([np.cos(pitch) * np.sin(toward), -np.sin(pitch),
                        np.cos(pitch) * np.cos(toward)])
    c, s = np.cos(roll), np.sin(roll)
    rotation = np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ look_at(np.zeros(3),
                                                                              forward)
    return Shot(world, rotation, eye)


def detections(shot: Shot, seed: int) -> tuple[np.ndarray, np.ndarray]:
    """(T, 16, 2) px with detector-like noise and (T, 16) confidence (0: dropped / outside)."""
    rng = np.random.default_rng(seed)
    cam = shot.camera_joints
    xy = FOCAL * cam[..., :2] / cam[..., 2:] + np.array([WIDTH / 2, HEIGHT / 2])
    size = np.ptp(xy[..., 1], axis=1)[:, None, None]
    xy = xy + rng.normal(size=xy.shape) * 0.01 * size
    confidence = np.where(rng.random(xy.shape[:2]) < 0.02, 0.0, 0.9)
    inside = (xy[..., 0] >= 0) & (xy[..., 0] < WIDTH) & (xy[..., 1] >= 0) & (xy[..., 1] < HEIGHT)
    return xy.astype(np.float32), (confidence * inside).astype(np.float32)


def true_contacts(world: np.ndarray) -> np.ndarray:
    """(T, 2) bool true contacts of the ankles (module docstring)."""
    return mocap_contacts(world, FPS)


def true_rest_heights(world: np.ndarray) -> np.ndarray:
    """(2,) mm: each ankle's rest height over the local floor, as `true_contacts` uses it."""
    ankles = world[:, list(FOOT_JOINTS)]
    speed = np.linalg.norm(np.gradient(ankles, axis=0), axis=-1) * FPS
    return rest_heights_mm(ankles[..., 1] - local_floor_mm(ankles[..., 1], FPS)[:, None], speed)


def kabsch(source: np.ndarray, target: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """R, t minimising |R p + t - q| over the point sets (N, 3)."""
    mu_s, mu_t = source.mean(axis=0), target.mean(axis=0)
    u, _, vt = np.linalg.svd((source - mu_s).T @ (target - mu_t))
    d = np.sign(np.linalg.det(vt.T @ u.T))
    rotation = vt.T @ np.diag([1.0, 1.0, d]) @ u.T
    return rotation, mu_t - rotation @ mu_s


def aligned(prediction: np.ndarray, truth: np.ndarray, frames: slice) -> np.ndarray:
    rotation, shift = kabsch(prediction[frames].reshape(-1, 3), truth[frames].reshape(-1, 3))
    return prediction @ rotation.T + shift


def segment_errors(prediction: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """W-MPJPE and WA-MPJPE over 100-frame segments (mm)."""
    w, wa = [], []
    for start in range(0, max(len(truth) - 20, 1), 100):
        p, t = prediction[start:start + 100], truth[start:start + 100]
        w.append(np.linalg.norm(aligned(p, t, slice(0, 2)) - t, axis=-1).mean())
        wa.append(np.linalg.norm(aligned(p, t, slice(None)) - t, axis=-1).mean())
    return float(np.mean(w)), float(np.mean(wa))


def f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    hits = float((predicted & truth).sum())
    return 2 * hits / max(float(predicted.sum() + truth.sum()), 1.0)


def measure(joints: np.ndarray, shot: Shot, motion, seconds: float) -> list[float]:
    truth, contacts = shot.world, true_contacts(shot.world)
    w_mpjpe, wa_mpjpe = segment_errors(joints, truth)
    whole = aligned(joints, truth, slice(None))
    travelled = np.linalg.norm(np.diff(truth[:, 0, [0, 2]], axis=0), axis=1).sum()
    root_pct = 100 * np.linalg.norm(whole[:, 0] - truth[:, 0], axis=1).mean() / max(
        travelled, 1.0)
    ankles = joints[:, list(FOOT_JOINTS)]
    skating = np.linalg.norm(np.gradient(ankles, axis=0), axis=-1)[contacts].mean()
    accel = np.linalg.norm(np.diff(whole, 2, axis=0) - np.diff(truth, 2, axis=0), axis=-1).mean()
    nan = float("nan")
    gravity = height = penetration = contact_f1 = nan
    if motion is not None and motion.ground is not None:
        up = shot.rotation @ np.array([0.0, 1.0, 0.0])
        gravity = np.degrees(np.arccos(np.clip(motion.ground.up @ up, -1, 1)))
        height = 100 * (motion.ground.camera_height_mm / shot.eye[1] - 1)
        rest = motion.ground.ankle_rest_heights_mm
        penetration = np.maximum(rest - ankles[..., 1], 0).mean()
        contact_f1 = f1(motion.contacts.in_contact, contacts)
    return [w_mpjpe, wa_mpjpe, root_pct, gravity, height, skating, penetration, contact_f1,
            accel, 1e3 * seconds / len(joints)]


def lift_shot(estimator: Estimator, xy: np.ndarray, confidence: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray]:
    """Detections of a shot lifted and corrected as `Estimator` does: root-relative pose
    (T, 16, 3) mm and root translation (T, 3) mm, camera frame."""
    corrected = estimator.corrector(estimator.lift(xy, confidence, (WIDTH, HEIGHT), FOCAL, FPS))
    return corrected.pose3d_mm - corrected.pose3d_mm[:, :1], corrected.root_translation_mm


def shot_parser(description: str, frames: int) -> argparse.ArgumentParser:
    """The benchmarks' common options: --data (the shared data folder) and --frames."""
    parser = argparse.ArgumentParser(description=description)
    default = os.environ.get("POSEMACHINES_SHARED_DATA",
                             str(Path(__file__).resolve().parents[1].parent / "shared/data"))
    parser.add_argument("--data", type=Path, default=Path(default))
    parser.add_argument("--frames", type=int, default=frames)
    return parser


def shot_rows(shot: Shot, estimator: Estimator, metric: Estimator, seed: int
              ) -> list[list[float]]:
    xy, confidence = detections(shot, seed)
    rows = []
    clips = [lift_shot(lifter, xy, confidence) for lifter in (estimator, metric)]
    pose, root = clips[0]
    rows.append(measure(pose + root[:1], shot, None, 0.0))
    start = time.perf_counter()
    trajectory = smooth_trajectory(root, None, FPS).translation_mm
    rows.append(measure(pose + trajectory[:, None], shot, None, time.perf_counter() - start))
    for config in (WorldConfig(lock_feet=False), WorldConfig()):
        start = time.perf_counter()
        motion = to_world(pose, root, None, FPS, config=config, keypoints_px=xy,
                          keypoint_confidence=confidence, focal_px=FOCAL)
        rows.append(measure(motion.joints_mm, shot, motion, time.perf_counter() - start))
    start = time.perf_counter()
    motion = to_world(*clips[1], None, FPS, metric=True, keypoints_px=xy,
                      keypoint_confidence=confidence, focal_px=FOCAL)
    rows.append(measure(motion.joints_mm, shot, motion, time.perf_counter() - start))
    return rows


def stature_cm(world: np.ndarray) -> float:
    """Standing height of a mocap body as the correction defines a given height (cm)."""
    lengths = np.median(np.linalg.norm(world[:, BONE_CHILDREN] - world[:, BONE_PARENTS],
                                       axis=-1), axis=0)
    return standing_height_mm(lengths) / 10.0


def main() -> None:
    parser = shot_parser(__doc__.splitlines()[0], 240)
    parser.add_argument("--clips", choices=("held-out", "training"), default="held-out")
    args = parser.parse_args()
    clips = CLIPS if args.clips == "held-out" else TRAINING_CLIPS
    warnings.filterwarnings("ignore", "Mean of empty slice")  # columns a row does not have
    table = {row: [] for row in ROWS}
    mocap_skating, rests = [], []
    for seed, (name, relative) in enumerate(clips.items()):
        world = load_mocap_clip(args.data / relative).joints_mm.astype(np.float64)[:args.frames]
        estimator = Estimator(world=False)
        metric = Estimator(world=False, height_cm=stature_cm(world))
        contacts = true_contacts(world)
        rests.append(true_rest_heights(world))
        ankles = world[:, list(FOOT_JOINTS)]
        mocap_skating.append(np.linalg.norm(np.gradient(ankles, axis=0), axis=-1)[contacts].mean())
        for height, pitch in CAMERAS:
            rows = shot_rows(film(world, height, pitch), estimator, metric, seed)
            for row, values in zip(ROWS, rows, strict=True):
                table[row].append(values)
            print(f"  {name}, camera {height / 1000:.1f} m / {pitch:.0f} deg: W-MPJPE "
                  f"{rows[3][0]:.0f} mm, gravity {rows[3][3]:.1f} deg, F1 {rows[3][7]:.2f}",
                  flush=True)
    print(f"\n{len(clips)} {args.clips} clips x {len(CAMERAS)} cameras, <= {args.frames} frames\n")
    print("| row | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for row in ROWS:
        means = np.nanmean(np.array(table[row], dtype=float), axis=0)
        cells = ["-" if np.isnan(v) else f"{v:.2f}" if i in (3, 7) else f"{v:.1f}"
                 for i, v in enumerate(means)]
        print(f"| {row} | " + " | ".join(cells) + " |")
    print(f"| mocap itself | | | | | | {np.mean(mocap_skating):.1f} | | | | |")
    print(f"\nPer clip, row '{ROWS[3]}' (both cameras; mocap skating in brackets; the truth's "
          "ankle rest heights over the local floor, right / left)\n")
    print("| clip | " + " | ".join(COLUMNS) + " | rest R / L mm |")
    print("|---" * (len(COLUMNS) + 2) + "|")
    for index, name in enumerate(clips):
        values = np.array(table[ROWS[3]][2 * index:2 * index + 2], dtype=float).mean(axis=0)
        cells = [f"{v:.2f}" if i in (3, 7) else f"{v:.1f}" for i, v in enumerate(values)]
        cells[5] += f" ({mocap_skating[index]:.1f})"
        cells.append(f"{rests[index][0]:.0f} / {rests[index][1]:.0f}")
        print(f"| {name} | " + " | ".join(cells) + " |")
    if args.clips == "held-out":
        print_protocols(table[ROWS[3]], list(clips))


def print_protocols(rows: list[list[float]], names: list[str]) -> None:
    """Row '+ contact clean-up' pooled per protocol (mean over its clips and both cameras)."""
    print(f"\nPer protocol, row '{ROWS[3]}'\n")
    print("| protocol | " + " | ".join(COLUMNS) + " |")
    print("|---" * (len(COLUMNS) + 1) + "|")
    for protocol, members in PROTOCOLS.items():
        mine = [rows[2 * names.index(name) + k] for name in members for k in range(len(CAMERAS))]
        values = np.nanmean(np.array(mine, dtype=float), axis=0)
        cells = [f"{v:.2f}" if i in (3, 7) else f"{v:.1f}" for i, v in enumerate(values)]
        print(f"| {protocol} | " + " | ".join(cells) + " |")


if __name__ == "__main__":
    main()
