"""The lifter ablation table of weights/README.md: in-domain, cross-dataset and real lab frames.

For each `label=checkpoint` given, one row (clean 2D, whole takes streamed, 4 fixed virtual
cameras per take, seed 0: exactly the `clean 2D, whole take (streaming)` row of `posemachines
evaluate`):
- in-domain: `mocap-heldout` (held-out Bandai Namco takes) MPJPE;
- LAFAN1: `cross-mocap` (all 12 takes) for lifters trained on Bandai Namco only, or
  `lafan1-heldout` (subject 2) for lifters that trained on LAFAN1 (`--lafan1-trained`):
  MPJPE / PA-MPJPE / mean bone-length error in %;
- LAFAN1 split by posture (`upright_frames`): MPJPE / PA-MPJPE on the upright frames and on
  the others (floor work, falls, crawling), with the others' share;
- the real Human3.6M and MPI-INF-3DHP fixture frames from their annotated 2D
  (`posemachines.evaluation.fixture_frames`): MPJPE / PA-MPJPE;
- with `--correction geometric`, LAFAN1 once more after the geometric correction (as `infer`
  runs it, per camera, given the camera's focal length): MPJPE / PA-MPJPE, upright · other.

    python benchmarks/ablation_table.py --mocap runs/mocap16.npz \\
        "first default=runs/lifter_first_default/best.pt" "cross=runs/lifter_cross/best.pt" \\
        [--lafan1-trained shipped,...] [--fixtures ../shared/data/fixtures] [--flip-test]
        [--time-reversal] [--correction geometric]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from posemachines.data.mocap import load_mocap_npz
from posemachines.data.virtual_cameras import VirtualCameraConfig
from posemachines.evaluation.fixture_frames import default_fixtures_dir, score_fixture_frames
from posemachines.evaluation.lifting import lift_detections
from posemachines.evaluation.metrics import bone_length_error, mpjpe, pa_mpjpe
from posemachines.evaluation.mocap_protocols import correct_views, select_takes, view_take
from posemachines.evaluation.protocols import get_protocol
from posemachines.evaluation.runner import load_lifter
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import JOINTS16

CAMERAS_PER_TAKE = 4
THORAX = JOINTS16.names.index("Thorax")


def upright_frames(world_mm: np.ndarray) -> np.ndarray:
    """(T,) bool: the body's hip -> thorax axis within 45 degrees of vertical (world, Y up)."""
    axis = world_mm[:, THORAX] - world_mm[:, 0]
    return axis[:, 1] > np.cos(np.radians(45.0)) * np.linalg.norm(axis, axis=-1)


def streamed_clean(model: PoseMachine, mocap: Path, protocol: str, flip_test: bool = False,
                   time_reversal: bool = False, correction: str = "none") -> dict[str, float]:
    """Clean 2D, whole takes streamed: MPJPE, PA-MPJPE (mm) and bone-length error (%) over all
    frames, and MPJPE / PA-MPJPE over the upright frames and the others (`upright_frames`);
    with a `correction` other than none, the same keys prefixed "corrected " after it."""
    takes = select_takes(load_mocap_npz(mocap).clips, get_protocol(protocol))
    errors: dict[str, list[np.ndarray]] = {"": [], "corrected ": []}
    upright = []
    for number, take in enumerate(takes):
        views = view_take(take.joints_mm, np.random.default_rng([0, number, 0]),
                          CAMERAS_PER_TAKE, VirtualCameraConfig())
        confidence = np.ones(views.xy_px.shape[:3], dtype=np.float32)
        pred = lift_detections(model, views.xy_px, confidence, views.f_px, views.c_px,
                               flip_test=flip_test, time_reversal=time_reversal
                               ).astype(np.float64)
        predictions = {"": pred}
        if correction != "none":
            predictions["corrected "] = correct_views(model, pred, views.xy_px, confidence,
                                                      views, take.fps, correction)
        for prefix, lifted in predictions.items():
            errors[prefix].append(take_errors(lifted, views.pose3d_mm))
        upright.append(np.broadcast_to(upright_frames(take.joints_mm), pred.shape[:2]).ravel())
    is_upright = np.concatenate(upright)
    scores = {"upright share": float(is_upright.mean())}
    for prefix, parts in errors.items():
        if parts:
            scores.update(summarise(np.concatenate(parts), is_upright, prefix))
    return scores


def take_errors(pred: np.ndarray, gt: np.ndarray) -> np.ndarray:
    """(n * T, 3): MPJPE, PA-MPJPE (mm) and bone-length error (%) of every view's frames."""
    return np.stack([
        mpjpe(pred, gt, root_align=True, reduction="none"),
        pa_mpjpe(pred, gt, reduction="none"),
        100.0 * np.mean(bone_length_error(pred, gt, reduction="none"), -1),
    ], -1).reshape(-1, 3)


def summarise(error: np.ndarray, is_upright: np.ndarray, prefix: str) -> dict[str, float]:
    """Means of `take_errors`' rows over all frames, the upright ones and the others."""
    scores = {prefix + key: value
              for key, value in zip(("mpjpe", "pa", "bone"), error.mean(0).tolist(), strict=True)}
    for name, mask in (("upright", is_upright), ("other", ~is_upright)):
        part = error[mask].mean(0) if mask.any() else np.full(3, np.nan)
        scores[f"{prefix}{name} mpjpe"], scores[f"{prefix}{name} pa"] = (float(part[0]),
                                                                         float(part[1]))
    return scores


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="label=checkpoint")
    parser.add_argument("--mocap", type=Path, default=Path("runs/mocap16.npz"))
    parser.add_argument("--lafan1-trained", default="",
                        help="comma-separated labels of lifters that trained on LAFAN1")
    parser.add_argument("--fixtures", type=Path, default=None)
    parser.add_argument("--flip-test", action="store_true",
                        help="average every lift with that of the mirrored 2D")
    parser.add_argument("--time-reversal", action="store_true",
                        help="average every lift with that of the take played backwards")
    parser.add_argument("--correction", choices=("none", "geometric"), default="none",
                        help="geometric: a column of LAFAN1 after the correction")
    args = parser.parse_args()
    torch.set_num_threads(1)
    lafan1_trained = set(filter(None, args.lafan1_trained.split(",")))
    fixtures = args.fixtures or default_fixtures_dir()
    print("| lifter | Bandai held-out MPJPE | LAFAN1 MPJPE / PA / bone % | LAFAN1 upright "
          "MPJPE / PA | LAFAN1 other postures MPJPE / PA | real H36M frames MPJPE / PA | "
          "real 3DHP frames MPJPE / PA |"
          + (f" LAFAN1 + {args.correction} correction MPJPE / PA (upright · other) |"
             if args.correction != "none" else ""))
    print("|---|---:|---|---|---|---|---|" + ("---|" if args.correction != "none" else ""))
    for item in args.models:
        label, _, path = item.rpartition("=")
        model = load_lifter(Path(path))
        augment = {"flip_test": args.flip_test, "time_reversal": args.time_reversal}
        in_domain = streamed_clean(model, args.mocap, "mocap-heldout", **augment)["mpjpe"]
        protocol = "lafan1-heldout" if label in lafan1_trained else "cross-mocap"
        lafan = streamed_clean(model, args.mocap, protocol, **augment,
                               correction=args.correction)
        real = [score.values for score in
                score_fixture_frames(model, fixtures, flip_test=args.flip_test).values()]
        lafan_cell = f"{lafan['mpjpe']:.1f} / {lafan['pa']:.1f} / {lafan['bone']:.1f} ({protocol})"
        posture_cell = (f"{lafan['upright mpjpe']:.1f} / {lafan['upright pa']:.1f} | "
                        f"{lafan['other mpjpe']:.1f} / {lafan['other pa']:.1f} "
                        f"({100 * (1 - lafan['upright share']):.0f} % of frames)")
        real_cells = [f"{r['MPJPE (mm)']:.1f} / {r['PA-MPJPE (mm)']:.1f}" for r in real]
        corrected_cell = (f" {lafan['corrected mpjpe']:.1f} / {lafan['corrected pa']:.1f} "
                          f"({lafan['corrected upright mpjpe']:.1f} / "
                          f"{lafan['corrected upright pa']:.1f} · "
                          f"{lafan['corrected other mpjpe']:.1f} / "
                          f"{lafan['corrected other pa']:.1f}) |"
                          if args.correction != "none" else "")
        print(f"| {label} | {in_domain:.1f} | {lafan_cell} | {posture_cell} | "
              f"{' | '.join(real_cells)} |{corrected_cell}", flush=True)


if __name__ == "__main__":
    main()
