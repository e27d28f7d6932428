"""Lens metadata: EXIF of images, container tags of videos, and their use by the Estimator."""

from __future__ import annotations

from pathlib import Path

import imageio.v2 as iio
import numpy as np
import pytest
from PIL import Image

from posemachines.correction.focal import estimate_focal_px
from posemachines.inference.frames import open_frames
from posemachines.inference.lens_metadata import (
    EXIF_IFD,
    FOCAL_LENGTH_35MM_TAG,
    focal_35mm_from_image,
    focal_35mm_from_video,
    focal_35mm_of,
)

APPLE_KEY = "com.apple.quicktime.camera.focal_length.35mm_equivalent"


def _jpeg(path: Path, focal_35mm: int | None) -> Path:
    image = Image.new("RGB", (64, 48), (90, 90, 90))
    exif = Image.Exif()
    if focal_35mm is not None:
        exif.get_ifd(EXIF_IFD)[FOCAL_LENGTH_35MM_TAG] = focal_35mm
    image.save(path, exif=exif)
    return path


def _video(path: Path, metadata: dict[str, str]) -> Path:
    params = [arg for key, value in metadata.items() for arg in ("-metadata", f"{key}={value}")]
    writer = iio.get_writer(path, fps=10, output_params=[*params, "-movflags",
                                                         "use_metadata_tags"])
    for _ in range(3):
        writer.append_data(np.zeros((48, 64, 3), dtype=np.uint8))
    writer.close()
    return path


def test_exif_focal_length_in_35mm_film_is_read(tmp_path):
    assert focal_35mm_from_image(_jpeg(tmp_path / "lens.jpg", 28)) == 28.0
    assert focal_35mm_from_image(_jpeg(tmp_path / "none.jpg", None)) is None
    (tmp_path / "junk.jpg").write_bytes(b"not an image")
    assert focal_35mm_from_image(tmp_path / "junk.jpg") is None


def test_apple_video_tag_is_read_and_other_videos_give_none(tmp_path):
    assert focal_35mm_from_video(_video(tmp_path / "iphone.mp4", {APPLE_KEY: "26"})) == 26.0
    assert focal_35mm_from_video(_video(tmp_path / "plain.mp4", {"title": "walk"})) is None
    assert focal_35mm_from_video(_video(tmp_path / "odd.mp4", {APPLE_KEY: "0"})) is None
    assert focal_35mm_from_video(tmp_path / "missing.mp4") is None


def test_sources_of_every_kind(tmp_path):
    folder = tmp_path / "frames"
    folder.mkdir()
    _jpeg(folder / "000.jpg", 50)
    _jpeg(folder / "001.jpg", 50)
    assert focal_35mm_of(open_frames(folder)) == 50.0
    assert focal_35mm_of(open_frames(_jpeg(tmp_path / "one.jpg", 35))) == 35.0
    assert focal_35mm_of(open_frames(_video(tmp_path / "v.mp4", {APPLE_KEY: "24"}))) == 24.0


def test_estimator_lifts_with_the_metadata_focal(tmp_path, random_lite_weights, monkeypatch,
                                                 correction_calls):
    from posemachines.inference import estimator as estimator_module
    from posemachines.inference.estimator import Estimator

    monkeypatch.setattr(estimator_module, "detect_track", _one_standing_person)
    video = _video(tmp_path / "iphone.mp4", {APPLE_KEY: "26"})
    Estimator(weights=random_lite_weights).predict_video(video)
    Estimator(weights=random_lite_weights, focal_px=900.0).predict_video(video)  # user wins
    Estimator(weights=random_lite_weights).predict_video(_video(tmp_path / "p.mp4", {}))
    assert [clip.focal_px for clip in correction_calls] == [
        pytest.approx(estimate_focal_px((64, 48), focal_35mm=26.0)), 900.0, None]


def _one_standing_person(detector, source, on_frame=None, background=None):
    from posemachines.inference.estimator import DetectionTrack

    rng = np.random.default_rng(0)
    xy = np.array([[32, 24]] * 16, dtype=np.float32) + rng.normal(0, 5, (3, 16, 2))
    return DetectionTrack(
        xy_px=xy.astype(np.float32), confidence=np.ones((3, 16), dtype=np.float32),
        frame_indices=np.arange(3), timestamps_s=np.arange(3) / 10.0,
        missing_frames=(), error=None,
    )
