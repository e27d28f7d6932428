"""The lifters shipped in posemachines/weights, by name, and what a `--weights` value means.

'mocap' (the default, `lifter_mocap.pt`: Bandai Namco + LAFAN1 + CMU, twice as wide as lite;
non-commercial terms), 'lite' (`lifter_lite.pt`: Bandai Namco + LAFAN1, the default until
2026-12-06, a third of the cost; the lifter the action classifier reads; non-commercial terms)
and 'cmu' (`lifter_cmu.pt`: the CMU motion capture database alone, commercial use allowed);
the recipes, numbers and the terms each file carries are in posemachines/weights/README.md.
"""

from __future__ import annotations

from importlib import resources
from pathlib import Path

from posemachines.errors import PoseInputError

#: Shipped lifter name -> file in posemachines/weights.
SHIPPED_LIFTERS: dict[str, str] = {
    "mocap": "lifter_mocap.pt", "lite": "lifter_lite.pt", "cmu": "lifter_cmu.pt"}
DEFAULT_LIFTER = "mocap"


def shipped_lifter_path(name: str = DEFAULT_LIFTER) -> Path:
    """The file of the shipped lifter `name` (one of `SHIPPED_LIFTERS`)."""
    if name not in SHIPPED_LIFTERS:
        raise PoseInputError(f"Unknown shipped lifter '{name}'; choose from "
                             f"{', '.join(SHIPPED_LIFTERS)}.")
    return Path(str(resources.files("posemachines") / "weights" / SHIPPED_LIFTERS[name]))


def resolve_lifter_weights(weights: Path | str | None) -> Path:
    """The checkpoint file `weights` names: None -> the default shipped lifter; a shipped name
    ('mocap', 'lite', 'cmu') -> its file (a name wins over a file of that name in the working
    folder: write './cmu' for the file); anything else -> that path. A bare word that is neither a
    shipped name nor an existing file ('cmu2') raises PoseInputError naming the choices; a
    missing file with a folder or a suffix in its name is left to the checkpoint loader."""
    if weights is None:
        return shipped_lifter_path()
    if isinstance(weights, str) and weights in SHIPPED_LIFTERS:
        return shipped_lifter_path(weights)
    path = Path(weights)
    if not path.exists() and path.suffix == "" and len(path.parts) == 1:
        raise PoseInputError(f"Weights '{weights}' are neither a shipped lifter "
                             f"({', '.join(SHIPPED_LIFTERS)}) nor an existing file.")
    return path
