"""Several people on one floor: every person's world pose in one coordinate system.

Each person is lifted and placed in the scene on their own (`scene.place_in_scene`), so each
finds a floor from their own footprints. The camera is one, so the floors are one: the person
whose floor rests on the most foot contacts (then the longest track) gives the world frame, and
everyone else's absolute camera-frame joints are carried into it through that one camera.
A person whose own floor could not be found (a camera-frame fallback for lack of footprints)
is placed on the shared floor too; when nobody has a world frame (e.g. the camera moves),
nothing changes.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Mapping

import numpy as np

from posemachines.structures import PoseResult, WorldPose


def _support(result: PoseResult) -> tuple[int, int]:
    """(contact frames, poses): how well a person's floor is supported."""
    world = result.world
    contacts = 0 if world is None or world.contacts is None else int(
        world.contacts.in_contact.sum())
    return contacts, result.num_frames


def _camera_joints(result: PoseResult) -> np.ndarray | None:
    """(T, 16, 3) absolute camera-frame joints of a person's world pose, or None."""
    world = result.world
    if world is None:
        return None
    if world.frame == "camera":
        return np.asarray(world.joints_mm, dtype=np.float64)
    if result.camera is None:
        return None
    return np.asarray(result.camera.world_to_camera(world.joints_mm), dtype=np.float64)


def one_floor(people: Mapping[int, PoseResult]) -> dict[int, PoseResult]:
    """`people` (id -> result) with every world pose in the best-supported person's world frame
    and that person's camera (see the module docstring)."""
    placed = {person_id: result for person_id, result in people.items()
              if result.world is not None and result.world.frame == "world"
              and result.camera is not None}
    if not placed:
        return dict(people)
    reference_id = max(placed, key=lambda person_id: _support(placed[person_id]))
    reference = placed[reference_id]
    camera, floor = reference.camera, reference.world
    assert camera is not None and floor is not None
    shared = {}
    for person_id, result in people.items():
        joints = _camera_joints(result)
        if person_id == reference_id or joints is None or result.world is None:
            shared[person_id] = result
            continue
        own = result.world
        note = f"Placed on the floor found under person {reference_id} (one floor for everyone)."
        world = WorldPose(
            frame="world", joints_mm=camera.camera_to_world(joints).astype(np.float32),
            contacts=own.contacts if own.frame == "world" else None,
            camera_height_mm=floor.camera_height_mm, pitch_deg=floor.pitch_deg,
            roll_deg=floor.roll_deg, metric=own.metric,
            # a camera-frame fallback's warnings explain the fallback, which no longer holds
            warnings=(*(own.warnings if own.frame == "world" else ()), note))
        shared[person_id] = dataclasses.replace(result, camera=camera, world=world)
    return shared
