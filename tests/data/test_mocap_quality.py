"""Capture defects: jumping joints and folded heads are found; real clean takes pass."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.bvh import read_bvh
from posemachines.data.mocap import load_mocap_clip
from posemachines.data.mocap_mapping import to_joints16_mm
from posemachines.data.mocap_quality import MAX_JOINT_SPEED_MM_S, take_defects
from posemachines.skeleton import JOINTS16_NAMES

J = {name: i for i, name in enumerate(JOINTS16_NAMES)}


def _standing(frames: int = 30) -> np.ndarray:
    """(T, 16, 3) mm: a still upright body walking forward at 1.2 m/s (30 fps)."""
    body = np.zeros((16, 3))
    body[:, 1] = 1000.0
    body[J["Thorax"], 1], body[J["Head"], 1] = 1500.0, 1700.0
    body[J["LFoot"], 1] = body[J["RFoot"], 1] = 80.0
    walk = np.arange(frames)[:, None, None] * np.array([0.0, 0.0, 40.0])
    return body[None] + walk


def test_clean_motion_has_no_defects() -> None:
    assert take_defects(_standing(), 30.0) == []


def test_a_jumping_joint_and_a_folded_head_are_reported() -> None:
    joints = _standing()
    joints[10, J["RFoot"], 0] += MAX_JOINT_SPEED_MM_S / 30 * 1.5
    joints[20:, J["Head"], 1] = 1300.0  # below the thorax, straight down the trunk
    jump, head = take_defects(joints, 30.0)
    assert jump.startswith("RFoot jumps at 27 m/s") and "2 frames over the limit" in jump
    assert head.endswith("in 10 of 30 frames")


@pytest.mark.parametrize(("path", "defect"), [
    ("mocap/bandai-namco-1/data/dataset-1_kick_normal_001.bvh", None),
    ("mocap/cmu/13/13_18.bvh", None),  # boxing: the fastest real CMU motion, 11 m/s
    ("mocap/cmu/05/05_19.bvh", "RFoot jumps"),  # the Daz retarget flips a leg
    ("mocap/cmu/acrnn_dance/salsa/06.bvh", "the head is folded"),  # head markers upside down
])
def test_real_takes(shared_data: Path, path: str, defect: str | None) -> None:
    clip = load_mocap_clip(shared_data / path)
    defects = take_defects(clip.joints_mm, clip.fps)
    assert defects == [] if defect is None else defects[0].startswith(defect)


def test_the_daz_reference_t_pose_would_count_as_a_jump(shared_data: Path) -> None:
    """Why `Rig.reference_frames` drops it: from the T-pose the limbs leap into the motion."""
    joints = to_joints16_mm(read_bvh(shared_data / "mocap/cmu/07/07_01.bvh"))
    assert take_defects(joints, 30.0) and not take_defects(joints[1:], 30.0)
