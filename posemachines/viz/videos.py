"""overlay.mp4 and skeleton3d.mp4 from one pass over the source frames (decoded once), for one
person (`PoseResult`) or several (`PeopleResult`: each in their own colour with their id).

Each video has its own ffmpeg process and feeding thread (`video.VideoEncoder`), so drawing,
colour conversion and the two x264 encoders run side by side.
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult
from posemachines.viz.drawing import MIN_CONFIDENCE
from posemachines.viz.overlay import (
    FrameItem,
    check_labels,
    indexed_frames,
    overlay_frame,
    pose_rows,
)
from posemachines.viz.people_overlay import (
    PeopleLabels,
    check_people_labels,
    people_overlay_frame,
    people_rows,
)
from posemachines.viz.skeleton3d import Skeleton3DComposer
from posemachines.viz.video import VideoEncoder


def write_videos(
    frames: Iterable[FrameItem],
    result: PoseResult | PeopleResult,
    overlay_path: Path | str | None = None,
    skeleton3d_path: Path | str | None = None,
    labels: Sequence[str] | PeopleLabels | None = None,
    *,
    min_confidence: float = MIN_CONFIDENCE,
) -> list[Path]:
    """Write the videos whose path is given (None skips one) and return their paths.

    The same files as `overlay.write_overlay` and `skeleton3d.write_skeleton3d` with the source
    video (`people_overlay.write_people_overlay` for several people): frames bare or as (index,
    timestamp_s, frame) items; labels one text per pose ({id: texts} for several people).
    """
    if labels is not None and isinstance(result, PeopleResult) != isinstance(labels, Mapping):
        raise PoseDataError("labels must be {id: texts} for several people, one text per "
                            "pose for one.")
    if isinstance(result, PeopleResult):
        people_labels = labels if isinstance(labels, Mapping) else None
        check_people_labels(result, people_labels)
        people_at = people_rows(result)

        def draw(index: int, frame: np.ndarray) -> np.ndarray:
            return people_overlay_frame(frame, result, people_at.get(index, []),
                                        people_labels, min_confidence=min_confidence)
    else:
        texts = None if isinstance(labels, Mapping) else labels
        check_labels(texts, result)
        rows = pose_rows(result)

        def draw(index: int, frame: np.ndarray) -> np.ndarray:
            return overlay_frame(frame, result, rows.get(index), texts,
                                 min_confidence=min_confidence)
    composer = Skeleton3DComposer(result) if skeleton3d_path is not None else None
    overlay = skeleton3d = None
    encoders: list[VideoEncoder] = []
    finished = False
    try:
        if overlay_path is not None:
            overlay = VideoEncoder(overlay_path, result.fps)
            encoders.append(overlay)
        if skeleton3d_path is not None:
            skeleton3d = VideoEncoder(skeleton3d_path, result.fps)
            encoders.append(skeleton3d)
        for index, frame in indexed_frames(frames):
            if overlay is not None:
                overlay.write(draw(index, frame))
            if composer is not None and skeleton3d is not None:
                skeleton3d.write(composer.compose(index, frame))
        for encoder in encoders:
            encoder.close()
        finished = True
    finally:
        if not finished:
            for encoder in encoders:
                encoder.abort()
    return [encoder.path for encoder in encoders]
