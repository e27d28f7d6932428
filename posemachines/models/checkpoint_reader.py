"""Read a posemachines checkpoint without importing torch: its payload with numpy arrays.

`save_checkpoint` writes the payload (format, version, config, joint_names, state_dict, extra)
with `torch.save`: a zip whose `<root>/data.pkl` pickles the dict, each tensor a call of
`torch._utils._rebuild_tensor_v2(storage, offset, size, stride, ...)` on a storage kept raw in
`<root>/data/<key>` (little-endian unless `<root>/byteorder` says otherwise). This module reads
that with a `pickle.Unpickler` whose `find_class` knows only the few names such a file holds;
every other name (a pickle asking for `os.system`, say) is refused before anything runs.

Hand-written (~90 lines) because no well-kept library does this without torch: safetensors
reads its own format, fickling and picklescan analyse pickles but do not rebuild tensors; the
format here is bounded to our own checkpoints, and tests compare it with `torch.load`.
"""

from __future__ import annotations

import collections
import io
import pickle
import zipfile
from pathlib import Path
from typing import Any

import numpy as np

from posemachines.errors import PoseModelError
from posemachines.skeleton import JOINTS16_NAMES

CHECKPOINT_FORMAT = "posemachines-checkpoint"
CHECKPOINT_VERSION = 1

#: torch's legacy storage classes (how `torch.save` names a storage's dtype) -> numpy dtype.
_STORAGE_DTYPES = {
    "DoubleStorage": np.float64, "FloatStorage": np.float32, "HalfStorage": np.float16,
    "LongStorage": np.int64, "IntStorage": np.int32, "ShortStorage": np.int16,
    "CharStorage": np.int8, "ByteStorage": np.uint8, "BoolStorage": np.bool_,
}


class _StorageType:
    """Stands for `torch.<name>Storage` while unpickling: the dtype of a storage's elements."""

    def __init__(self, dtype: type[np.generic]) -> None:
        self.dtype = np.dtype(dtype)


def _rebuild_tensor(storage: np.ndarray, offset: int, size: tuple[int, ...],
                    stride: tuple[int, ...], *_: object) -> np.ndarray:
    """`torch._utils._rebuild_tensor_v2` for numpy: a copy of the strided view of `storage`
    (1-D) starting at element `offset`; a view reaching past the storage is corrupt data."""
    if any(n < 0 for n in size) or any(s < 0 for s in stride) or len(size) != len(stride):
        raise ValueError("bad tensor size or stride")
    if 0 in size:
        return np.empty(size, dtype=storage.dtype)
    last = offset + sum((n - 1) * s for n, s in zip(size, stride, strict=True))
    if not 0 <= offset <= last < storage.size:
        raise ValueError("tensor reaches past its storage")
    view = np.lib.stride_tricks.as_strided(
        storage[offset:], shape=size, strides=[s * storage.itemsize for s in stride])
    return np.array(view)


def _rebuild_parameter(data: np.ndarray, *_: object) -> np.ndarray:
    """`torch._utils._rebuild_parameter`: an nn.Parameter is its data here."""
    return data


#: Every (module, name) a posemachines checkpoint's pickle may ask for, and what it gets.
_ALLOWED: dict[tuple[str, str], object] = {
    ("torch._utils", "_rebuild_tensor_v2"): _rebuild_tensor,
    ("torch._utils", "_rebuild_parameter"): _rebuild_parameter,
    ("collections", "OrderedDict"): collections.OrderedDict,
    **{("torch", name): _StorageType(dtype) for name, dtype in _STORAGE_DTYPES.items()},
}


class _CheckpointUnpickler(pickle.Unpickler):
    """Unpickles `<root>/data.pkl`, reading storages from the same zip as numpy arrays."""

    def __init__(self, archive: zipfile.ZipFile, root: str, path: Path) -> None:
        super().__init__(io.BytesIO(archive.read(f"{root}/data.pkl")))
        self.archive, self.root, self.path = archive, root, path
        order = f"{root}/byteorder"
        self.byteorder = (archive.read(order).decode() if order in archive.namelist()
                          else "little")
        if self.byteorder not in ("little", "big"):
            raise ValueError("unknown byte order")
        self.storages: dict[str, np.ndarray] = {}

    def find_class(self, module: str, name: str) -> Any:
        if (module, name) not in _ALLOWED:
            raise PoseModelError(f"Checkpoint {self.path} asks for {module}.{name}, which a "
                                 "posemachines checkpoint never holds; it was not loaded.")
        return _ALLOWED[(module, name)]

    def persistent_load(self, pid: Any) -> np.ndarray:
        """('storage', storage type, key, location, numel) -> that storage, 1-D."""
        kind, storage_type, key, _, numel = pid
        if kind != "storage" or not isinstance(storage_type, _StorageType):
            raise ValueError("unknown persistent id")
        if key not in self.storages:
            dtype = storage_type.dtype.newbyteorder("<" if self.byteorder == "little" else ">")
            raw = np.frombuffer(self.archive.read(f"{self.root}/data/{key}"), dtype=dtype,
                                count=numel)
            self.storages[key] = raw.astype(storage_type.dtype.newbyteorder("="))
        return self.storages[key]


def read_payload(path: str | Path) -> Any:
    """The unpickled object of the torch zip file `path`, tensors as numpy arrays; unchecked."""
    path = Path(path)
    if not path.is_file():
        raise PoseModelError(f"Checkpoint {path} does not exist.")
    try:
        with zipfile.ZipFile(path) as archive:
            pickles = [name for name in archive.namelist() if name.endswith("/data.pkl")]
            root = pickles[0][: -len("/data.pkl")]
            return _CheckpointUnpickler(archive, root, path).load()
    except PoseModelError:
        raise
    except Exception:  # zip, pickle, index, buffer errors... all mean a damaged file
        raise PoseModelError(f"Checkpoint {path} is truncated or not a torch file.") from None


def check_payload(path: str | Path, payload: Any) -> dict[str, Any]:
    """`payload` if it is a posemachines checkpoint of this version and joint set, else
    PoseModelError naming `path` and what is wrong."""
    if not isinstance(payload, dict) or payload.get("format") != CHECKPOINT_FORMAT:
        raise PoseModelError(f"{path} is not a posemachines model checkpoint.")
    if payload.get("version") != CHECKPOINT_VERSION:
        raise PoseModelError(
            f"Checkpoint {path} has format version {payload.get('version')}; "
            f"this posemachines reads version {CHECKPOINT_VERSION}."
        )
    names = payload.get("joint_names")
    if names != list(JOINTS16_NAMES):
        raise PoseModelError(f"Checkpoint {path} was trained on other joints: {names}.")
    return payload


def read_checkpoint(path: str | Path) -> dict[str, Any]:
    """The checked payload of the checkpoint `path` (see posemachines.models.checkpoint):
    format, version, config (dict), joint_names, state_dict (name -> numpy array, the tensor's
    dtype and shape), extra; read without torch."""
    return check_payload(path, read_payload(path))
