"""The paper's self-supervised test-time correction (Wang et al., TPAMI 2020, Sec. 3.4).

For every frame a throw-away copy of Psi_C (and optionally Psi_P) takes up to `steps` SGD steps
on the frame's own 2D evidence, ||p2d - Psi_P(Psi_C(p3d))||^2 plus the 2D bone-length term (the
training losses of `posemachines.training.losses`), then Psi_C's output is the corrected pose.
The watched joints (pelvis, hips, shoulders: `CORRECTION_ANCHORS`) decide: a frame stops once
they move less than `stop_mm` in one step, and its correction is discarded (the uncorrected pose
kept) if they moved more than `discard_mm` in total.

All frames are adapted at once: per-frame parameter copies are stacked and torch.func's
vmap(grad(...)) gives every frame its own gradient; only the <= `steps` iterations loop, and
frames that stopped are frozen by masks. The shared weights are never written.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np
import torch
from torch.func import grad, vmap

from posemachines.correction.clips import CorrectedClip, LiftedClip
from posemachines.errors import PoseInputError
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import CORRECTION_ANCHORS, NUM_JOINTS
from posemachines.structures import CorrectionInfo
from posemachines.training.losses import bone_length_loss_2d, projection_loss_2d

Params = dict[str, torch.Tensor]


@dataclass(frozen=True)
class PaperCorrectionConfig:
    """steps: most SGD steps per frame; learning_rate: SGD step size on the normalised losses;
    adapt_projection: also adapt Psi_P's copy; bone_weight: weight of the 2D bone-length term
    (0.1 as in training);
    stop_mm (epsilon) / discard_mm (tau): watched-joint movement per step / in total, mm;
    chunk_frames: frames adapted together (bounds memory: each holds its own Psi_C copy)."""

    steps: int = 2
    learning_rate: float = 1e-2
    adapt_projection: bool = False
    bone_weight: float = 0.1
    stop_mm: float = 5.0
    discard_mm: float = 20.0
    chunk_frames: int = 256


def _as_tensor(x: object, name: str, shape: tuple[int, ...], device: torch.device) -> torch.Tensor:
    tensor = torch.as_tensor(np.asarray(x) if not isinstance(x, torch.Tensor) else x)
    tensor = tensor.to(device=device, dtype=torch.float32)
    if tuple(tensor.shape) != shape:
        raise PoseInputError(f"Paper correction needs {name} of shape {shape}, got "
                             f"{tuple(tensor.shape)}.")
    if not torch.isfinite(tensor).all():
        raise PoseInputError(f"Paper correction got NaN or infinite values in {name}.")
    return tensor


class _FrameAdapter:
    """Per-frame copies of the projector's parameters and the functions of one frame."""

    def __init__(self, model: PoseMachine, config: PaperCorrectionConfig) -> None:
        projector = model.projector
        prefixes = ("refiner.", "projection.") if config.adapt_projection else ("refiner.",)
        self.shared = {name: p.detach() for name, p in projector.named_parameters()
                       if name.startswith(prefixes)}
        self.projector, self.config = projector, config

        def frame_loss(params: Params, pose: torch.Tensor, target: torch.Tensor,
                       confidence: torch.Tensor) -> torch.Tensor:
            _, projected = projector.functional(params, pose)
            return projection_loss_2d(projected, target, confidence) + config.bone_weight * \
                bone_length_loss_2d(projected, target, confidence)

        def frame_refined(params: Params, pose: torch.Tensor) -> torch.Tensor:
            return projector.functional(params, pose)[0]

        self.gradients: Callable[..., Params] = vmap(grad(frame_loss))
        self.refined: Callable[..., torch.Tensor] = vmap(frame_refined)

    def copies(self, frames: int) -> Params:
        """`frames` stacked copies of the shared parameters (views until the first update)."""
        return {name: p.expand(frames, *p.shape) for name, p in self.shared.items()}


def _adapt_chunk(
    adapter: _FrameAdapter, raw: torch.Tensor, target: torch.Tensor, confidence: torch.Tensor,
    scale_mm: torch.Tensor,
) -> tuple[torch.Tensor, torch.Tensor, torch.Tensor, torch.Tensor]:
    """Correct one chunk of frames: raw (n, 16, 3) normalised Psi_C input, target (n, 16, 2),
    confidence (n, 16) -> pose (n, 16, 3) mm, steps (n,), kept (n,), displacement_mm (n,)."""
    config = adapter.config
    anchors = list(CORRECTION_ANCHORS)
    frames = raw.shape[0]
    params = adapter.copies(frames)
    initial = adapter.projector.refiner(raw) * scale_mm
    current = initial
    steps = torch.zeros(frames, dtype=torch.int64, device=raw.device)
    displacement = torch.zeros(frames, device=raw.device)
    active = torch.ones(frames, dtype=torch.bool, device=raw.device)
    for _ in range(config.steps):
        if not active.any():
            break
        gradients = adapter.gradients(params, raw, target, confidence)
        params = {
            name: torch.where(active.view(-1, *([1] * (p.ndim - 1))),
                              p - config.learning_rate * gradients[name], p)
            for name, p in params.items()
        }
        refined = adapter.refined(params, raw) * scale_mm
        step_move = (refined - current)[:, anchors].norm(dim=-1).mean(-1)
        total_move = (refined - initial)[:, anchors].norm(dim=-1).mean(-1)
        finite = torch.isfinite(refined).flatten(1).all(-1)
        steps += active.long()
        current = torch.where(active.view(-1, 1, 1), refined, current)
        displacement = torch.where(active, torch.nan_to_num(total_move, nan=torch.inf),
                                   displacement)
        active &= finite & (step_move >= config.stop_mm) & (total_move <= config.discard_mm)
    kept = torch.isfinite(current).flatten(1).all(-1) & (displacement <= config.discard_mm)
    pose = torch.where(kept.view(-1, 1, 1), current, initial)
    return pose, steps, kept, displacement


def correct_paper(
    model: PoseMachine,
    keypoints_norm: np.ndarray | torch.Tensor,
    visibility_root: np.ndarray | torch.Tensor | None = None,
    intermediate3d_mm: np.ndarray | torch.Tensor | None = None,
    *,
    confidence: np.ndarray | torch.Tensor | None = None,
    config: PaperCorrectionConfig | None = None,
) -> tuple[np.ndarray, CorrectionInfo]:
    """Corrected final 3D poses (T, 16, 3) mm, camera frame, root-relative, and the record.

    keypoints_norm: (T, 16, 2) the model's normalised 2D input (also the 2D target);
    visibility_root: (T, E) its per-joint visibility and root position when the model takes
    them; intermediate3d_mm: (T, 16, 3) the transformer's output for these frames if already
    computed (else the model is run on the clip); confidence: (T, 16) 2D weights (default: the
    visibility flags in visibility_root[:, :16], else all ones). Runs on the model's device;
    the model's weights are left untouched.
    """
    config = config or PaperCorrectionConfig()
    device = model.output_scale_mm.device
    frames = int(np.shape(keypoints_norm)[0]) if np.ndim(keypoints_norm) == 3 else -1
    if frames == 0:
        raise PoseInputError("Paper correction needs at least one frame.")
    keypoints = _as_tensor(keypoints_norm, "keypoints_norm", (frames, NUM_JOINTS, 2), device)
    visibility_root_t = None
    if visibility_root is not None:
        width = int(np.shape(visibility_root)[-1])
        visibility_root_t = _as_tensor(visibility_root, "visibility_root", (frames, width),
                                       device)
    if confidence is not None:
        weights = _as_tensor(confidence, "confidence", (frames, NUM_JOINTS), device)
    elif visibility_root_t is not None and visibility_root_t.shape[-1] >= NUM_JOINTS:
        weights = visibility_root_t[:, :NUM_JOINTS]
    else:
        weights = torch.ones(frames, NUM_JOINTS, device=device)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad():
            scale = model.output_scale_mm.float()
            if intermediate3d_mm is None:
                output = model(keypoints[None], visibility_root=None if visibility_root_t is None
                               else visibility_root_t[None])
                raw = output.intermediate3d_mm[0].float() / scale
            else:
                raw = _as_tensor(intermediate3d_mm, "intermediate3d_mm",
                                 (frames, NUM_JOINTS, 3), device) / scale
            adapter = _FrameAdapter(model, config)
            parts = [
                _adapt_chunk(adapter, raw[i:i + config.chunk_frames],
                             keypoints[i:i + config.chunk_frames],
                             weights[i:i + config.chunk_frames], scale)
                for i in range(0, frames, max(config.chunk_frames, 1))
            ]
    finally:
        model.train(was_training)
    pose, steps, kept, displacement = (torch.cat(column) for column in zip(*parts, strict=True))
    info = CorrectionInfo(
        method="paper",
        steps=steps.cpu().numpy(),
        kept=kept.cpu().numpy(),
        displacement_mm=displacement.cpu().numpy(),
    )
    return pose.cpu().numpy(), info


class PaperCorrector:
    """'paper' (`correct_paper`): adapts a copy of `model`'s Psi_C to the clip's own 2D."""

    method = "paper"

    def __init__(self, model: PoseMachine, config: PaperCorrectionConfig | None = None) -> None:
        self.model = model
        self.config = config

    def __call__(self, clip: LiftedClip) -> CorrectedClip:
        visibility_root = clip.visibility_root if self.model.config.visibility_root_dim else None
        pose, info = correct_paper(
            self.model, clip.lifter_keypoints, visibility_root, clip.intermediate3d_mm,
            confidence=clip.confidence, config=self.config,
        )
        return CorrectedClip(pose, info)
