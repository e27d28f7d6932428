"""overlay.mp4: the source video with the 2D skeleton (and optional per-pose text) drawn on it."""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Sequence
from pathlib import Path

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.structures import PoseResult
from posemachines.viz.drawing import MIN_CONFIDENCE, draw_label, draw_skeleton_2d
from posemachines.viz.video import write_video

OVERLAY_NAME = "overlay.mp4"
#: A frame item: an (H, W, 3) uint8 RGB frame, or (index, timestamp_s, frame) as FrameSource
#: yields them.
FrameItem = np.ndarray | tuple[int, float, np.ndarray]


def indexed_frames(frames: Iterable[FrameItem]) -> Iterator[tuple[int, np.ndarray]]:
    """(source frame index, RGB frame) pairs from bare frames (counted from 0) or FrameSource
    items (index, timestamp_s, frame)."""
    for position, item in enumerate(frames):
        if isinstance(item, tuple):
            index, _, frame = item
            yield int(index), frame
        else:
            yield position, item


def pose_rows(result: PoseResult) -> dict[int, int]:
    """Source frame index -> row of `result` (the pose drawn on that frame)."""
    return {int(index): row for row, index in enumerate(result.frame_indices)}


def check_labels(labels: Sequence[str] | None, result: PoseResult) -> None:
    if labels is not None and len(labels) != result.num_frames:
        raise PoseDataError(
            f"labels must hold one text per pose ({result.num_frames}), got {len(labels)}."
        )


def render_overlay_frame(
    frame: np.ndarray,
    keypoints_px: np.ndarray | None,
    confidence: np.ndarray | None,
    label: str = "",
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> np.ndarray:
    """A copy of `frame` (H, W, 3) uint8 RGB with the (16, 2) px skeleton and `label` drawn.

    keypoints_px None (no person in this frame) draws "no person" instead of a skeleton.
    """
    image = np.array(frame, dtype=np.uint8, copy=True)
    scale = max(image.shape[:2]) / 720.0
    thickness, radius = max(1, round(3 * scale)), max(2, round(4 * scale))
    if keypoints_px is None:
        draw_label(image, "no person", scale=max(0.4, 0.6 * scale))
        return image
    draw_skeleton_2d(image, keypoints_px, confidence, min_confidence=min_confidence,
                     thickness=thickness, radius=radius)
    draw_label(image, label, scale=max(0.4, 0.6 * scale))
    return image


def overlay_frame(
    frame: np.ndarray,
    result: PoseResult,
    row: int | None,
    labels: Sequence[str] | None = None,
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> np.ndarray:
    """A copy of `frame` with pose `row` of `result` and its label drawn (None: no person)."""
    if row is None:
        return render_overlay_frame(frame, None, None)
    label = labels[row] if labels is not None else ""
    return render_overlay_frame(frame, result.keypoints_px[row], result.confidence[row], label,
                                min_confidence=min_confidence)


def overlay_frames(
    frames: Iterable[FrameItem],
    result: PoseResult,
    labels: Sequence[str] | None = None,
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> Iterator[np.ndarray]:
    """Yield every frame with its pose drawn (frames without a pose get a "no person" note)."""
    check_labels(labels, result)
    rows = pose_rows(result)
    for index, frame in indexed_frames(frames):
        yield overlay_frame(frame, result, rows.get(index), labels, min_confidence=min_confidence)


def write_overlay(
    frames: Iterable[FrameItem],
    result: PoseResult,
    path: Path | str,
    labels: Sequence[str] | None = None,
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> Path:
    """Write overlay.mp4 (H.264, yuv420p, the result's fps) and return its path.

    frames: the source video's frames, bare or as (index, timestamp_s, frame) items.
    labels: optional text per pose (aligned with `result.frame_indices`; "" draws nothing).
    Joints under `min_confidence` are drawn dimmed.
    """
    check_labels(labels, result)
    write_video(overlay_frames(frames, result, labels, min_confidence=min_confidence), path,
                result.fps)
    return Path(path)
