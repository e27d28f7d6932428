"""The torch-free checkpoint reader: exactly what torch.load gives, and the same refusals."""

from __future__ import annotations

import os
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import pytest
import torch

from posemachines.errors import PoseModelError
from posemachines.models import PoseMachine, get_config, load_checkpoint, save_checkpoint
from posemachines.models.checkpoint_reader import read_checkpoint, read_payload
from posemachines.models.shipped import SHIPPED_LIFTERS, shipped_lifter_path


def assert_same_payload(ours: Any, theirs: Any) -> None:
    """`ours` (numpy arrays) holds exactly `theirs` (torch tensors): values, dtypes, shapes."""
    if isinstance(theirs, torch.Tensor):
        expected = theirs.numpy()
        assert isinstance(ours, np.ndarray)
        assert ours.dtype == expected.dtype and ours.shape == expected.shape
        assert np.array_equal(ours, expected)
    elif isinstance(theirs, dict):
        assert isinstance(ours, dict) and list(ours) == list(theirs)
        for key in theirs:
            assert_same_payload(ours[key], theirs[key])
    elif isinstance(theirs, list | tuple):
        assert type(ours) is type(theirs) and len(ours) == len(theirs)
        for mine, other in zip(ours, theirs, strict=True):
            assert_same_payload(mine, other)
    else:
        assert type(ours) is type(theirs) and ours == theirs


@pytest.fixture
def small_model() -> PoseMachine:
    torch.manual_seed(0)
    model = PoseMachine(get_config("lite", {"embed_dim": 16, "lstm_hidden": 8,
                                            "refiner_hidden": 8, "projector_hidden": 8}))
    model.output_scale_mm.fill_(950.0)
    return model.eval()


def views_extra() -> dict[str, Any]:
    """Tensors that are views (offset, transposed, strided, shared storage) and of every
    dtype our storages may have."""
    base = torch.arange(60, dtype=torch.float32).reshape(6, 10)
    return {
        "offset": base[2:4],
        "transposed": base.t(),
        "strided": base[1::2, ::3],
        "column": base[:, 7],
        "empty": base[:0],
        "scalar": torch.tensor(3.5, dtype=torch.float64),
        "ints": torch.tensor([-(2**40), 7], dtype=torch.int64),
        "small": torch.tensor([[1, -2]], dtype=torch.int8).expand(3, 2),
        "flags": torch.tensor([True, False, True]),
        "half": torch.tensor([0.1, 65504.0], dtype=torch.float16),
        "bytes": torch.arange(5, dtype=torch.uint8),
        "nested": {"names": ["S1", "S5"], "pair": (1, 2.5), "none": None},
    }


@pytest.mark.parametrize("name", sorted(SHIPPED_LIFTERS))
def test_shipped_lifters_read_exactly_as_torch_load(name):
    path = shipped_lifter_path(name)
    payload = read_checkpoint(path)
    assert_same_payload(payload, torch.load(path, weights_only=True))
    hidden = 512 if name == "mocap" else 256  # the default is twice as wide as the others
    assert payload["state_dict"]["transformer.lstms.1.weight_hh_l0"].shape == (4 * hidden,
                                                                               hidden)


def test_saved_model_with_views_reads_exactly_as_torch_load(tmp_path, small_model):
    path = save_checkpoint(tmp_path / "small.pt", small_model, extra=views_extra())
    payload = read_checkpoint(path)
    assert_same_payload(payload, torch.load(path, weights_only=True))
    extra = payload["extra"]
    assert np.array_equal(extra["offset"], [np.arange(20, 30), np.arange(30, 40)])
    assert np.array_equal(extra["strided"], [[10, 13, 16, 19], [30, 33, 36, 39],
                                             [50, 53, 56, 59]])
    assert extra["transposed"][3, 1] == 13.0 and extra["scalar"].shape == ()
    assert payload["state_dict"]["output_scale_mm"] == np.float32(950.0)
    extra["offset"][0, 0] = -1.0  # a copy: writable, not shared with the other views
    assert extra["transposed"][0, 2] == 20.0


def test_nn_parameters_read_as_their_data(tmp_path):
    weight = torch.nn.Parameter(torch.arange(6.0).reshape(2, 3))
    torch.save({"weight": weight}, tmp_path / "param.pt")
    assert np.array_equal(read_payload(tmp_path / "param.pt")["weight"],
                          np.arange(6.0, dtype=np.float32).reshape(2, 3))


def rewrite_zip(path: Path, change) -> None:
    """Rewrite the zip `path`, each record's bytes through change(name, data)."""
    with zipfile.ZipFile(path) as archive:
        records = [(info, archive.read(info)) for info in archive.infolist()]
    with zipfile.ZipFile(path, "w") as archive:
        for info, data in records:
            archive.writestr(info, change(info.filename, data))


def test_big_endian_storages(tmp_path, small_model):
    """A file written on a big-endian machine: byteorder 'big', storages byte-swapped."""
    little = save_checkpoint(tmp_path / "little.pt", small_model,
                             extra={"stats": torch.linspace(-1.0, 1.0, 7)})
    big = tmp_path / "big.pt"
    big.write_bytes(little.read_bytes())

    def swap(name: str, data: bytes) -> bytes:
        if name.endswith("/byteorder"):
            return b"big"
        if "/data/" in name:  # every storage here is float32
            return np.frombuffer(data, dtype="<f4").astype(">f4").tobytes()
        return data

    rewrite_zip(big, swap)
    ours, expected = read_checkpoint(big), read_checkpoint(little)
    assert_same_payload(ours, torch.load(little, weights_only=True))
    assert ours["extra"]["stats"].dtype == expected["extra"]["stats"].dtype == np.float32


class Exploit:
    def __init__(self, marker: Path) -> None:
        self.marker = marker

    def __reduce__(self):
        return os.system, (f"touch {self.marker}",)


def torch_zip_with_pickle(path: Path, pickled: bytes) -> Path:
    """A torch zip file whose data.pkl is `pickled`."""
    torch.save({"format": "posemachines-checkpoint"}, path)
    rewrite_zip(path, lambda name, data: pickled if name.endswith("/data.pkl") else data)
    return path


def test_pickle_asking_for_another_class_is_refused_before_it_runs(tmp_path):
    marker = tmp_path / "ran"
    path = torch_zip_with_pickle(tmp_path / "evil.pt", pickle.dumps({"x": Exploit(marker)}))
    with pytest.raises(PoseModelError, match=r"asks for posix\.system|asks for os\.system"):
        read_checkpoint(path)
    assert not marker.exists()
    with pytest.raises(PoseModelError, match="asks for pathlib.PosixPath"):
        read_checkpoint(torch_zip_with_pickle(tmp_path / "path.pt", pickle.dumps(Path("/"))))


def save_payload(path: Path, **changes: Any) -> Path:
    """A real checkpoint payload with `changes` (None deletes the key), saved by torch."""
    model = PoseMachine(get_config("lite", {"embed_dim": 8, "lstm_hidden": 8}))
    save_checkpoint(path, model)
    payload = torch.load(path, weights_only=True)
    for key, value in changes.items():
        if value is None:
            del payload[key]
        else:
            payload[key] = value
    torch.save(payload, path)
    return path


def truncated(path: Path, small_model: PoseMachine, keep: float) -> Path:
    save_checkpoint(path, small_model)
    path.write_bytes(path.read_bytes()[: int(path.stat().st_size * keep)])
    return path


def short_storage(path: Path, small_model: PoseMachine) -> Path:
    """A storage file cut short: its tensors would reach past it."""
    save_checkpoint(path, small_model)
    rewrite_zip(path, lambda name, data: data[:8] if name.endswith("/data/1") else data)
    return path


def tensor_past_storage(path: Path, small_model: PoseMachine) -> Path:
    """A tensor whose size reaches past its (whole) storage: (2,) -> (20,) in data.pkl."""
    torch.save({"x": torch.arange(10.0)[1:3]}, path)

    def grow(name: str, data: bytes) -> bytes:
        if not name.endswith("/data.pkl"):
            return data
        assert data.count(b"K\x02\x85") == 1  # BININT1 2, TUPLE1: the size (2,)
        return data.replace(b"K\x02\x85", b"K\x14\x85")

    rewrite_zip(path, grow)
    return path


BROKEN_FILES = {
    "absent": (lambda path, model: path, "does not exist"),
    "half": (lambda path, model: truncated(path, model, 0.5), "truncated or not a torch file"),
    "start": (lambda path, model: truncated(path, model, 0.001),
              "truncated or not a torch file"),
    "text": (lambda path, model: path.write_text("hello") and path,
             "truncated or not a torch file"),
    "zip without pickle": (lambda path, model: zipfile.ZipFile(path, "w").close() or path,
                           "truncated or not a torch file"),
    "short storage": (short_storage, "truncated or not a torch file"),
    "tensor past storage": (tensor_past_storage, "truncated or not a torch file"),
    "not a dict": (lambda path, model: torch.save([1, 2], path) or path,
                   "is not a posemachines model checkpoint"),
    "other format": (lambda path, model: save_payload(path, format="other"),
                     "is not a posemachines model checkpoint"),
    "version": (lambda path, model: save_payload(path, version=2),
                "has format version 2; this posemachines reads version 1"),
    "joints": (lambda path, model: save_payload(path, joint_names=["Hip"]),
               r"was trained on other joints: \['Hip'\]"),
}


@pytest.mark.parametrize("case", sorted(BROKEN_FILES))
def test_broken_files_give_load_checkpoints_message(tmp_path, small_model, case):
    make, message = BROKEN_FILES[case]
    path = make(tmp_path / "model.pt", small_model)
    with pytest.raises(PoseModelError, match=message) as ours:
        read_checkpoint(path)
    with pytest.raises(PoseModelError) as theirs:
        load_checkpoint(path)
    assert str(ours.value) == str(theirs.value)
    assert "\n" not in str(ours.value)
