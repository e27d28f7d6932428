"""MultiPersonDetector's pieces: detector tiles, the same-person test, the body-shape test,
colour descriptors."""

from __future__ import annotations

import numpy as np

from posemachines.inference.detectors.base import Detection2D, Roi
from posemachines.inference.detectors.blazepose import RoiLandmarks
from posemachines.inference.detectors.multi_person import (
    FEATURE_DIM,
    appearance_features,
    body_shaped,
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


def landmarks_with_torso(torso_px: float) -> RoiLandmarks:
    """39 landmarks at (100, 100) but the shoulders (11, 12) torso_px above the hips (23, 24)."""
    points = np.full((39, 2), 100.0)
    points[[11, 12]] = [[90.0, 100.0 - torso_px], [110.0, 100.0 - torso_px]]
    points[[23, 24]] = [[92.0, 100.0], [108.0, 100.0]]
    return RoiLandmarks(points, np.zeros(39), np.ones(39), np.ones(39), 0.9)


def test_a_fresh_detection_needs_a_torso_of_a_persons_size() -> None:
    roi = Roi((100.0, 100.0), 200.0, 0.0)
    assert body_shaped(landmarks_with_torso(45.0), roi)       # 0.22 of the region: a person
    assert body_shaped(landmarks_with_torso(23.0), roi)       # 0.115: bending, half hidden
    assert not body_shaped(landmarks_with_torso(12.0), roi)   # 0.06: the bar table


def test_colour_descriptors_tell_olive_from_brown() -> None:
    # The olive jacket (OpenCV hue 21) and the brown coat (9) of the shoppers' clip, alike in
    # saturation and value: a bin apart, they share little (8 hue bins put both in one: 1.0).
    olive = np.zeros((480, 640, 3), dtype=np.uint8)
    olive[:] = (102, 80, 30)   # RGB of hue 21, saturation 180, value 102
    brown = np.zeros_like(olive)
    brown[:] = (102, 52, 30)   # hue 9
    jacket, coat = (appearance_features(frame, [person_at(300)]) for frame in (olive, brown))
    assert cosine_matrix(jacket, coat)[0, 0] < 0.4
