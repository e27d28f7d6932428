"""Optional dependencies: present ones import, absent ones name the extra to install."""

from __future__ import annotations

import json

import pytest

from posemachines import optional
from posemachines.errors import PoseMachinesError
from posemachines.optional import MissingDependencyError, import_optional


def test_an_installed_module_is_returned() -> None:
    assert import_optional("json", "Reading") is json


def test_a_missing_module_names_its_extra(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setitem(optional.EXTRAS, "no_such_module_for_posemachines", "onnx")
    with pytest.raises(MissingDependencyError,
                       match=r"ONNX export needs .*pip install 'posemachines\[onnx\]'\.$"):
        import_optional("no_such_module_for_posemachines", "ONNX export")


def test_a_missing_module_without_an_extra_names_the_package() -> None:
    with pytest.raises(PoseMachinesError, match="pip install no_such_module_xyz"):
        import_optional("no_such_module_xyz", "Something")


def test_submodules_map_to_their_extra() -> None:
    assert optional.EXTRAS["torch.utils.tensorboard"] == "train"
