"""Test-time correction of lifted 3D poses: 'none', 'paper' (the paper's self-supervised Psi_C /
Psi_P adaptation, `paper`) or 'geometric' (perspective + per-video skeleton + temporal prior,
`geometric`). `correct` dispatches; each method's module has the details."""

from __future__ import annotations

import numpy as np
import torch

from posemachines.correction.focal import estimate_focal_px
from posemachines.correction.geometric import (
    GeometricCorrectionConfig,
    GeometricCorrectionResult,
    correct_geometric,
)
from posemachines.correction.paper import PaperCorrectionConfig, correct_paper
from posemachines.correction.root_translation import solve_root_translation
from posemachines.errors import PoseInputError
from posemachines.inference.result import CorrectionInfo
from posemachines.models.pose_machine import PoseMachine

METHODS = ("none", "paper", "geometric")

__all__ = [
    "METHODS",
    "GeometricCorrectionConfig",
    "GeometricCorrectionResult",
    "PaperCorrectionConfig",
    "correct",
    "correct_geometric",
    "correct_paper",
    "describe",
    "estimate_focal_px",
    "solve_root_translation",
]


def correct(
    method: str,
    pose3d_mm: np.ndarray,
    *,
    model: PoseMachine | None = None,
    keypoints_norm: np.ndarray | torch.Tensor | None = None,
    extra: np.ndarray | torch.Tensor | None = None,
    intermediate3d_mm: np.ndarray | torch.Tensor | None = None,
    keypoints_px: np.ndarray | None = None,
    confidence: np.ndarray | None = None,
    image_size: tuple[int, int] | None = None,
    focal_px: float | None = None,
    height_cm: float | None = None,
    fps: float | None = None,
    paper_config: PaperCorrectionConfig | None = None,
    geometric_config: GeometricCorrectionConfig | None = None,
) -> tuple[np.ndarray, CorrectionInfo | None]:
    """Corrected poses (T, 16, 3) mm, camera frame, root-relative, and the per-frame record
    (None for 'none', which returns `pose3d_mm` unchanged).

    'paper' needs model, keypoints_norm (T, 16, 2) and extra (T, E) if the model takes it
    (intermediate3d_mm (T, 16, 3) saves re-running the model; confidence weights the 2D).
    'geometric' needs keypoints_px (T, 16, 2), confidence (T, 16) and image_size (w, h);
    focal_px, height_cm and the frame rate fps are used when known. Use `correct_geometric`
    directly for the root translation, focal length and bone lengths it also estimates.
    """
    if method == "none":
        return np.asarray(pose3d_mm), None
    if method == "paper":
        if model is None or keypoints_norm is None:
            raise PoseInputError("The 'paper' correction needs the model and its 2D input.")
        return correct_paper(model, keypoints_norm, extra, intermediate3d_mm,
                             confidence=confidence, config=paper_config)
    if method == "geometric":
        if keypoints_px is None or confidence is None or image_size is None:
            raise PoseInputError("The 'geometric' correction needs the 2D keypoints in pixels, "
                                 "their confidence and the image size.")
        result = correct_geometric(pose3d_mm, keypoints_px, confidence, image_size=image_size,
                                   focal_px=focal_px, height_cm=height_cm, fps=fps,
                                   config=geometric_config)
        return result.pose3d_mm, result.info
    raise PoseInputError(f"Unknown correction method '{method}'; use one of {', '.join(METHODS)}.")


def describe(info: CorrectionInfo) -> str:
    """One line for the CLI: how many frames a correction changed, kept and discarded."""
    frames = len(info.kept)
    changed = int((info.kept & (info.displacement_mm > 0)).sum())
    discarded = frames - int(info.kept.sum())
    moved = info.displacement_mm[info.kept]
    mean_move = float(moved.mean()) if moved.size else 0.0
    return (f"{info.method} correction: {changed}/{frames} frames corrected "
            f"(mean {float(info.steps.mean()):.1f} steps, {mean_move:.1f} mm), "
            f"{discarded} discarded")
