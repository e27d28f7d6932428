"""What the tracker compares: one frame's people, their boxes, box overlap (IoU) and keypoint
similarity (OKS).

Boxes are (cx, cy, w, h) px for the Kalman filter and (xmin, ymin, xmax, ymax) for overlap.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseDataError

#: Per-joint OKS falloff (fraction of the person's scale) in JOINTS16 order, from COCO's
#: keypoint sigmas (hips 0.107, knees 0.087, ankles 0.089, shoulders 0.079, elbows 0.072,
#: wrists 0.062); pelvis, spine, thorax and head, which COCO lacks, like the nearest COCO joint.
OKS_SIGMAS = np.array([0.107, 0.107, 0.087, 0.089, 0.107, 0.087, 0.089, 0.1, 0.079, 0.035,
                       0.079, 0.072, 0.062, 0.079, 0.072, 0.062])
#: Joints at or above this confidence count as seen (boxes, OKS).
MIN_JOINT_CONFIDENCE = 0.2
#: A box needs this many seen joints; with fewer, every joint is used.
MIN_BOX_JOINTS = 4
#: Boxes are padded by this fraction of their size (joints sit inside the body's outline).
BOX_PADDING = 0.1


@dataclass(frozen=True)
class FramePeople:
    """The people found in one frame.

    xy_px: (K, 16, 2) px, JOINTS16 order; confidence: (K, 16) in [0, 1]; scores: (K,)
    detection confidence in [0, 1]; features: optional (K, D) appearance descriptors
    (compared by cosine similarity), None when the detector gives none; boxes: optional (K, 4)
    cx, cy, w, h px of each whole person (e.g. around joints the detector placed though it
    could not see them), else `boxes_from_keypoints` around the seen joints; regions: optional
    (K,) int, the detector's region each person was found in (the same key while a region is
    followed from frame to frame, whoever is in it), None when the detector has none.
    """

    xy_px: np.ndarray
    confidence: np.ndarray
    scores: np.ndarray
    features: np.ndarray | None = None
    boxes: np.ndarray | None = None
    regions: np.ndarray | None = None

    def __post_init__(self) -> None:
        count = len(self.scores)
        if np.shape(self.xy_px) != (count, 16, 2) or np.shape(self.confidence) != (count, 16):
            raise PoseDataError(
                f"FramePeople needs xy_px (K, 16, 2) and confidence (K, 16) for K={count} "
                f"scores, got {np.shape(self.xy_px)} and {np.shape(self.confidence)}.")
        if self.features is not None and len(self.features) != count:
            raise PoseDataError(f"FramePeople needs one feature row per person ({count}).")
        if self.boxes is not None and np.shape(self.boxes) != (count, 4):
            raise PoseDataError(f"FramePeople boxes must be ({count}, 4).")
        if self.regions is not None and np.shape(self.regions) != (count,):
            raise PoseDataError(f"FramePeople regions must be ({count},).")

    def person_boxes(self) -> np.ndarray:
        """(K, 4) cx, cy, w, h px: `boxes` if given, else around the seen joints."""
        if self.boxes is not None:
            return np.asarray(self.boxes, dtype=np.float64)
        return boxes_from_keypoints(self.xy_px, self.confidence)

    def __len__(self) -> int:
        return len(self.scores)

    @classmethod
    def empty(cls) -> FramePeople:
        return cls(np.zeros((0, 16, 2)), np.zeros((0, 16)), np.zeros(0))


def boxes_from_keypoints(xy_px: np.ndarray, confidence: np.ndarray) -> np.ndarray:
    """(K, 16, 2) px + (K, 16) -> (K, 4) boxes cx, cy, w, h px around the seen joints, padded.

    Width and height are at least 1 px."""
    xy = np.asarray(xy_px, dtype=np.float64)
    seen = np.asarray(confidence) >= MIN_JOINT_CONFIDENCE
    seen[seen.sum(axis=1) < MIN_BOX_JOINTS] = True
    low = np.where(seen[..., None], xy, np.inf).min(axis=1)
    high = np.where(seen[..., None], xy, -np.inf).max(axis=1)
    size = np.maximum((high - low) * (1.0 + 2 * BOX_PADDING), 1.0)
    return np.concatenate([(low + high) / 2.0, size], axis=1)


def corners(boxes: np.ndarray) -> np.ndarray:
    """(K, 4) cx, cy, w, h -> (K, 4) xmin, ymin, xmax, ymax."""
    boxes = np.asarray(boxes, dtype=np.float64).reshape(-1, 4)
    return np.concatenate([boxes[:, :2] - boxes[:, 2:] / 2, boxes[:, :2] + boxes[:, 2:] / 2], 1)


def _overlaps(boxes_a: np.ndarray, boxes_b: np.ndarray
              ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Intersection areas (A, B) and the areas (A,), (B,) of cx, cy, w, h boxes."""
    a, b = corners(boxes_a), corners(boxes_b)
    top_left = np.maximum(a[:, None, :2], b[None, :, :2])
    bottom_right = np.minimum(a[:, None, 2:], b[None, :, 2:])
    inter = np.prod(np.clip(bottom_right - top_left, 0.0, None), axis=2)
    return inter, np.prod(a[:, 2:] - a[:, :2], axis=1), np.prod(b[:, 2:] - b[:, :2], axis=1)


def iou_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """IoU (A, B) between boxes (A, 4) and (B, 4), both cx, cy, w, h."""
    inter, area_a, area_b = _overlaps(boxes_a, boxes_b)
    union = area_a[:, None] + area_b[None, :] - inter
    return inter / np.maximum(union, 1e-9)


def containment_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """(A, B) intersection over the smaller box's area: 1 when one box lies inside the other."""
    inter, area_a, area_b = _overlaps(boxes_a, boxes_b)
    return inter / np.maximum(np.minimum(area_a[:, None], area_b[None, :]), 1e-9)


def inside_matrix(boxes_a: np.ndarray, boxes_b: np.ndarray) -> np.ndarray:
    """(A, B) fraction of each A box's area that lies inside each B box (cx, cy, w, h)."""
    inter, area_a, _ = _overlaps(boxes_a, boxes_b)
    return inter / np.maximum(area_a[:, None], 1e-9)


def parts_of(boxes: np.ndarray, containers: np.ndarray, min_inside: float, max_area: float
             ) -> np.ndarray:
    """(len(boxes),) whether each box (cx, cy, w, h) lies `min_inside` of its area inside one
    of the `containers` and is at most `max_area` of that one's area."""
    area = boxes[:, 2] * boxes[:, 3]
    smaller = area[:, None] < max_area * (containers[:, 2] * containers[:, 3])[None]
    return np.any((inside_matrix(boxes, containers) > min_inside) & smaller, axis=1)


def oks_matrix(xy_a: np.ndarray, conf_a: np.ndarray, xy_b: np.ndarray, conf_b: np.ndarray,
               scale_px: np.ndarray) -> np.ndarray:
    """Object keypoint similarity (A, B) in [0, 1] between poses (A, 16, 2) and (B, 16, 2).

    Each pair is compared on the joints seen in both (confidence >= MIN_JOINT_CONFIDENCE);
    scale_px (A,): the size of each A person (e.g. sqrt of its box area), as COCO's s.
    Pairs with no joint seen in both score 0.
    """
    diff = np.asarray(xy_a, float)[:, None] - np.asarray(xy_b, float)[None]
    squared = np.sum(diff**2, axis=-1)  # (A, B, 16)
    spread = (2.0 * OKS_SIGMAS * np.asarray(scale_px, float)[:, None]) ** 2  # (A, 16)
    similarity = np.exp(-squared / (2.0 * np.maximum(spread[:, None, :], 1e-9)))
    both = ((np.asarray(conf_a)[:, None] >= MIN_JOINT_CONFIDENCE)
            & (np.asarray(conf_b)[None] >= MIN_JOINT_CONFIDENCE))
    count = both.sum(axis=-1)
    return np.where(count > 0, (similarity * both).sum(axis=-1) / np.maximum(count, 1), 0.0)


def cosine_matrix(features_a: np.ndarray, features_b: np.ndarray) -> np.ndarray:
    """Cosine similarity (A, B) between feature rows (A, D) and (B, D); 0 for zero rows."""
    a = np.asarray(features_a, float)
    b = np.asarray(features_b, float)
    norm_a = np.linalg.norm(a, axis=1, keepdims=True)
    norm_b = np.linalg.norm(b, axis=1, keepdims=True)
    return (a / np.maximum(norm_a, 1e-12)) @ (b / np.maximum(norm_b, 1e-12)).T
