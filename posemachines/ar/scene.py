"""What every effect reads: the tracked body, its bone frames, the floor and the foot contacts;
and the `Effect` interface the effects implement."""

from __future__ import annotations

from abc import ABC, abstractmethod
from dataclasses import dataclass
from typing import ClassVar

import numpy as np

from posemachines.ar.floor import Floor
from posemachines.ar.meshes import Prop
from posemachines.ar.rig import (
    EARS,
    HEAD,
    LSHOULDER,
    RSHOULDER,
    THORAX,
    BodyTrack,
    face_frames,
    frame_from,
    torso_frame,
    unit,
)

#: Without face landmarks, how much the head's up leans to the floor's up (gravity): thorax ->
#: head top tilts with the chest when a person bends but keeps looking ahead.
HEAD_UPRIGHT = 2.0


@dataclass(frozen=True, eq=False)
class Scene:
    """The body over N frames with the floor: track; head and torso rotations (N, 3, 3)
    (columns left, up, forward; NaN where no body); floor; contacts (N, 2) bool, right and left
    foot down; eyes_mm: (N, 3) camera mm on the ray through the eyes' midpoint at the head's
    depth, NaN where the face was not seen (None without face landmarks)."""

    track: BodyTrack
    head: np.ndarray
    torso: np.ndarray
    floor: Floor
    contacts: np.ndarray
    eyes_mm: np.ndarray | None = None

    @classmethod
    def build(cls, track: BodyTrack, floor: Floor, contacts: np.ndarray,
              face_px: np.ndarray | None = None) -> Scene:
        """face_px: (N, 4, 3) face landmarks per frame (`rig.face_frames`), NaN where not seen;
        without them the head turns with the shoulders and leans to gravity."""
        joints = track.joints_mm
        up = unit(joints[:, HEAD] - joints[:, THORAX]) + HEAD_UPRIGHT * floor.normal
        head = frame_from(up, joints[:, LSHOULDER] - joints[:, RSHOULDER])
        if face_px is not None:
            faced = face_frames(face_px, track.fps)
            seen = np.isfinite(faced).all(axis=(1, 2))
            head[seen] = faced[seen]
        return cls(track, head, torso_frame(joints), floor, contacts)

    def joints(self, frame: int) -> np.ndarray:
        """(16, 3) camera mm at source frame `frame`."""
        return np.asarray(self.track.joints_mm[frame])

    def head_centre(self, frame: int) -> np.ndarray:
        """(3,) mm: the centre of the head, a little above and in front of the ears."""
        joints, h = self.joints(frame), self.track.head_mm
        ears = joints[THORAX] + EARS * (joints[HEAD] - joints[THORAX])
        return ears + self.head[frame] @ np.array([0.0, 0.04 * h, 0.06 * h])


class Effect(ABC):
    """An AR effect: props attached to the body in each frame.

    name, description: for `--effect list`; anchors: the joints the props hang on (their
    projections are what the accuracy table compares with the 2D keypoints).
    """

    name: ClassVar[str]
    description: ClassVar[str]
    anchors: ClassVar[tuple[int, ...]]

    def __init__(self, scene: Scene) -> None:
        self.scene = scene

    def props(self, frame: int) -> list[Prop]:
        """The props at source frame `frame` (none where the body is not tracked)."""
        track = self.scene.track
        if not (0 <= frame < track.num_frames and track.present[frame]):
            return []
        return self.props_at(frame)

    @abstractmethod
    def props_at(self, frame: int) -> list[Prop]:
        """The props at a frame where the body is tracked."""
