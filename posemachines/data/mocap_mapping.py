"""Map the shipped BVH skeletons (Bandai Namco, LAFAN1, four CMU rigs) onto our 16 joints, in mm.

Each of our joints is a fixed mix of source joints (weights sum to 1), except Head: most rigs
have no head top (Bandai Namco, LAFAN1 and CMU's Motionbuilder rig end the head chain in a
zero-length End Site, the Daz rig in eye joints), and their Head joint sits at the skull base;
one rule serves every rig. Our Head is a point rigidly attached to the source Head, on the
extension of its bone (parent -> Head, within ~10 degrees of vertical when standing), placed so
that in the rest pose Thorax -> Head = 0.40 x Hip -> Thorax, as in Human3.6M (S1 standing: 192
of 478 mm); that is 7-14 cm above the source Head joint. Thorax is the base of the neck on the
spine, 1-8 cm above the shoulder joints like Human3.6M's (Bandai Namco, LAFAN1 and Daz
`Neck`/`neck`; for CMU's own rigs, whose lower-neck joint lies below the shoulders, a point on
the upper back at the mid-neck joint's rest position); Spine is a mix of two spine-chain joints
at 0.48 of the way from Hip to Thorax (Human3.6M: 0.47-0.51).
docs/mocap_mapping.md has the full table and the measurements behind it.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.data.bvh import BvhMotion, world_transforms
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES

#: Thorax -> Head as a fraction of Hip -> Thorax in the rest pose (Human3.6M S1 standing).
HEAD_ABOVE_THORAX = 0.40
#: Names of the virtual points in the recipes below (see `Rig`).
HEAD_POINT = "<head point>"
THORAX_POINT = "<thorax point>"
#: Centimetres (Bandai Namco, LAFAN1, CMU Daz rig).
MM_PER_CM = 10.0
#: CMU's ASF length unit (1/0.45 inch = 0.056444 m), kept by the Motionbuilder, 3dsMax and raw
#: amc2bvh conversions (measured: 1.55-1.75 m ankle to head top; in metres a thigh would be 7 m).
MM_PER_CMU_UNIT = 25.4 / 0.45

Recipe = dict[str, dict[str, float]]


@dataclass(frozen=True)
class Rig:
    """One BVH skeleton: recipe (our joint -> {source joint or virtual point: weight}), the
    source joint our Head point hangs from, millimetres per file unit, the dataset whose file
    names it carries, and how many leading frames hold the converter's reference pose.

    thorax: (segment, joint) for rigs whose neck-base joint lies below the shoulders: THORAX_POINT
    is then the point rigid with `segment` (the upper back) at `joint`'s rest position (the
    mid-neck), so that, like the other rigs' Neck joint, it does not move when the neck bends.
    """

    recipe: Recipe
    head: str
    mm_per_unit: float
    dataset: str
    reference_frames: int = 0
    thorax: tuple[str, str] | None = None

    @property
    def source_joints(self) -> frozenset[str]:
        """Every source joint the mapping reads; a file is this rig's when it has them all."""
        named = {name for mix in self.recipe.values() for name in mix
                 if name not in (HEAD_POINT, THORAX_POINT)}
        return frozenset(named | {self.head, *(self.thorax or ())})


BANDAI_NAMCO: Recipe = {
    "Hip": {"UpperLeg_L": 0.5, "UpperLeg_R": 0.5},
    "RHip": {"UpperLeg_R": 1.0}, "RKnee": {"LowerLeg_R": 1.0}, "RFoot": {"Foot_R": 1.0},
    "LHip": {"UpperLeg_L": 1.0}, "LKnee": {"LowerLeg_L": 1.0}, "LFoot": {"Foot_L": 1.0},
    # Rest fractions of Hip -> Neck: Spine 0.414, Chest 0.622; this mix sits at 0.48.
    "Spine": {"Spine": 0.68, "Chest": 0.32},
    "Thorax": {"Neck": 1.0},
    "Head": {HEAD_POINT: 1.0},
    "LShoulder": {"UpperArm_L": 1.0}, "LElbow": {"LowerArm_L": 1.0}, "LWrist": {"Hand_L": 1.0},
    "RShoulder": {"UpperArm_R": 1.0}, "RElbow": {"LowerArm_R": 1.0}, "RWrist": {"Hand_R": 1.0},
}

LAFAN1: Recipe = {
    "Hip": {"LeftUpLeg": 0.5, "RightUpLeg": 0.5},
    "RHip": {"RightUpLeg": 1.0}, "RKnee": {"RightLeg": 1.0}, "RFoot": {"RightFoot": 1.0},
    "LHip": {"LeftUpLeg": 1.0}, "LKnee": {"LeftLeg": 1.0}, "LFoot": {"LeftFoot": 1.0},
    # Rest fractions of Hip -> Neck: Spine1 0.341, Spine2 0.554; this mix sits at 0.48.
    "Spine": {"Spine1": 0.35, "Spine2": 0.65},
    "Thorax": {"Neck": 1.0},
    "Head": {HEAD_POINT: 1.0},
    "LShoulder": {"LeftArm": 1.0}, "LElbow": {"LeftForeArm": 1.0}, "LWrist": {"LeftHand": 1.0},
    "RShoulder": {"RightArm": 1.0}, "RElbow": {"RightForeArm": 1.0},
    "RWrist": {"RightHand": 1.0},
}

#: CMU "Daz-friendly" rig (43 joints, cm): `*Thigh` is the hip joint (`*Buttock` the pelvis
#: bone), `*Shin` the knee, `*Foot` the ankle, `*Shldr` the glenohumeral joint (`*Collar` the
#: clavicle), `*ForeArm` the elbow, `*Hand` the wrist.
CMU_DAZ: Recipe = {
    "Hip": {"lThigh": 0.5, "rThigh": 0.5},
    "RHip": {"rThigh": 1.0}, "RKnee": {"rShin": 1.0}, "RFoot": {"rFoot": 1.0},
    "LHip": {"lThigh": 1.0}, "LKnee": {"lShin": 1.0}, "LFoot": {"lFoot": 1.0},
    # Rest fractions of Hip -> neck: abdomen 0.346, chest 0.572; this mix sits at 0.48.
    "Spine": {"abdomen": 0.41, "chest": 0.59},
    "Thorax": {"neck": 1.0},
    "Head": {HEAD_POINT: 1.0},
    "LShoulder": {"lShldr": 1.0}, "LElbow": {"lForeArm": 1.0}, "LWrist": {"lHand": 1.0},
    "RShoulder": {"rShldr": 1.0}, "RElbow": {"rForeArm": 1.0}, "RWrist": {"rHand": 1.0},
}

#: CMU Motionbuilder rig (31 joints, CMU units). Like every amc2bvh-derived rig, a joint sits
#: at the start of the CMU bone it is named after: `LeftUpLeg` (lfemur) is the hip joint,
#: `Neck` (lowerneck) the top of the thoracic spine, 7 cm below the shoulders; `Neck1`
#: (upperneck) the mid-neck, 2 cm above them, where THORAX_POINT sits on `Spine1`.
CMU_MB: Recipe = {
    "Hip": {"LeftUpLeg": 0.5, "RightUpLeg": 0.5},
    "RHip": {"RightUpLeg": 1.0}, "RKnee": {"RightLeg": 1.0}, "RFoot": {"RightFoot": 1.0},
    "LHip": {"LeftUpLeg": 1.0}, "LKnee": {"LeftLeg": 1.0}, "LFoot": {"LeftFoot": 1.0},
    # Rest fractions of Hip -> Neck1: LowerBack 0.245, Spine 0.511; this mix sits at 0.48.
    "Spine": {"LowerBack": 0.12, "Spine": 0.88},
    "Thorax": {THORAX_POINT: 1.0},
    "Head": {HEAD_POINT: 1.0},
    "LShoulder": {"LeftArm": 1.0}, "LElbow": {"LeftForeArm": 1.0}, "LWrist": {"LeftHand": 1.0},
    "RShoulder": {"RightArm": 1.0}, "RElbow": {"RightForeArm": 1.0},
    "RWrist": {"RightHand": 1.0},
}

#: CMU 3dsMax rig (31 joints, CMU units despite its source's "metres"): `LeftShoulder` is the
#: glenohumeral joint (`LeftCollar` the clavicle), `Neck` the mid-neck (THORAX_POINT on
#: `Chest2` there).
CMU_MAX: Recipe = {
    "Hip": {"LeftHip": 0.5, "RightHip": 0.5},
    "RHip": {"RightHip": 1.0}, "RKnee": {"RightKnee": 1.0}, "RFoot": {"RightAnkle": 1.0},
    "LHip": {"LeftHip": 1.0}, "LKnee": {"LeftKnee": 1.0}, "LFoot": {"LeftAnkle": 1.0},
    # Rest fractions of Hip -> Neck: lowerback 0.234, Chest 0.507; this mix sits at 0.48.
    "Spine": {"lowerback": 0.10, "Chest": 0.90},
    "Thorax": {THORAX_POINT: 1.0},
    "Head": {HEAD_POINT: 1.0},
    "LShoulder": {"LeftShoulder": 1.0}, "LElbow": {"LeftElbow": 1.0},
    "LWrist": {"LeftWrist": 1.0},
    "RShoulder": {"RightShoulder": 1.0}, "RElbow": {"RightElbow": 1.0},
    "RWrist": {"RightWrist": 1.0},
}

#: CMU raw amc2bvh rig (31 joints, CMU's own bone names and units; THORAX_POINT on `thorax`
#: at `upperneck`).
CMU_RAW: Recipe = {
    "Hip": {"lfemur": 0.5, "rfemur": 0.5},
    "RHip": {"rfemur": 1.0}, "RKnee": {"rtibia": 1.0}, "RFoot": {"rfoot": 1.0},
    "LHip": {"lfemur": 1.0}, "LKnee": {"ltibia": 1.0}, "LFoot": {"lfoot": 1.0},
    # Rest fractions of Hip -> upperneck: lowerback 0.238, upperback 0.516; this mix: 0.48.
    "Spine": {"lowerback": 0.13, "upperback": 0.87},
    "Thorax": {THORAX_POINT: 1.0},
    "Head": {HEAD_POINT: 1.0},
    "LShoulder": {"lhumerus": 1.0}, "LElbow": {"lradius": 1.0}, "LWrist": {"lwrist": 1.0},
    "RShoulder": {"rhumerus": 1.0}, "RElbow": {"rradius": 1.0}, "RWrist": {"rwrist": 1.0},
}

#: Skeleton name -> rig. A file is recognised when it has every source joint of exactly one rig
#: (e.g. the Motionbuilder rig shares LAFAN1's leg and arm names but has no Spine2, and LAFAN1
#: no Neck1), so the order here does not matter.
SKELETONS: dict[str, Rig] = {
    "bandai-namco": Rig(BANDAI_NAMCO, "Head", MM_PER_CM, "bandai-namco"),
    "lafan1": Rig(LAFAN1, "Head", MM_PER_CM, "lafan1"),
    # Every Daz-rig file opens with a T-pose (0.5-1.2 m from the next frame's pose).
    "cmu-daz": Rig(CMU_DAZ, "head", MM_PER_CM, "cmu", reference_frames=1),
    "cmu-mb": Rig(CMU_MB, "Head", MM_PER_CMU_UNIT, "cmu", thorax=("Spine1", "Neck1")),
    "cmu-max": Rig(CMU_MAX, "Head", MM_PER_CMU_UNIT, "cmu", thorax=("Chest2", "Neck")),
    "cmu-raw": Rig(CMU_RAW, "head", MM_PER_CMU_UNIT, "cmu", thorax=("thorax", "upperneck")),
}


def matching_skeletons(joint_names: tuple[str, ...]) -> list[str]:
    """Names of every rig in SKELETONS whose source joints all appear in `joint_names`."""
    names = set(joint_names)
    return [skeleton for skeleton, rig in SKELETONS.items() if rig.source_joints <= names]


def identify_skeleton(motion: BvhMotion) -> str:
    """The one SKELETONS name whose rig the file's joint names fit; PoseDataError otherwise."""
    matches = matching_skeletons(motion.joint_names)
    if len(matches) == 1:
        return matches[0]
    first = ", ".join(motion.joint_names[:4])
    if matches:
        raise PoseDataError(
            f"The BVH skeleton ({first}, ...) fits several known rigs ({', '.join(matches)}), "
            "so its mapping to the 16 joints is ambiguous."
        )
    raise PoseDataError(
        f"The BVH skeleton ({first}, ...) is none of the known rigs "
        f"({', '.join(SKELETONS)}), so it cannot be mapped to the 16 joints."
    )


def rest_positions(motion: BvhMotion) -> np.ndarray:
    """(J, 3) joint positions in file units with every rotation zero (offsets only)."""
    positions = np.zeros((len(motion.joints), 3))
    for index, joint in enumerate(motion.joints):
        parent = positions[joint.parent] if joint.parent >= 0 else 0.0
        positions[index] = parent + joint.offset
    return positions


def thorax_rest_joint(rig: Rig) -> str:
    """The source joint at our Thorax in the rest pose."""
    return rig.thorax[1] if rig.thorax else next(iter(rig.recipe["Thorax"]))


def head_point_offset(motion: BvhMotion, rig: Rig) -> np.ndarray:
    """(3,) file units: our Head in the source Head joint's frame (see the module docstring)."""
    rest = rest_positions(motion)
    hip = sum(w * rest[motion.joint_index(n)] for n, w in rig.recipe["Hip"].items())
    head = motion.joints[motion.joint_index(rig.head)]
    thorax = rest[motion.joint_index(thorax_rest_joint(rig))]
    head_bone = float(np.linalg.norm(head.offset))
    if head_bone == 0:
        raise PoseDataError("The BVH Head joint has a zero offset, so its bone has no direction.")
    extension = HEAD_ABOVE_THORAX * float(np.linalg.norm(thorax - hip)) - head_bone
    return head.offset / head_bone * extension


def virtual_points(motion: BvhMotion, rig: Rig) -> dict[str, np.ndarray]:
    """Joint positions (F, 3) in file units by source name, plus the rig's virtual points."""
    rotations, positions = world_transforms(motion)
    points = {name: positions[:, index] for index, name in enumerate(motion.joint_names)}
    head = motion.joint_index(rig.head)
    points[HEAD_POINT] = positions[:, head] + rotations[:, head] @ head_point_offset(motion, rig)
    if rig.thorax:
        segment, joint = (motion.joint_index(name) for name in rig.thorax)
        rest = rest_positions(motion)
        points[THORAX_POINT] = (positions[:, segment]
                                + rotations[:, segment] @ (rest[joint] - rest[segment]))
    return points


def to_joints16_mm(motion: BvhMotion) -> np.ndarray:
    """(F, 16, 3) float64 world millimetres, Y up as in the file, in JOINTS16 order."""
    rig = SKELETONS[identify_skeleton(motion)]
    points = virtual_points(motion, rig)
    joints = np.zeros((motion.num_frames, len(JOINTS16_NAMES), 3))
    for target, name in enumerate(JOINTS16_NAMES):
        for source, weight in rig.recipe[name].items():
            joints[:, target] += weight * points[source]
    return joints * rig.mm_per_unit
