"""The floor in the camera frame, and when each foot stands on it.

With a world result (`PoseResult.world` in frame 'world': Y up, floor y = 0, and
`PoseResult.camera` R, t_mm world -> camera) the floor is that plane moved into the camera
frame and the contacts are the world's. Without one the floor lies under the lowest foot,
perpendicular to the clip's mean body axis, and a foot is down while it is near that floor and
slow.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.ar.rig import HEAD, HIP, LFOOT, RFOOT, BodyTrack, unit
from posemachines.structures import PoseResult

FEET = (RFOOT, LFOOT)
#: Ankle joint above the sole, as a fraction of standing height (about 70 mm for 1.7 m).
ANKLE_HEIGHT = 0.04
#: Fallback contact: the ankle within this fraction of height of its resting level ...
CONTACT_HEIGHT = 0.04
#: ... and moving slower than this many heights per second.
CONTACT_SPEED = 0.35


@dataclass(frozen=True)
class Floor:
    """A plane in camera mm: point_mm (3,) on it, normal (3,) unit, pointing up."""

    point_mm: np.ndarray
    normal: np.ndarray

    def height(self, points_mm: np.ndarray) -> np.ndarray:
        """Signed height (...,) mm of points (..., 3) above the floor."""
        return np.asarray((points_mm - self.point_mm) @ self.normal)

    def drop(self, points_mm: np.ndarray) -> np.ndarray:
        """Points (..., 3) moved straight down onto the floor."""
        return points_mm - self.height(points_mm)[..., None] * self.normal


def floor_of(result: PoseResult, track: BodyTrack) -> Floor:
    """The floor: the world's when `result` has one in the world frame, else under the feet."""
    world, camera = result.world, result.camera
    if world is not None and world.frame == "world" and camera is not None:
        return Floor(point_mm=np.asarray(camera.t_mm, np.float64),
                     normal=np.asarray(camera.R, np.float64) @ np.array([0.0, 1.0, 0.0]))
    joints = track.joints_mm[track.present]
    up = unit(np.mean(unit(joints[:, HEAD] - joints[:, HIP]), axis=0))
    ankles = joints[:, FEET].reshape(-1, 3)
    lowest = ankles[np.argmin(ankles @ up)]
    return Floor(point_mm=lowest - ANKLE_HEIGHT * track.height_mm * up, normal=up)


def foot_contacts(result: PoseResult, track: BodyTrack, floor: Floor) -> np.ndarray:
    """(N, 2) bool over the track's frames: right and left foot on the floor."""
    contacts = result.world.contacts if result.world is not None else None
    if contacts is not None and all(j in contacts.joints for j in FEET):
        columns = [contacts.joints.index(j) for j in FEET]
        dense = np.zeros((track.num_frames, 2), bool)
        rows = np.asarray(result.frame_indices)
        keep = rows < track.num_frames
        dense[rows[keep]] = np.asarray(contacts.in_contact)[keep][:, columns]
        return dense & track.present[:, None]
    ankles = track.joints_mm[:, FEET]
    height = floor.height(ankles) - ANKLE_HEIGHT * track.height_mm
    if track.num_frames < 2:  # one image: no speed to tell
        speed = np.zeros(ankles.shape[:2])
    else:
        speed = np.linalg.norm(np.gradient(ankles, axis=0), axis=-1) * track.fps
    down = (height < CONTACT_HEIGHT * track.height_mm) & \
        (speed < CONTACT_SPEED * track.height_mm)
    return down & track.present[:, None]
