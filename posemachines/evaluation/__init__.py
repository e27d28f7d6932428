"""Evaluation: 3D pose metrics (NumPy or torch), Procrustes alignment and per-action tables."""

from posemachines.evaluation.metrics import (
    AUC_THRESHOLDS_MM,
    PCK_THRESHOLD_MM,
    auc,
    bone_length_error,
    mpjpe,
    mpjve,
    n_mpjpe,
    pa_mpjpe,
    pck,
)
from posemachines.evaluation.procrustes import (
    SimilarityTransform,
    optimal_scale,
    procrustes_align,
    scale_align,
    similarity_transform,
)
from posemachines.evaluation.report import (
    ACTION_ABBREVIATIONS,
    H36M_ACTIONS,
    REFERENCE_ROWS,
    ActionTable,
    TableMetadata,
    canonical_action,
)

__all__ = [
    "ACTION_ABBREVIATIONS",
    "AUC_THRESHOLDS_MM",
    "H36M_ACTIONS",
    "PCK_THRESHOLD_MM",
    "REFERENCE_ROWS",
    "ActionTable",
    "SimilarityTransform",
    "TableMetadata",
    "auc",
    "bone_length_error",
    "canonical_action",
    "mpjpe",
    "mpjve",
    "n_mpjpe",
    "optimal_scale",
    "pa_mpjpe",
    "pck",
    "procrustes_align",
    "scale_align",
    "similarity_transform",
]
