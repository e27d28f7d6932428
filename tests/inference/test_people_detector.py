"""MultiPersonDetector's pieces: detector tiles, the same-person test, colour descriptors."""

from __future__ import annotations

import numpy as np

from posemachines.inference.detectors.base import Detection2D, Roi
from posemachines.inference.detectors.multi_person import (
    FEATURE_DIM,
    appearance_features,
    covers,
    detection_tiles,
)
from posemachines.tracking.similarity import cosine_matrix
from tests.tracking.synthetic import walk


def test_tiles_cover_the_frame_at_half_its_short_side() -> None:
    tiles = detection_tiles(768, 576)  # side 288, steps of at most 3/4 side
    assert len(tiles) == 12 and tiles[0] == (0, 0, 288) and tiles[-1] == (480, 288, 288)
    assert sorted({x for x, _, _ in tiles}) == [0, 160, 320, 480]
    assert detection_tiles(480, 270) == [(x, y, 224) for y in (0, 46) for x in (0, 128, 256)]
    assert detection_tiles(200, 100) == []  # smaller than the detector's input: no tiles


def test_a_detection_covers_a_tracked_person_by_hip_centre() -> None:
    tracked = Roi((300.0, 300.0), 200.0, 0.0)
    assert covers(tracked, Roi((310.0, 305.0), 180.0, 0.2))
    assert not covers(tracked, Roi((360.0, 300.0), 200.0, 0.0))  # side by side
    assert not covers(tracked, Roi((300.0, 300.0), 60.0, 0.0))  # a child in front


def person_at(x_px: float) -> Detection2D:
    joints = walk((x_px, 400.0), (x_px, 400.0), 300.0, 1)[0]
    return Detection2D(np.zeros((33, 2)), np.zeros(33), np.ones(33), np.ones(33), joints,
                       np.ones(16), Roi((x_px, 250.0), 300.0, 0.0), 1.0)


def test_colour_descriptors_tell_clothes_apart() -> None:
    frame = np.zeros((480, 640, 3), dtype=np.uint8)
    frame[:, :320] = (200, 30, 30)   # red on the left
    frame[:, 320:] = (30, 30, 200)   # blue on the right
    features = appearance_features(frame, [person_at(150), person_at(200), person_at(480)])
    assert features.shape == (3, FEATURE_DIM)
    np.testing.assert_allclose(features.reshape(3, 2, -1).sum(axis=2), 1.0, rtol=1e-6)
    similarity = cosine_matrix(features, features)
    assert similarity[0, 1] > 0.99 and similarity[0, 2] < 0.05
