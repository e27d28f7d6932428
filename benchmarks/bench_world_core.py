"""posemachines.world on real mocap seen by a known static camera: time per stage, accuracy.

Each clip (world mm, Y up) is placed in front of a camera 1.5 m high, pitched 15 deg down and
rolled 5 deg, 6 m to the side and back of the clip's centre at 45 deg; the camera-frame joints
are split into root-relative pose + root translation, optionally with estimator-like errors
(bone directions turned by smooth 0.03 rad noise with lengths kept, root shaken 10/10/30 mm
along camera x/y/z), and run through `to_world`.

Table 1: milliseconds per stage and per frame on clip prefixes of 100, 273 and 1000 frames
(baseline: today's output, pose + translation). Table 2: per clip, errors of pitch, roll (deg)
and camera height (%), contact agreement with the truth (`contact_truth.mocap_contacts`: ankle
within 40 mm of its rest height and slower than 300 mm/s), planted-ankle speed and mean joint
acceleration after / before the foot lock, and cadence / true cadence.

    python benchmarks/bench_world_core.py [--data ../shared/data]
"""

from __future__ import annotations

import argparse
import os
import time
from pathlib import Path

import numpy as np

from posemachines.arrays import true_runs
from posemachines.camera import look_at
from posemachines.data.mocap import load_mocap_clip
from posemachines.skeleton import JOINTS16
from posemachines.world.body import FOOT_JOINTS
from posemachines.world.camera_motion import detect_camera_motion
from posemachines.world.contact_truth import mocap_contacts
from posemachines.world.contacts import detect_contacts
from posemachines.world.foot_lock import lock_feet
from posemachines.world.gait import gait_metrics
from posemachines.world.ground import estimate_ground
from posemachines.world.pipeline import to_world
from posemachines.world.trajectory import smooth_trajectory

FPS = 30.0
CLIPS = (
    "mocap/bandai-namco-2/data/dataset-2_walk_normal_001.bvh",
    "mocap/bandai-namco-2/data/dataset-2_walk_elderly_001.bvh",
    "mocap/bandai-namco-2/data/dataset-2_walk-turn-left_normal_001.bvh",
    "mocap/bandai-namco-2/data/dataset-2_run_normal_001.bvh",
    "mocap/bandai-namco-2/data/dataset-2_wave-both-hands_normal_001.bvh",
    "mocap/lafan1/walk4_subject1.bvh",
)


def camera(joints: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """World -> camera rotation and eye for the module docstring's camera."""
    pitch, roll = np.radians(15.0), np.radians(5.0)
    centre = joints[:, 0].mean(axis=0)
    eye = centre + np.array([6000.0 * np.sin(np.pi / 4), 0.0, -6000.0 * np.cos(np.pi / 4)])
    eye[1] = 1500.0
    heading = np.arctan2(centre[0] - eye[0], centre[2] - eye[2])
    forward = np.array([np.cos(pitch) * np.sin(heading), -np.sin(pitch),
                        np.cos(pitch) * np.cos(heading)])
    c, s = np.cos(roll), np.sin(roll)
    return np.array([[c, -s, 0.0], [s, c, 0.0], [0.0, 0.0, 1.0]]) @ look_at(np.zeros(3),
                                                                          forward), eye


def estimator_errors(pose: np.ndarray, translation: np.ndarray,
                     seed: int) -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(seed)
    kernel = np.exp(-0.5 * (np.arange(-5, 6) / 1.5) ** 2)
    kernel /= np.sqrt(np.sum(kernel**2))

    def smooth(shape: tuple[int, ...]) -> np.ndarray:
        raw = rng.normal(size=(len(pose) + 10, *shape))
        return np.apply_along_axis(lambda x: np.convolve(x, kernel, "valid"), 0, raw)

    bend, out = smooth((16, 3)) * 0.03, np.zeros_like(pose)
    for child, parent in enumerate(JOINTS16.parents):
        if parent >= 0:
            bone = pose[:, child] - pose[:, parent]
            length = np.linalg.norm(bone, axis=-1, keepdims=True)
            direction = bone / length + bend[:, child]
            out[:, child] = out[:, parent] + length * direction / np.linalg.norm(
                direction, axis=-1, keepdims=True)
    return out, translation + smooth((3,)) * np.array([10.0, 10.0, 30.0])


def true_cadence(world: np.ndarray) -> tuple[float, np.ndarray]:
    flags = mocap_contacts(world, FPS)
    strikes = sorted(int(a) for c in range(2) for a in true_runs(flags[:, c])[0] if a > 0)
    if len(strikes) < 2:
        return float("nan"), flags
    return 60.0 * (len(strikes) - 1) / ((strikes[-1] - strikes[0]) / FPS), flags


def timed(function, repeats: int = 3) -> tuple[float, object]:
    times, result = [], None
    for _ in range(repeats):
        start = time.perf_counter()
        result = function()
        times.append(time.perf_counter() - start)
    return 1e3 * float(np.median(times)), result


def timing_table(world: np.ndarray) -> None:
    print("| frames | baseline pose+t | trajectory | camera motion | ground | contacts | "
          "foot lock | gait | to_world | ms/frame |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    rotation, eye = camera(world)
    for frames in (100, 273, 1000):
        cam = (world[:frames] - eye) @ rotation.T
        pose, translation = estimator_errors(cam - cam[:, :1], cam[:, 0], seed=0)
        base, _ = timed(lambda p=pose, t=translation: p + t[:, None])
        traj_ms, traj = timed(lambda t=translation: smooth_trajectory(t, None, FPS))
        joints = pose + traj.translation_mm[:, None]
        motion_ms, _ = timed(lambda j=joints: detect_camera_motion(j, FPS))
        ground_ms, ground = timed(lambda j=joints: estimate_ground(j, FPS))
        w = ground.camera_to_world(joints)
        contacts_ms, contacts = timed(lambda w=w, g=ground: detect_contacts(
            w, FPS, g.ankle_rest_heights_mm, g.leg_length_mm))
        lock_ms, locked = timed(lambda w=w, c=contacts: lock_feet(w, c, FPS))
        gait_ms, _ = timed(lambda c=contacts, j=locked.joints_mm: gait_metrics(c, j))
        total, _ = timed(lambda p=pose, t=translation: to_world(p, t, None, FPS))
        print(f"| {frames} | {base:.3f} | {traj_ms:.1f} | {motion_ms:.1f} | {ground_ms:.1f} | "
              f"{contacts_ms:.1f} | {lock_ms:.1f} | {gait_ms:.1f} | {total:.1f} | "
              f"{total / frames:.2f} |")


def accuracy_row(name: str, world: np.ndarray, noisy: bool) -> None:
    rotation, eye = camera(world)
    cam = (world - eye) @ rotation.T
    pose, translation = cam - cam[:, :1], cam[:, 0]
    if noisy:
        pose, translation = estimator_errors(pose, translation, seed=1)
    motion = to_world(pose, translation, None, FPS, metric=True)
    up = rotation @ np.array([0.0, 1.0, 0.0])
    pitch, roll = np.degrees(np.arcsin(-up[2])), np.degrees(np.arctan2(up[0], -up[1]))
    cadence, flags = true_cadence(world)
    label = f"{name} {'noisy' if noisy else 'clean'}"
    if motion.moving_camera:
        print(f"| {label} | moving camera (false alarm): {motion.warnings[0]} |")
        return
    g, c = motion.ground, motion.contacts
    before, after = motion.joints_unlocked_mm, motion.joints_mm

    def planted_speed(j: np.ndarray) -> float:
        speed = np.linalg.norm(np.gradient(j[:, list(FOOT_JOINTS)], axis=0), axis=-1)
        return float(speed[c.in_contact].mean()) if c.in_contact.any() else float("nan")

    def accel(j: np.ndarray) -> float:
        return float(np.linalg.norm(np.diff(j, 2, axis=0), axis=-1).mean())

    print(f"| {label} | {len(world)} | {g.source} | {g.pitch_deg - pitch:+.2f} | "
          f"{g.roll_deg - roll:+.2f} | {100 * (g.camera_height_mm / 1500.0 - 1):+.1f} | "
          f"{100 * (c.in_contact == flags).mean():.1f} | "
          f"{planted_speed(after) / planted_speed(before):.2f} | "
          f"{accel(after) / accel(before):.3f} | "
          f"{motion.gait.cadence.value / cadence:.3f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    default = os.environ.get("POSEMACHINES_SHARED_DATA",
                             str(Path(__file__).resolve().parents[1].parent / "shared/data"))
    parser.add_argument("--data", type=Path, default=Path(default))
    args = parser.parse_args()
    clips = {Path(c).stem: load_mocap_clip(args.data / c).joints_mm.astype(np.float64)
             for c in CLIPS}
    clips["walk4_subject1"] = clips["walk4_subject1"][:1000]
    print("Table 1: ms per stage (median of 3), estimator-like errors, LAFAN1 walk4 prefixes\n")
    timing_table(clips["walk4_subject1"])
    print("\nTable 2: accuracy (errors: estimate - truth)\n")
    print("| clip | frames | floor from | pitch deg | roll deg | height % | contacts % | "
          "planted speed after/before | accel after/before | cadence / true |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for name, world in clips.items():
        for noisy in (False, True):
            accuracy_row(name, world, noisy)


if __name__ == "__main__":
    main()
