"""AR on a shipped real 720p clip: the props sit on the person and shake less than the 2D."""

from __future__ import annotations

import pytest

from posemachines.ar import EFFECTS, ArCompositor
from posemachines.ar.accuracy import anchor_accuracy
from posemachines.inference.estimator import Estimator
from posemachines.inference.frames import open_frames


@pytest.fixture(scope="module")
def squat_result(shared_data):
    return Estimator().predict_video(open_frames(shared_data / "media" /
                                                 "squat_sit_stand_front_gmdcsa.mp4"))


def test_every_anchor_within_5_px_and_steadier_than_the_keypoints(squat_result) -> None:
    assert squat_result.image_size == (1280, 720)
    compositor = ArCompositor(squat_result, list(EFFECTS))
    rows = anchor_accuracy(squat_result, compositor)
    assert [row.effect for row in rows] == list(EFFECTS)
    for row in rows:
        assert row.median_px <= 5.0, row
        assert row.jitter_px <= row.keypoint_jitter_px, row
