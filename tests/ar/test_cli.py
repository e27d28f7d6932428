"""`posemachines ar` and `infer --format ar` end to end on a real clip."""

from __future__ import annotations

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.ar import EFFECTS
from posemachines.cli import main


def test_effect_list_prints_one_line_per_effect(capsys) -> None:
    assert main(["ar", "--effect", "list"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert [line.split()[0] for line in lines] == list(EFFECTS)


def test_unknown_effect_is_one_error_line(capsys, tmp_path) -> None:
    assert main(["ar", str(tmp_path / "clip.mp4"), "--effect", "crown,halo"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("posemachines: error: Unknown AR effect halo")
    assert "\n" not in error


@pytest.fixture(scope="module")
def street_clip(shared_data):
    return shared_data / "media" / "mmpose_demo.mp4"


def test_ar_writes_a_video_of_every_frame(street_clip, tmp_path) -> None:
    assert main(["ar", str(street_clip), "--effect", "crown,glow", "--out", str(tmp_path)]) == 0
    written = iio.imread(tmp_path / "ar.mp4")
    source = iio.imread(street_clip)
    assert written.shape == source.shape                      # 5 frames, 960x540
    # Something was drawn on the person, and the frame around is kept.
    difference = np.abs(written.astype(int) - source.astype(int)).max(axis=-1)
    assert (difference > 60).mean() > 0.002
    assert np.median(difference) < 8


def test_infer_format_ar(street_clip, tmp_path) -> None:
    assert main(["infer", str(street_clip), "--format", "json,ar", "--out", str(tmp_path)]) == 0
    assert (tmp_path / "ar.mp4").stat().st_size > 1000
    assert (tmp_path / "poses3d.json").is_file()
