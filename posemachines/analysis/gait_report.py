"""The analysis' view of the world: gravity from the floor, and gait from the foot contacts.

A result placed in the world (`PoseResult.world`, frame 'world') knows the floor, so "up" is the
floor's normal rather than a guess from the body (`analysis.vertical`), and its foot contacts
give the gait (`world.gait`). Gaps where no person was found are bridged (joints linear in time,
no contact) so that times stay true.
"""

from __future__ import annotations

import math

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures import PoseResult
from posemachines.structures.analysis import GaitSection
from posemachines.world.body import leg_length_mm
from posemachines.world.gait import gait_from_flags

#: What `VerticalSection.method` says when up comes from the world frame's floor.
FLOOR_METHOD = "floor (world frame)"


def world_up(result: PoseResult) -> np.ndarray | None:
    """(3,) unit up in the camera frame from the result's floor, or None without a world."""
    if result.world is None or result.world.frame != "world" or result.camera is None:
        return None
    return np.asarray(result.camera.R, dtype=np.float64) @ np.array([0.0, 1.0, 0.0])


def _round(value: float) -> float | None:
    return round(float(value), 3) if math.isfinite(value) else None


def gait_section(result: PoseResult) -> GaitSection:
    """Cadence, step and stride length, walking speed and stance of `result`'s world walk."""
    world = result.world
    if world is None or world.frame != "world":
        raise PoseDataError("Gait needs the world frame (a static camera, and not --no-world).")
    if world.contacts is None:
        raise PoseDataError("Gait needs foot contacts, and this result's world has none.")
    if list(result.joint_names) != list(JOINTS16_NAMES):
        raise PoseDataError("Gait needs the 16-joint skeleton in its own order.")
    frames = np.asarray(result.frame_indices, dtype=np.int64)
    every = np.arange(frames[0], frames[-1] + 1)
    joints = np.asarray(world.joints_mm, dtype=np.float64)
    filled = np.stack([np.interp(every, frames, column)
                       for column in joints.reshape(len(frames), -1).T], axis=1)
    flags = np.zeros((len(every), len(world.contacts.joints)), dtype=bool)
    flags[frames - frames[0]] = world.contacts.in_contact
    gait = gait_from_flags(flags, world.contacts.joints, world.contacts.names,
                           filled.reshape(len(every), -1, 3), result.fps,
                           leg_length_mm(filled.reshape(len(every), -1, 3)), world.metric)
    return GaitSection(
        num_steps=gait.num_steps, cadence_steps_per_min=_round(gait.cadence.value),
        step_length=_round(gait.step_length.value),
        stride_length=_round(gait.stride_length.value),
        walking_speed=_round(gait.walking_speed.value), length_unit=gait.step_length.unit,
        stance_fraction={name: _round(value) for name, value in gait.stance_fraction.items()},
    )
