"""Focal length: user value, 35 mm equivalent, the default field-of-view guess, clip search."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posemachines.correction.focal import estimate_focal_px, refine_focal_px
from posemachines.errors import PoseInputError
from tests.correction.synthetic_clip import CENTRE_PX, walking_clip


def test_default_is_a_60_degree_diagonal_field_of_view() -> None:
    # 1920 x 1080: diagonal 2202.9 px, half of it over tan(30 deg).
    assert estimate_focal_px((1920, 1080)) == pytest.approx(2202.907 / 2 / math.tan(math.pi / 6),
                                                            rel=1e-5)


def test_user_value_wins_and_35mm_equivalent_converts() -> None:
    assert estimate_focal_px((640, 480), focal_px=800.0, focal_35mm=24.0) == 800.0
    # A 43.27 mm equivalent (the full-frame diagonal) gives f = the image diagonal.
    assert estimate_focal_px((640, 480), focal_35mm=math.hypot(36, 24)) == pytest.approx(800.0)
    with pytest.raises(PoseInputError):
        estimate_focal_px((640, 480), focal_px=-1.0)
    with pytest.raises(PoseInputError):
        estimate_focal_px((0, 480))


def test_clip_search_finds_the_focal_of_a_near_camera() -> None:
    # A close, wide camera: perspective effects (the only cue to f) are strong.
    pose, root = walking_clip(90)
    root[:, 2] -= 2000.0
    true_focal = 700.0
    points = pose + root[:, None]
    keypoints = points[..., :2] / points[..., 2:3] * true_focal + CENTRE_PX
    found = refine_focal_px(pose, keypoints, np.ones((90, 16)), 1000.0, CENTRE_PX)
    assert found == pytest.approx(true_focal, rel=0.03)
