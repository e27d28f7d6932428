"""Test-time correction of lifted 3D poses: one corrector per method (`correctors`).

'geometric' (perspective + per-video skeleton + temporal prior, `geometric`), 'paper' (the
paper's self-supervised Psi_C / Psi_P adaptation, `paper`) or 'none'; each method's module has
the details.
"""

from posemachines.correction.correctors import (
    CORRECTION_METHODS,
    CorrectedClip,
    Corrector,
    GeometricCorrector,
    LiftedClip,
    NoCorrection,
    PaperCorrector,
    create_corrector,
    describe,
)
from posemachines.correction.focal import estimate_focal_px
from posemachines.correction.geometric import (
    GeometricCorrectionConfig,
    GeometricCorrectionResult,
    correct_geometric,
)
from posemachines.correction.paper import PaperCorrectionConfig, correct_paper
from posemachines.correction.root_translation import solve_root_translation

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
