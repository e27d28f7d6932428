"""`PoseResult`: one person's 3D poses over a video, with the 2D they came from.

Construction validates every array (shapes, finiteness, the 3D unit), so a result that exists
is one the writers, viewers and analysis can use without checking again.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

import numpy as np

from posemachines.camera import Camera
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures.pose_checks import check_pose_array
from posemachines.structures.world_pose import WorldPose


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
    root_translation_mm: (T, 3) mm, camera frame: where the root is (the trajectory, smoothed
    and filled across frames without a person), None where the correction does not solve it.
    camera: the pinhole camera the poses were solved with (R, t_mm world -> camera when `world`
    is in the world frame, else identity and zero; focal length and principal point, px).
    world: the poses in the scene (floor, contacts), None when not asked for.
    Raises PoseDataError when an array has the wrong shape, non-finite values or another unit.
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
    root_translation_mm: np.ndarray | None = None
    camera: Camera | None = None
    world: WorldPose | None = None
    joint_names: tuple[str, ...] = field(default=JOINTS16_NAMES)

    def __post_init__(self) -> None:
        if np.ndim(self.pose3d_mm) != 3:
            raise PoseDataError(f"pose3d_mm must be (T, 16, 3), got {np.shape(self.pose3d_mm)}.")
        poses = check_pose_array(self.pose3d_mm, name="pose3d_mm", dims=3, num_joints=16)
        num_frames = poses.shape[0]
        check_pose_array(self.keypoints_px, name="keypoints_px", dims=2, num_joints=16)
        if not np.all(np.isfinite(self.confidence)):
            raise PoseDataError("confidence holds NaN or infinite values.")
        expected = {
            "keypoints_px": (num_frames, 16, 2), "confidence": (num_frames, 16),
            "frame_indices": (num_frames,), "timestamps_s": (num_frames,),
        }
        for name, shape in expected.items():
            actual = np.shape(getattr(self, name))
            if actual != shape:
                raise PoseDataError(f"{name} must have shape {shape} for {num_frames} poses, "
                                    f"got {actual}.")
        if len(self.joint_names) != 16:
            raise PoseDataError(f"A result needs 16 joint names, got {len(self.joint_names)}.")
        if not (math.isfinite(self.fps) and self.fps > 0):
            raise PoseDataError(f"The result's fps must be positive, got {self.fps}.")
        if self.correction is not None:
            for name in ("steps", "kept", "displacement_mm"):
                if np.shape(getattr(self.correction, name)) != (num_frames,):
                    raise PoseDataError(f"correction.{name} must have shape ({num_frames},).")
        if self.root_translation_mm is not None:
            if np.shape(self.root_translation_mm) != (num_frames, 3):
                raise PoseDataError(f"root_translation_mm must have shape ({num_frames}, 3), "
                                    f"got {np.shape(self.root_translation_mm)}.")
            if not np.all(np.isfinite(self.root_translation_mm)):
                raise PoseDataError("root_translation_mm holds NaN or infinite values.")
        if self.world is not None:
            self.world.check(num_frames)

    @property
    def num_frames(self) -> int:
        return int(self.pose3d_mm.shape[0])
