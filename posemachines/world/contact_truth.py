"""Foot contacts of clean motion capture: the labels our detector is measured against.

A joint is in contact where it is low AND slow, the rule of the mocap-trained world models:
HuMoR (Rempe et al. 2021, `process_amass_data.py`) labels heel (ankle) and toe contacts where
the joint moves under 5 mm per 120-Hz frame and lies within 8 cm (ankle) / 4 cm (toe) of the
floor; WHAM (Shin et al. 2024, `compute_contact_label`) uses the speed alone, soft, centred on
1 cm per 30-Hz frame (300 mm/s); GVHMR (Shen et al. 2024, `get_static_joint_mask`) calls a
joint static under 0.25 m/s. Here: within `max_height_mm` (40) of the joint's own rest height
over the floor and slower than `max_speed_mm_s` (300, central differences).

The floor under the feet is the lower ankle's lowest height within +-`floor_window_s` / 2
(CMU's takes are not level: on the subject 08 walks the planted ankles rise 60-70 mm over
2 s). Each joint's rest height over that floor is its own: a low percentile of its height on
its slow frames. On CMU's retargeted rig the two ankles rest unequally (over the lower ankle's
floor: right 8 / left 29 mm on the 08_01 walk, 6 / 24 on 08_11, 18 / 5 on 02_01; the Bandai
Namco and LAFAN1 rigs 0-2 mm), and a floor shared by both feet called the higher foot airborne
while it stood (its heel's first 11-16 mm of rise ended its contact).
"""

from __future__ import annotations

import numpy as np
from scipy.ndimage import minimum_filter1d

from posemachines.errors import PoseInputError
from posemachines.world.body import FOOT_JOINTS, check_fps


def local_floor_mm(heights_mm: np.ndarray, fps: float, window_s: float = 2.0) -> np.ndarray:
    """(T,) floor height: the lowest of heights (T, F) mm over the joints and a centred
    window of `window_s` seconds."""
    window = int(round(window_s * fps)) | 1
    return minimum_filter1d(np.min(heights_mm, axis=1), window, mode="nearest")


def rest_heights_mm(
    heights_mm: np.ndarray, speed_mm_s: np.ndarray, rest_speed_mm_s: float = 150.0,
    percentile: float = 10.0, min_frames: int = 3,
) -> np.ndarray:
    """(F,) each joint's rest height: the `percentile` of its heights (T, F) mm over the
    frames slower than `rest_speed_mm_s` (speeds (T, F) mm/s); 0 for a joint with fewer than
    `min_frames` such frames."""
    rest = np.zeros(heights_mm.shape[1])
    for joint in range(heights_mm.shape[1]):
        slow = speed_mm_s[:, joint] < rest_speed_mm_s
        if slow.sum() >= min_frames:
            rest[joint] = np.percentile(heights_mm[slow, joint], percentile)
    return rest


def mocap_contacts(
    joints_world_mm: np.ndarray, fps: float, contact_joints: tuple[int, ...] = FOOT_JOINTS,
    max_height_mm: float = 40.0, max_speed_mm_s: float = 300.0, floor_window_s: float = 2.0,
) -> np.ndarray:
    """(T, F) bool contacts of `contact_joints` of clean world joints (T, J, 3) mm, Y up
    (see the module docstring). Heights are taken over the local floor of those joints."""
    fps = check_fps(fps)
    joints = np.asarray(joints_world_mm, dtype=np.float64)
    if joints.ndim != 3 or joints.shape[-1] != 3 or len(joints) < 2:
        raise PoseInputError(f"joints_world_mm must have shape (T >= 2, J, 3), got {joints.shape}.")
    points = joints[:, list(contact_joints)]
    speed = np.linalg.norm(np.gradient(points, axis=0), axis=-1) * fps
    heights = points[..., 1] - local_floor_mm(points[..., 1], fps, floor_window_s)[:, None]
    heights = heights - rest_heights_mm(heights, speed)
    return (heights < max_height_mm) & (speed < max_speed_mm_s)
