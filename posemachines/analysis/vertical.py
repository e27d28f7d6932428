"""Estimate the up direction (against gravity) of a pose sequence seen by a tilted camera.

Root-relative camera-frame poses keep no floor and no world axes, and the camera may be pitched
or rolled. Up is estimated from the body itself: the long body axis (ankles' midpoint -> midpoint
of thorax and head) points up whenever a person stands or walks, and the stride averages out
over a gait cycle. Starting from the camera's own up (-y: cameras are rarely rolled or pitched
by more than ~45 degrees), only stretched-out frames (not crouching, kneeling or sitting) whose
axis lies within MAX_CAMERA_TILT_DEG of the camera's up are candidates. The candidate axis with
most neighbours within UPRIGHT_CONE_DEG seeds a mean shift on the sphere (average the axes in
the cone, re-centre, repeat), so the dominant upright cluster wins even when the person bends,
bows or lies down for much of the sequence. When too few frames are upright (e.g. a clip filmed
entirely on the floor) the camera's up is returned and the method says so. Runners lean
forward, which tilts the estimate by up to ~20 degrees (docs/analysis.md has the errors
measured on the shipped mocap).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.skeleton import JOINTS16_NAMES, unit_vectors

#: Camera frame: x right, y down, z forward, so the camera's own up is -y.
CAMERA_UP = np.array([0.0, -1.0, 0.0])
#: Body axes further than this from the camera's up never count as upright.
MAX_CAMERA_TILT_DEG = 50.0
#: Half-angle of the cone of body axes averaged in each mean-shift step. (A narrower second
#: pass was tried: it tilts less towards bows, but locks onto sub-clusters of varied walks.)
UPRIGHT_CONE_DEG = 25.0
#: Fewer upright frames than this fraction (or 3 frames) fall back to the camera's up.
MIN_UPRIGHT_FRACTION = 0.05
#: Frames folded more than this (see `body_extension`) are not standing and never count.
MIN_EXTENSION = 0.8
_MEAN_SHIFT_STEPS = 10
_MAX_SEEDS = 400
#: Joints the estimate reads; frames where one is unseen should be left out.
VERTICAL_JOINTS = ("LFoot", "RFoot", "Thorax", "Head", "Hip", "Spine", "LHip", "LKnee", "RHip",
                   "RKnee")
_J = {name: index for index, name in enumerate(JOINTS16_NAMES)}
_FEET = [_J["LFoot"], _J["RFoot"]]
_TOP = [_J["Thorax"], _J["Head"]]


@dataclass(frozen=True)
class VerticalEstimate:
    """up: (3,) unit vector against gravity in the poses' frame; method: how it was found.

    upright_fraction: share of frames whose body axis lay in the final cone.
    spread_deg: median angle of those axes from `up` (how consistent the estimate is).
    """

    up: np.ndarray
    method: str
    upright_fraction: float
    spread_deg: float


def body_axes(poses_mm: np.ndarray) -> np.ndarray:
    """(T, 16, 3) mm -> (T, 3) unit vectors from the ankles' midpoint to thorax/head."""
    feet = poses_mm[:, _FEET].mean(axis=1)
    top = poses_mm[:, _TOP].mean(axis=1)
    return unit_vectors(top - feet)


def body_extension(poses_mm: np.ndarray) -> np.ndarray:
    """(T, 16, 3) mm -> (T,) ankles-to-top distance over the median unfolded leg+trunk length.

    About 0.95 standing or lying stretched out; 0.5-0.8 crouching, kneeling or sitting.
    """
    def length(a: str, b: str) -> np.ndarray:
        return np.linalg.norm(poses_mm[:, _J[a]] - poses_mm[:, _J[b]], axis=-1)

    legs = (length("RHip", "RKnee") + length("RKnee", "RFoot")
            + length("LHip", "LKnee") + length("LKnee", "LFoot")) / 2
    trunk = length("Hip", "Spine") + length("Spine", "Thorax") + length("Thorax", "Head") / 2
    reach = float(np.median(legs + trunk))
    feet = poses_mm[:, _FEET].mean(axis=1)
    top = poses_mm[:, _TOP].mean(axis=1)
    return np.linalg.norm(top - feet, axis=-1) / max(reach, 1e-9)


def _angles_deg(axes: np.ndarray, direction: np.ndarray) -> np.ndarray:
    return np.degrees(np.arccos(np.clip(axes @ direction, -1.0, 1.0)))


def _densest_axis(axes: np.ndarray) -> np.ndarray:
    """The axis (of at most _MAX_SEEDS evenly spaced ones) with most axes within the cone."""
    seeds = axes[:: max(1, len(axes) // _MAX_SEEDS)]
    cos_cone = np.cos(np.radians(UPRIGHT_CONE_DEG))
    counts = ((seeds @ axes.T) >= cos_cone).sum(axis=1)
    return seeds[int(np.argmax(counts))]


def _mean_shift(axes: np.ndarray, start: np.ndarray, cone_deg: float) -> np.ndarray:
    """Move `start` to the mean of the axes within `cone_deg` of it until that set settles."""
    up = start
    selected = _angles_deg(axes, up) <= cone_deg
    for _ in range(_MEAN_SHIFT_STEPS):
        if not selected.any():
            break
        up = unit_vectors(axes[selected].mean(axis=0))
        now = _angles_deg(axes, up) <= cone_deg
        if np.array_equal(now, selected):
            break
        selected = now
    return up


def estimate_up(poses_mm: np.ndarray, camera_up: np.ndarray = CAMERA_UP) -> VerticalEstimate:
    """Up direction of (T, 16, 3) mm poses (any frame; `camera_up` is its rough up)."""
    poses_mm = np.asarray(poses_mm, dtype=np.float64)
    prior = unit_vectors(np.asarray(camera_up, dtype=np.float64))
    needed = max(3, int(np.ceil(MIN_UPRIGHT_FRACTION * len(poses_mm))))
    if len(poses_mm) < needed:
        return VerticalEstimate(prior, "camera up (too few upright frames)", 0.0, float("nan"))
    axes = body_axes(poses_mm)
    stretched = body_extension(poses_mm) >= MIN_EXTENSION
    candidates = axes[stretched & (_angles_deg(axes, prior) <= MAX_CAMERA_TILT_DEG)]
    if len(candidates) < needed:
        return VerticalEstimate(prior, "camera up (too few upright frames)", 0.0, float("nan"))
    up = _mean_shift(candidates, _densest_axis(candidates), UPRIGHT_CONE_DEG)
    in_cone = _angles_deg(axes, up) <= UPRIGHT_CONE_DEG
    spread = float(np.median(_angles_deg(axes[in_cone], up)))
    return VerticalEstimate(up, "body axis mode", float(in_cone.mean()), spread)


def heights_mm(poses_mm: np.ndarray, up: np.ndarray) -> np.ndarray:
    """(T, 16, 3) mm -> (T, 16) mm: each joint's height above the frame's lowest joint."""
    along = np.asarray(poses_mm, dtype=np.float64) @ unit_vectors(np.asarray(up, dtype=np.float64))
    return along - along.min(axis=1, keepdims=True)
