"""Tracking scores against ground truth: IDF1, ID switches, misses, false tracks, MOTA.

Each row is one person-in-a-frame: its true identity (-1: a false detection, nobody) and the
track id the tracker gave it (-1: not reported). IDF1 (Ristani et al. 2016) matches true and
tracked identities one to one over the whole video (Hungarian method on co-occurrence counts);
ID switches and MOTA follow CLEAR MOT (Bernardin & Stiefelhagen 2008).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.optimize import linear_sum_assignment


@dataclass(frozen=True)
class TrackingScores:
    """idf1 in [0, 1]; id_switches, misses (true people not reported), false_positives
    (reports of nobody) as counts; mota = 1 - (misses + false + switches) / true people."""

    idf1: float
    id_switches: int
    misses: int
    false_positives: int
    num_true: int
    mota: float


def tracking_scores(frames: np.ndarray, true_ids: np.ndarray, track_ids: np.ndarray
                    ) -> TrackingScores:
    """Score rows (N,) of frame index, true id and track id (see the module docstring)."""
    frames, true_ids, track_ids = (np.asarray(a, dtype=np.int64) for a in
                                   (frames, true_ids, track_ids))
    num_true = int((true_ids >= 0).sum())
    num_reported = int((track_ids >= 0).sum())
    both = (true_ids >= 0) & (track_ids >= 0)
    truths, true_index = np.unique(true_ids[both], return_inverse=True)
    tracks, track_index = np.unique(track_ids[both], return_inverse=True)
    counts = np.zeros((len(truths), len(tracks)), dtype=np.int64)
    np.add.at(counts, (true_index, track_index), 1)
    rows, cols = linear_sum_assignment(-counts) if counts.size else ([], [])
    id_true_positives = int(counts[rows, cols].sum()) if counts.size else 0
    idf1 = 2.0 * id_true_positives / max(num_true + num_reported, 1)
    switches = 0
    for truth in truths:
        mine = both & (true_ids == truth)
        order = np.argsort(frames[mine], kind="stable")
        switches += int(np.count_nonzero(np.diff(track_ids[mine][order])))
    misses = int(((true_ids >= 0) & (track_ids < 0)).sum())
    false_positives = int(((true_ids < 0) & (track_ids >= 0)).sum())
    mota = 1.0 - (misses + false_positives + switches) / max(num_true, 1)
    return TrackingScores(idf1, switches, misses, false_positives, num_true, mota)
