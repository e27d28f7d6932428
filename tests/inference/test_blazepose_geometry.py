"""BlazePose pre/post-processing math against hand-computed values (no models needed)."""

from __future__ import annotations

import math

import numpy as np
import pytest

from posemachines.inference.detectors.base import Roi
from posemachines.inference.detectors.blazepose_anchors import (
    NUM_ANCHORS,
    PersonDetections,
    decode_detections,
    sigmoid,
    ssd_anchor_centers,
    weighted_nms,
)
from posemachines.inference.detectors.blazepose_geometry import (
    crop_roi,
    crop_to_image_px,
    image_to_crop_px,
    letterbox_roi,
    normalize_radians,
    refine_with_heatmap,
    roi_from_alignment_points,
)
from posemachines.inference.detectors.one_euro import OneEuroFilter


def test_anchor_count_and_hand_checked_centres() -> None:
    anchors = ssd_anchor_centers()
    assert anchors.shape == (NUM_ANCHORS, 2) == (2254, 2)
    # stride 8: 28x28 cells x 2 anchors, row-major, both anchors of a cell at its centre.
    np.testing.assert_allclose(anchors[0], [0.5 / 28, 0.5 / 28], atol=1e-7)
    np.testing.assert_allclose(anchors[1], anchors[0])
    np.testing.assert_allclose(anchors[2], [1.5 / 28, 0.5 / 28], atol=1e-7)
    np.testing.assert_allclose(anchors[56], [0.5 / 28, 1.5 / 28], atol=1e-7)
    # stride 16 starts after 1568 anchors; the three stride-32 layers merge into 6 per cell.
    np.testing.assert_allclose(anchors[1568], [0.5 / 14, 0.5 / 14], atol=1e-7)
    np.testing.assert_allclose(anchors[1960:1966], [[0.5 / 7, 0.5 / 7]] * 6, atol=1e-7)
    np.testing.assert_allclose(anchors[1966], [1.5 / 7, 0.5 / 7], atol=1e-7)
    np.testing.assert_allclose(anchors[-1], [6.5 / 7, 6.5 / 7], atol=1e-7)


def test_decoding_one_known_box() -> None:
    anchors = ssd_anchor_centers()
    raw = np.zeros((NUM_ANCHORS, 12), np.float32)
    logits = np.full((NUM_ANCHORS, 1), -10.0, np.float32)
    k = 1570  # a stride-16 anchor at (1.5/14, 0.5/14)
    logits[k] = 3.0
    raw[k, :4] = [22.4, -11.2, 44.8, 67.2]  # input px: centre offset (0.1, -0.05), 0.2 x 0.3
    raw[k, 4:] = [0, 0, 22.4, 0, 0, 22.4, -22.4, -22.4]
    found = decode_detections(raw, logits, anchors)
    assert len(found) == 1
    cx, cy = 1.5 / 14 + 0.1, 0.5 / 14 - 0.05
    np.testing.assert_allclose(
        found.boxes[0], [cx - 0.1, cy - 0.15, cx + 0.1, cy + 0.15], atol=1e-6
    )
    anchor = np.array([1.5 / 14, 0.5 / 14])
    np.testing.assert_allclose(
        found.keypoints[0],
        anchor + np.array([[0, 0], [0.1, 0], [0, 0.1], [-0.1, -0.1]]),
        atol=1e-6,
    )
    assert found.scores[0] == pytest.approx(1 / (1 + math.exp(-3.0)))


def test_decoding_keeps_scores_at_threshold_and_drops_below() -> None:
    anchors = ssd_anchor_centers()
    logits = np.full((NUM_ANCHORS, 1), -10.0)
    logits[[5, 9]] = [[0.0], [-0.01]]  # sigmoid 0.5 (kept) and just below (dropped)
    found = decode_detections(np.zeros((NUM_ANCHORS, 12)), logits, anchors, min_score=0.5)
    assert len(found) == 1
    np.testing.assert_allclose(found.keypoints[0, 0], anchors[5], atol=1e-7)


def test_sigmoid_is_stable_for_huge_logits() -> None:
    np.testing.assert_allclose(sigmoid(np.array([-1e4, 0.0, 1e4])), [0.0, 0.5, 1.0])


def test_weighted_nms_merges_overlaps_by_score() -> None:
    boxes = np.array([[0.0, 0.0, 1.0, 1.0], [0.1, 0.0, 1.1, 1.0], [2.0, 2.0, 3.0, 3.0]])
    keypoints = np.stack([np.full((4, 2), v) for v in (0.0, 1.0, 5.0)])
    scores = np.array([0.6, 0.9, 0.7])
    merged = weighted_nms(PersonDetections(boxes, keypoints, scores), iou_threshold=0.3)
    assert len(merged) == 2
    np.testing.assert_allclose(merged.scores, [0.9, 0.7])  # best score kept, order by score
    w_best, w_other = 0.9 / 1.5, 0.6 / 1.5
    np.testing.assert_allclose(merged.boxes[0], w_best * boxes[1] + w_other * boxes[0])
    np.testing.assert_allclose(merged.keypoints[0], np.full((4, 2), w_best * 1.0))
    np.testing.assert_allclose(merged.boxes[1], boxes[2])


def test_weighted_nms_of_nothing_is_empty() -> None:
    empty = PersonDetections(np.zeros((0, 4)), np.zeros((0, 4, 2)), np.zeros(0))
    assert len(weighted_nms(empty)) == 0


def test_letterbox_removal_for_a_wide_image() -> None:
    square = letterbox_roi(640, 360)  # 140 px of padding above and below
    assert square.size_px == 640 and square.center_px == (320.0, 180.0)
    normalised = np.array([[0.5, 0.5], [0.0, 140 / 640], [1.0, 500 / 640]])
    np.testing.assert_allclose(
        crop_to_image_px(normalised * 224, square, 224), [[320, 180], [0, 0], [640, 360]], atol=1e-9
    )


@pytest.mark.parametrize(
    ("center", "scale_point", "size", "rotation"),
    [
        ((50, 80), (50, 40), 100.0, 0.0),  # upright: scale point straight above
        ((100, 200), (130, 200), 75.0, math.pi / 2),  # lying, head to the right
        ((0, 0), (-3, -4), 12.5, math.atan2(4, 3) - math.pi / 2),  # leaning left
    ],
)
def test_roi_from_two_keypoints(center, scale_point, size, rotation) -> None:
    roi = roi_from_alignment_points(np.array(center), np.array(scale_point))
    assert roi.center_px == center
    assert roi.size_px == pytest.approx(size)
    assert roi.rotation_rad == pytest.approx(rotation)
    # the scale point lies straight "up" in the crop, half a ROI / 1.25 from the centre
    crop = image_to_crop_px(np.array([scale_point]), roi, 256)[0]
    np.testing.assert_allclose(crop, [128, 128 - 128 / 1.25], atol=1e-9)


def test_normalize_radians_wraps_into_minus_pi_pi() -> None:
    assert normalize_radians(1.5 * math.pi) == pytest.approx(-0.5 * math.pi)
    assert normalize_radians(-1.5 * math.pi) == pytest.approx(0.5 * math.pi)
    assert normalize_radians(0.25) == pytest.approx(0.25)


def test_unprojection_hand_checked_and_round_trip() -> None:
    upright = Roi((100.0, 50.0), 64.0, 0.0)
    np.testing.assert_allclose(
        crop_to_image_px(np.array([[0, 0], [128, 128]]), upright, 256), [[68, 18], [100, 50]]
    )
    rotated = Roi((100.0, 50.0), 64.0, math.pi / 2)
    np.testing.assert_allclose(
        crop_to_image_px(np.array([[128, 0]]), rotated, 256), [[132, 50]], atol=1e-9
    )
    rng = np.random.default_rng(0)
    for _ in range(5):
        roi = Roi(tuple(rng.uniform(-50, 500, 2)), rng.uniform(10, 900), rng.uniform(-4, 4))
        points = rng.uniform(-100, 700, (40, 2))
        back = crop_to_image_px(image_to_crop_px(points, roi, 256), roi, 256)
        assert np.abs(back - points).max() < 1e-3


def test_crop_samples_where_unprojection_says() -> None:
    image = np.zeros((200, 300, 3), np.uint8)
    image[120:123, 80:83] = 255  # bright 3x3 dot centred on px (81, 121)
    roi = Roi((100.0, 100.0), 128.0, 0.7)
    crop = crop_roi(image, roi, 256)
    weights = crop[..., 0].astype(np.float64)
    rows, cols = np.mgrid[:256, :256]
    centroid = [(cols * weights).sum() / weights.sum(), (rows * weights).sum() / weights.sum()]
    expected = image_to_crop_px(np.array([[81.0, 121.0]]), roi, 256)[0]
    np.testing.assert_allclose(centroid, expected, atol=0.5)


def test_heatmap_refinement_moves_confident_points_only() -> None:
    heatmap = np.full((64, 64, 3), -20.0)
    heatmap[10, 20, 0] = heatmap[10, 21, 0] = 20.0  # two equal peaks: mean at col 20.5
    heatmap[40, 40, 1] = -1.0  # peak sigmoid 0.27 < 0.5: not refined
    points = np.array([[20.2 / 64, 10.3 / 64], [40.1 / 64, 40.4 / 64], [1.2, 0.5]])
    refined = refine_with_heatmap(points, heatmap)
    np.testing.assert_allclose(refined[0], [20.5 / 64, 10 / 64], atol=1e-6)
    np.testing.assert_allclose(refined[1:], points[1:])


def test_one_euro_filter_hand_computed_step() -> None:
    smoother = OneEuroFilter(min_cutoff=1.0, beta=0.0)
    np.testing.assert_allclose(smoother(np.array([0.0]), 0.0), [0.0])
    alpha = 1.0 / (1.0 + (1.0 / (2 * math.pi)) * 30.0)  # cutoff 1 Hz at 30 fps
    np.testing.assert_allclose(smoother(np.array([1.0]), 1 / 30), [alpha])
    np.testing.assert_allclose(smoother(np.array([1.0]), 2 / 30), [alpha + (1 - alpha) * alpha])
    np.testing.assert_allclose(smoother(np.array([5.0]), 2 / 30), [5.0])  # same time: passthrough
    smoother.reset()
    np.testing.assert_allclose(smoother(np.array([7.0]), 3.0), [7.0])
