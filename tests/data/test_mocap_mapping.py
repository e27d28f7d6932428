"""BVH skeletons -> 16 joints: human bone lengths, rigid limbs, left/right, head and spine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.bvh import BvhJoint, BvhMotion, forward_kinematics, read_bvh
from posemachines.data.mocap_mapping import (
    BANDAI_NAMCO,
    HEAD_ABOVE_THORAX,
    LAFAN1,
    identify_skeleton,
    to_joints16_mm,
)
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16, JOINTS16_NAMES, bone_lengths

BANDAI_WALK = "mocap/bandai-namco-1/data/dataset-1_walk_normal_001.bvh"
BANDAI2_WALK = "mocap/bandai-namco-2/data/dataset-2_walk_normal_001.bvh"
LAFAN_WALK = "mocap/lafan1/walk4_subject1.bvh"
TOES = {"bandai-namco": ("Toes_L", "Toes_R", "Foot_L", "Foot_R"),
        "lafan1": ("LeftToe", "RightToe", "LeftFoot", "RightFoot")}
J = {name: i for i, name in enumerate(JOINTS16_NAMES)}
BONES = {f"{JOINTS16_NAMES[p]}-{JOINTS16_NAMES[c]}": b for b, (p, c) in enumerate(JOINTS16.bones)}
#: Bones that are one rigid source bone (or the rigid pelvis) and so must not change length.
RIGID = ("Hip-RHip", "Hip-LHip", "RHip-RKnee", "LHip-LKnee", "RKnee-RFoot", "LKnee-LFoot",
         "LShoulder-LElbow", "RShoulder-RElbow", "LElbow-LWrist", "RElbow-RWrist")
HUMAN_RANGE_MM = {"RHip-RKnee": (350, 550), "LHip-LKnee": (350, 550),
                  "RKnee-RFoot": (330, 550), "LKnee-LFoot": (330, 550),
                  "LShoulder-LElbow": (200, 400), "RShoulder-RElbow": (200, 400),
                  "LElbow-LWrist": (180, 350), "RElbow-RWrist": (180, 350),
                  "Hip-RHip": (50, 150), "Spine-Thorax": (150, 350), "Thorax-Head": (120, 300)}


@pytest.fixture(scope="module", params=[BANDAI_WALK, BANDAI2_WALK, LAFAN_WALK])
def walk(request: pytest.FixtureRequest, shared_data: Path) -> tuple[BvhMotion, np.ndarray]:
    motion = read_bvh(shared_data / request.param)
    return motion, to_joints16_mm(motion)


def test_recipes_cover_every_joint_with_weights_summing_to_one() -> None:
    for recipe in (BANDAI_NAMCO, LAFAN1):
        assert set(recipe) == set(JOINTS16_NAMES)
        for mix in recipe.values():
            assert sum(mix.values()) == pytest.approx(1.0)


def test_mapped_bones_have_human_lengths_and_rigid_limbs(walk) -> None:
    _, joints = walk
    lengths = bone_lengths(joints)
    assert joints.shape[1:] == (16, 3)
    for bone, (low, high) in HUMAN_RANGE_MM.items():
        assert low < lengths[:, BONES[bone]].mean() < high, bone
    for bone in RIGID:
        assert lengths[:, BONES[bone]].std() < 1.0, bone
    for left, right in (("LHip-LKnee", "RHip-RKnee"), ("LShoulder-LElbow", "RShoulder-RElbow")):
        assert abs(lengths[:, BONES[left]].mean() - lengths[:, BONES[right]].mean()) < 10


def test_output_is_millimetres_with_y_up(walk) -> None:
    _, joints = walk
    hip_height = np.median(joints[:, J["Hip"], 1] - joints[:, [J["LFoot"], J["RFoot"]], 1].min(1))
    assert 700 < hip_height < 1000
    assert (joints[:, J["Head"], 1] > joints[:, J["Thorax"], 1]).mean() > 0.99
    assert (joints[:, J["Thorax"], 1] > joints[:, J["Hip"], 1]).all()


def test_left_joints_are_on_the_bodys_left(walk) -> None:
    motion, joints = walk
    # Facing direction from the feet (ankle -> toes), independent of any left/right label.
    names = TOES[identify_skeleton(motion)]
    toes_l, toes_r, foot_l, foot_r = (motion.joint_index(n) for n in names)
    raw = forward_kinematics(motion).joints
    forward = raw[:, toes_l] - raw[:, foot_l] + raw[:, toes_r] - raw[:, foot_r]
    forward[:, 1] = 0.0
    left = np.cross([0.0, 1.0, 0.0], forward)  # Y up, right-handed: left = up x forward
    for l_joint, r_joint in (("LHip", "RHip"), ("LShoulder", "RShoulder"), ("LKnee", "RKnee")):
        side = np.einsum("fd,fd->f", joints[:, J[l_joint]] - joints[:, J[r_joint]], left)
        assert (side > 0).mean() > 0.95, l_joint


def test_head_and_spine_sit_where_human36m_puts_them(walk) -> None:
    _, joints = walk
    hip, spine, thorax, head = (joints[:, J[n]] for n in ("Hip", "Spine", "Thorax", "Head"))
    torso = np.linalg.norm(thorax - hip, axis=-1)
    head_ratio = np.linalg.norm(head - thorax, axis=-1) / torso
    spine_fraction = np.einsum("fd,fd->f", spine - hip, thorax - hip) / torso**2
    assert np.median(head_ratio) == pytest.approx(HEAD_ABOVE_THORAX, abs=0.06)
    assert np.median(spine_fraction) == pytest.approx(0.48, abs=0.04)
    # Thorax (the neck base) lies above the shoulder joints, as Human3.6M's does.
    shoulders = (joints[:, J["LShoulder"]] + joints[:, J["RShoulder"]]) / 2
    assert np.median(np.einsum("fd,fd->f", thorax - shoulders, thorax - hip) / torso) > 0.02


def test_unknown_skeleton_is_rejected() -> None:
    joint = BvhJoint("pelvis", -1, np.zeros(3), ("Zrotation", "Xrotation", "Yrotation"))
    motion = BvhMotion((joint,), (), 1 / 30, np.zeros((2, 3)))
    with pytest.raises(PoseDataError, match="neither Bandai Namco's nor LAFAN1's"):
        to_joints16_mm(motion)
