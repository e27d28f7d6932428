"""Fixtures shared by the inference tests."""

from __future__ import annotations

import pytest

from posemachines.correction.clips import CorrectedClip, LiftedClip
from posemachines.correction.correctors import GeometricCorrector


@pytest.fixture
def correction_calls(monkeypatch) -> list[LiftedClip]:
    """The clip of every geometric correction an Estimator makes (the real correction runs)."""
    calls: list[LiftedClip] = []
    real_call = GeometricCorrector.__call__

    def spy(self: GeometricCorrector, clip: LiftedClip) -> CorrectedClip:
        calls.append(clip)
        return real_call(self, clip)

    monkeypatch.setattr(GeometricCorrector, "__call__", spy)
    return calls
