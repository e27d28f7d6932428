"""Gait metrics from foot contacts and the world trajectory.

A step is a heel strike: the start of a contact span (a span already running at the first frame
is not counted). Cadence = 60 * (steps - 1) / (time from the first to the last strike).
Step length: horizontal distance between consecutive footprints of opposite feet, along the
direction of travel (the root's horizontal motion between the two strikes); median over steps.
Walking speed: median stride length (consecutive footprints of one foot) over median stride
time. Stance fraction per foot: the share of contact frames between its first and last strike
(whole gait cycles only). Lengths are in metres when the metric scale is known, else in leg
lengths (hip-knee-ankle), so that they mean something at the network's own scale.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.arrays import true_runs
from posemachines.errors import PoseInputError
from posemachines.world.body import leg_length_mm
from posemachines.world.contacts import Contacts


@dataclass(frozen=True)
class Measure:
    """A value with its unit, e.g. Measure(1.32, 'm/s') or Measure(1.6, 'leg lengths/s')."""

    value: float
    unit: str


@dataclass(frozen=True, eq=False)
class GaitMetrics:
    """num_steps: heel strikes; cadence (steps/min); step_length and stride_length (m or leg
    lengths); walking_speed (m/s or leg lengths/s); stance_fraction, swing_fraction per contact
    joint name (NaN without a whole cycle); metric: lengths in metres; NaN values where fewer
    than two strikes (or steps) were seen."""

    num_steps: int
    cadence: Measure
    step_length: Measure
    stride_length: Measure
    walking_speed: Measure
    stance_fraction: dict[str, float]
    swing_fraction: dict[str, float]
    metric: bool


def _nan_median(values: list[float]) -> float:
    return float(np.median(values)) if values else float("nan")


def gait_metrics(
    contacts: Contacts, joints_world_mm: np.ndarray, metric: bool = False,
) -> GaitMetrics:
    """Gait of world joints (T, J, 3) mm (Y up; joint 0 the root) with their `contacts`."""
    return gait_from_flags(contacts.in_contact, contacts.joints, contacts.names, joints_world_mm,
                           contacts.fps, contacts.leg_length_mm, metric)


def gait_from_flags(
    in_contact: np.ndarray, contact_joints: tuple[int, ...], names: tuple[str, ...],
    joints_world_mm: np.ndarray, fps: float, leg_length_mm: float, metric: bool = False,
) -> GaitMetrics:
    """Gait of world joints (T, J, 3) mm from contact flags (T, F) of `contact_joints` (their
    `names`); fps of the frames; leg_length_mm: the length unit when not `metric`."""
    joints = np.asarray(joints_world_mm, dtype=np.float64)
    flags = np.asarray(in_contact, dtype=bool)
    if joints.ndim != 3 or flags.ndim != 2 or len(joints) != len(flags):
        raise PoseInputError("gait_metrics needs world joints (T, J, 3) matching the contacts.")
    root = joints[:, 0]
    strikes = []  # (frame, column, footprint xz)
    for column, joint in enumerate(contact_joints):
        starts, stops = true_runs(flags[:, column])
        for start, stop in zip(starts, stops, strict=True):
            if start > 0:
                spot = np.median(joints[start:stop, joint][:, [0, 2]], axis=0)
                strikes.append((start, column, spot))
    strikes.sort(key=lambda strike: strike[0])
    frames = np.array([s[0] for s in strikes], dtype=float)
    cadence = (60.0 * (len(frames) - 1) / ((frames[-1] - frames[0]) / fps)
               if len(frames) >= 2 and frames[-1] > frames[0] else float("nan"))

    steps = []
    for (f0, c0, p0), (f1, c1, p1) in zip(strikes[:-1], strikes[1:], strict=True):
        travel = root[f1, [0, 2]] - root[f0, [0, 2]]
        if c0 != c1 and np.linalg.norm(travel) > 1e-6:
            steps.append(float(abs((p1 - p0) @ travel) / np.linalg.norm(travel)))
    stride_lengths, stride_times = [], []
    stance, swing = {}, {}
    for column, name in enumerate(names):
        own = [s for s in strikes if s[1] == column]
        for (f0, _, p0), (f1, _, p1) in zip(own[:-1], own[1:], strict=True):
            stride_lengths.append(float(np.linalg.norm(p1 - p0)))
            stride_times.append((f1 - f0) / fps)
        if len(own) >= 2:
            stance[name] = float(flags[own[0][0]:own[-1][0], column].mean())
        else:
            stance[name] = float("nan")
        swing[name] = 1.0 - stance[name]

    scale = 1000.0 if metric else leg_length_mm
    unit = "m" if metric else "leg lengths"
    stride = _nan_median(stride_lengths)
    stride_time = _nan_median(stride_times)
    return GaitMetrics(
        num_steps=len(strikes), cadence=Measure(cadence, "steps/min"),
        step_length=Measure(_nan_median(steps) / scale, unit),
        stride_length=Measure(stride / scale, unit),
        walking_speed=Measure(stride / stride_time / scale if stride_time > 0 else float("nan"),
                              f"{unit}/s"),
        stance_fraction=stance, swing_fraction=swing, metric=metric,
    )


def travel_speed_leg_per_s(joints_world_mm: np.ndarray, timestamps_s: np.ndarray,
                           window_s: float = 1.0) -> np.ndarray:
    """(T,) how fast the root crosses the floor, in leg lengths/s: its horizontal (XZ)
    displacement from `window_s` / 2 before each pose to `window_s` / 2 after it (clamped to
    the clip), over that time, of world joints (T, 16, 3) mm (Y up) at `timestamps_s` (T,).
    Averaging over the window removes the sway of each step; 0 for a single pose."""
    joints = np.asarray(joints_world_mm, dtype=np.float64)
    times = np.asarray(timestamps_s, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[-1] != 3 or times.shape != (len(joints),):
        raise PoseInputError(f"travel speed needs world joints (T, J, 3) and T timestamps; got "
                             f"{joints.shape} and {times.shape}.")
    if not window_s > 0:
        raise PoseInputError(f"window_s must be positive, got {window_s}.")
    half = window_s / 2 + 1e-6  # a microsecond of slack for timestamps like k / 30
    before = np.searchsorted(times, times - half, side="left")
    after = np.searchsorted(times, times + half, side="right") - 1
    span = times[after] - times[before]
    ground = joints[:, 0, [0, 2]]
    moved = np.linalg.norm(ground[after] - ground[before], axis=-1)
    speed = np.divide(moved, span, out=np.zeros(len(times)), where=span > 0)
    return speed / leg_length_mm(joints)
