"""Test-time correction of lifted 3D poses: one corrector per method (`correctors`).

'geometric' (perspective + per-video skeleton + temporal prior, `geometric`), 'paper' (the
paper's self-supervised Psi_C / Psi_P adaptation, `paper`) or 'none'; each method's module has
the details.

The names load on first use, so that the CLI can read `methods.CORRECTION_METHODS` without
importing torch.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posemachines.lazy import lazy_attributes

if TYPE_CHECKING:
    from posemachines.correction.clips import CorrectedClip, Corrector, LiftedClip
    from posemachines.correction.correctors import (
        GeometricCorrector,
        NoCorrection,
        create_corrector,
        describe,
    )
    from posemachines.correction.focal import estimate_focal_px
    from posemachines.correction.geometric import (
        GeometricCorrectionConfig,
        GeometricCorrectionResult,
        correct_geometric,
    )
    from posemachines.correction.methods import CORRECTION_METHODS
    from posemachines.correction.paper import (
        PaperCorrectionConfig,
        PaperCorrector,
        correct_paper,
    )
    from posemachines.correction.root_translation import solve_root_translation

#: Public name -> the submodule that defines it.
_HOMES = {
    "CORRECTION_METHODS": "methods", "CorrectedClip": "clips", "Corrector": "clips",
    "GeometricCorrector": "correctors", "LiftedClip": "clips",
    "NoCorrection": "correctors", "PaperCorrector": "paper",
    "create_corrector": "correctors", "describe": "correctors",
    "estimate_focal_px": "focal", "GeometricCorrectionConfig": "geometric",
    "GeometricCorrectionResult": "geometric", "correct_geometric": "geometric",
    "PaperCorrectionConfig": "paper", "correct_paper": "paper",
    "solve_root_translation": "root_translation",
}
__all__ = [
    "CORRECTION_METHODS",
    "CorrectedClip",
    "Corrector",
    "GeometricCorrectionConfig",
    "GeometricCorrectionResult",
    "GeometricCorrector",
    "LiftedClip",
    "NoCorrection",
    "PaperCorrectionConfig",
    "PaperCorrector",
    "correct_geometric",
    "correct_paper",
    "create_corrector",
    "describe",
    "estimate_focal_px",
    "solve_root_translation",
]


__getattr__ = lazy_attributes(__name__, _HOMES)
