"""3d-pose-baseline h5 layout: reading, cameras.h5, conversion to VideoPose3D and the CLI."""

from __future__ import annotations

from pathlib import Path

import h5py
import numpy as np
import pytest

from posemachines.camera import H36M_CAMERA_IDS, Camera, h36m_camera
from posemachines.cli import main
from posemachines.data.h36m_baseline import (
    convert_to_videopose3d,
    load_baseline_3d,
    load_baseline_cameras,
)
from posemachines.data.videopose3d import load_videopose3d_2d, load_videopose3d_3d
from posemachines.errors import PoseDataError
from posemachines.skeleton import to_joints16
from tests.data.synthetic import synthetic_h36m32_world_mm

FRAMES = 10
#: subject -> file stem -> (frames, 32, 3) mm world
Tree = dict[str, dict[str, np.ndarray]]


def _write_pose_file(root: Path, subject: str, stem: str, world32: np.ndarray) -> None:
    folder = root / subject / "MyPoses" / "3D_positions"
    folder.mkdir(parents=True, exist_ok=True)
    with h5py.File(folder / f"{stem}.h5", "w") as h5:
        h5["3D_positions"] = world32.reshape(len(world32), 96).T


def _write_cameras(path: Path, subject: str, cameras: list[Camera]) -> None:
    with h5py.File(path, "a") as h5:
        for index, camera in enumerate(cameras):
            group = h5.create_group(f"subject{subject[1:]}/camera{index + 1}")
            group["R"] = camera.R.T  # stored transposed, as in 3d-pose-baseline
            group["T"] = camera.center_mm.reshape(3, 1)
            group["f"] = camera.f_px.reshape(2, 1)
            group["c"] = camera.c_px.reshape(2, 1)
            group["k"] = camera.k.reshape(3, 1)
            group["p"] = camera.p.reshape(2, 1)
            group["Name"] = np.array([ord(ch) for ch in H36M_CAMERA_IDS[index]], dtype=np.uint8)


def _zoomed(camera: Camera) -> Camera:
    """The shipped camera with 10 % longer focal lengths, to tell cameras.h5 from the default."""
    return Camera(camera.R, camera.t_mm, camera.f_px * 1.1, camera.c_px, camera.k, camera.p,
                  camera.width, camera.height, camera.name)


@pytest.fixture()
def tree(tmp_path: Path) -> tuple[Path, Tree]:
    rng = np.random.default_rng(5)
    root = tmp_path / "h36m"
    source: Tree = {"S1": {}, "S11": {}}
    stems = {"S1": ["Directions 1", "TakingPhoto"], "S11": ["Directions", "Eating 2"]}
    for subject in stems:
        for stem in stems[subject]:
            source[subject][stem] = synthetic_h36m32_world_mm(FRAMES, rng)
            _write_pose_file(root, subject, stem, source[subject][stem])
    return root, source


def test_load_baseline_3d(tree: tuple[Path, Tree]) -> None:
    root, source = tree
    poses = load_baseline_3d(root)
    assert set(poses["S1"]) == {"Directions 1", "Photo"}  # TakingPhoto renamed
    assert set(poses["S11"]) == {"Eating 2"}  # S11 Directions dropped, as VideoPose3D does
    pose = poses["S1"]["Photo"]
    assert pose.shape == (FRAMES, 16, 3) and pose.dtype == np.float32
    expected = to_joints16(source["S1"]["TakingPhoto"], "h36m32")[0]
    np.testing.assert_allclose(pose, expected, atol=1e-3)


def test_convert_with_shipped_cameras(tree: tuple[Path, Tree], tmp_path: Path) -> None:
    root, source = tree
    written = convert_to_videopose3d(root, tmp_path / "out")
    assert [p.name for p in written] == ["data_3d_h36m.npz", "data_2d_h36m_gt.npz"]
    poses = load_videopose3d_3d(written[0])
    for stem, name in (("Directions 1", "Directions 1"), ("TakingPhoto", "Photo")):
        expected = to_joints16(source["S1"][stem], "h36m32")[0]
        np.testing.assert_allclose(poses["S1"][name], expected, atol=1e-3)
    with np.load(written[0], allow_pickle=True) as archive:
        raw = archive["positions_3d"].item()["S11"]["Eating 2"]
    np.testing.assert_allclose(raw * 1000.0, source["S11"]["Eating 2"], atol=1e-3)
    positions, metadata = load_videopose3d_2d(written[1])
    assert metadata["layout_name"] == "h36m17" and metadata["num_joints"] == 17
    world16 = to_joints16(source["S11"]["Eating 2"], "h36m32")[0]
    for index, pixels in enumerate(positions["S11"]["Eating 2"]):
        camera = h36m_camera("S11", index)
        expected = camera.project(camera.world_to_camera(world16))
        np.testing.assert_allclose(pixels, expected, atol=0.01)


def test_convert_prefers_cameras_h5(tree: tuple[Path, Tree], tmp_path: Path) -> None:
    root, source = tree
    for subject in ("S1", "S11"):
        cameras = [_zoomed(h36m_camera(subject, i)) for i in range(4)]
        _write_cameras(root / "cameras.h5", subject, cameras)
    _, path_2d = convert_to_videopose3d(root, tmp_path / "out")
    positions, _ = load_videopose3d_2d(path_2d)
    world16 = to_joints16(source["S1"]["Directions 1"], "h36m32")[0]
    zoomed = _zoomed(h36m_camera("S1", 2))
    shipped = h36m_camera("S1", 2)
    pixels = positions["S1"]["Directions 1"][2]
    np.testing.assert_allclose(pixels, zoomed.project(zoomed.world_to_camera(world16)), atol=0.01)
    assert np.abs(pixels - shipped.project(shipped.world_to_camera(world16))).max() > 5


def test_load_baseline_cameras_round_trip(tmp_path: Path) -> None:
    path = tmp_path / "cameras.h5"
    _write_cameras(path, "S5", [h36m_camera("S5", i) for i in range(4)])
    cameras = load_baseline_cameras(path)
    assert list(cameras) == ["S5"] and len(cameras["S5"]) == 4
    for index, camera in enumerate(cameras["S5"]):
        shipped = h36m_camera("S5", index)
        np.testing.assert_allclose(camera.R, shipped.R, atol=1e-12)
        np.testing.assert_allclose(camera.t_mm, shipped.t_mm, atol=1e-9)
        np.testing.assert_allclose(camera.k, shipped.k)
        assert camera.name == f"S5/{H36M_CAMERA_IDS[index]}"
        assert (camera.width, camera.height) == (shipped.width, shipped.height)


def test_cameras_h5_missing_subject(tree: tuple[Path, Tree], tmp_path: Path) -> None:
    root, _ = tree
    _write_cameras(root / "cameras.h5", "S1", [h36m_camera("S1", i) for i in range(4)])
    with pytest.raises(PoseDataError, match="no cameras for subject S11"):
        convert_to_videopose3d(root, tmp_path / "out")


def test_missing_root_and_empty_root(tmp_path: Path) -> None:
    with pytest.raises(PoseDataError, match="is not a folder"):
        load_baseline_3d(tmp_path / "nowhere")
    with pytest.raises(PoseDataError, match="holds no S\\*/MyPoses/3D_positions"):
        load_baseline_3d(tmp_path)


def test_bad_pose_files(tmp_path: Path) -> None:
    folder = tmp_path / "S1" / "MyPoses" / "3D_positions"
    folder.mkdir(parents=True)
    with h5py.File(folder / "Eating.h5", "w") as h5:
        h5["3D_positions"] = np.zeros((10, 96))
    with pytest.raises(PoseDataError, match=r"must have shape \(96, N\)"):
        load_baseline_3d(tmp_path)
    (folder / "Eating.h5").write_bytes(b"not hdf5")
    with pytest.raises(PoseDataError, match="not a readable HDF5 file"):
        load_baseline_3d(tmp_path)
    with h5py.File(folder / "Eating.h5", "w") as h5:
        h5["other"] = np.zeros(3)
    with pytest.raises(PoseDataError, match="has no '3D_positions' dataset"):
        load_baseline_3d(tmp_path)


def test_metre_pose_file_is_rejected(tmp_path: Path) -> None:
    metres = synthetic_h36m32_world_mm(4, np.random.default_rng(0)) / 1000
    _write_pose_file(tmp_path, "S1", "Eating", metres)
    with pytest.raises(PoseDataError, match="looks like metres"):
        load_baseline_3d(tmp_path)


def test_cli_convert(
    tree: tuple[Path, Tree], tmp_path: Path, capsys: pytest.CaptureFixture
) -> None:
    root, _ = tree
    out = tmp_path / "cli_out"
    assert main(["data", "convert", str(root), str(out)]) == 0
    printed = capsys.readouterr().out.splitlines()
    assert printed == [f"wrote {out / 'data_3d_h36m.npz'}", f"wrote {out / 'data_2d_h36m_gt.npz'}"]
    assert main(["data", "convert", str(tmp_path / "missing"), str(out)]) == 2
    error = capsys.readouterr().err.strip().splitlines()
    assert len(error) == 1 and "is not a folder" in error[0]
