"""Several people in one 3D scene: everyone's skeleton in one Y-up frame, for skeleton3d.mp4
and viewer.html.

With the world frame (`PoseResult.world` in frame 'world'; `inference.shared_floor` puts every
person on the one floor, in one coordinate system) the people stand on the floor, y = 0.
Without it (`--no-world`, or a moving camera's camera-frame fallback) each person's absolute
camera-frame joints (the fallback's world joints, else `pose3d_mm` + `root_translation_mm`) are
turned Y up as the world frame is (x -> -x, y -> -y: X = Y x Z) and lifted so that the
people's typical lowest joint lies at y = 0: the floor of a level camera (a camera tilted
down tilts it, so people farther away stand a little above it). Either way the people stand
apart where they are in the video.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass

import numpy as np

from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult
from posemachines.viz.world_view import Figure

logger = logging.getLogger(__name__)
#: Camera frame (x right, y down, z forward) -> Y up with X = Y x Z.
CAMERA_TO_Y_UP = np.diag([-1.0, -1.0, 1.0])


@dataclass(frozen=True, eq=False)
class PeopleScene:
    """figures: one per person placed (ids ascending), steps = source frames; frame: 'world'
    (the floor found under the people) or 'camera' (levelled camera frame, floor at the
    people's feet); num_steps: source frames."""

    figures: list[Figure]
    frame: str
    num_steps: int


def _camera_joints(person: PoseResult) -> np.ndarray | None:
    """(T, 16, 3) mm absolute camera-frame joints, or None when the person has no place."""
    world = person.world
    if world is not None and world.frame == "camera":
        return np.asarray(world.joints_mm, dtype=np.float64)
    if world is not None and person.camera is not None:
        return np.asarray(person.camera.world_to_camera(world.joints_mm), dtype=np.float64)
    if person.root_translation_mm is None:
        return None
    return (np.asarray(person.pose3d_mm, dtype=np.float64)
            + np.asarray(person.root_translation_mm, dtype=np.float64)[:, None])


def people_scene(people: PeopleResult) -> PeopleScene:
    """Everyone in one Y-up frame (see the module docstring). A person with no place (no world
    pose and no root translation) is left out with a warning."""
    figures = []
    reference = next((person for _, person in people if person.world is not None
                      and person.world.frame == "world" and person.camera is not None), None)
    placed: dict[int, tuple[np.ndarray, PoseResult]] = {}
    for person_id, person in people:
        world = person.world
        if reference is not None and world is not None and world.frame == "world":
            placed[person_id] = (np.asarray(world.joints_mm, dtype=np.float64), person)
            continue
        joints = _camera_joints(person)
        if joints is None:
            logger.warning("person %d has no place in the scene (no root translation); not "
                           "shown in the 3D views.", person_id)
        elif reference is not None:
            assert reference.camera is not None
            placed[person_id] = (np.asarray(reference.camera.camera_to_world(joints)), person)
        else:
            placed[person_id] = (joints @ CAMERA_TO_Y_UP.T, person)
    if reference is None and placed:
        lowest = np.concatenate([joints[..., 1].min(axis=-1) for joints, _ in placed.values()])
        for joints, _ in placed.values():
            joints[..., 1] -= float(np.median(lowest))
    for person_id, (joints, person) in placed.items():
        contacts = None
        if reference is not None and person.world is not None and person.world.frame == "world":
            contacts = person.world.contacts
        figures.append(Figure(joints, np.asarray(person.frame_indices, dtype=np.int64),
                              np.asarray(person.confidence), contacts, person_id))
    return PeopleScene(figures, "world" if reference is not None else "camera",
                       people.num_frames)
