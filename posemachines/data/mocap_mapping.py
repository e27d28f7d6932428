"""Map the shipped BVH skeletons (Bandai Namco, LAFAN1) onto our 16 joints, in millimetres.

Each of our joints is a fixed mix of source joints (weights sum to 1), except Head, which neither
skeleton has: both files end the Head chain in a zero-length End Site, so the Head joint sits at
the top of the neck. Our Head is a point rigidly attached to the source Head, on the extension of
its bone (Neck -> Head, the head's local +X axis, within ~10 degrees of vertical when standing),
placed so that in the rest pose Thorax -> Head = 0.40 x Hip -> Thorax, as in Human3.6M
(S1 standing: 192 of 478 mm). That is ~11 cm above the source Head joint in both datasets.
Thorax is the Neck joint (the base of the neck, 3.5-8 cm above the shoulder joints, where
Human3.6M's Thorax sits 1-8 cm above its shoulders); Spine is a mix of the two spine joints
around 0.48 of the way from Hip to Thorax (Human3.6M: 0.47-0.51). docs/mocap_mapping.md has the
full table and the measurements behind it.
"""

from __future__ import annotations

import numpy as np

from posemachines.data.bvh import BvhMotion, world_transforms
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES

#: Both datasets store centimetres.
MM_PER_BVH_UNIT = 10.0
#: Thorax -> Head as a fraction of Hip -> Thorax in the rest pose (Human3.6M S1 standing).
HEAD_ABOVE_THORAX = 0.40
#: Name of the virtual head point in the recipes below.
HEAD_POINT = "<head point>"

Recipe = dict[str, dict[str, float]]

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

#: Skeleton name -> recipe; a file is recognised by having every joint its recipe names.
SKELETONS: dict[str, Recipe] = {"bandai-namco": BANDAI_NAMCO, "lafan1": LAFAN1}


def _source_joints(recipe: Recipe) -> set[str]:
    return {name for mix in recipe.values() for name in mix if name != HEAD_POINT}


def identify_skeleton(motion: BvhMotion) -> str:
    """'bandai-namco' or 'lafan1', from the joint names; PoseDataError for anything else."""
    names = set(motion.joint_names)
    for skeleton, recipe in SKELETONS.items():
        if _source_joints(recipe) <= names:
            return skeleton
    raise PoseDataError(
        f"The BVH skeleton ({', '.join(motion.joint_names[:4])}, ...) is neither Bandai Namco's "
        "nor LAFAN1's, so it cannot be mapped to the 16 joints."
    )


def rest_positions(motion: BvhMotion) -> np.ndarray:
    """(J, 3) joint positions in file units with every rotation zero (offsets only)."""
    positions = np.zeros((len(motion.joints), 3))
    for index, joint in enumerate(motion.joints):
        parent = positions[joint.parent] if joint.parent >= 0 else 0.0
        positions[index] = parent + joint.offset
    return positions


def head_point_offset(motion: BvhMotion, recipe: Recipe) -> np.ndarray:
    """(3,) file units: our Head in the source Head joint's frame (see the module docstring)."""
    rest = rest_positions(motion)
    hip = sum(w * rest[motion.joint_index(n)] for n, w in recipe["Hip"].items())
    (thorax_name,) = recipe["Thorax"]
    head = motion.joints[motion.joint_index("Head")]
    thorax = rest[motion.joint_index(thorax_name)]
    head_bone = float(np.linalg.norm(head.offset))
    if head_bone == 0:
        raise PoseDataError("The BVH Head joint has a zero offset, so its bone has no direction.")
    extension = HEAD_ABOVE_THORAX * float(np.linalg.norm(thorax - hip)) - head_bone
    return head.offset / head_bone * extension


def to_joints16_mm(motion: BvhMotion) -> np.ndarray:
    """(F, 16, 3) float64 world millimetres, Y up as in the file, in JOINTS16 order."""
    recipe = SKELETONS[identify_skeleton(motion)]
    rotations, positions = world_transforms(motion)
    head = motion.joint_index("Head")
    head_point = positions[:, head] + rotations[:, head] @ head_point_offset(motion, recipe)
    joints = np.zeros((motion.num_frames, len(JOINTS16_NAMES), 3))
    for target, name in enumerate(JOINTS16_NAMES):
        for source, weight in recipe[name].items():
            point = head_point if source == HEAD_POINT else positions[:, motion.joint_index(source)]
            joints[:, target] += weight * point
    return joints * MM_PER_BVH_UNIT
