"""The world part of a result: where the person is, on which floor, with which feet down.

`WorldPose` is what `PoseResult.world` holds; the numbers come from `posemachines.world`
(`to_world`), this module only carries and validates them so that every layer can read them.
World frame: Y up, floor at y = 0, origin on the floor under the first frame's root, +Z the
camera's forward direction projected onto the floor (docs/world.md).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.errors import PoseDataError

#: The coordinate frames a `WorldPose` can be in.
WORLD_FRAMES = ("world", "camera")


@dataclass(frozen=True, eq=False)
class FootContacts:
    """Foot contacts per frame and contact joint.

    joints: joint indices (F,) into the 16 joints (e.g. RFoot, LFoot); names (F,);
    in_contact (T, F) bool; probability (T, F) in [0, 1].
    """

    joints: tuple[int, ...]
    names: tuple[str, ...]
    in_contact: np.ndarray
    probability: np.ndarray

    def check(self, num_frames: int) -> None:
        """Raise PoseDataError unless both arrays are (num_frames, F) with F = len(joints)."""
        shape = (num_frames, len(self.joints))
        if len(self.names) != len(self.joints):
            raise PoseDataError("FootContacts needs one name per contact joint.")
        for name in ("in_contact", "probability"):
            if np.shape(getattr(self, name)) != shape:
                raise PoseDataError(f"contacts.{name} must have shape {shape}, "
                                    f"got {np.shape(getattr(self, name))}.")
        probability = np.asarray(self.probability)
        if not np.all((probability >= 0) & (probability <= 1)):
            raise PoseDataError("Contact probabilities must lie in [0, 1].")


@dataclass(frozen=True, eq=False)
class WorldPose:
    """The poses placed in a scene, one row per pose of the result.

    frame: 'world' (Y up, floor at y = 0) or 'camera' (x right, y down, z forward; the fallback
    when the camera moves, see `warnings`); joints_mm (T, 16, 3) mm absolute in that frame
    (feet locked to the floor while in contact); contacts: None in the camera frame;
    camera_height_mm, pitch_deg (> 0: looking down), roll_deg (> 0: the scene turned clockwise in
    the image): the static camera above the floor (NaN in the camera frame); metric: lengths
    are true mm (the person's height was given), not the lifter's scale; warnings: sentences
    for the user (moving camera, uncertain floor, gaps filled).
    """

    frame: str
    joints_mm: np.ndarray
    contacts: FootContacts | None = None
    camera_height_mm: float = float("nan")
    pitch_deg: float = float("nan")
    roll_deg: float = float("nan")
    metric: bool = False
    warnings: tuple[str, ...] = ()

    @property
    def root_mm(self) -> np.ndarray:
        """The root's path (T, 3) mm in `frame`."""
        return np.asarray(self.joints_mm)[:, 0]

    def check(self, num_frames: int) -> None:
        """Raise PoseDataError unless the arrays fit a result of num_frames poses."""
        if self.frame not in WORLD_FRAMES:
            raise PoseDataError(f"world.frame must be one of {WORLD_FRAMES}, got {self.frame!r}.")
        if np.shape(self.joints_mm) != (num_frames, 16, 3):
            raise PoseDataError(f"world.joints_mm must have shape ({num_frames}, 16, 3), "
                                f"got {np.shape(self.joints_mm)}.")
        if not np.all(np.isfinite(self.joints_mm)):
            raise PoseDataError("world.joints_mm holds NaN or infinite values.")
        if self.contacts is not None:
            self.contacts.check(num_frames)
