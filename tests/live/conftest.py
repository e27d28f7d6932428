"""Shared pieces of the live tests: the shipped clip, a small synthetic video, one Estimator."""

from __future__ import annotations

from importlib import resources
from pathlib import Path

import cv2
import numpy as np
import pytest

from posemachines.inference.estimator import Estimator

#: The clip shipped with the package (the demo's).
SAMPLE_CLIP = next(Path(str(resources.files("posemachines") / "assets" / "sample")).glob("*.mp4"))


@pytest.fixture(scope="session")
def estimator() -> Estimator:
    """The shipped lifter and detector, causal settings (no time reversal)."""
    return Estimator(time_reversal=False)


@pytest.fixture(scope="session")
def square_video(tmp_path_factory) -> Path:
    """60 frames at 30 fps, 160 x 120 px, a white square moving right (no person)."""
    path = tmp_path_factory.mktemp("videos") / "square.avi"
    writer = cv2.VideoWriter(str(path), cv2.VideoWriter_fourcc(*"MJPG"), 30.0, (160, 120))
    for index in range(60):
        frame = np.zeros((120, 160, 3), dtype=np.uint8)
        frame[40:80, 2 * index:2 * index + 20] = 255
        writer.write(frame)
    writer.release()
    return path
