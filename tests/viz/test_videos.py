"""videos.py: overlay.mp4 and skeleton3d.mp4 from one pass match the separate writers."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.viz.overlay import write_overlay
from posemachines.viz.skeleton3d import write_skeleton3d
from posemachines.viz.videos import write_videos
from tests.export.sample_poses import make_result

SIZE = (96, 64)


def source_frames(count: int):
    """(index, timestamp_s, frame) items as FrameSource yields them; a grey ramp per frame."""
    for index in range(count):
        yield index, index / 25.0, np.full((SIZE[1], SIZE[0], 3), 30 * index, np.uint8)


@pytest.mark.parametrize("with_scene", [False, True])
def test_one_pass_writes_the_same_videos_as_the_separate_writers(tmp_path, with_scene):
    result = make_result(4, image_size=SIZE, with_scene=with_scene)  # frame 2 has nobody
    labels = ["a", "", "b", ""]
    paths = write_videos(source_frames(5), result, tmp_path / "o.mp4", tmp_path / "s.mp4",
                         labels)
    assert [p.name for p in paths] == ["o.mp4", "s.mp4"]
    write_overlay(source_frames(5), result, tmp_path / "o_alone.mp4", labels)
    write_skeleton3d(result, tmp_path / "s_alone.mp4", source_frames(5))
    for name in ("o", "s"):
        together, alone = iio.imread(tmp_path / f"{name}.mp4"), iio.imread(
            tmp_path / f"{name}_alone.mp4")
        assert together.shape[0] == 5
        np.testing.assert_array_equal(together, alone)  # same pixels, same encoder settings


def test_only_the_asked_videos_are_written_and_errors_stop_both(tmp_path):
    result = make_result(4, image_size=SIZE)
    assert write_videos(source_frames(5), result, None, tmp_path / "s.mp4") == [
        tmp_path / "s.mp4"]
    assert not (tmp_path / "o.mp4").exists()
    with pytest.raises(PoseDataError, match="one text per pose"):
        write_videos(source_frames(5), result, tmp_path / "o.mp4", labels=["x"])
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(PoseDataError, match="Cannot write video"):
        write_videos(source_frames(5), result, tmp_path / "o2.mp4", blocker / "s.mp4")
