"""2D pose detectors behind one interface (`PoseDetector`), made by name with `create_detector`.

Names: blazepose-lite (default, bundled), blazepose-full (bundled), blazepose-heavy (not
bundled: pass model_dir=... or set $POSEMACHINES_BLAZEPOSE_HEAVY).
"""

from __future__ import annotations

from typing import Any

from posemachines.errors import PoseModelError
from posemachines.inference.detectors.base import Detection2D, PoseDetector, Roi
from posemachines.inference.detectors.blazepose import BlazePoseDetector

DETECTOR_NAMES: tuple[str, ...] = ("blazepose-lite", "blazepose-full", "blazepose-heavy")
DEFAULT_DETECTOR = "blazepose-lite"

__all__ = [
    "DEFAULT_DETECTOR",
    "DETECTOR_NAMES",
    "BlazePoseDetector",
    "Detection2D",
    "PoseDetector",
    "Roi",
    "create_detector",
]


def create_detector(name: str = DEFAULT_DETECTOR, **kwargs: Any) -> PoseDetector:
    """The detector called `name`; kwargs go to its constructor (e.g. model_dir, tracking)."""
    if name not in DETECTOR_NAMES:
        raise PoseModelError(f"Unknown detector '{name}'; known: {', '.join(DETECTOR_NAMES)}.")
    return BlazePoseDetector(name.removeprefix("blazepose-"), **kwargs)
