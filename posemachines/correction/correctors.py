"""One corrector object per test-time correction method (their names: `methods`).

    corrector = create_corrector("geometric", height_cm=175)
    corrected = corrector(clip)            # clip: LiftedClip -> CorrectedClip (`clips`)

'geometric' and 'none' are numpy; 'paper' (`paper.PaperCorrector`) adapts the torch network,
and torch is imported only when it is asked for.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

import numpy as np

from posemachines.correction.clips import CorrectedClip, Corrector, LiftedClip
from posemachines.correction.geometric import GeometricCorrectionConfig, correct_geometric
from posemachines.correction.methods import CORRECTION_METHODS
from posemachines.errors import PoseInputError
from posemachines.structures import CorrectionInfo

if TYPE_CHECKING:
    from posemachines.models.pose_machine import PoseMachine


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


def create_corrector(method: str, model: PoseMachine | None = None,
                     height_cm: float | None = None) -> Corrector:
    """The corrector for `method` (one of CORRECTION_METHODS) with default settings; `model`
    is the lifter ('paper' adapts it), height_cm the person's height if known ('geometric')."""
    if method == "geometric":
        return GeometricCorrector(height_cm)
    if method == "paper":
        if model is None:
            raise PoseInputError("The 'paper' correction adapts the lifter: give the model.")
        # Imported here, not above: torch loads only for the method that needs it.
        from posemachines.correction.paper import PaperCorrector

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
