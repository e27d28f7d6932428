"""mmpose body3d samples (real Human3.6M and MPI-INF-3DHP frames) in the 16-joint set."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.camera import h36m_camera
from posemachines.data.mmpose_fixture import (
    MPI3DHP17_TO_H36M17,
    load_mmpose_3dhp_fixture,
    load_mmpose_h36m_fixture,
)
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES, bone_lengths


def _assert_human(joints_mm: np.ndarray) -> None:
    bones = bone_lengths(joints_mm)
    assert np.all((bones > 80) & (bones < 650)), bones.round()
    thigh, shin = bones[:, 1], bones[:, 2]  # RHip->RKnee, RKnee->RFoot
    assert np.all((thigh > 300) & (shin > 300))
    head, foot = JOINTS16_NAMES.index("Head"), JOINTS16_NAMES.index("RFoot")
    assert np.all(joints_mm[:, head, 1] < joints_mm[:, foot, 1] + 300)  # y down: head on top


def _pinhole_residual(joints_mm: np.ndarray, pixels: np.ndarray) -> float:
    """Largest residual (px) of the best pinhole (f, cx, cy) mapping 3D onto 2D, per sample."""
    worst = 0.0
    for xyz, uv in zip(joints_mm, pixels, strict=True):
        ratio = xyz[:, :2] / xyz[:, 2:]
        design = np.zeros((2 * len(xyz), 3))
        design[0::2, 0], design[1::2, 0] = ratio[:, 0], ratio[:, 1]
        design[0::2, 1], design[1::2, 2] = 1, 1
        solution, *_ = np.linalg.lstsq(design, uv.reshape(-1), rcond=None)
        worst = max(worst, float(np.abs(design @ solution - uv.reshape(-1)).max()))
    return worst


def test_h36m_fixture(shared_data: Path) -> None:
    samples = load_mmpose_h36m_fixture(shared_data / "fixtures/h36m/test_h36m_body3d.npz")
    assert samples.joints3d_mm.shape == (4, 16, 3) and samples.joints2d_px.shape == (4, 16, 2)
    assert samples.visibility.shape == (4, 16) and samples.visibility.all()
    assert samples.image_names[0].startswith("S1/S1_Directions_1.54138969/")
    # Hip of the first frame, read from the file: S[0, 0] = (-0.17673, -0.32105, 5.20388) m.
    np.testing.assert_allclose(samples.joints3d_mm[0, 0], [-176.73, -321.05, 5203.88], atol=0.01)
    np.testing.assert_allclose(samples.joints2d_px[0, 0], [473.6836, 444.9424], atol=1e-3)
    _assert_human(samples.joints3d_mm)


def test_h36m_fixture_2d_is_the_distorted_projection(shared_data: Path) -> None:
    samples = load_mmpose_h36m_fixture(shared_data / "fixtures/h36m/test_h36m_body3d.npz")
    for joints, pixels, name in zip(*samples[:2], samples.image_names, strict=True):
        subject, camera_id = name.split("/")[0], name.split(".")[1].split("/")[0]
        projected = h36m_camera(subject, camera_id).project(joints)
        np.testing.assert_allclose(projected, pixels, atol=0.01)


@pytest.mark.parametrize("name", ["test_3dhp_test.npz", "test_3dhp_train.npz"])
def test_3dhp_fixture(shared_data: Path, name: str) -> None:
    samples = load_mmpose_3dhp_fixture(shared_data / "fixtures/mpi_inf_3dhp" / name)
    assert samples.joints3d_mm.shape == (2, 16, 3) and len(samples.image_names) == 2
    _assert_human(samples.joints3d_mm)
    assert _pinhole_residual(samples.joints3d_mm, samples.joints2d_px) < 3.0


def test_3dhp_mapping_by_hand(shared_data: Path) -> None:
    path = shared_data / "fixtures/mpi_inf_3dhp/test_3dhp_test.npz"
    with np.load(path) as archive:
        raw = archive["S"][0, :, :3] * 1000
    samples = load_mmpose_3dhp_fixture(path)
    np.testing.assert_allclose(samples.joints3d_mm[0, 0], raw[14])  # root -> Hip
    np.testing.assert_allclose(samples.joints3d_mm[0, 8], raw[1])  # neck -> Thorax
    np.testing.assert_allclose(samples.joints3d_mm[0, 9], raw[0])  # head_top -> Head
    np.testing.assert_allclose(samples.joints3d_mm[0, 10], raw[5])  # left shoulder
    np.testing.assert_allclose(samples.joints3d_mm[0, 1], raw[8])  # right hip
    assert sorted(MPI3DHP17_TO_H36M17) == list(range(17))


def test_missing_and_malformed_files(tmp_path: Path) -> None:
    with pytest.raises(PoseDataError, match="does not exist"):
        load_mmpose_h36m_fixture(tmp_path / "none.npz")
    bad = tmp_path / "bad.npz"
    np.savez(bad, S=np.ones((2, 16, 4)), part=np.ones((2, 17, 3)), imgname=np.array(["a", "b"]))
    with pytest.raises(PoseDataError, match="expected 17 joints, got 16"):
        load_mmpose_h36m_fixture(bad)
    np.savez(bad, S=np.ones((2, 17, 4)), part=np.ones((3, 17, 3)), imgname=np.array(["a", "b"]))
    with pytest.raises(PoseDataError, match="must match"):
        load_mmpose_h36m_fixture(bad)
