"""Recording a live span: the frames' results gathered into a `PoseResult` and written.

Each recorded span is a take, written on stop into OUT/take_NNN/ by the offline writers
(`export.write_outputs`: poses3d.json, motion.bvh, ...), so a live take reads back like any
`infer` result. Frames dropped by a live source are gaps in `frame_indices` (the BVH
interpolates them); frames without a person are `missing_frames`.
"""

from __future__ import annotations

import dataclasses
import threading
from collections.abc import Sequence
from pathlib import Path

import numpy as np

from posemachines.errors import PoseInputError
from posemachines.export.writer import OUTPUT_FORMATS, write_outputs
from posemachines.inference.stream import FrameResult
from posemachines.structures import PoseResult

#: What `live` writes by default, and what it can write (no video is kept, so no overlay).
DEFAULT_FORMATS: tuple[str, ...] = ("json", "bvh")
LIVE_FORMATS: tuple[str, ...] = tuple(name for name in OUTPUT_FORMATS if name != "overlay")
#: What a recorded frame keeps of its image: nothing (a take of 720p frames would fill memory).
NO_IMAGE = np.zeros((0, 0, 3), dtype=np.uint8)


def check_formats(formats: Sequence[str]) -> tuple[str, ...]:
    """`formats` if `live` can write each of them, else PoseInputError naming the known ones."""
    unknown = [name for name in formats if name not in LIVE_FORMATS]
    if unknown or not formats:
        raise PoseInputError(f"Unknown or unsupported live format(s) {', '.join(unknown)}; "
                             f"use {', '.join(LIVE_FORMATS)}.")
    return tuple(dict.fromkeys(formats))


def result_from_frames(frames: Sequence[FrameResult], fps: float, image_size: tuple[int, int],
                       source: str) -> PoseResult | None:
    """The frames with a person as a PoseResult (None when none had one); fps: the source's."""
    posed = [(frame, frame.pose3d_mm, frame.keypoints_px, frame.confidence) for frame in frames
             if frame.pose3d_mm is not None and frame.keypoints_px is not None
             and frame.confidence is not None]
    if not posed:
        return None
    translations = [frame.root_translation_mm for frame, *_ in posed]
    root = None
    if all(t is not None and np.isfinite(t).all() for t in translations):
        root = np.stack([t for t in translations if t is not None]).astype(np.float64)
    return PoseResult(
        pose3d_mm=np.stack([pose for _, pose, _, _ in posed]).astype(np.float32),
        keypoints_px=np.stack([xy for _, _, xy, _ in posed]).astype(np.float32),
        confidence=np.stack([conf for *_, conf in posed]).astype(np.float32),
        frame_indices=np.array([frame.frame_index for frame, *_ in posed], dtype=np.int64),
        timestamps_s=np.array([frame.timestamp_s for frame, *_ in posed], dtype=np.float64),
        fps=float(fps), image_size=(int(image_size[0]), int(image_size[1])), source=source,
        missing_frames=tuple(frame.frame_index for frame in frames if frame.pose3d_mm is None),
        root_translation_mm=root,
    )


class Recorder:
    """Takes of a live session (thread-safe): `start`, `add` per frame, `stop` writes the take.

    out_dir: where take_NNN/ folders go; formats: from LIVE_FORMATS; fps, image_size, source:
    the stream's, stamped on each take.
    """

    def __init__(self, out_dir: Path, formats: Sequence[str], fps: float,
                 image_size: tuple[int, int], source: str) -> None:
        self.out_dir, self.formats = Path(out_dir), check_formats(formats)
        self.fps, self.image_size, self.source = fps, image_size, source
        self._lock = threading.Lock()
        self._frames: list[FrameResult] | None = None
        self.takes = 0
        self.written: list[Path] = []

    @property
    def recording(self) -> bool:
        return self._frames is not None

    @property
    def frames(self) -> int:
        """Frames in the take being recorded (0 when not recording)."""
        with self._lock:
            return len(self._frames or ())

    def start(self) -> None:
        with self._lock:
            if self._frames is None:
                self._frames = []

    def add(self, frame: FrameResult) -> None:
        """Keep `frame` (without its image) if a take is being recorded."""
        with self._lock:
            if self._frames is not None:
                self._frames.append(dataclasses.replace(frame, rgb=NO_IMAGE))

    def stop(self) -> list[Path]:
        """End the take and write it (nothing when no frame had a person); the paths written."""
        with self._lock:
            frames, self._frames = self._frames, None
            if not frames:
                return []
            result = result_from_frames(frames, self.fps, self.image_size, self.source)
            if result is None:
                return []
            self.takes += 1
            paths = write_outputs(result, self.out_dir / f"take_{self.takes:03d}", self.formats)
            self.written.extend(paths)
            return paths
