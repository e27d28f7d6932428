"""Ablation: adapt the lifter's last layer over the clip before the geometric correction.

The issue's optional idea (#11, item 3): instead of moving joints freely, fine-tune the layer
after the LSTMs (the transformer's FC to 3K, `transformer.head`) on one clip, so that every
frame's correction stays on the network's learned pose manifold. Its energy is the geometric
correction's own (confidence-weighted robust pixel reprojection through the solved root
translations, the prior to the network's poses, the displacement cap and the acceleration
prior), plus the clip's bone lengths (`skeleton_fit.estimate_bone_lengths`) as a penalty and an
L2 pull of the weights back to the trained ones. L-BFGS over the weight change and the root
translations, the LSTM features cached (one forward pass); the energy is rebuilt in torch
(`torch_energy`) from the numpy correction's `ClipEnergy`, to backpropagate into the layer.
Rows per protocol: none, the default geometric correction, the adapted network alone, and the
default correction on the adapted network. Same clips as `bench_correction.py` (its
protocols, seed and noise).

    python benchmarks/ablation_clip_adaptation.py [--frames 900] [--steps 30]
        [--weight-decay 1000] [--length-weight 1] [--bias-only]
        [--cross-weights runs/lifter_cross/best.pt]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from pathlib import Path

import numpy as np
import torch
from bench_correction import (
    DEFAULT_MOCAP,
    DEFAULT_WEIGHTS,
    EvalClip,
    bench_protocols,
    load_bench_model,
)
from torch.func import functional_call

from posemachines.correction import GeometricCorrectionConfig, correct_geometric
from posemachines.correction.clip_energy import ClipEnergy
from posemachines.correction.geometric import REFERENCE_FPS, build_problem
from posemachines.correction.root_translation import MIN_DEPTH_MM
from posemachines.correction.skeleton_fit import bone_vectors
from posemachines.evaluation import bone_length_error, mpjpe, pa_mpjpe
from posemachines.models import PoseMachine


def torch_energy(energy: ClipEnergy) -> Callable[[torch.Tensor, torch.Tensor], torch.Tensor]:
    """`clip_energy.ClipEnergy`'s energy as a differentiable torch function of the poses
    (3, T, 16) and translations (3, T) (the same terms and weights; autograd's gradient)."""
    reference, u, v, data_weight, inv_var_px, inv_var_pose = (torch.from_numpy(np.asarray(a))
        for a in (energy.reference, energy.u, energy.v, energy.data_weight, energy.inv_var_px,
                  energy.inv_var_pose))
    fx, fy = (float(f) for f in energy.f)
    limit = energy.max_displacement_mm

    def evaluate(pose: torch.Tensor, translation: torch.Tensor) -> torch.Tensor:
        points = pose + translation[..., None]
        x, y, z = points.unbind(0)
        inverse_depth = z.clamp_min(MIN_DEPTH_MM).reciprocal()
        squared = ((fx * x * inverse_depth - u) ** 2 + (fy * y * inverse_depth - v) ** 2)
        total = (data_weight * ((1.0 + squared * inv_var_px).sqrt() - 1.0)).sum()
        delta_squared = (pose - reference).pow(2)
        total = total + (delta_squared * inv_var_pose).sum()
        excess = ((delta_squared.sum(0) + 1e-6).sqrt() - limit).clamp_min(0.0)
        total = total + (excess / (0.05 * limit)).pow(2).sum()
        if energy.accel_weight > 0 and pose.shape[1] > 2:
            accel = points[:, 2:] - 2.0 * points[:, 1:-1] + points[:, :-2]
            total = total + energy.accel_weight * accel.pow(2).sum()
        return total / pose.shape[1]

    return evaluate


def adapt_layer(model: PoseMachine, clip: EvalClip, args: argparse.Namespace
                ) -> tuple[np.ndarray, np.ndarray]:
    """The network's poses and those with the clip-adapted layer, (T, 16, 3) mm each."""
    layer = model.transformer.head if args.layer == "head" else model.transformer.lstms[-1]
    inputs: dict[str, torch.Tensor] = {}

    def keep_input(module: torch.nn.Module, args_in: tuple[torch.Tensor], output: object
                   ) -> None:
        inputs["x"] = args_in[0].detach()

    hook = layer.register_forward_hook(keep_input)
    with torch.no_grad():
        output = model(torch.from_numpy(clip.keypoints_norm)[None].double(),
                       visibility_root=torch.from_numpy(clip.visibility_root)[None].double())
    hook.remove()
    problem = build_problem(output.pose3d_mm[0].numpy(), clip.keypoints_px, clip.confidence,
                            clip.image_size, None, None, REFERENCE_FPS,
                            GeometricCorrectionConfig())
    objective, lengths = torch_energy(problem.energy), torch.from_numpy(problem.lengths)

    trained = dict(layer.named_parameters())
    changes = {name: torch.zeros_like(value, requires_grad=not args.bias_only or "bias" in name)
               for name, value in trained.items()}
    shift = torch.from_numpy(problem.translation.T.copy()).requires_grad_(True)

    def poses() -> torch.Tensor:
        params = {name: trained[name] + changes[name] for name in trained}
        if args.layer == "head":
            raw = functional_call(layer, params, (inputs["x"][0],))
        else:
            hidden, _ = functional_call(layer, params, (inputs["x"],))
            raw = model.transformer.head(hidden[0])
        pose = model.projector.refiner(raw.reshape(-1, 16, 3)) * model.output_scale_mm
        return pose - pose[:, :1]

    free = [shift] + [change for change in changes.values() if change.requires_grad]
    optimiser = torch.optim.LBFGS(free, lr=1.0, max_iter=args.steps, history_size=20,
                                  line_search_fn="strong_wolfe")

    def closure() -> torch.Tensor:
        optimiser.zero_grad()
        pose = poses()
        energy = objective(pose.permute(2, 0, 1), shift)
        energy = energy + args.length_weight * (
            (bone_vectors(pose).norm(dim=-1) - lengths) / 10.0).pow(2).sum(-1).mean()
        change = sum(delta.pow(2).sum() for delta in changes.values())
        energy = energy + args.weight_decay * change
        energy.backward()
        return energy

    optimiser.step(closure)
    with torch.no_grad():
        return problem.reference, poses().numpy()


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--weights", type=Path, default=DEFAULT_WEIGHTS)
    parser.add_argument("--mocap", type=Path, default=DEFAULT_MOCAP)
    parser.add_argument("--cross-weights", type=Path, default=Path("runs/lifter_cross/best.pt"))
    parser.add_argument("--frames", type=int, default=900, help="frames per protocol")
    parser.add_argument("--clip-frames", type=int, default=300)
    parser.add_argument("--steps", type=int, default=30, help="L-BFGS iterations per clip")
    parser.add_argument("--weight-decay", type=float, default=1000.0)
    parser.add_argument("--length-weight", type=float, default=1.0)
    parser.add_argument("--layer", choices=("head", "lstm"), default="head",
                        help="the FC after the LSTMs, or the last LSTM layer itself")
    parser.add_argument("--bias-only", action="store_true", help="adapt the layer's biases only")
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    args.random_weights = False
    torch.set_num_threads(1)
    print("protocol        variant              MPJPE  PA-MPJPE  bone err %   ms/frame")
    for protocol, (clips, weights) in bench_protocols(args).items():
        if protocol == "camera shift":
            continue
        model = load_bench_model(weights, args).double()
        rows: dict[str, list[np.ndarray]] = {"none": [], "default": [], "adapted": [],
                                              "adapted + default": []}
        seconds = 0.0
        for clip in clips:
            start = time.perf_counter()
            network, adapted = adapt_layer(model, clip, args)
            seconds += time.perf_counter() - start
            for name, pose in (("none", network), ("adapted", adapted)):
                rows[name].append(pose)
                rows[f"{name} + default".replace("none + ", "")].append(correct_geometric(
                    pose, clip.keypoints_px, clip.confidence,
                    image_size=clip.image_size).pose3d_mm)
        truth = np.concatenate([clip.truth_mm for clip in clips])
        for name, poses in rows.items():
            pred = np.concatenate(poses)
            cost = f"{1000 * seconds / len(truth):8.2f}" if name == "adapted" else ""
            print(f"{protocol:15s} {name:18s} {mpjpe(pred, truth, root_align=True):7.1f} "
                  f"{pa_mpjpe(pred, truth):9.1f} {100 * bone_length_error(pred, truth):11.1f} "
                  f"{cost}")


if __name__ == "__main__":
    main()
