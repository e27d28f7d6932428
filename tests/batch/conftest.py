"""Short real clips for the batch tests, cut from the shipped sample and the shared media."""

from __future__ import annotations

import shutil
from pathlib import Path

import cv2
import pytest

from posemachines.batch import VideoOptions
from posemachines.cli.infer import sample_video_path

#: JSON only, the lite detector, no test-time correction: the batch machinery is under test,
#: not the poses.
FAST = VideoOptions(formats=("json",), correction="none", detector="blazepose-lite")
FAST_ARGS = ["--format", "json", "--correction", "none", "--detector", "blazepose-lite"]
#: Frames of each clip in `sample_clips`.
SAMPLE_FRAMES = 6


def cut_clip(source: Path, target: Path, frames: int, scale: float = 0.5) -> Path:
    """The first `frames` frames of `source`, resized by `scale`, as an mp4 at `target`."""
    capture = cv2.VideoCapture(str(source))
    fps = capture.get(cv2.CAP_PROP_FPS)
    writer = None
    for _ in range(frames):
        ok, bgr = capture.read()
        assert ok, f"{source} has fewer than {frames} frames"
        bgr = cv2.resize(bgr, None, fx=scale, fy=scale, interpolation=cv2.INTER_AREA)
        if writer is None:
            size = (bgr.shape[1], bgr.shape[0])
            writer = cv2.VideoWriter(str(target), cv2.VideoWriter_fourcc(*"mp4v"), fps, size)
        writer.write(bgr)
    capture.release()
    assert writer is not None
    writer.release()
    return target


@pytest.fixture(scope="session")
def sample_clips(tmp_path_factory) -> Path:
    """A folder with the first SAMPLE_FRAMES frames of the shipped sample, at half size, twice
    (a.mp4, b.mp4)."""
    folder = tmp_path_factory.mktemp("clips")
    cut_clip(sample_video_path(), folder / "a.mp4", SAMPLE_FRAMES)
    shutil.copy(folder / "a.mp4", folder / "b.mp4")
    return folder


@pytest.fixture(scope="session")
def long_clip(tmp_path_factory, shared_data) -> Path:
    """60 frames (2 s) of one man walking, 640x360: long enough to kill a worker mid-video."""
    folder = tmp_path_factory.mktemp("long")
    return cut_clip(shared_data / "media" / "walk_reading_side_gmdcsa.mp4",
                    folder / "walk.mp4", 60)
