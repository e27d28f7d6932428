"""BVH skeletons -> 16 joints: human bone lengths, rigid limbs, left/right, head and spine."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.bvh import BvhJoint, BvhMotion, forward_kinematics, read_bvh
from posemachines.data.mocap_mapping import (
    HEAD_ABOVE_THORAX,
    SKELETONS,
    identify_skeleton,
    matching_skeletons,
    to_joints16_mm,
)
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16, JOINTS16_NAMES, bone_lengths

BANDAI_WALK = "mocap/bandai-namco-1/data/dataset-1_walk_normal_001.bvh"
BANDAI2_WALK = "mocap/bandai-namco-2/data/dataset-2_walk_normal_001.bvh"
LAFAN_WALK = "mocap/lafan1/walk4_subject1.bvh"
#: One real take per CMU rig: walks, except the raw rig, which only has jumps (standing between).
CMU_TAKES = {"cmu-daz": "mocap/cmu/07/07_01.bvh", "cmu-mb": "mocap/cmu/_mb_skeleton/02_01.bvh",
             "cmu-max": "mocap/cmu/_max_skeleton/131_02.bvh",
             "cmu-raw": "mocap/cmu/_cmu_raw_skeleton/16_01.bvh"}
CMU_WALKS = [CMU_TAKES[rig] for rig in ("cmu-daz", "cmu-mb", "cmu-max")]
#: (left toe, right toe, left ankle, right ankle) source joints; None: the foot's End Site.
TOES = {"bandai-namco": ("Toes_L", "Toes_R", "Foot_L", "Foot_R"),
        "lafan1": ("LeftToe", "RightToe", "LeftFoot", "RightFoot"),
        "cmu-daz": (None, None, "lFoot", "rFoot"),
        "cmu-mb": ("LeftToeBase", "RightToeBase", "LeftFoot", "RightFoot"),
        "cmu-max": ("LeftToe", "RightToe", "LeftAnkle", "RightAnkle"),
        "cmu-raw": ("ltoes", "rtoes", "lfoot", "rfoot")}
J = {name: i for i, name in enumerate(JOINTS16_NAMES)}
BONES = {f"{JOINTS16_NAMES[p]}-{JOINTS16_NAMES[c]}": b for b, (p, c) in enumerate(JOINTS16.bones)}
#: Bones that are one rigid source bone (or the rigid pelvis) and so must not change length.
#: (The CMU Motionbuilder rig rotates its hip joints a little: its pelvis varies by ~1 mm.)
RIGID = ("Hip-RHip", "Hip-LHip", "RHip-RKnee", "LHip-LKnee", "RKnee-RFoot", "LKnee-LFoot",
         "LShoulder-LElbow", "RShoulder-RElbow", "LElbow-LWrist", "RElbow-RWrist")
HUMAN_RANGE_MM = {"RHip-RKnee": (350, 550), "LHip-LKnee": (350, 550),
                  "RKnee-RFoot": (330, 550), "LKnee-LFoot": (330, 550),
                  "LShoulder-LElbow": (200, 400), "RShoulder-RElbow": (200, 400),
                  "LElbow-LWrist": (180, 350), "RElbow-RWrist": (180, 350),
                  "Hip-RHip": (50, 150), "Spine-Thorax": (150, 350), "Thorax-Head": (120, 300)}
#: Left and right limbs may differ this much: CMU's own skeletons are fitted per side (16 mm).
SYMMETRY_MM = 20.0


def _load(path: Path) -> tuple[BvhMotion, np.ndarray, np.ndarray]:
    """Motion, its 16 joints (F, 16, 3) mm and its (left toe, right toe, left ankle, right
    ankle) positions (F, 4, 3) in file units, without the rig's reference frames."""
    motion = read_bvh(path)
    skeleton = identify_skeleton(motion)
    start = SKELETONS[skeleton].reference_frames
    positions = forward_kinematics(motion)
    feet = []
    for name, ankle in zip(TOES[skeleton][:2], TOES[skeleton][2:], strict=True):
        if name is None:
            (site,) = (i for i, s in enumerate(motion.end_sites)
                       if s.parent == motion.joint_index(ankle))
            feet.append(positions.end_sites[:, site])
        else:
            feet.append(positions.joints[:, motion.joint_index(name)])
    feet += [positions.joints[:, motion.joint_index(name)] for name in TOES[skeleton][2:]]
    return motion, to_joints16_mm(motion)[start:], np.stack(feet, axis=1)[start:]


@pytest.fixture(scope="module",
                params=[BANDAI_WALK, BANDAI2_WALK, LAFAN_WALK, *CMU_TAKES.values()])
def take(request: pytest.FixtureRequest, shared_data: Path):
    return _load(shared_data / request.param)


@pytest.fixture(scope="module", params=[BANDAI_WALK, BANDAI2_WALK, LAFAN_WALK, *CMU_WALKS])
def walk(request: pytest.FixtureRequest, shared_data: Path):
    return _load(shared_data / request.param)


def test_recipes_cover_every_joint_with_weights_summing_to_one() -> None:
    for rig in SKELETONS.values():
        assert set(rig.recipe) == set(JOINTS16_NAMES)
        for mix in rig.recipe.values():
            assert sum(mix.values()) == pytest.approx(1.0)


def test_mapped_bones_have_human_lengths_and_rigid_limbs(take) -> None:
    _, joints, _ = take
    lengths = bone_lengths(joints)
    assert joints.shape[1:] == (16, 3) and np.isfinite(joints).all()
    for bone, (low, high) in HUMAN_RANGE_MM.items():
        assert low < lengths[:, BONES[bone]].mean() < high, bone
    for bone in RIGID:
        assert lengths[:, BONES[bone]].std() < 1.0, bone
    for left, right in (("LHip-LKnee", "RHip-RKnee"), ("LShoulder-LElbow", "RShoulder-RElbow")):
        difference = lengths[:, BONES[left]].mean() - lengths[:, BONES[right]].mean()
        assert abs(difference) < SYMMETRY_MM


def test_output_is_millimetres_with_y_up_and_feet_on_the_floor(take) -> None:
    _, joints, _ = take
    lowest_ankle = joints[:, [J["LFoot"], J["RFoot"]], 1].min(1)
    hip_height = np.median(joints[:, J["Hip"], 1] - lowest_ankle)
    assert 700 < hip_height < 1000
    assert (joints[:, J["Head"], 1] > joints[:, J["Thorax"], 1]).mean() > 0.99
    assert (joints[:, J["Thorax"], 1] > joints[:, J["Hip"], 1]).all()


def test_cmu_feet_reach_the_floor(shared_data: Path) -> None:
    """Y = 0 is the floor: the lower ankle sits at ankle height (3-15 cm) in most frames."""
    for path in CMU_TAKES.values():
        _, joints, _ = _load(shared_data / path)
        lowest_ankle = joints[:, [J["LFoot"], J["RFoot"]], 1].min(1)
        assert 30 < np.percentile(lowest_ankle, 5) < 150, path


def test_left_joints_are_on_the_bodys_left(take) -> None:
    _, joints, feet = take
    # Facing direction from the feet (ankle -> toes), independent of any left/right label.
    forward = feet[:, 0] - feet[:, 2] + feet[:, 1] - feet[:, 3]
    forward[:, 1] = 0.0
    left = np.cross([0.0, 1.0, 0.0], forward)  # Y up, right-handed: left = up x forward
    for l_joint, r_joint in (("LHip", "RHip"), ("LShoulder", "RShoulder"), ("LKnee", "RKnee")):
        side = np.einsum("fd,fd->f", joints[:, J[l_joint]] - joints[:, J[r_joint]], left)
        assert (side > 0).mean() > 0.95, l_joint


def test_left_joints_are_left_of_the_walking_direction(walk) -> None:
    _, joints, _ = walk
    velocity = np.gradient(joints[:, J["Hip"]], axis=0)
    velocity[:, 1] = 0.0
    moving = np.linalg.norm(velocity, axis=1) * 30 > 300  # faster than 0.3 m/s
    left = np.cross([0.0, 1.0, 0.0], velocity[moving])
    assert moving.sum() > 30
    for l_joint, r_joint in (("LHip", "RHip"), ("LShoulder", "RShoulder")):
        side = np.einsum("fd,fd->f", joints[moving, J[l_joint]] - joints[moving, J[r_joint]],
                         left)
        assert (side > 0).mean() > 0.95, l_joint


def test_head_and_spine_sit_where_human36m_puts_them(take) -> None:
    _, joints, _ = take
    hip, spine, thorax, head = (joints[:, J[n]] for n in ("Hip", "Spine", "Thorax", "Head"))
    torso = np.linalg.norm(thorax - hip, axis=-1)
    head_ratio = np.linalg.norm(head - thorax, axis=-1) / torso
    spine_fraction = np.einsum("fd,fd->f", spine - hip, thorax - hip) / torso**2
    assert np.median(head_ratio) == pytest.approx(HEAD_ABOVE_THORAX, abs=0.06)
    assert np.median(spine_fraction) == pytest.approx(0.48, abs=0.04)
    # Thorax (the neck base) lies above the shoulder joints, as Human3.6M's does.
    shoulders = (joints[:, J["LShoulder"]] + joints[:, J["RShoulder"]]) / 2
    assert np.median(np.einsum("fd,fd->f", thorax - shoulders, thorax - hip) / torso) > 0.02


@pytest.mark.parametrize("path", [BANDAI_WALK, LAFAN_WALK, *CMU_TAKES.values(),
                                  "mocap/cmu/acrnn_dance/salsa/01.bvh"])
def test_each_rig_fits_exactly_one_recipe(shared_data: Path, path: str) -> None:
    motion = read_bvh(shared_data / path)
    expected = next((rig for rig, take in CMU_TAKES.items() if take == path),
                    "lafan1" if "lafan1" in path else "bandai-namco" if "bandai" in path
                    else "cmu-daz")
    assert matching_skeletons(motion.joint_names) == [expected]
    assert identify_skeleton(motion) == expected


def test_the_same_cmu_take_in_two_rigs_has_the_same_scale(shared_data: Path) -> None:
    """02_01 in the Daz rig (cm) and the Motionbuilder rig (CMU units): legs and hips agree."""
    _, daz, _ = _load(shared_data / CMU_TAKES["cmu-daz"].replace("07/07_01", "02/02_01"))
    _, mb, _ = _load(shared_data / CMU_TAKES["cmu-mb"])
    legs = [bone_lengths(x)[:, [BONES["RHip-RKnee"], BONES["RKnee-RFoot"]]].sum(1).mean()
            for x in (daz, mb)]
    assert legs[0] == pytest.approx(legs[1], rel=0.05)
    assert np.median(daz[:, J["Hip"], 1]) == pytest.approx(np.median(mb[:, J["Hip"], 1]), rel=0.05)


def _chain(names: list[str]) -> BvhMotion:
    joints = tuple(BvhJoint(name, index - 1, np.array([0.0, 10.0, 0.0]), ("Zrotation",))
                   for index, name in enumerate(names))
    return BvhMotion(joints, (), 1 / 30, np.zeros((2, len(names))))


def test_unknown_and_ambiguous_skeletons_are_rejected() -> None:
    with pytest.raises(PoseDataError, match="none of the known rigs"):
        to_joints16_mm(_chain(["pelvis"]))
    both = sorted(SKELETONS["lafan1"].source_joints | SKELETONS["cmu-mb"].source_joints)
    assert matching_skeletons(tuple(both)) == ["lafan1", "cmu-mb"]
    with pytest.raises(PoseDataError, match="ambiguous"):
        identify_skeleton(_chain(both))
