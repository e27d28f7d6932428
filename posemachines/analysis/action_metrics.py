"""Scores of the action classifier: confusion matrix, accuracy and F1."""

from __future__ import annotations

import numpy as np


def confusion_matrix(truth: np.ndarray, predicted: np.ndarray, num_classes: int) -> np.ndarray:
    """(K, K) counts: row = true class, column = predicted class."""
    matrix = np.zeros((num_classes, num_classes), dtype=np.int64)
    np.add.at(matrix, (truth, predicted), 1)
    return matrix


def classification_scores(matrix: np.ndarray) -> dict[str, object]:
    """Accuracy, macro-F1 over the classes present, and per-class F1 / support."""
    support = matrix.sum(axis=1)
    hits = np.diag(matrix).astype(np.float64)
    precision = hits / np.maximum(matrix.sum(axis=0), 1)
    recall = hits / np.maximum(support, 1)
    f1 = 2 * precision * recall / np.maximum(precision + recall, 1e-12)
    present = support > 0
    return {
        "accuracy": float(hits.sum() / max(support.sum(), 1)),
        "macro_f1": float(f1[present].mean()) if present.any() else 0.0,
        "f1": [round(float(v), 4) for v in f1],
        "support": [int(v) for v in support],
    }
