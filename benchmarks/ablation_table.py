"""The lifter ablation table of weights/README.md: in-domain, cross-dataset and real lab frames.

For each `label=checkpoint` given, one row (clean 2D, whole takes streamed, 4 fixed virtual
cameras per take, seed 0: exactly the `clean 2D, whole take (streaming)` row of `posemachines
evaluate`):
- in-domain: `mocap-heldout` (held-out Bandai Namco takes) MPJPE;
- LAFAN1: `cross-mocap` (all 12 takes) for lifters trained on Bandai Namco only, or
  `lafan1-heldout` (subject 2) for lifters that trained on LAFAN1 (`--lafan1-trained`):
  MPJPE / PA-MPJPE / mean bone-length error in %;
- the real Human3.6M and MPI-INF-3DHP fixture frames from their annotated 2D
  (`posemachines.evaluation.fixture_frames`): MPJPE / PA-MPJPE.

    python benchmarks/ablation_table.py --mocap runs/mocap16.npz \\
        "first default=runs/lifter_mocap/best.pt" "cross=runs/lifter_cross/best.pt" \\
        [--lafan1-trained shipped,...] [--fixtures ../shared/data/fixtures]
"""

from __future__ import annotations

import argparse
from pathlib import Path

import numpy as np
import torch

from posemachines.camera_sampling import VirtualCameraConfig
from posemachines.data.mocap import load_mocap_npz
from posemachines.evaluation.fixture_frames import default_fixtures_dir, score_fixture_frames
from posemachines.evaluation.lifting import encode_for, lift_sequences
from posemachines.evaluation.metrics import bone_length_error, mpjpe, pa_mpjpe
from posemachines.evaluation.mocap_protocols import select_takes, view_take
from posemachines.evaluation.protocols import get_protocol
from posemachines.evaluation.runner import load_lifter
from posemachines.models.pose_machine import PoseMachine

CAMERAS_PER_TAKE = 4


def streamed_clean(model: PoseMachine, mocap: Path, protocol: str) -> tuple[float, ...]:
    """MPJPE, PA-MPJPE (mm) and bone-length error (%) of clean 2D, whole takes streamed."""
    takes = select_takes(load_mocap_npz(mocap).clips, get_protocol(protocol))
    sums, frames = np.zeros(3), 0
    for number, take in enumerate(takes):
        views = view_take(take.joints_mm, np.random.default_rng([0, number, 0]),
                          CAMERAS_PER_TAKE, VirtualCameraConfig())
        confidence = np.ones(views.xy_px.shape[:3], dtype=np.float32)
        keypoints, extra = encode_for(model, views.xy_px, confidence, views.f_px, views.c_px)
        pred = lift_sequences(model, keypoints, extra, None).astype(np.float64)
        gt = views.pose3d_mm
        sums += [np.sum(mpjpe(pred, gt, root_align=True, reduction="none")),
                 np.sum(pa_mpjpe(pred, gt, reduction="none")),
                 100.0 * np.sum(np.mean(bone_length_error(pred, gt, reduction="none"), -1))]
        frames += int(np.prod(pred.shape[:2]))
    return tuple((sums / frames).tolist())


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("models", nargs="+", help="label=checkpoint")
    parser.add_argument("--mocap", type=Path, default=Path("runs/mocap16.npz"))
    parser.add_argument("--lafan1-trained", default="",
                        help="comma-separated labels of lifters that trained on LAFAN1")
    parser.add_argument("--fixtures", type=Path, default=None)
    args = parser.parse_args()
    torch.set_num_threads(1)
    lafan1_trained = set(filter(None, args.lafan1_trained.split(",")))
    fixtures = args.fixtures or default_fixtures_dir()
    print("| lifter | Bandai held-out MPJPE | LAFAN1 MPJPE / PA / bone % | real H36M frames "
          "MPJPE / PA | real 3DHP frames MPJPE / PA |")
    print("|---|---:|---|---|---|")
    for item in args.models:
        label, _, path = item.rpartition("=")
        model = load_lifter(Path(path))
        in_domain = streamed_clean(model, args.mocap, "mocap-heldout")[0]
        protocol = "lafan1-heldout" if label in lafan1_trained else "cross-mocap"
        lafan = streamed_clean(model, args.mocap, protocol)
        real = [score.values for score in score_fixture_frames(model, fixtures).values()]
        lafan_cell = " / ".join(f"{v:.1f}" for v in lafan) + f" ({protocol})"
        real_cells = [f"{r['MPJPE (mm)']:.1f} / {r['PA-MPJPE (mm)']:.1f}" for r in real]
        print(f"| {label} | {in_domain:.1f} | {lafan_cell} | {' | '.join(real_cells)} |",
              flush=True)


if __name__ == "__main__":
    main()
