"""2D pose detectors behind one interface (`PoseDetector`), made by name with `create_detector`.

Names: blazepose-full (default, bundled), blazepose-lite (bundled), blazepose-heavy (not
bundled: pass model_dir=... or set $POSEMACHINES_BLAZEPOSE_HEAVY). The default was chosen by
measurement (benchmarks/bench_detector.py, docs/detector.md): full scores best on the annotated
people and agrees best with MediaPipe's own pipeline; lite takes ~30 % less time but folds hard
poses (a woman seen from behind, shoulders into one line); heavy takes ~4x full's time and is
no more accurate at PCK@0.5.
"""

from __future__ import annotations

from typing import Any

from posemachines.errors import PoseModelError
from posemachines.inference.detectors.base import Detection2D, PoseDetector, Roi
from posemachines.inference.detectors.blazepose import BlazePoseDetector

DETECTOR_NAMES: tuple[str, ...] = ("blazepose-lite", "blazepose-full", "blazepose-heavy")
DEFAULT_DETECTOR = "blazepose-full"

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
