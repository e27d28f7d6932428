"""Frame reading: videos, single images, image folders, and every way input can be bad."""

from __future__ import annotations

from pathlib import Path

import cv2
import imageio.v2 as imageio
import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.inference.frames import DEFAULT_IMAGE_FPS, open_frames, read_image

POSETRACK_VIDEO = "fixtures/posetrack18/videos/000001_mpiinew_test/000001_mpiinew_test.mp4"
#: One saturated colour per frame, so order and RGB channel order both show after lossy coding.
COLOURS_RGB = [(255, 0, 0), (0, 255, 0), (0, 0, 255), (255, 255, 255), (0, 0, 0)]


def _write_png_rgb(path: Path, rgb: np.ndarray) -> None:
    cv2.imwrite(str(path), cv2.cvtColor(rgb, cv2.COLOR_RGB2BGR))


@pytest.fixture()
def tiny_video(tmp_path: Path) -> Path:
    path = tmp_path / "tiny.mp4"
    frames = [np.full((48, 64, 3), colour, np.uint8) for colour in COLOURS_RGB]
    imageio.mimwrite(path, frames, fps=10, macro_block_size=16)
    return path


def test_tiny_video_round_trips_count_size_fps_and_colours(tiny_video: Path) -> None:
    source = open_frames(tiny_video)
    assert (source.kind, source.width, source.height) == ("video", 64, 48)
    assert source.fps == pytest.approx(10.0)
    assert source.frame_count == len(COLOURS_RGB)
    frames = list(source)
    assert [f.index for f in frames] == list(range(len(COLOURS_RGB)))
    assert [f.timestamp_s for f in frames] == pytest.approx([i / 10 for i in range(5)])
    for frame, colour in zip(frames, COLOURS_RGB, strict=True):
        assert frame.rgb.shape == (48, 64, 3) and frame.rgb.dtype == np.uint8
        np.testing.assert_allclose(frame.rgb.reshape(-1, 3).mean(axis=0), colour, atol=12)


def test_source_is_reiterable(tiny_video: Path) -> None:
    source = open_frames(tiny_video)
    assert len(list(source)) == len(list(source)) == 5


def test_posetrack_video_has_five_hd_frames(shared_data: Path) -> None:
    source = open_frames(shared_data / POSETRACK_VIDEO)
    assert (source.frame_count, source.width, source.height) == (5, 1280, 720)
    assert source.fps == pytest.approx(30.0)
    frames = list(source)
    assert len(frames) == 5
    assert frames[-1].timestamp_s == pytest.approx(4 / 30)


def test_single_image_is_rgb(tmp_path: Path) -> None:
    rgb = np.zeros((20, 30, 3), np.uint8)
    rgb[..., 0] = 200  # red
    _write_png_rgb(tmp_path / "red.png", rgb)
    source = open_frames(tmp_path / "red.png")
    assert (source.kind, source.frame_count, source.width, source.height) == ("image", 1, 30, 20)
    (frame,) = list(source)
    np.testing.assert_array_equal(frame.rgb, rgb)
    assert frame.timestamp_s == 0.0


def test_folder_is_naturally_sorted_and_skips_other_files(tmp_path: Path) -> None:
    for number in (10, 2, 1):
        _write_png_rgb(tmp_path / f"frame_{number}.png", np.full((8, 8, 3), number, np.uint8))
    (tmp_path / "notes.txt").write_text("not an image")
    source = open_frames(tmp_path)
    assert source.kind == "folder" and source.frame_count == 3
    assert [p.name for p in source.image_paths] == ["frame_1.png", "frame_2.png", "frame_10.png"]
    frames = list(source)
    assert [int(f.rgb[0, 0, 0]) for f in frames] == [1, 2, 10]
    assert frames[1].timestamp_s == pytest.approx(1 / DEFAULT_IMAGE_FPS)


def test_folder_with_mixed_sizes_raises_on_the_odd_image(tmp_path: Path) -> None:
    _write_png_rgb(tmp_path / "a.png", np.zeros((8, 8, 3), np.uint8))
    _write_png_rgb(tmp_path / "b.png", np.zeros((9, 8, 3), np.uint8))
    with pytest.raises(PoseInputError, match="b.png"):
        list(open_frames(tmp_path))


def test_fps_override_sets_timestamps(tmp_path: Path) -> None:
    for name in ("a.png", "b.png"):
        _write_png_rgb(tmp_path / name, np.zeros((4, 4, 3), np.uint8))
    frames = list(open_frames(tmp_path, fps=4.0))
    assert frames[1].timestamp_s == pytest.approx(0.25)


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("random.mp4", np.random.default_rng(0).bytes(4096), "corrupt"),
        ("empty.mp4", b"", "empty"),
        ("notes.txt", b"hello", "Unsupported"),
        ("broken.png", np.random.default_rng(1).bytes(512), "not a decodable image"),
        ("empty.jpg", b"", "empty"),
    ],
)
def test_bad_files_raise_one_sentence(tmp_path: Path, name: str, content: bytes, message: str):
    path = tmp_path / name
    path.write_bytes(content)
    with pytest.raises(PoseInputError, match=message) as caught:
        open_frames(path)
    assert str(caught.value).count(". ") == 0 and str(caught.value).endswith(".")


def test_missing_path_and_empty_folder_raise(tmp_path: Path) -> None:
    with pytest.raises(PoseInputError, match="does not exist"):
        open_frames(tmp_path / "missing.mp4")
    with pytest.raises(PoseInputError, match="no images"):
        open_frames(tmp_path)


def test_read_image_matches_cv2(shared_data: Path) -> None:
    path = shared_data / "media" / "opencv_messi5.jpg"
    expected = cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)
    np.testing.assert_array_equal(read_image(path), expected)
