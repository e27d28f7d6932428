"""The 3d-pose-baseline (Martinez et al.) Human3.6M h5 layout, and its VideoPose3D conversion.

ROOT/S*/MyPoses/3D_positions/<Action>.h5 each hold a dataset `3D_positions` of shape (96, N):
the 32 raw joints x 3 in mm, world frame, stored transposed (row 3*j + d is coordinate d of
joint j). ROOT/cameras.h5 holds `subject<s>/camera<c>/{R, T, f, c, k, p, Name}` (c = 1..4 in
`H36M_CAMERA_IDS` order) as 3d-pose-baseline reads them: R is stored transposed, so
`R_world_to_camera = R_stored.T`; T (3, 1) is the camera centre in mm (`X_cam = R (X - T)`);
f, c (2, 1) px; k (3, 1), p (2, 1) Human3.6M distortion; Name the camera id as char codes.

Action names follow VideoPose3D: the file stem, with 'TakingPhoto' -> 'Photo' and
'WalkingDog' -> 'WalkDog'; S11's 'Directions' take is dropped (its video is corrupt), as
VideoPose3D drops it.
"""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np

from posemachines.camera import H36M_CAMERA_IDS, Camera, h36m_camera
from posemachines.data.videopose3d import (
    H36M_2D_METADATA,
    write_videopose3d_2d,
    write_videopose3d_3d,
)
from posemachines.errors import PoseDataError
from posemachines.skeleton import H36M32_TO_17, to_joints16
from posemachines.structures.pose_checks import check_pose_array

POSES_SUBDIR = Path("MyPoses") / "3D_positions"
POSES_DATASET = "3D_positions"
CAMERAS_FILE = "cameras.h5"
OUTPUT_3D = "data_3d_h36m.npz"
OUTPUT_2D = "data_2d_h36m_gt.npz"
_SKIPPED = {("S11", "Directions")}
_RENAMES = (("TakingPhoto", "Photo"), ("WalkingDog", "WalkDog"))


def _action_name(stem: str) -> str:
    for old, new in _RENAMES:
        stem = stem.replace(old, new)
    return stem


def load_baseline_raw(root: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """ROOT's pose files -> {subject: {action: (N, 32, 3) float64 mm, world frame}}."""
    root = Path(root)
    if not root.is_dir():
        raise PoseDataError(f"{root} is not a folder (expected the 3d-pose-baseline root).")
    files = sorted(root.glob(f"S*/{POSES_SUBDIR.as_posix()}/*.h5"))
    if not files:
        raise PoseDataError(f"{root} holds no S*/{POSES_SUBDIR.as_posix()}/*.h5 pose files.")
    poses: dict[str, dict[str, np.ndarray]] = {}
    for file in files:
        subject = file.parents[2].name
        action = _action_name(file.stem)
        if (subject, action) in _SKIPPED:
            continue
        poses.setdefault(subject, {})[action] = _read_pose_file(file)
    return poses


def _read_pose_file(file: Path) -> np.ndarray:
    try:
        with h5py.File(file, "r") as h5:
            if POSES_DATASET not in h5:
                raise PoseDataError(f"{file} has no '{POSES_DATASET}' dataset.")
            stored = np.asarray(h5[POSES_DATASET][()], dtype=np.float64)
    except OSError as error:
        raise PoseDataError(f"{file} is not a readable HDF5 file ({error}).") from None
    if stored.ndim != 2 or stored.shape[0] != 96:
        raise PoseDataError(
            f"{file}: '{POSES_DATASET}' must have shape (96, N) (32 joints x 3, transposed), "
            f"got {stored.shape}."
        )
    joints = stored.T.reshape(-1, 32, 3)
    return check_pose_array(joints, name=str(file), dims=3, num_joints=32, unit="mm")


def load_baseline_3d(root: str | Path) -> dict[str, dict[str, np.ndarray]]:
    """ROOT's pose files -> {subject: {action: (N, 16, 3) float32 mm, world frame}}."""
    return {
        subject: {
            action: to_joints16(joints, "h36m32")[0].astype(np.float32)
            for action, joints in actions.items()
        }
        for subject, actions in load_baseline_raw(root).items()
    }


def load_baseline_cameras(path: str | Path) -> dict[str, list[Camera]]:
    """cameras.h5 -> {'S1': [4 Cameras in H36M_CAMERA_IDS order], ...}."""
    path = Path(path)
    if not path.is_file():
        raise PoseDataError(f"{path} does not exist or is not a file.")
    cameras: dict[str, list[Camera]] = {}
    try:
        with h5py.File(path, "r") as h5:
            for group_name in sorted(h5):
                if not group_name.startswith("subject"):
                    continue
                subject = "S" + group_name[len("subject"):]
                cameras[subject] = [
                    _read_camera(h5[group_name], index, path) for index in range(4)
                ]
    except OSError as error:
        raise PoseDataError(f"{path} is not a readable HDF5 file ({error}).") from None
    if not cameras:
        raise PoseDataError(f"{path} holds no subject<N>/camera<C> groups.")
    return cameras


def _read_camera(group: h5py.Group, index: int, path: Path) -> Camera:
    name = f"camera{index + 1}"
    keys = ("R", "T", "f", "c", "k", "p")
    if name not in group or any(key not in group[name] for key in keys):
        raise PoseDataError(f"{path}: {group.name}/{name} lacks one of {', '.join(keys)}.")
    values = {key: np.asarray(group[name][key][()], dtype=np.float64) for key in keys}
    if "Name" in group[name]:
        camera_id = "".join(chr(int(code)) for code in np.ravel(group[name]["Name"][()]))
    else:
        camera_id = H36M_CAMERA_IDS[index]
    R = values["R"].T
    shipped = h36m_camera("S1", index)  # image size depends on the camera only, not the subject
    return Camera(
        R=R,
        t_mm=-R @ values["T"].reshape(3),
        f_px=values["f"].reshape(2),
        c_px=values["c"].reshape(2),
        k=values["k"].reshape(3),
        p=values["p"].reshape(2),
        width=shipped.width,
        height=shipped.height,
        name=f"S{group.name.removeprefix('/subject')}/{camera_id}",
    )


def _project_17(world_mm: np.ndarray, cameras: list[Camera]) -> list[np.ndarray]:
    """(N, 32, 3) mm world -> one (N, 17, 2) px array per camera."""
    joints17 = world_mm[:, list(H36M32_TO_17)]
    return [np.asarray(cam.project(cam.world_to_camera(joints17))) for cam in cameras]


def convert_to_videopose3d(src: str | Path, out_dir: str | Path) -> list[Path]:
    """3d-pose-baseline tree -> out_dir/data_3d_h36m.npz and out_dir/data_2d_h36m_gt.npz.

    3D: the 32 joints in metres, world frame. 2D: the 17 VideoPose3D joints projected (with
    distortion) through SRC/cameras.h5 when present, else the shipped Human3.6M calibrations.
    Returns the two written paths.
    """
    src, out_dir = Path(src), Path(out_dir)
    poses = load_baseline_raw(src)
    camera_file = src / CAMERAS_FILE
    file_cameras = load_baseline_cameras(camera_file) if camera_file.exists() else None
    positions_2d: dict[str, dict[str, list[np.ndarray]]] = {}
    for subject, actions in poses.items():
        cameras = _cameras_for(subject, file_cameras, camera_file)
        positions_2d[subject] = {
            action: _project_17(joints, cameras) for action, joints in actions.items()
        }
    path_3d = write_videopose3d_3d(out_dir / OUTPUT_3D, poses)
    path_2d = write_videopose3d_2d(out_dir / OUTPUT_2D, positions_2d, H36M_2D_METADATA)
    return [path_3d, path_2d]


def _cameras_for(
    subject: str, file_cameras: dict[str, list[Camera]] | None, camera_file: Path
) -> list[Camera]:
    if file_cameras is None:
        return [h36m_camera(subject, index) for index in range(len(H36M_CAMERA_IDS))]
    if subject not in file_cameras:
        raise PoseDataError(f"{camera_file} has no cameras for subject {subject}.")
    return file_cameras[subject]
