"""Several people: identities and 3D on synthetic crowds from real mocap, and frames/s.

    python benchmarks/bench_people.py [--people 2 4 6] [--seeds 3] [--speed-frames 60]
                                      [--repeats 3]      # --people alone: speed only

1. Synthetic crowds: N actors from held-out mocap walks (`data.splits`), each turned to walk
   across a fixed 1280x720 camera (1.6 m high, f = 1000 px), starting alternately left and
   right (1.5 m out, then every 1.2 m) at depths 4-8 m, so that they cross in front of and
   behind each other. Their joints
   are projected to 2D with detector-like noise (`training.augment.add_detector_noise`:
   jitter, outliers, dropped joints, limb occlusions), 3 % of person-frames missed outright,
   one-frame ghost detections (2 % of frames), and occlusion: a joint inside the box of a
   nearer actor is hidden (confidence 0, placed 15 % of the body size off, as a detector
   guesses) and an actor with over 60 % of the joints hidden is not detected. Each actor
   wears random "clothes" (a colour histogram like `appearance_features`, Dirichlet 0.3),
   seen with 30 % per-bin noise and mixed with an occluder's in proportion to the joints it
   hides. People reach `PersonTracker` in shuffled order, with those features (as the real
   pipeline gives them) and again without (pose and motion only). Truth: every actor whose
   pelvis is in the image and not hidden that way. Reported:
   IDF1, ID switches, misses, false positives, MOTA (`tracking.metrics`), and per-person MPJPE
   (mm, root-relative, camera frame) of the several-people pipeline (the tracker's tracks,
   each lifted by `Estimator.lift_track`) against the single-person pipeline given the same
   actor's own detections (perfect association), on the frames both hold.
2. Speed at 720p with 1, 3 and 6 people: frames built from the shipped squat clip's person
   side by side (one strip per person), through `MultiPersonDetector` + the tracker, and the
   lift of every track, beside today's single-person `BlazePoseDetector` on the 1-person
   frames (the baseline, measured in the same run, interleaved; best of --repeats).
"""

from __future__ import annotations

import argparse
import os
import time
from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np

from posemachines.camera import look_at
from posemachines.data.mocap import MocapClip, load_mocap_npz
from posemachines.data.splits import is_validation_take
from posemachines.inference.detection_track import DetectionTrack
from posemachines.inference.detectors import BlazePoseDetector
from posemachines.inference.detectors.multi_person import FEATURE_DIM, MultiPersonDetector
from posemachines.inference.estimator import Estimator
from posemachines.inference.frames import Frame, open_frames
from posemachines.inference.people import NEWCOMER_MIN_SCORE, lift_people, track_people
from posemachines.tracking import FramePeople, PersonTracker, TrackerConfig, boxes_from_keypoints
from posemachines.tracking.metrics import TrackingScores, tracking_scores
from posemachines.tracking.similarity import corners
from posemachines.training.augment import DetectorNoiseConfig, add_detector_noise

REPO = Path(__file__).resolve().parents[1]
WIDTH, HEIGHT, FOCAL_PX, FPS = 1280, 720, 1000.0, 30.0
EYE_MM, TARGET_MM = np.array([0.0, 1600.0, 0.0]), np.array([0.0, 900.0, 6000.0])
NUM_FRAMES = 120
HIDDEN_LIMIT, MISS_RATE, GHOST_RATE = 0.6, 0.03, 0.02
WARM_UP_FRAMES = 3


def walking_clips() -> list[MocapClip]:
    """Held-out walks at least NUM_FRAMES long (30 fps)."""
    mocap = load_mocap_npz(REPO / "runs" / "mocap16.npz")
    return [clip for clip in mocap.clips if "walk" in clip.content and clip.num_frames >= NUM_FRAMES
            and is_validation_take(clip.source, clip.style, clip.take)]


def place(clip: MocapClip, start_x_mm: float, depth_mm: float, rightwards: bool,
          offset: int) -> np.ndarray:
    """(NUM_FRAMES, 16, 3) world mm: the clip turned to walk across the view from start_x."""
    joints = np.asarray(clip.joints_mm[offset:offset + NUM_FRAMES], dtype=np.float64)
    travel = joints[-1, 0, [0, 2]] - joints[0, 0, [0, 2]]
    angle = np.arctan2(travel[1], travel[0]) - (0.0 if rightwards else np.pi)
    c, s = np.cos(angle), np.sin(angle)
    turn = np.array([[c, 0.0, s], [0.0, 1.0, 0.0], [-s, 0.0, c]])  # about Y, travel -> +-X
    centred = joints - joints[:1, :1] * np.array([1.0, 0.0, 1.0])
    return centred @ turn.T + np.array([start_x_mm, 0.0, depth_mm])


def to_camera(world_mm: np.ndarray) -> np.ndarray:
    rotation = look_at(EYE_MM, TARGET_MM)
    return (world_mm - EYE_MM) @ rotation.T


def project(camera_mm: np.ndarray) -> np.ndarray:
    return FOCAL_PX * camera_mm[..., :2] / camera_mm[..., 2:3] + np.array([WIDTH, HEIGHT]) / 2


def make_crowd(clips: list[MocapClip], count: int, rng: np.random.Generator
               ) -> tuple[np.ndarray, list[FramePeople], list[np.ndarray], np.ndarray]:
    """Camera-frame truth (A, T, 16, 3) mm, the frames' FramePeople, their true actor per
    person (-1: ghost) and the truth mask (A, T)."""
    chosen = rng.choice(len(clips), size=count, replace=False)
    depths = rng.permutation(np.linspace(4000.0, 8000.0, count))
    actors = []
    for rank, index in enumerate(chosen):
        clip = clips[int(index)]
        rightwards = rank % 2 == 0
        offset = int(rng.integers(0, clip.num_frames - NUM_FRAMES + 1))
        # Walkers in one direction start staggered (1.2 m apart), so they cross those coming
        # the other way rather than walk in lockstep behind one another.
        start = (-1 if rightwards else 1) * (1500.0 + 1200.0 * (rank // 2) + rng.uniform(0, 300))
        actors.append(to_camera(place(clip, start, float(depths[rank]), rightwards, offset)))
    truth3d = np.stack(actors)
    clean = project(truth3d)
    noisy, confidence = add_detector_noise(clean, np.ones(clean.shape[:3], np.float32), rng,
                                           DetectorNoiseConfig(jitter_frac=(0.005, 0.02)))
    depth_order = np.argsort(truth3d[:, :, 0, 2], axis=0).T  # (T, A) nearest first
    in_image = ((clean[:, :, 0, 0] > 0) & (clean[:, :, 0, 0] < WIDTH)
                & (clean[:, :, 0, 1] > 0) & (clean[:, :, 0, 1] < HEIGHT))
    size = np.linalg.norm(np.ptp(clean, axis=2), axis=-1)  # (A, T) px
    truth = in_image.copy()
    detected = in_image & (rng.random(in_image.shape) >= MISS_RATE)
    clothes = rng.dirichlet(np.full(FEATURE_DIM, 0.3), size=count)
    features = np.repeat(clothes[:, None], NUM_FRAMES, axis=1)  # (A, T, D)
    for t in range(NUM_FRAMES):
        boxes = corners(boxes_from_keypoints(clean[:, t], np.ones((count, 16))))
        for rank, actor in enumerate(depth_order[t]):
            hidden = np.zeros(16, dtype=bool)
            for nearer in depth_order[t, :rank]:
                x0, y0, x1, y1 = boxes[nearer]
                xy = clean[actor, t]
                behind = (xy[:, 0] > x0) & (xy[:, 0] < x1) & (xy[:, 1] > y0) & (xy[:, 1] < y1)
                share = (behind & ~hidden).mean()  # the occluder's colours enter the crop
                features[actor, t] = (1 - share) * features[actor, t] + share * clothes[nearer]
                hidden |= behind
            if hidden.mean() > HIDDEN_LIMIT:
                truth[actor, t] = detected[actor, t] = False
            confidence[actor, t, hidden] = 0.0
            guess = rng.normal(0.0, 0.15 * size[actor, t], (int(hidden.sum()), 2))
            noisy[actor, t, hidden] += guess
    frames, owners = [], []
    for t in range(NUM_FRAMES):
        present = rng.permutation(np.flatnonzero(detected[:, t]))
        xy, conf = noisy[present, t], confidence[present, t]
        seen = features[present, t] * rng.lognormal(0.0, 0.3, (len(present), FEATURE_DIM))
        owner = present.astype(np.int64)
        if rng.random() < GHOST_RATE:
            ghost = noisy[rng.integers(count), t] + rng.uniform(-300, 300, 2)
            xy, conf = np.concatenate([xy, ghost[None]]), np.concatenate([conf, np.ones((1, 16))])
            seen = np.concatenate([seen, rng.dirichlet(np.full(FEATURE_DIM, 0.3))[None]])
            owner = np.append(owner, -1)
        frames.append(FramePeople(xy, conf, np.full(len(owner), 0.95), features=seen,
                                  boxes=boxes_from_keypoints(xy, np.ones(xy.shape[:2]))))
        owners.append(owner)
    return truth3d, frames, owners, truth


def detection_track(rows: list[tuple[int, np.ndarray, np.ndarray]]) -> DetectionTrack:
    """A DetectionTrack from (frame, xy (16, 2), confidence (16,)) rows."""
    frames = np.array([frame for frame, _, _ in rows], dtype=np.int64)
    seen = set(frames.tolist())
    return DetectionTrack(
        xy_px=np.array([xy for _, xy, _ in rows], dtype=np.float32),
        confidence=np.array([conf for _, _, conf in rows], dtype=np.float32),
        frame_indices=frames, timestamps_s=frames / FPS,
        missing_frames=tuple(i for i in range(frames[0], frames[-1]) if i not in seen))


def mpjpe(estimator: Estimator, track: DetectionTrack, truth3d: np.ndarray) -> dict[int, float]:
    """{frame: error mm} of the lifted track against (T, 16, 3) camera-frame truth."""
    lifted = estimator.lift_track(track, FPS, (WIDTH, HEIGHT), "synthetic", FOCAL_PX)
    target = truth3d[track.frame_indices] - truth3d[track.frame_indices][:, :1]
    errors = np.linalg.norm(lifted.pose3d_mm - target, axis=-1).mean(axis=-1)
    return dict(zip(track.frame_indices.tolist(), errors.tolist(), strict=True))


def track_scores(frames: list[FramePeople], owners: list[np.ndarray], truth: np.ndarray
                 ) -> tuple[PersonTracker, TrackingScores]:
    """Run a fresh tracker over the frames; score it (undetected true actors are misses)."""
    tracker = PersonTracker(TrackerConfig(fps=FPS, min_score=NEWCOMER_MIN_SCORE))
    rows = []
    for t, (people, owner) in enumerate(zip(frames, owners, strict=True)):
        reported = {index: track_id for track_id, index in tracker.update(people).items()}
        rows += [(t, int(owner[i]), reported.get(i, -1)) for i in range(len(owner))]
        detected = set(owner.tolist())
        rows += [(t, int(a), -1) for a in np.flatnonzero(truth[:, t]) if a not in detected]
    return tracker, tracking_scores(*np.array(rows).T)


def run_crowd(estimator: Estimator, clips: list[MocapClip], count: int, seed: int
              ) -> dict[str, float]:
    rng = np.random.default_rng(seed)
    truth3d, frames, owners, truth = make_crowd(clips, count, rng)
    _, blind = track_scores([replace(people, features=None) for people in frames], owners, truth)
    tracker, scores = track_scores(frames, owners, truth)
    ours, single = [], []
    for history in tracker.histories().values():
        actors = [int(owners[t][i]) for t, i in history]
        actor = max(set(actors), key=actors.count)
        if actor < 0:
            continue
        mine = [(t, frames[t].xy_px[i], frames[t].confidence[i]) for t, i in history
                if owners[t][i] == actor]
        alone = [(t, frames[t].xy_px[i], frames[t].confidence[i]) for t in range(NUM_FRAMES)
                 for i in np.flatnonzero(owners[t] == actor)]
        errors = mpjpe(estimator, detection_track(mine), truth3d[actor])
        reference = mpjpe(estimator, detection_track(alone), truth3d[actor])
        common = sorted(set(errors) & set(reference))
        ours += [errors[t] for t in common]
        single += [reference[t] for t in common]
    return {"idf1": scores.idf1, "switches": scores.id_switches, "misses": scores.misses,
            "false": scores.false_positives, "true": scores.num_true, "mota": scores.mota,
            "idf1_blind": blind.idf1, "switches_blind": blind.id_switches,
            "mpjpe": float(np.mean(ours)), "mpjpe_single": float(np.mean(single))}


def strip_frames(count: int, num_frames: int) -> list[np.ndarray]:
    """1280x720 frames holding `count` copies of the squat clip's man side by side (strips
    1280 / count px wide around him; he stands at x ~ 690 px, ~180 px wide)."""
    shared = Path(os.environ.get("POSEMACHINES_SHARED_DATA", REPO.parent / "shared" / "data"))
    source = open_frames(shared / "media" / "squat_sit_stand_front_gmdcsa.mp4")
    width, centre = WIDTH // count, 690
    frames = []
    for frame in source:
        if len(frames) == num_frames:
            break
        image = cv2.resize(frame.rgb, (WIDTH, HEIGHT))
        if count > 1:
            left = min(max(centre - width // 2, 0), WIDTH - width)
            strip = image[:, left:left + width]
            image = np.zeros_like(image)
            image[:, :width * count] = np.concatenate([strip] * count, axis=1)
        frames.append(image)
    return frames


def time_single(frames: list[np.ndarray], variant: str = "lite") -> tuple[float, float]:
    """Wall and CPU (every thread) ms/frame of today's single-person BlazePose path."""
    detector = BlazePoseDetector(variant)
    for frame in frames[:WARM_UP_FRAMES]:  # the interpreters' first calls are slow
        detector.detect(frame)
    detector.reset()
    started, started_cpu = time.perf_counter(), time.process_time()
    for frame in frames:
        detector.detect(frame)
    return (1000 * (time.perf_counter() - started) / len(frames),
            1000 * (time.process_time() - started_cpu) / len(frames))


def time_people(frames: list[np.ndarray], count: int, variant: str = "lite"
                ) -> tuple[float, float, dict[int, DetectionTrack]]:
    """Wall and CPU ms/frame of MultiPersonDetector + tracker over `frames`, and the tracks."""
    multi = MultiPersonDetector(BlazePoseDetector(variant), max_people=count, redetect_every=10)
    for frame in frames[:WARM_UP_FRAMES]:
        multi.detect_people(frame)
    tracker = PersonTracker(TrackerConfig(fps=FPS, min_score=NEWCOMER_MIN_SCORE))
    items = [Frame(i, i / FPS, frame) for i, frame in enumerate(frames)]
    started, started_cpu = time.perf_counter(), time.process_time()
    tracks, _ = track_people(multi, tracker, items)
    return (1000 * (time.perf_counter() - started) / len(frames),
            1000 * (time.process_time() - started_cpu) / len(frames), tracks)


def time_lift(estimator: Estimator, tracks: dict[int, DetectionTrack], num_frames: int) -> float:
    """ms/frame of lifting every track as `predict_people` does (`lift_people`)."""
    started = time.perf_counter()
    lift_people(estimator, tracks, FPS, (WIDTH, HEIGHT), "speed", FOCAL_PX)
    return 1000 * (time.perf_counter() - started) / num_frames


def people_speed(estimator: Estimator, counts: tuple[int, ...], num_frames: int, repeats: int,
                 variant: str = "lite"
                 ) -> tuple[tuple[float, float], dict[int, tuple[float, float, float, float]]]:
    """Today's single-person path's wall and CPU ms/frame on the 1-person frames (the
    baseline) and {people: (found per frame, 2D + tracking ms/frame, lift ms/frame, 2D +
    tracking CPU ms/frame)} at 1280x720, each the best of `repeats` runs interleaved with the
    baseline (the machine is shared: the best is the least disturbed; CPU time, every thread
    of the process, is less disturbed than wall time)."""
    frames = {count: strip_frames(count, num_frames) for count in sorted({1, *counts})}
    warm = DetectionTrack(np.full((3, 16, 2), 300.0, np.float32) + np.arange(16)[:, None] * 10,
                          np.ones((3, 16), np.float32), np.arange(3), np.arange(3) / FPS, ())
    lift_people(estimator, {1: warm}, FPS, (WIDTH, HEIGHT), "warm-up", FOCAL_PX)  # torch's first
    single: list[tuple[float, float]] = []
    detect: dict[int, list[tuple[float, float]]] = {count: [] for count in counts}
    lift: dict[int, list[float]] = {count: [] for count in counts}
    found: dict[int, float] = {}
    for _ in range(repeats):
        single.append(time_single(frames[1], variant))
        for count in counts:
            wall, cpu, tracks = time_people(frames[count], count, variant)
            detect[count].append((wall, cpu))
            lift[count].append(time_lift(estimator, tracks, num_frames))
            found[count] = sum(len(t.frame_indices) for t in tracks.values()) / num_frames
    baseline = (min(w for w, _ in single), min(c for _, c in single))
    return baseline, {count: (found[count], min(w for w, _ in detect[count]),
                              min(lift[count]), min(c for _, c in detect[count]))
                      for count in counts}


def run_speed(estimator: Estimator, num_frames: int, repeats: int, variant: str = "lite") -> None:
    """The speed table (see `people_speed`) with the `variant` landmark model."""
    print(f"\nSpeed, 1280x720, {num_frames} frames, blazepose-{variant}, models loaded, decoding "
          f"excluded, best of {repeats} interleaved runs (load average "
          f"{os.getloadavg()[0]:.1f}):")
    (baseline, baseline_cpu), rows = people_speed(estimator, (1, 3, 6), num_frames, repeats,
                                                  variant)
    print("| people | found (mean) | 2D + tracking ms/frame | lift ms/frame | frames/s | "
          "2D time / single-person path's | 2D CPU ms/frame | 2D CPU / single-person path's |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|")
    print(f"| 1, today's path (baseline) | 1.0 | {baseline:.1f} | - | {1000 / baseline:.1f} | "
          f"1.00 | {baseline_cpu:.1f} | 1.00 |")
    for count, (found, detect, lift, cpu) in rows.items():
        print(f"| {count} | {found:.1f} | {detect:.1f} | {lift:.1f} | "
              f"{1000 / (detect + lift):.1f} | {detect / baseline:.2f} | {cpu:.1f} | "
              f"{cpu / baseline_cpu:.2f} |")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, nargs="*", default=[2, 4, 6],
                        help="crowd sizes (none: skip the crowds)")
    parser.add_argument("--seeds", type=int, default=3)
    parser.add_argument("--speed-frames", type=int, default=60, help="0 skips the speed table")
    parser.add_argument("--repeats", type=int, default=3, help="interleaved speed runs")
    parser.add_argument("--variant", choices=("lite", "full"), default="lite",
                        help="landmark model of the speed table (infer's default is full)")
    args = parser.parse_args()
    estimator = Estimator(world=False)
    clips = walking_clips()
    print(f"Synthetic crowds: {len(clips)} held-out walks, {NUM_FRAMES} frames at {FPS:.0f} fps, "
          f"{args.seeds} seeds per size; MPJPE mm on frames both pipelines hold.")
    print("| actors | IDF1 | ID switches | misses / true | false positives | MOTA | "
          "IDF1 / switches, pose and motion only | MPJPE tracked | MPJPE single-person | ratio |")
    print("|---:|---:|---:|---:|---:|---:|---:|---:|---:|---:|")
    for count in args.people:
        runs = [run_crowd(estimator, clips, count, seed) for seed in range(args.seeds)]
        mean = {key: float(np.mean([run[key] for run in runs])) for key in runs[0]}
        total = {key: int(sum(run[key] for run in runs))
                 for key in ("switches", "misses", "false", "true", "switches_blind")}
        print(f"| {count} | {mean['idf1']:.3f} | {total['switches']} | {total['misses']} / "
              f"{total['true']} | {total['false']} | {mean['mota']:.3f} | "
              f"{mean['idf1_blind']:.3f} / {total['switches_blind']} | {mean['mpjpe']:.1f} | "
              f"{mean['mpjpe_single']:.1f} | {mean['mpjpe'] / mean['mpjpe_single']:.3f} |")
    if args.speed_frames:
        run_speed(estimator, args.speed_frames, args.repeats, args.variant)


if __name__ == "__main__":
    main()
