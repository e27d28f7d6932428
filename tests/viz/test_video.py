"""video.py: the ffmpeg encoder fed from a thread: colours, sizes, frame counts, failures."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.viz.video import VideoEncoder, pad_to_even, write_video

COLOURS = [(40, 120, 255), (255, 110, 20), (40, 200, 60), (255, 255, 255), (0, 0, 0)]


def test_flat_colours_survive_the_i420_round_trip(tmp_path):
    frames = [np.full((72, 128, 3), colour, np.uint8) for colour in COLOURS]
    assert write_video(frames, tmp_path / "c.mp4", 25.0) == len(COLOURS)
    assert [p.name for p in tmp_path.iterdir()] == ["c.mp4"]
    video = iio.imread(tmp_path / "c.mp4")
    assert video.shape == (len(COLOURS), 72, 128, 3)
    # BT.601 limited range both ways: flat colours come back within a few levels.
    np.testing.assert_allclose(video[:, 36, 64], COLOURS, atol=4)


def test_odd_sizes_are_padded_and_size_changes_raise(tmp_path):
    assert pad_to_even(np.ones((3, 5, 3), np.uint8)).shape == (4, 6, 3)
    assert pad_to_even(np.ones((3, 5, 3), np.uint8))[3].max() == 0  # black padding
    write_video([np.full((47, 63, 3), 255, np.uint8)] * 2, tmp_path / "odd.mp4", 10.0)
    assert iio.imread(tmp_path / "odd.mp4").shape == (2, 48, 64, 3)
    frames = [np.zeros((48, 64, 3), np.uint8), np.zeros((50, 64, 3), np.uint8)]
    with pytest.raises(PoseDataError, match="frame 1 is 64x50 px but the first was 64x48"):
        write_video(frames, tmp_path / "change.mp4", 10.0)


def test_ffmpeg_failures_and_bad_arguments_give_one_clear_error(tmp_path):
    frames = [np.zeros((48, 64, 3), np.uint8)] * 3
    with pytest.raises(PoseDataError, match="Cannot write video .*preset"):
        write_video(frames, tmp_path / "p.mp4", 10.0, preset="no-such-preset")
    with pytest.raises(PoseDataError, match="there are no frames"):
        write_video([], tmp_path / "empty.mp4", 10.0)
    with pytest.raises(PoseDataError, match="fps must be positive"):
        VideoEncoder(tmp_path / "f.mp4", 0.0)
    with pytest.raises(PoseDataError, match="Cannot write video"):
        write_video(frames, tmp_path / "missing_folder" / "x.mp4", 10.0)
    assert not list(tmp_path.iterdir())  # no half-written or partial file of any of them


def test_an_error_while_drawing_stops_ffmpeg_and_propagates(tmp_path):
    def frames():
        yield np.zeros((48, 64, 3), np.uint8)
        raise KeyError("drawing failed")

    with pytest.raises(KeyError, match="drawing failed"):
        write_video(frames(), tmp_path / "x.mp4", 10.0)
    assert not list(tmp_path.iterdir())  # the video appears whole or not at all
