"""Test-time correction variants on held-out mocap, a camera shift, new LAFAN1 actors and skeletons.

One table: a row per (protocol, variant). Variants: none (the lifter's output), paper (per-frame
Psi_C adaptation), geometric (perspective only), + per-video skeleton, + temporal prior (the
default), two ablations of the default (the previous strict keep rule with uncapped, all-2D bone
lengths; trunk lengths from 2D), and the default given the true focal length, body height or
both. The geometric rows otherwise use the default focal guess (60 degree diagonal FoV) and no
height, as for a video of unknown origin. The last rows start from the time-reversal lift that
`infer` uses (the mean of the forward lift and that of the clip played backwards,
`lifting.lift_sequences(time_reversal=True)`): none, and the default correction on it.

Protocols (clips of up to --clip-frames consecutive frames, one static virtual camera each, aimed
at the clip's mean root, detector-like 2D noise as in training):
- held-out: Bandai Namco validation takes (`data.splits.is_validation_take`), training cameras.
- camera shift: the same takes, cameras 2.2-3.5 m high with focal 2.0-3.0 x width.
- lafan1: the held-out LAFAN1 actor (subject 2, never trained on), training cameras.
- bandai->lafan1 (with --cross-weights, a lifter trained on Bandai Namco only, e.g. by
  `scripts/train_lifter_cross.sh`): every LAFAN1 take, the issue's cross-dataset protocol.
Takes are interleaved by action (content label) and windows taken round-robin over them, so
every action gets clips. A second table
gives MPJPE per action for none and the default correction (+ temporal prior), and the change.
Metrics against the ground truth in the camera frame, root-relative (root-aligned MPJPE,
PA-MPJPE, mean relative bone-length error, mean acceleration error per frame^2), frames corrected
(kept with a change) / discarded, and correction time per frame; the lifter's own time per frame
is the baseline, printed above the table.

    python benchmarks/bench_correction.py [--weights posemachines/weights/lifter_mocap.pt]
        [--mocap runs/mocap16.npz] [--cross-weights runs/lifter_cross/best.pt]
        [--frames 3600] [--clip-frames 300] [--random-weights]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import torch

import posemachines
from posemachines.correction import (
    GeometricCorrectionConfig,
    PaperCorrectionConfig,
    correct_geometric,
    correct_paper,
)
from posemachines.correction.skeleton_fit import standing_height_mm
from posemachines.data.lifter_input import encode_lifter_input
from posemachines.data.mocap import MocapClip, load_mocap_npz
from posemachines.data.splits import is_validation_take
from posemachines.data.virtual_cameras import VirtualCameraConfig, sample_virtual_cameras
from posemachines.evaluation import bone_length_error, mpjpe, pa_mpjpe
from posemachines.evaluation.lifting import lift_sequences
from posemachines.models import PoseMachine, get_config, load_checkpoint
from posemachines.skeleton import bone_lengths
from posemachines.structures import CorrectionInfo
from posemachines.training.augment import DetectorNoiseConfig, add_detector_noise

DEFAULT_WEIGHTS = Path(posemachines.__file__).parent / "weights" / "lifter_mocap.pt"
DEFAULT_MOCAP = Path("runs/mocap16.npz")
DEFAULT_VARIANT = "+ temporal prior"
SHIFTED_CAMERA = VirtualCameraConfig(height_mm=(2200.0, 3500.0), focal_over_width=(2.0, 3.0))
#: A clip is dropped (camera re-drawn) when any joint comes nearer the camera than this.
MIN_DEPTH_MM = 500.0
MIN_CLIP_FRAMES = 30


@dataclass
class EvalClip:
    """One clip seen by one camera; arrays (T, ...) as in `LifterBatch`, plus the camera."""

    keypoints_px: np.ndarray
    confidence: np.ndarray
    keypoints_norm: np.ndarray
    visibility_root: np.ndarray
    truth_mm: np.ndarray
    image_size: tuple[int, int]
    focal_px: float
    height_cm: float
    action: str = ""


def _interleave_by_action(takes: list[MocapClip]) -> list[MocapClip]:
    """The takes reordered so that every action comes once before any comes twice."""
    by_action: dict[str, list[MocapClip]] = {}
    for take in takes:
        by_action.setdefault(take.content, []).append(take)
    rank = {id(t): (i, a) for a, group in by_action.items() for i, t in enumerate(group)}
    return sorted(takes, key=lambda t: rank[id(t)])


def _windows(takes: list[MocapClip], clip_frames: int, budget: int
             ) -> list[tuple[np.ndarray, str]]:
    """Windows of `clip_frames` (with their action), round-robin: the first window of every
    take, then the second, ..., until `budget` frames. A take's windows are spread evenly over
    it; a take shorter than a window gives one window of all its frames."""
    spans = []
    for take in takes:
        length = min(clip_frames, take.num_frames)
        if length < MIN_CLIP_FRAMES:
            continue
        count = max(take.num_frames // length, 1)
        starts = np.linspace(0, take.num_frames - length, count).astype(int)
        spans.append([(take, int(start), length) for start in starts])
    clips, used, depth = [], 0, 0
    while used < budget and any(depth < len(s) for s in spans):
        for take_spans in spans:
            if depth < len(take_spans) and used < budget:
                take, start, length = take_spans[depth]
                clips.append((take.joints_mm[start:start + length], take.content))
                used += length
        depth += 1
    return clips


def _view(world: np.ndarray, action: str, camera_config: VirtualCameraConfig,
          noise: DetectorNoiseConfig, rng: np.random.Generator) -> EvalClip | None:
    """Project one clip (T, 16, 3) world mm through a fresh camera; None if it never fits."""
    for _ in range(10):
        cameras = sample_virtual_cameras(rng, 1, world[:, 0].mean(0), camera_config)
        cam = cameras.world_to_camera(world[None].astype(np.float64))
        if cam[..., 2].min() > MIN_DEPTH_MM:
            break
    else:
        return None
    xy = cameras.project(cam)
    confidence = np.ones(xy.shape[:3], dtype=np.float32)
    noisy_xy, noisy_conf = add_detector_noise(xy, confidence, rng, noise)
    keypoints, visibility_root = encode_lifter_input(noisy_xy, noisy_conf, cameras.f_px,
                                                     cameras.c_px)
    truth = cam[0] - cam[0, :, :1]
    return EvalClip(
        keypoints_px=noisy_xy[0], confidence=noisy_conf[0], keypoints_norm=keypoints[0],
        visibility_root=visibility_root[0], truth_mm=truth,
        image_size=tuple(int(v) for v in cameras.size_px[0]),
        focal_px=float(cameras.f_px[0, 0]),
        height_cm=standing_height_mm(np.median(bone_lengths(truth), axis=0)) / 10.0,
        action=action,
    )


Corrector = Callable[[PoseMachine, EvalClip, torch.Tensor, torch.Tensor],
                     tuple[np.ndarray, CorrectionInfo | None]]


def _geometric(config: GeometricCorrectionConfig, focal: bool = False,
               height: bool = False) -> Corrector:
    """The geometric correction, given the true focal length and/or body height if asked."""
    def run(model: PoseMachine, clip: EvalClip, pose: torch.Tensor, raw: torch.Tensor):
        result = correct_geometric(
            pose.numpy(), clip.keypoints_px, clip.confidence, image_size=clip.image_size,
            focal_px=clip.focal_px if focal else None,
            height_cm=clip.height_cm if height else None, config=config,
        )
        return result.pose3d_mm, result.info
    return run


def _paper(model: PoseMachine, clip: EvalClip, pose: torch.Tensor, raw: torch.Tensor):
    return correct_paper(model, clip.keypoints_norm, clip.visibility_root, raw,
                         confidence=clip.confidence, config=PaperCorrectionConfig())


DEFAULT = GeometricCorrectionConfig()
#: Variants lifted with time reversal (the others take the forward lift alone).
TIME_REVERSED = ("none, time-reversed lift", "+ temporal prior, time-reversed lift")
VARIANTS: dict[str, Corrector | None] = {
    "none": None,
    "paper (Psi_C/Psi_P)": _paper,
    "geometric": _geometric(GeometricCorrectionConfig(per_video_skeleton=False,
                                                      temporal_weight=0.0)),
    "+ per-video skeleton": _geometric(GeometricCorrectionConfig(temporal_weight=0.0)),
    "+ temporal prior": _geometric(DEFAULT),
    "  strict keep rule, free lengths": _geometric(GeometricCorrectionConfig(
        reprojection_slack=1.0, trunk_from_network=False, max_length_change=float("inf"))),
    "  trunk lengths from 2D": _geometric(GeometricCorrectionConfig(trunk_from_network=False)),
    "+ true focal": _geometric(DEFAULT, focal=True),
    "+ true height": _geometric(DEFAULT, height=True),
    "+ true focal & height": _geometric(DEFAULT, focal=True, height=True),
    TIME_REVERSED[0]: None,
    TIME_REVERSED[1]: _geometric(DEFAULT),
}


@dataclass
class Tally:
    predictions: list[np.ndarray] = field(default_factory=list)
    truths: list[np.ndarray] = field(default_factory=list)
    actions: list[str] = field(default_factory=list)
    corrected: int = 0
    discarded: int = 0
    seconds: float = 0.0

    def row(self) -> list[str]:
        pred, truth = np.concatenate(self.predictions), np.concatenate(self.truths)
        frames = len(pred)
        accel = np.mean([
            np.linalg.norm(np.diff(p - p[:, :1], 2, axis=0) - np.diff(t, 2, axis=0), axis=-1).mean()
            for p, t in zip(self.predictions, self.truths, strict=True)
        ])
        return [
            f"{mpjpe(pred, truth, root_align=True):.1f}", f"{pa_mpjpe(pred, truth):.1f}",
            f"{100 * bone_length_error(pred, truth):.1f}", f"{accel:.1f}",
            f"{100 * self.corrected / frames:.0f}", f"{100 * self.discarded / frames:.0f}",
            f"{1000 * self.seconds / frames:.2f}",
        ]

    def mpjpe_by_action(self) -> dict[str, tuple[int, float]]:
        """action -> (frames, MPJPE mm) over its clips."""
        result = {}
        for action in dict.fromkeys(self.actions):
            chosen = [i for i, a in enumerate(self.actions) if a == action]
            pred = np.concatenate([self.predictions[i] for i in chosen])
            truth = np.concatenate([self.truths[i] for i in chosen])
            result[action] = (len(pred), float(mpjpe(pred, truth, root_align=True)))
        return result


def _evaluate(model: PoseMachine, clips: list[EvalClip]) -> tuple[dict[str, Tally], float]:
    tallies = {name: Tally() for name in VARIANTS}
    network_seconds, frames = 0.0, 0
    for clip in clips:
        start = time.perf_counter()
        with torch.no_grad():
            output = model(torch.from_numpy(clip.keypoints_norm)[None],
                           visibility_root=torch.from_numpy(clip.visibility_root)[None])
        network_seconds += time.perf_counter() - start
        frames += len(clip.truth_mm)
        pose, raw = output.pose3d_mm[0], output.intermediate3d_mm[0]
        both_ways = torch.from_numpy(lift_sequences(
            model, clip.keypoints_norm[None], clip.visibility_root[None], time_reversal=True)[0])
        for name, corrector in VARIANTS.items():
            tally = tallies[name]
            lifted = both_ways if name in TIME_REVERSED else pose
            start = time.perf_counter()
            corrected, info = (lifted.numpy(), None) if corrector is None else \
                corrector(model, clip, lifted, raw)
            tally.seconds += time.perf_counter() - start
            tally.predictions.append(np.asarray(corrected, dtype=np.float64))
            tally.truths.append(clip.truth_mm)
            tally.actions.append(clip.action)
            if info is not None:
                tally.corrected += int((info.kept & (info.displacement_mm > 0)).sum())
                tally.discarded += int((~info.kept).sum())
    return tallies, 1000 * network_seconds / max(frames, 1)


def load_bench_model(weights: Path, args: argparse.Namespace) -> PoseMachine:
    if args.random_weights:
        torch.manual_seed(args.seed)
        return PoseMachine(get_config("lite")).eval()
    model, _ = load_checkpoint(weights)
    return model


def bench_protocols(args: argparse.Namespace) -> dict[str, tuple[list[EvalClip], Path]]:
    """protocol -> (its clips, the weights that lift them)."""
    collection = load_mocap_npz(args.mocap)
    held_out = [c for c in collection.clips if c.source.startswith("bandai-namco") and
                is_validation_take(c.source, c.style, c.take)]
    lafan = [c for c in collection.clips if c.source == "lafan1"]
    # The held-out LAFAN1 actor (subject 2): never trained on, also by the all-mocap lifter.
    subject2 = [c for c in lafan if is_validation_take(c.source, c.style, c.take)]
    rng = np.random.default_rng(args.seed)
    noise = DetectorNoiseConfig()
    settings = {
        "held-out": (held_out, VirtualCameraConfig(), args.weights),
        "camera shift": (held_out, SHIFTED_CAMERA, args.weights),
        "lafan1": (subject2, VirtualCameraConfig(), args.weights),
    }
    if args.cross_weights is not None:
        settings["bandai->lafan1"] = (lafan, VirtualCameraConfig(), args.cross_weights)
    protocols = {}
    for name, (takes, camera, weights) in settings.items():
        windows = _windows(_interleave_by_action(takes), args.clip_frames, args.frames)
        views = [_view(w, action, camera, noise, rng) for w, action in windows]
        protocols[name] = ([v for v in views if v is not None], weights)
    return protocols


def _print_table(header: list[str], rows: list[list[str]]) -> None:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    for row in [header, *rows]:
        print("  ".join(str(v).ljust(w) if i < 2 else str(v).rjust(w)
                        for i, (v, w) in enumerate(zip(row, widths, strict=True))))


def _action_rows(protocol: str, tallies: dict[str, Tally]) -> list[list[str]]:
    """Per action: frames, MPJPE without and with the default correction, and the change."""
    before = tallies["none"].mpjpe_by_action()
    after = tallies[DEFAULT_VARIANT].mpjpe_by_action()
    return [[protocol, action, str(frames), f"{error:.1f}", f"{after[action][1]:.1f}",
             f"{after[action][1] - error:+.1f}"] for action, (frames, error) in before.items()]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--mocap", type=Path, default=DEFAULT_MOCAP,
                        help="npz from `posemachines data mocap` (Bandai Namco + LAFAN1)")
    parser.add_argument("--cross-weights", type=Path, default=None,
                        help="a lifter trained on Bandai Namco only: adds bandai->lafan1")
    parser.add_argument("--frames", type=int, default=3600, help="frames per protocol")
    parser.add_argument("--clip-frames", type=int, default=300)
    parser.add_argument("--random-weights", action="store_true",
                        help="smoke run with a randomly initialised 'lite' model")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    torch.set_num_threads(1)
    rows, action_rows = [], []
    for protocol, (clips, weights) in bench_protocols(args).items():
        tallies, network_ms = _evaluate(load_bench_model(weights, args), clips)
        frames = sum(len(c.truth_mm) for c in clips)
        label = "random lite (smoke run)" if args.random_weights else str(weights)
        print(f"{protocol}: {len(clips)} clips, {frames} frames, weights {label}; lifter "
              f"{network_ms:.2f} ms/frame (baseline)")
        rows += [[protocol, name, *tally.row()] for name, tally in tallies.items()]
        action_rows += _action_rows(protocol, tallies)
    print("\nmm, mm/frame^2; ms/frame = correction only, 1 CPU thread")
    _print_table(["protocol", "variant", "MPJPE", "PA-MPJPE", "bone err %", "accel err",
                  "% corrected", "% discarded", "ms/frame"], rows)
    print(f"\nMPJPE per action: none vs the default correction ({DEFAULT_VARIANT})")
    _print_table(["protocol", "action", "frames", "none", "default", "change"], action_rows)
    worst = max(action_rows, key=lambda row: float(row[5]))
    print(f"worst change on any action: {worst[5]} mm ({worst[0]}, {worst[1]})")


if __name__ == "__main__":
    main()
