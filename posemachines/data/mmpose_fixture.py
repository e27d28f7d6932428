"""mmpose's body3d sample files (Human3.6M, MPI-INF-3DHP) -> posemachines' 16 joints.

Each npz holds `S` (N, 17, 4): 3D joints in metres, camera frame, ABSOLUTE (the root sits at
its real depth, ~3-5 m), plus a visibility column; `part` (N, 17, 3): 2D px plus visibility;
`imgname` (N,). The loaders return 3D in mm, camera frame, not root-relative (use
`posemachines.data.normalization.root_relative`), the matching 2D in px, and per-joint
visibility = min(3D flag, 2D flag) mapped to 16 joints (min over a joint's sources).

Human3.6M files use the 17-joint Human3.6M order. MPI-INF-3DHP files use mmpose's 3DHP order
(head_top, neck, rsho, relb, rwri, lsho, lelb, lwri, rhip, rkne, rank, lhip, lkne, lank, root,
spine, head), which `MPI3DHP17_TO_H36M17` permutes into Human3.6M order: root -> Hip, spine ->
Spine, neck -> Thorax, head -> Neck/Nose (dropped), head_top -> Head.
"""

from __future__ import annotations

from pathlib import Path
from typing import NamedTuple

import numpy as np

from posemachines.data.npz import load_npz
from posemachines.errors import PoseDataError
from posemachines.skeleton import to_joints16
from posemachines.structures.pose_checks import check_pose_array

#: For each Human3.6M-17 joint, its index in mmpose's MPI-INF-3DHP 17-joint order.
MPI3DHP17_TO_H36M17: tuple[int, ...] = (14, 8, 9, 10, 11, 12, 13, 15, 1, 16, 0, 5, 6, 7, 2, 3, 4)


class MmposeSamples(NamedTuple):
    """Samples of an mmpose body3d file, in posemachines' 16 joints."""

    joints3d_mm: np.ndarray  # (N, 16, 3) mm, camera frame, absolute
    joints2d_px: np.ndarray  # (N, 16, 2) px
    visibility: np.ndarray  # (N, 16) in {0, 1}
    image_names: tuple[str, ...]


def load_mmpose_h36m_fixture(path: str | Path) -> MmposeSamples:
    """mmpose Human3.6M body3d npz (e.g. test_h36m_body3d.npz) -> MmposeSamples."""
    return _load(Path(path), order=None)


def load_mmpose_3dhp_fixture(path: str | Path) -> MmposeSamples:
    """mmpose MPI-INF-3DHP body3d npz (e.g. test_3dhp_test.npz) -> MmposeSamples."""
    return _load(Path(path), order=MPI3DHP17_TO_H36M17)


def _load(path: Path, order: tuple[int, ...] | None) -> MmposeSamples:
    arrays = load_npz(path, ["S", "part", "imgname"])
    joints3d = check_pose_array(arrays["S"], name=f"{path.name} S", dims=4, num_joints=17)
    joints2d = check_pose_array(arrays["part"], name=f"{path.name} part", dims=3, num_joints=17,
                                unit=None)
    names = np.atleast_1d(arrays["imgname"])
    if not (len(joints3d) == len(joints2d) == len(names)):
        raise PoseDataError(
            f"{path}: S, part and imgname hold {len(joints3d)}, {len(joints2d)} and "
            f"{len(names)} samples; they must match."
        )
    if order is not None:
        joints3d, joints2d = joints3d[:, list(order)], joints2d[:, list(order)]
    check_pose_array(joints3d[..., :3], name=f"{path.name} S", dims=3, num_joints=17, unit="m")
    visibility = np.minimum(joints3d[..., 3], joints2d[..., 2]) > 0
    xyz16, vis16 = to_joints16(joints3d[..., :3] * 1000.0, "h36m17", visibility.astype(float))
    xy16, _ = to_joints16(joints2d[..., :2], "h36m17")
    return MmposeSamples(xyz16, xy16, vis16, tuple(str(name) for name in names))
