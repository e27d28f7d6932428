"""load_npz: good files load whole, each defect gives one clear sentence."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.npz import load_npz
from posemachines.errors import PoseDataError


def _one_sentence(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.endswith(".")
    return message



def test_load_npz_reads_all_keys(tmp_path: Path) -> None:
    path = tmp_path / "a.npz"
    np.savez(path, x=np.arange(3), y=np.ones((2, 2)))
    arrays = load_npz(path, ["x"])
    assert set(arrays) == {"x", "y"} and arrays["x"].tolist() == [0, 1, 2]


def test_load_npz_missing_file(tmp_path: Path) -> None:
    with pytest.raises(PoseDataError) as error:
        load_npz(tmp_path / "nope.npz")
    assert "does not exist" in _one_sentence(error)


def test_load_npz_truncated_file(tmp_path: Path) -> None:
    path = tmp_path / "t.npz"
    np.savez_compressed(path, x=np.random.default_rng(0).normal(size=1000))
    path.write_bytes(path.read_bytes()[:200])
    with pytest.raises(PoseDataError) as error:
        load_npz(path)
    assert "truncated or not a valid .npz" in _one_sentence(error)


def test_load_npz_garbage_and_npy(tmp_path: Path) -> None:
    garbage = tmp_path / "g.npz"
    garbage.write_bytes(b"this is not a zip file at all")
    with pytest.raises(PoseDataError, match="not a valid .npz"):
        load_npz(garbage, allow_pickle=True)
    npy = tmp_path / "single.npy"
    np.save(npy, np.zeros(3))
    with pytest.raises(PoseDataError, match="single array"):
        load_npz(npy)


def test_load_npz_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "k.npz"
    np.savez(path, x=np.zeros(1))
    with pytest.raises(PoseDataError) as error:
        load_npz(path, ["positions_3d"])
    assert "lacks the key(s) positions_3d; it holds x" in _one_sentence(error)
