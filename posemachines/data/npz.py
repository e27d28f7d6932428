"""`load_npz`: read an .npz file whole, turning every defect into one-sentence PoseDataErrors.

Array checks (shape, joints, units) live in `posemachines.structures.pose_checks`.
"""

from __future__ import annotations

import pickle
import zipfile
import zlib
from collections.abc import Iterable
from pathlib import Path

import numpy as np

from posemachines.errors import PoseDataError


def load_npz(
    path: str | Path, required_keys: Iterable[str] = (), *, allow_pickle: bool = False
) -> dict[str, np.ndarray]:
    """Read every array of an .npz file into memory; raise PoseDataError on any defect.

    A missing file, a truncated or non-.npz file, or a missing required key each give one
    sentence naming the file. allow_pickle is needed for object arrays (e.g. VideoPose3D dicts).
    """
    path = Path(path)
    if not path.is_file():
        raise PoseDataError(f"{path} does not exist or is not a file.")
    try:
        loaded = np.load(path, allow_pickle=allow_pickle)
        if not isinstance(loaded, np.lib.npyio.NpzFile):
            raise PoseDataError(f"{path} is a single array, not an .npz archive.")
        with loaded as archive:
            arrays = {key: archive[key] for key in archive.files}
    except (
        zipfile.BadZipFile, EOFError, ValueError, OSError, zlib.error, pickle.UnpicklingError
    ) as error:
        raise PoseDataError(
            f"{path} is truncated or not a valid .npz file ({type(error).__name__})."
        ) from None
    missing = [key for key in required_keys if key not in arrays]
    if missing:
        raise PoseDataError(
            f"{path} lacks the key(s) {', '.join(missing)}; it holds "
            f"{', '.join(sorted(arrays)) or 'nothing'}."
        )
    return arrays
