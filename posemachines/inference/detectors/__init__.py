"""2D pose detectors behind one interface (`PoseDetector`), made by name with `create_detector`.

Names: blazepose-lite, blazepose-full, blazepose-heavy (all bundled). The defaults were chosen
by measurement (benchmarks/bench_detector.py, benchmarks/bench_real_frames.py,
docs/detector.md): for video, full (`DEFAULT_DETECTOR`) scores best on the annotated people
and agrees best with MediaPipe's own pipeline, where lite folds hard poses (a woman seen from
behind, shoulders into one line) and heavy costs ~4x full's time per frame and loses people in
a high view; for a single image, heavy (`DEFAULT_IMAGE_DETECTOR`) places the joints most
precisely and lifts best on the real lab stills, and one image's extra 45 ms do not matter.
"""

from __future__ import annotations

from typing import Any

from posemachines.errors import PoseModelError
from posemachines.inference.detectors.base import Detection2D, PoseDetector, Roi
from posemachines.inference.detectors.blazepose import BlazePoseDetector

DETECTOR_NAMES: tuple[str, ...] = ("blazepose-lite", "blazepose-full", "blazepose-heavy")
DEFAULT_DETECTOR = "blazepose-full"
DEFAULT_IMAGE_DETECTOR = "blazepose-heavy"

__all__ = [
    "DEFAULT_DETECTOR",
    "DEFAULT_IMAGE_DETECTOR",
    "DETECTOR_NAMES",
    "BlazePoseDetector",
    "Detection2D",
    "PoseDetector",
    "Roi",
    "create_detector",
    "default_detector_name",
]


def default_detector_name(source_kind: str) -> str:
    """The detector chosen for a source of this kind ("image": one still; "video", "folder",
    a stream: a sequence of frames)."""
    return DEFAULT_IMAGE_DETECTOR if source_kind == "image" else DEFAULT_DETECTOR


def create_detector(name: str = DEFAULT_DETECTOR, **kwargs: Any) -> PoseDetector:
    """The detector called `name`; kwargs go to its constructor (e.g. model_dir, tracking)."""
    if name not in DETECTOR_NAMES:
        raise PoseModelError(f"Unknown detector '{name}'; known: {', '.join(DETECTOR_NAMES)}.")
    return BlazePoseDetector(name.removeprefix("blazepose-"), **kwargs)
