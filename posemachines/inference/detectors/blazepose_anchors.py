"""BlazePose person detector post-processing: SSD anchors, box decoding, weighted NMS.

Written here because no maintained Python package decodes MediaPipe's detector outputs without
pulling in mediapipe itself; the constants follow MediaPipe's `pose_detection_cpu.pbtxt`
(`SsdAnchorsCalculator`, `TensorsToDetectionsCalculator`, `NonMaxSuppressionCalculator`).
All coordinates here are normalised to [0, 1] of the square detector input unless stated.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

DETECTOR_INPUT_SIZE = 224
#: SsdAnchorsCalculator options of MediaPipe's pose detector (fixed_anchor_size: true).
ANCHOR_STRIDES: tuple[int, ...] = (8, 16, 32, 32, 32)
ANCHORS_PER_LAYER = 2  # aspect ratio 1.0 plus the interpolated-scale anchor
NUM_ANCHORS = 2254
NUM_DETECTOR_KEYPOINTS = 4  # mid-hip, full-body scale point, mid-shoulder, upper-body point
SCORE_CLIPPING = 100.0
MIN_SCORE = 0.5
NMS_IOU_THRESHOLD = 0.3


@dataclass(frozen=True)
class PersonDetections:
    """Decoded detector output for K people.

    boxes: (K, 4) xmin, ymin, xmax, ymax normalised; keypoints: (K, 4, 2) x, y normalised;
    scores: (K,) in [0, 1], best first after NMS.
    """

    boxes: np.ndarray
    keypoints: np.ndarray
    scores: np.ndarray

    def __len__(self) -> int:
        return int(self.scores.shape[0])


def ssd_anchor_centers(
    input_size: int = DETECTOR_INPUT_SIZE, strides: tuple[int, ...] = ANCHOR_STRIDES
) -> np.ndarray:
    """(N, 2) anchor centres x, y normalised, in MediaPipe's order (layers of equal stride merged).

    With fixed-size anchors every anchor is 1x1, so only the centres matter: per feature-map
    cell (row-major), one anchor per layer sharing that stride times ANCHORS_PER_LAYER.
    """
    centers = []
    layer = 0
    while layer < len(strides):
        stride = strides[layer]
        same = sum(1 for s in strides[layer:] if s == stride)
        cells = int(np.ceil(input_size / stride))
        grid = (np.arange(cells, dtype=np.float64) + 0.5) / cells
        ys, xs = np.meshgrid(grid, grid, indexing="ij")
        cell_centers = np.stack([xs.ravel(), ys.ravel()], axis=-1)
        centers.append(np.repeat(cell_centers, same * ANCHORS_PER_LAYER, axis=0))
        layer += same
    return np.concatenate(centers).astype(np.float32)


def sigmoid(x: np.ndarray) -> np.ndarray:
    """Elementwise logistic function, stable for large |x|."""
    return 0.5 * (1.0 + np.tanh(0.5 * np.asarray(x, dtype=np.float64)))


def decode_detections(
    raw_boxes: np.ndarray,
    raw_scores: np.ndarray,
    anchors: np.ndarray,
    input_size: int = DETECTOR_INPUT_SIZE,
    min_score: float = MIN_SCORE,
) -> PersonDetections:
    """Raw regressors (N, 12) and logits (N, 1) -> detections scoring at least `min_score`.

    Each row holds box centre x, y, width, height then 4 keypoints (x, y), all in input pixels
    relative to its anchor centre; scores are clipped to +-100 before the sigmoid.
    """
    raw_boxes = np.asarray(raw_boxes, dtype=np.float64).reshape(len(anchors), -1)
    scores = sigmoid(np.clip(np.asarray(raw_scores).reshape(-1), -SCORE_CLIPPING, SCORE_CLIPPING))
    keep = scores >= min_score
    raw, anchor, scores = raw_boxes[keep], anchors[keep].astype(np.float64), scores[keep]
    center = raw[:, 0:2] / input_size + anchor
    half = raw[:, 2:4] / input_size / 2.0
    boxes = np.concatenate([center - half, center + half], axis=1)
    points = raw[:, 4 : 4 + 2 * NUM_DETECTOR_KEYPOINTS].reshape(-1, NUM_DETECTOR_KEYPOINTS, 2)
    keypoints = points / input_size + anchor[:, None, :]
    return PersonDetections(boxes, keypoints, scores)


def pairwise_iou(boxes: np.ndarray) -> np.ndarray:
    """IoU between all (K, 4) boxes (xmin, ymin, xmax, ymax) -> (K, K); 0 for empty unions."""
    top_left = np.maximum(boxes[:, None, :2], boxes[None, :, :2])
    bottom_right = np.minimum(boxes[:, None, 2:], boxes[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=2)
    areas = np.prod(boxes[:, 2:] - boxes[:, :2], axis=1)
    union = areas[:, None] + areas[None, :] - inter
    return np.where(union > 0, inter / np.where(union > 0, union, 1.0), 0.0)


def weighted_nms(
    detections: PersonDetections, iou_threshold: float = NMS_IOU_THRESHOLD
) -> PersonDetections:
    """MediaPipe's WEIGHTED non-max suppression, best score first.

    Each kept detection's box and keypoints are the score-weighted mean of every remaining
    detection overlapping it by IoU > `iou_threshold`; its score stays the best one's.
    """
    order = np.argsort(-detections.scores, kind="stable")
    iou = pairwise_iou(detections.boxes)
    boxes_out, keypoints_out, scores_out = [], [], []
    while order.size:
        best = order[0]
        overlap = iou[best, order] > iou_threshold
        overlap[0] = True
        group, order = order[overlap], order[~overlap]
        weights = detections.scores[group] / detections.scores[group].sum()
        boxes_out.append(weights @ detections.boxes[group])
        keypoints_out.append(np.einsum("k,kpd->pd", weights, detections.keypoints[group]))
        scores_out.append(detections.scores[best])
    if not scores_out:
        return PersonDetections(
            np.zeros((0, 4)), np.zeros((0, NUM_DETECTOR_KEYPOINTS, 2)), np.zeros(0)
        )
    return PersonDetections(np.stack(boxes_out), np.stack(keypoints_out), np.asarray(scores_out))
