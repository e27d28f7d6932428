"""IDF1, ID switches, misses and false positives on hand-counted examples."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.tracking.metrics import tracking_scores


def test_perfect_tracking() -> None:
    scores = tracking_scores([0, 0, 1, 1], [0, 1, 0, 1], [5, 7, 5, 7])
    assert scores.idf1 == 1.0 and scores.id_switches == 0 and scores.mota == 1.0


def test_one_switch_half_way() -> None:
    # Person 0 is track 1 for 4 frames, then track 2 for 2 frames: IDTP 4 of 6 + 6.
    frames = np.arange(6)
    scores = tracking_scores(frames, np.zeros(6), [1, 1, 1, 1, 2, 2])
    assert scores.id_switches == 1
    assert scores.idf1 == pytest.approx(2 * 4 / 12)
    assert scores.mota == pytest.approx(1 - 1 / 6)


def test_misses_and_false_positives() -> None:
    # Frame 0: person 0 missed; frame 1: tracked; frame 2: a ghost reported as track 3.
    scores = tracking_scores([0, 1, 2], [0, 0, -1], [-1, 1, 3])
    assert (scores.misses, scores.false_positives, scores.num_true) == (1, 1, 2)
    assert scores.idf1 == pytest.approx(2 * 1 / (2 + 2))
    assert scores.mota == pytest.approx(0.0)
