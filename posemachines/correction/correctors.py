"""One corrector object per test-time correction method (their names: `methods`).

    corrector = create_corrector("geometric", model, height_cm=175)
    corrected = corrector(clip)            # clip: LiftedClip -> CorrectedClip

Every corrector takes the same `LiftedClip` (what the lifter saw and said about one clip) and
uses the part it needs: 'geometric' the 2D in pixels, 'paper' the lifter's own input.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Protocol

import numpy as np

from posemachines.correction.geometric import GeometricCorrectionConfig, correct_geometric
from posemachines.correction.methods import CORRECTION_METHODS
from posemachines.correction.paper import PaperCorrectionConfig, correct_paper
from posemachines.errors import PoseInputError
from posemachines.models.pose_machine import PoseMachine
from posemachines.structures import CorrectionInfo


@dataclass(frozen=True)
class LiftedClip:
    """One clip as the lifter saw and lifted it.

    pose3d_mm: (T, 16, 3) mm, camera frame, root-relative. lifter_keypoints: (T, 16, 2) the
    lifter's normalised 2D input; visibility_root: (T, 18) its per-joint visibility (16) and
    the root's normalised image position (2). keypoints_px: (T, 16, 2) the detections;
    confidence: (T, 16) in [0, 1]; image_size: (width, height) px; intermediate3d_mm: (T, 16,
    3) the lifter's pose before Psi_C, if at hand (None: 'paper' runs the lifter again);
    focal_px: the focal length the lift assumed, if known (None: the default guess); fps: the
    clip's frame rate.
    """

    pose3d_mm: np.ndarray
    lifter_keypoints: np.ndarray
    visibility_root: np.ndarray
    keypoints_px: np.ndarray
    confidence: np.ndarray
    image_size: tuple[int, int]
    intermediate3d_mm: np.ndarray | None = None
    focal_px: float | None = None
    fps: float | None = None


@dataclass(frozen=True)
class CorrectedClip:
    """pose3d_mm: (T, 16, 3) mm, camera frame, root-relative; info: the per-frame record
    (None when nothing was corrected); root_translation_mm: (T, 3) mm, camera frame, where the
    method solves it (NaN where no joint was seen), else None; focal_px: the focal length the
    method settled on, if it estimates one."""

    pose3d_mm: np.ndarray
    info: CorrectionInfo | None = None
    root_translation_mm: np.ndarray | None = None
    focal_px: float | None = None


class Corrector(Protocol):
    """A test-time correction: `method` names it; calling it corrects one clip."""

    method: str

    def __call__(self, clip: LiftedClip) -> CorrectedClip: ...


class NoCorrection:
    """'none': the lifter's poses as they are."""

    method = "none"

    def __call__(self, clip: LiftedClip) -> CorrectedClip:
        return CorrectedClip(np.asarray(clip.pose3d_mm))


class GeometricCorrector:
    """'geometric' (`correct_geometric`): needs the 2D in pixels; height_cm fixes the scale."""

    method = "geometric"

    def __init__(self, height_cm: float | None = None,
                 config: GeometricCorrectionConfig | None = None) -> None:
        self.height_cm = height_cm
        self.config = config

    def __call__(self, clip: LiftedClip) -> CorrectedClip:
        result = correct_geometric(
            clip.pose3d_mm, clip.keypoints_px, clip.confidence, image_size=clip.image_size,
            focal_px=clip.focal_px, height_cm=self.height_cm, fps=clip.fps, config=self.config,
        )
        return CorrectedClip(result.pose3d_mm, result.info, result.root_translation_mm,
                             result.focal_px)


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


def create_corrector(method: str, model: PoseMachine | None = None,
                     height_cm: float | None = None) -> Corrector:
    """The corrector for `method` (one of CORRECTION_METHODS) with default settings; `model`
    is the lifter ('paper' adapts it), height_cm the person's height if known ('geometric')."""
    if method == "geometric":
        return GeometricCorrector(height_cm)
    if method == "paper":
        if model is None:
            raise PoseInputError("The 'paper' correction adapts the lifter: give the model.")
        return PaperCorrector(model)
    if method == "none":
        return NoCorrection()
    raise PoseInputError(
        f"Unknown correction method '{method}'; use one of {', '.join(CORRECTION_METHODS)}."
    )


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
