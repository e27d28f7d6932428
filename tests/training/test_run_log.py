"""TensorBoard is optional: asked for without its package, the run says which extra to install."""

from __future__ import annotations

import types
from pathlib import Path

import pytest

from posemachines.optional import MissingDependencyError
from posemachines.training import run_log


def test_not_wanted_means_no_writer_and_no_import(tmp_path: Path, monkeypatch) -> None:
    def fail(*args: object) -> None:
        raise AssertionError("imported although not wanted")

    monkeypatch.setattr(run_log, "import_optional", fail)
    assert run_log.open_tensorboard(tmp_path, wanted=False) is None


def test_missing_tensorboard_names_the_extra(tmp_path: Path, monkeypatch, capsys) -> None:
    def missing(module: str, purpose: str) -> None:
        raise MissingDependencyError(f"{purpose} needs '{module}': pip install "
                                     "'posemachines[train]'.")

    monkeypatch.setattr(run_log, "import_optional", missing)
    assert run_log.open_tensorboard(tmp_path, wanted=True) is None
    note = capsys.readouterr().err
    assert "posemachines[train]" in note and "log.csv only" in note


def test_an_installed_tensorboard_gives_its_writer(tmp_path: Path, monkeypatch) -> None:
    class Writer:
        def __init__(self, log_dir: str) -> None:
            self.log_dir = log_dir

    module = types.SimpleNamespace(SummaryWriter=Writer)
    monkeypatch.setattr(run_log, "import_optional", lambda module_name, purpose: module)
    writer = run_log.open_tensorboard(tmp_path / "tb", wanted=True)
    assert isinstance(writer, Writer) and writer.log_dir == str(tmp_path / "tb")


def test_without_the_package_the_real_import_says_so(tmp_path: Path, capsys) -> None:
    try:
        import tensorboard  # noqa: F401
    except ImportError:
        assert run_log.open_tensorboard(tmp_path, wanted=True) is None
        assert "posemachines[train]" in capsys.readouterr().err
    else:
        pytest.skip("tensorboard is installed here")
