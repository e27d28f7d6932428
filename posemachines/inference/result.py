"""The result of lifting one person's 2D keypoints to 3D over a video, image or keypoint file."""

from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posemachines.skeleton import JOINTS16_NAMES


@dataclass(frozen=True)
class CorrectionInfo:
    """Per-frame record of test-time correction (all arrays (T,)).

    steps: gradient steps taken; kept: False where the correction was discarded (moved too
    far); displacement_mm: how far the watched joints moved in total.
    """

    method: str
    steps: np.ndarray
    kept: np.ndarray
    displacement_mm: np.ndarray


@dataclass(frozen=True)
class PoseResult:
    """3D poses of one person over the frames where a person was found.

    pose3d_mm: (T, 16, 3) mm, camera frame (x right, y down, z forward), root-relative.
    keypoints_px: (T, 16, 2) the 2D joints the poses were lifted from, image px.
    confidence: (T, 16) in [0, 1]. frame_indices: (T,) index of each pose's source frame.
    timestamps_s: (T,) seconds. missing_frames: source frames where no person was found.
    image_size: (width, height) px; fps of the source (frame time of exported motion).
    """

    pose3d_mm: np.ndarray
    keypoints_px: np.ndarray
    confidence: np.ndarray
    frame_indices: np.ndarray
    timestamps_s: np.ndarray
    fps: float
    image_size: tuple[int, int]
    source: str = ""
    missing_frames: tuple[int, ...] = ()
    correction: CorrectionInfo | None = None
    joint_names: tuple[str, ...] = field(default=JOINTS16_NAMES)

    @property
    def num_frames(self) -> int:
        return int(self.pose3d_mm.shape[0])

    # Writers live in posemachines.export / viz (imported on use: they import this module).
    def to_json(self, path: Path | str) -> Path:
        """poses3d.json (schema: docs/poses3d_schema.md)."""
        from posemachines.export.formats import write_json

        return write_json(self, path)

    def to_npz(self, path: Path | str) -> Path:
        from posemachines.export.formats import write_npz

        return write_npz(self, path)

    def to_csv(self, path: Path | str) -> Path:
        from posemachines.export.formats import write_csv

        return write_csv(self, path)

    def to_bvh(self, path: Path | str) -> Path:
        """A BVH animation of the 16-joint skeleton with constant bone lengths."""
        from posemachines.export.bvh_export import write_motion_bvh

        return write_motion_bvh(self, path)

    def to_html(self, path: Path | str) -> Path:
        """A self-contained offline 3D viewer page."""
        from posemachines.viz.html_viewer import write_html_viewer

        return write_html_viewer(self, path)
