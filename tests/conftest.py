"""Shared test fixtures: where the real data in ../shared lives, small lifters."""

from __future__ import annotations

import os
from pathlib import Path

import pytest
import torch

from posemachines.models import PoseMachine, get_config

REPO_ROOT = Path(__file__).resolve().parents[1]
FIXTURES = Path(__file__).resolve().parent / "fixtures"


def shared_data_root() -> Path:
    """`$POSEMACHINES_SHARED_DATA`, else ../shared/data beside the repository."""
    env = os.environ.get("POSEMACHINES_SHARED_DATA")
    return Path(env) if env else REPO_ROOT.parent / "shared" / "data"


@pytest.fixture(scope="session")
def shared_data() -> Path:
    """The real data folder; skips locally when absent, fails in CI (CI always has it)."""
    root = shared_data_root()
    if not root.is_dir():
        message = f"shared data not found at {root} (set POSEMACHINES_SHARED_DATA)"
        if os.environ.get("CI") == "true":
            pytest.fail(message)
        pytest.skip(message)
    return root


@pytest.fixture(scope="session")
def fixtures_dir() -> Path:
    return FIXTURES


@pytest.fixture(scope="session")
def random_lite_weights(tmp_path_factory) -> Path:
    """An untrained `lite` lifter checkpoint: for API behaviour, not accuracy."""
    from posemachines.models import PoseMachine, get_config
    from posemachines.models.checkpoint import save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "random_lite.pt"
    save_checkpoint(path, PoseMachine(get_config("lite")))
    return path


@pytest.fixture(scope="session")
def upright_roll_weights(tmp_path_factory) -> Path:
    """An untrained small lifter checkpoint with `upright_roll` on."""
    from posemachines.models import PoseMachine, get_config
    from posemachines.models.checkpoint import save_checkpoint

    torch.manual_seed(0)
    path = tmp_path_factory.mktemp("weights") / "upright_roll.pt"
    save_checkpoint(path, PoseMachine(get_config("lite", {
        "embed_dim": 32, "lstm_hidden": 32, "refiner_hidden": 32, "projector_hidden": 32,
        "upright_roll": True})))
    return path


@pytest.fixture(scope="module")
def tiny_lifter() -> PoseMachine:
    """A small random lite lifter (seed 0) for protocol tests."""
    torch.manual_seed(0)
    return PoseMachine(get_config("lite", {"embed_dim": 16, "lstm_hidden": 16, "lstm_layers": 1,
                                           "refiner_hidden": 16, "projector_hidden": 16})).eval()
