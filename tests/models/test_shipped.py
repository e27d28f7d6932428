"""Shipped lifters by name: 'mocap' (default), 'cmu', else a path; unknown words refused."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.cli import main
from posemachines.errors import PoseInputError
from posemachines.inference.estimator import Estimator
from posemachines.models.numpy_lifter import NumpyLifter
from posemachines.models.shipped import (
    SHIPPED_LIFTERS,
    resolve_lifter_weights,
    shipped_lifter_path,
)

WEIGHTS_DIR = Path(__file__).resolve().parents[2] / "posemachines" / "weights"


def test_default_and_names_point_at_the_weights_folder() -> None:
    assert resolve_lifter_weights(None) == WEIGHTS_DIR / "lifter_mocap.pt"
    assert resolve_lifter_weights("mocap") == WEIGHTS_DIR / "lifter_mocap.pt"
    assert resolve_lifter_weights("cmu") == WEIGHTS_DIR / "lifter_cmu.pt"
    assert resolve_lifter_weights("lite") == WEIGHTS_DIR / "lifter_lite.pt"
    assert set(SHIPPED_LIFTERS) == {"mocap", "lite", "cmu"}


@pytest.mark.parametrize("name", sorted(SHIPPED_LIFTERS))
def test_every_shipped_lifter_is_in_the_package(name: str) -> None:
    assert shipped_lifter_path(name).is_file()


def test_a_name_wins_over_a_file_of_that_name(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    (tmp_path / "cmu").write_bytes(b"not a checkpoint")
    assert resolve_lifter_weights("cmu") == WEIGHTS_DIR / "lifter_cmu.pt"
    assert resolve_lifter_weights("./cmu") == Path("cmu")


def test_paths_pass_through(tmp_path: Path) -> None:
    existing = tmp_path / "best"
    existing.write_bytes(b"")
    assert resolve_lifter_weights(str(existing)) == existing
    assert resolve_lifter_weights(existing) == existing
    # A missing file with a suffix or a folder is the checkpoint loader's to report.
    assert resolve_lifter_weights("runs/x/best.pt") == Path("runs/x/best.pt")
    assert resolve_lifter_weights("best.pt") == Path("best.pt")


def test_unknown_word_is_refused_with_the_choices(tmp_path: Path, monkeypatch) -> None:
    monkeypatch.chdir(tmp_path)
    with pytest.raises(PoseInputError,
                       match=r"'cmu2' are neither a shipped lifter \(mocap, lite, cmu\)"):
        resolve_lifter_weights("cmu2")
    with pytest.raises(PoseInputError, match="shipped lifter 'h36m'; choose from mocap, lite, cmu"):
        shipped_lifter_path("h36m")
    with pytest.raises(PoseInputError, match="cmu2"):
        Estimator(weights="cmu2")


def test_estimator_loads_the_cmu_lifter_not_the_default() -> None:
    cmu, default = Estimator(weights="cmu"), Estimator()
    assert (cmu.weights_path.name, default.weights_path.name) == ("lifter_cmu.pt",
                                                                  "lifter_mocap.pt")
    assert isinstance(cmu.lifter, NumpyLifter) and isinstance(default.lifter, NumpyLifter)
    assert cmu.lifter.config.input_path == "pose"
    assert not np.array_equal(cmu.lifter.head.weight_t, default.lifter.head.weight_t)
    # The torch network, loaded on demand (the 'paper' correction), holds the same weights.
    assert np.array_equal(cmu.model.transformer.head.weight.detach().numpy().T,
                          cmu.lifter.head.weight_t)


def test_cli_refuses_an_unknown_name_in_one_line(tmp_path: Path, monkeypatch, capsys) -> None:
    monkeypatch.chdir(tmp_path)
    data = tmp_path / "mocap.npz"
    data.write_bytes(b"")
    code = main(["evaluate", "--protocol", "mocap-heldout", "--data", str(data),
                 "--weights", "cmu2", "--out", str(tmp_path / "report")])
    assert code == 2
    error = capsys.readouterr().err.strip()
    assert "\n" not in error and "cmu2" in error
