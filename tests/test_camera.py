"""Tests for posemachines/camera.py: projection, distortion, transforms, Human3.6M calibrations."""

from __future__ import annotations

import json
import pickle
from importlib import resources
from pathlib import Path

import numpy as np
import pytest

from posemachines.camera import (
    H36M_CAMERA_IDS,
    H36M_SUBJECTS,
    Camera,
    backproject,
    distort_normalized,
    h36m_camera,
    look_at,
    project_points,
    undistort_points,
)
from posemachines.errors import PoseDataError

F_PX = np.array([1000.0, 1010.0])
C_PX = np.array([500.0, 400.0])


def _random_rotation(rng: np.random.Generator) -> np.ndarray:
    q, r = np.linalg.qr(rng.normal(size=(3, 3)))
    q = q * np.sign(np.diag(r))
    return q if np.linalg.det(q) > 0 else -q


def _camera(rng: np.random.Generator, k=(0.0, 0.0, 0.0), p=(0.0, 0.0)) -> Camera:
    return Camera(
        R=_random_rotation(rng),
        t_mm=rng.uniform(-3000, 3000, size=3),
        f_px=F_PX,
        c_px=C_PX,
        k=np.array(k),
        p=np.array(p),
        width=1000,
        height=800,
    )


def test_project_then_backproject_round_trips():
    rng = np.random.default_rng(0)
    X_cam = np.concatenate(
        [rng.uniform(-1000, 1000, (4, 17, 2)), rng.uniform(1500, 9000, (4, 17, 1))], axis=-1
    )
    uv = project_points(X_cam, F_PX, C_PX)
    assert uv.shape == (4, 17, 2)
    np.testing.assert_allclose(backproject(uv, X_cam[..., 2], F_PX, C_PX), X_cam, atol=1e-6)


def test_pinhole_projection_matches_hand_computed_point():
    uv = project_points(np.array([200.0, -100.0, 2000.0]), F_PX, C_PX)
    np.testing.assert_allclose(uv, [500 + 1000 * 0.1, 400 - 1010 * 0.05])


def test_world_camera_world_round_trip_and_centre():
    rng = np.random.default_rng(1)
    camera = _camera(rng)
    X_world = rng.uniform(-2000, 2000, size=(3, 5, 16, 3))
    X_cam = camera.world_to_camera(X_world)
    np.testing.assert_allclose(X_cam[1, 2, 3], camera.R @ X_world[1, 2, 3] + camera.t_mm)
    np.testing.assert_allclose(camera.camera_to_world(X_cam), X_world, atol=1e-9)
    np.testing.assert_allclose(camera.world_to_camera(camera.center_mm[None]), 0, atol=1e-9)


def test_zero_distortion_equals_pinhole():
    rng = np.random.default_rng(2)
    X_cam = np.concatenate(
        [rng.uniform(-800, 800, (10, 2)), rng.uniform(2000, 5000, (10, 1))], axis=-1
    )
    pinhole = project_points(X_cam, F_PX, C_PX)
    np.testing.assert_array_equal(
        project_points(X_cam, F_PX, C_PX, np.zeros(3), np.zeros(2)), pinhole
    )
    np.testing.assert_array_equal(_camera(rng).project(X_cam), pinhole)


def test_distorted_point_matches_hand_computed_value():
    # x = 0.2, y = -0.1: r2 = 0.05, radial = 1.005025125, tangential = 0.002*-0.1 - 0.003*0.2
    # x_d = 0.2 * 1.004225125 + (-0.003) * 0.05, y_d = -0.1 * 1.004225125 + 0.002 * 0.05
    k, p = np.array([0.1, 0.01, 0.001]), np.array([0.002, -0.003])
    uv = project_points(np.array([200.0, -100.0, 1000.0]), [1000.0, 1000.0], [500.0, 400.0], k, p)
    np.testing.assert_allclose(uv, [700.695025, 299.6774875], atol=1e-9)


def test_distortion_parameters_broadcast_per_camera():
    xy = np.array([[[0.1, 0.2]], [[0.1, 0.2]]])
    k = np.array([[[0.1, 0.0, 0.0]], [[0.0, 0.0, 0.0]]])
    p = np.zeros((2, 1, 2))
    distorted = distort_normalized(xy, k, p)
    np.testing.assert_allclose(distorted[0, 0], [0.1 * 1.005, 0.2 * 1.005])
    np.testing.assert_allclose(distorted[1, 0], [0.1, 0.2])


def test_undistort_inverts_h36m_distortion_inside_image():
    camera = h36m_camera("S9", 2)
    u, v = np.meshgrid(np.linspace(0, camera.width, 9), np.linspace(0, camera.height, 9))
    pinhole_uv = np.stack([u, v], axis=-1).reshape(-1, 2)
    X_cam = backproject(pinhole_uv, np.full(len(pinhole_uv), 4000.0), camera.f_px, camera.c_px)
    distorted_uv = camera.project(X_cam)
    assert np.abs(distorted_uv - pinhole_uv).max() > 5  # the lens distortion is real
    np.testing.assert_allclose(undistort_points(distorted_uv, camera), pinhole_uv, atol=1e-3)


def test_torch_tensors_give_torch_results_matching_numpy():
    torch = pytest.importorskip("torch")
    rng = np.random.default_rng(3)
    camera = _camera(rng, k=(-0.2, 0.2, 0.0), p=(0.001, -0.002))
    X_world = rng.uniform(-500, 500, size=(2, 16, 3))
    X_cam = camera.world_to_camera(torch.tensor(X_world, dtype=torch.float64))
    uv = camera.project(X_cam)
    assert isinstance(uv, torch.Tensor) and uv.dtype == torch.float64
    np.testing.assert_allclose(uv.numpy(), camera.project(camera.world_to_camera(X_world)))
    X_back = backproject(torch.tensor([[500.0, 400.0]]), torch.tensor([3000.0]), F_PX, C_PX)
    np.testing.assert_allclose(X_back.numpy(), [[0.0, 0.0, 3000.0]])


def test_look_at_aims_z_at_target_with_image_down_against_up():
    eye, target, up = np.array([3000.0, 1500.0, -2000.0]), np.array([0.0, 900.0, 0.0]), (0, 1, 0)
    R = look_at(eye, target, up)
    np.testing.assert_allclose(R @ R.T, np.eye(3), atol=1e-12)
    assert np.linalg.det(R) == pytest.approx(1.0)
    direction = (target - eye) / np.linalg.norm(target - eye)
    np.testing.assert_allclose(R[2], direction)
    assert R[0] @ np.array(up) == pytest.approx(0.0, abs=1e-12)  # level horizon
    assert R[1] @ np.array(up) < 0  # image y points down in the world
    with pytest.raises(PoseDataError):
        look_at(np.zeros(3), np.array([0.0, 1000.0, 0.0]), up)


@pytest.mark.parametrize(
    "field, value",
    [
        ("R", np.diag([1.0, 1.0, 2.0])),
        ("R", np.diag([1.0, 1.0, -1.0])),
        ("t_mm", [0.0, np.nan, 0.0]),
        ("f_px", [1000.0]),
        ("f_px", [-1000.0, 1000.0]),
    ],
)
def test_camera_rejects_bad_parameters(field, value):
    params = dict(
        R=np.eye(3),
        t_mm=np.zeros(3),
        f_px=F_PX,
        c_px=C_PX,
        k=np.zeros(3),
        p=np.zeros(2),
        width=1000,
        height=800,
    )
    params[field] = value
    with pytest.raises(PoseDataError):
        Camera(**params)


def test_bad_point_shapes_raise_pose_data_error():
    with pytest.raises(PoseDataError):
        project_points(np.zeros((5, 2)), F_PX, C_PX)
    with pytest.raises(PoseDataError):
        backproject(np.zeros((5, 2)), np.ones(4), F_PX, C_PX)


def test_h36m_camera_rejects_unknown_subject_and_camera():
    with pytest.raises(PoseDataError):
        h36m_camera("S99", 0)
    with pytest.raises(PoseDataError):
        h36m_camera("S1", 4)
    with pytest.raises(PoseDataError):
        h36m_camera("S1", "12345678")


def test_h36m_cameras_by_index_and_id_agree():
    for index, camera_id in enumerate(H36M_CAMERA_IDS):
        by_index, by_id = h36m_camera("S11", index), h36m_camera("S11", camera_id)
        np.testing.assert_array_equal(by_index.R, by_id.R)
        assert by_index.name == by_id.name == f"S11/{camera_id}"


def test_h36m_cameras_look_at_the_capture_floor_with_z_up():
    """Converted extrinsics: every camera sees the world origin (floor centre) in its image,
    stands 0.5-2.5 m high and keeps image-down against world Z; R_pkl itself fails this."""
    for subject in H36M_SUBJECTS:
        for camera_id in H36M_CAMERA_IDS:
            camera = h36m_camera(subject, camera_id)
            origin_cam = camera.world_to_camera(np.zeros((1, 3)))
            u, v = camera.project(origin_cam)[0]
            assert origin_cam[0, 2] > 2000
            assert 0 < u < camera.width and 0 < v < camera.height
            assert 500 < camera.center_mm[2] < 2500
            assert camera.R[1] @ np.array([0.0, 0.0, 1.0]) < -0.9


def _h36m_pickle(shared_data: Path) -> dict:
    with open(shared_data / "fixtures" / "h36m" / "cameras.pkl", "rb") as handle:
        return pickle.load(handle)


def test_shipped_h36m_json_equals_fixture_pickle(shared_data):
    calibrations = _h36m_pickle(shared_data)
    asset = resources.files("posemachines").joinpath("assets/h36m_cameras.json")
    shipped = json.loads(asset.read_text(encoding="utf-8"))
    assert "_source" in shipped
    assert sum(len(v) for k, v in shipped.items() if not k.startswith("_")) == len(calibrations)
    for (subject, camera_id), calib in calibrations.items():
        entry = shipped[subject][camera_id]
        for key in ("f", "c", "k", "p", "R", "T"):
            np.testing.assert_array_equal(np.ravel(entry[key]), calib[key].ravel())
        assert (entry["w"], entry["h"]) == (calib["w"], calib["h"])
        camera = h36m_camera(subject, camera_id)
        np.testing.assert_allclose(camera.R, calib["R"].T)
        np.testing.assert_allclose(camera.center_mm, calib["T"].ravel() * 1000.0)


def test_h36m_fixture_joints_project_onto_2d_labels(shared_data):
    data = np.load(shared_data / "fixtures" / "h36m" / "test_h36m_body3d.npz")
    pinhole_errors = []
    for image_name, joints, labels in zip(data["imgname"], data["S"], data["part"], strict=True):
        stem = Path(str(image_name)).name  # e.g. S1_Directions_1.54138969_000001.jpg
        subject, camera_id = stem.split("_")[0], stem.split(".")[1].split("_")[0]
        camera = h36m_camera(subject, camera_id)
        visible = (joints[:, 3] > 0) & (labels[:, 2] > 0)
        X_cam_mm = joints[:, :3] * 1000.0
        error = np.abs(camera.project(X_cam_mm) - labels[:, :2])[visible]
        assert visible.sum() >= 10 and error.max() < 1.0
        pinhole = project_points(X_cam_mm, camera.f_px, camera.c_px)
        pinhole_errors.append(np.abs(pinhole - labels[:, :2])[visible].max())
    assert max(pinhole_errors) > 1.0  # without the distortion the labels are missed


def test_mpi_inf_3dhp_fixture_joints_project_through_pinhole_intrinsics(shared_data):
    """3DHP pickles hold pinhole intrinsics (no distortion); 14 of the 17 joints match to
    ~0.01-0.15 px, three (right hip, left hip, spine) were labelled apart from the 3D, <2 px."""
    folder = shared_data / "fixtures" / "mpi_inf_3dhp"
    for split in ("train", "test"):
        with open(folder / f"cameras_{split}.pkl", "rb") as handle:
            cameras = pickle.load(handle)
        data = np.load(folder / f"test_3dhp_{split}.npz")
        for image_name, joints, labels in zip(
            data["imgname"], data["S"], data["part"], strict=True
        ):
            calib = cameras[str(image_name).rsplit("_", 1)[0]]  # S4_Seq2_Cam0_001033.jpg
            uv = project_points(joints[:, :3] * 1000.0, calib["f"].ravel(), calib["c"].ravel())
            error = np.linalg.norm(uv - labels[:, :2], axis=-1)[labels[:, 2] > 0]
            assert np.median(error) < 0.2 and error.max() < 2.5
