"""Capture defects that make a mocap take unusable: limbs that jump, heads folded backwards.

Both limits sit between every take of the shipped Bandai Namco and LAFAN1 sets and the broken
CMU takes (docs/mocap_mapping.md, "Defective takes"):
- a joint moving faster than MAX_JOINT_SPEED_MM_S relative to the Hip between two frames:
  real motion peaks at 9.4 m/s (Bandai Namco, LAFAN1) and 11.6 m/s (CMU boxing, brisk walk);
  the Daz-rig retargets of CMU flip a leg or a knee for a frame or more (21-44 m/s);
- the head folded more than MAX_HEAD_ANGLE_DEG from the trunk (angle between Hip -> Thorax and
  Thorax -> Head): at most 84 degrees in Bandai Namco and LAFAN1, 90 in clean CMU takes; two
  acRNN salsa takes carry a head turned upside down (96-167 degrees).
"""

from __future__ import annotations

import numpy as np

from posemachines.skeleton import JOINTS16_NAMES

#: Root-relative joint speed between consecutive frames above which a take is broken, mm/s.
MAX_JOINT_SPEED_MM_S = 18_000.0
#: Angle between the trunk (Hip -> Thorax) and Thorax -> Head above which the head is folded.
MAX_HEAD_ANGLE_DEG = 105.0

_HIP, _THORAX, _HEAD = (JOINTS16_NAMES.index(n) for n in ("Hip", "Thorax", "Head"))


def take_defects(joints_mm: np.ndarray, fps: float) -> list[str]:
    """One sentence per defect of a take, (T, 16, 3) mm at `fps`; empty when it is clean."""
    joints = np.asarray(joints_mm, dtype=np.float64)
    defects = []
    relative = joints - joints[:, _HIP: _HIP + 1]
    speeds = np.linalg.norm(np.diff(relative, axis=0), axis=-1) * fps
    if speeds.size and speeds.max() > MAX_JOINT_SPEED_MM_S:
        frame, joint = np.unravel_index(int(speeds.argmax()), speeds.shape)
        count = int((speeds.max(axis=1) > MAX_JOINT_SPEED_MM_S).sum())
        defects.append(
            f"{JOINTS16_NAMES[joint]} jumps at {speeds.max() / 1000:.0f} m/s relative to the Hip "
            f"(fastest at frame {frame + 1}; {count} frames over the limit)"
        )
    trunk = joints[:, _THORAX] - joints[:, _HIP]
    head = joints[:, _HEAD] - joints[:, _THORAX]
    cosine = np.einsum("fd,fd->f", trunk, head) / (
        np.linalg.norm(trunk, axis=-1) * np.linalg.norm(head, axis=-1) + 1e-9)
    folded = np.degrees(np.arccos(np.clip(cosine, -1.0, 1.0))) > MAX_HEAD_ANGLE_DEG
    if folded.any():
        defects.append(
            f"the head is folded over {MAX_HEAD_ANGLE_DEG:.0f} degrees from the trunk in "
            f"{int(folded.sum())} of {len(joints)} frames"
        )
    return defects
