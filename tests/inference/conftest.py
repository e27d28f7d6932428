"""Fixtures shared by the inference tests."""

from __future__ import annotations

import pytest


@pytest.fixture
def correction_calls(monkeypatch) -> list[dict]:
    """The keyword arguments of every `correct` call the Estimator makes (the real one runs)."""
    from posemachines.inference import estimator as estimator_module

    calls: list[dict] = []
    real_correct = estimator_module.correct

    def spy(*args, **kwargs):
        calls.append(kwargs)
        return real_correct(*args, **kwargs)

    monkeypatch.setattr(estimator_module, "correct", spy)
    return calls
