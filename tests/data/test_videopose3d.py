"""VideoPose3D npz layout: round trips, joint mappings, action names and bad files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.camera import h36m_camera
from posemachines.data.videopose3d import (
    H36M_ACTIONS,
    canonical_action,
    layout_of,
    load_videopose3d_2d,
    load_videopose3d_3d,
    read_videopose3d_2d_raw,
    write_videopose3d_2d,
    write_videopose3d_3d,
)
from posemachines.errors import PoseDataError
from tests.data.synthetic import write_synthetic_videopose3d


@pytest.fixture()
def synthetic(tmp_path: Path):
    return write_synthetic_videopose3d(tmp_path, ("S1", "S9"), ("Directions 1", "Walking"), 12)


def test_actions_in_table_order() -> None:
    assert len(H36M_ACTIONS) == 15
    assert H36M_ACTIONS[:3] == ("Directions", "Discussion", "Eating")
    assert H36M_ACTIONS[-3:] == ("WalkDog", "Walking", "WalkTogether")


@pytest.mark.parametrize(
    ("name", "expected"),
    [
        ("Directions 1", "Directions"),
        ("Directions", "Directions"),
        ("TakingPhoto", "Photo"),
        ("TakingPhoto 1", "Photo"),
        ("Photo 2", "Photo"),
        ("WalkingDog", "WalkDog"),
        ("WalkDog_1", "WalkDog"),
        ("Walking 1", "Walking"),
        ("WalkTogether 2", "WalkTogether"),
        ("SittingDown", "SittingDown"),
        ("Sitting 1", "Sitting"),
        ("walkdog", "WalkDog"),
        ("Jog 1 chunk0", "Jog"),
    ],
)
def test_canonical_action(name: str, expected: str) -> None:
    assert canonical_action(name) == expected


def test_canonical_action_rejects_nameless() -> None:
    with pytest.raises(PoseDataError):
        canonical_action("  1 ")


def test_3d_round_trip_in_mm(synthetic) -> None:
    loaded = load_videopose3d_3d(synthetic.path_3d)
    assert set(loaded) == {"S1", "S9"} and set(loaded["S1"]) == {"Directions 1", "Walking"}
    pose = loaded["S9"]["Walking"]
    assert pose.shape == (12, 16, 3) and pose.dtype == np.float32
    np.testing.assert_allclose(pose, synthetic.poses_world_mm["S9"]["Walking"], atol=1e-3)


def test_stored_3d_is_metres_with_32_joints(synthetic) -> None:
    with np.load(synthetic.path_3d, allow_pickle=True) as archive:
        raw = archive["positions_3d"].item()["S1"]["Walking"]
    assert raw.shape == (12, 32, 3) and raw.dtype == np.float32
    assert 0.5 < np.abs(raw[..., 2]).max() < 2.0  # head height in metres


def test_2d_round_trip_and_metadata(synthetic) -> None:
    positions, metadata = load_videopose3d_2d(synthetic.path_2d)
    assert metadata["layout_name"] == "h36m17" and metadata["num_joints"] == 17
    cameras = positions["S1"]["Directions 1"]
    assert len(cameras) == 4 and all(c.shape == (12, 16, 2) for c in cameras)
    for got, want in zip(cameras, synthetic.poses_2d_px["S1"]["Directions 1"], strict=True):
        np.testing.assert_allclose(got, want, atol=1e-3)


def test_2d_is_the_projection_of_3d(synthetic) -> None:
    world = load_videopose3d_3d(synthetic.path_3d)["S9"]["Walking"]
    positions, _ = load_videopose3d_2d(synthetic.path_2d)
    for index, pixels in enumerate(positions["S9"]["Walking"]):
        camera = h36m_camera("S9", index)
        projected = camera.project(camera.world_to_camera(world.astype(np.float64)))
        np.testing.assert_allclose(pixels, projected, atol=0.01)
        assert np.all((pixels > 0) & (pixels < 1000))


def test_17_joint_3d_file_maps_as_h36m17(tmp_path: Path) -> None:
    pose17 = np.random.default_rng(0).normal(0, 300, (4, 17, 3))
    path = write_videopose3d_3d(tmp_path / "d3", {"S1": {"Eating": pose17}})
    assert path.name == "d3.npz"
    loaded = load_videopose3d_3d(path)["S1"]["Eating"]
    np.testing.assert_allclose(loaded, np.delete(pose17, 9, axis=1), atol=1e-3)


def test_coco_layout_2d_with_confidence(tmp_path: Path) -> None:
    coco = np.random.default_rng(1).uniform(100, 900, (3, 17, 3))
    coco[..., 2] = 0.5
    path = write_videopose3d_2d(
        tmp_path / "d2.npz", {"S1": {"Walking": [coco, None]}},
        {"layout_name": "coco", "num_joints": 17},
    )
    raw, metadata = read_videopose3d_2d_raw(path)
    assert metadata["layout_name"] == "coco17" and raw["S1"]["Walking"][0].shape == (3, 17, 3)
    positions, _ = load_videopose3d_2d(path)
    first, missing = positions["S1"]["Walking"]
    assert missing is None and first.shape == (3, 16, 2)
    np.testing.assert_allclose(first[:, 0], (coco[:, 11, :2] + coco[:, 12, :2]) / 2, atol=1e-3)
    np.testing.assert_allclose(first[:, 1], coco[:, 12, :2], atol=1e-3)  # RHip = right hip
    rewritten = write_videopose3d_2d(tmp_path / "again.npz", raw, metadata)
    again, _ = load_videopose3d_2d(rewritten)
    np.testing.assert_allclose(again["S1"]["Walking"][0], first)


def test_humaneva15_layout(tmp_path: Path) -> None:
    pose15 = np.random.default_rng(2).normal(0, 300, (5, 15, 3))
    path = write_videopose3d_3d(tmp_path / "humaneva.npz", {"Train/S1": {"Jog 1": pose15}})
    loaded = load_videopose3d_3d(path)["Train/S1"]["Jog 1"]
    np.testing.assert_allclose(loaded[:, 0], pose15[:, 0], atol=1e-3)  # Hip = pelvis
    np.testing.assert_allclose(loaded[:, 1], pose15[:, 11], atol=1e-3)  # RHip
    np.testing.assert_allclose(loaded[:, 7], (pose15[:, 0] + pose15[:, 1]) / 2, atol=1e-3)
    np.testing.assert_allclose(loaded[:, 9], pose15[:, 14], atol=1e-3)  # Head
    np.testing.assert_allclose(loaded[:, 15], pose15[:, 7], atol=1e-3)  # RWrist


def test_layout_of() -> None:
    assert layout_of(17) == "h36m17" and layout_of(32) == "h36m32" and layout_of(15) == "humaneva15"
    assert layout_of(17, {"layout_name": "coco"}) == "coco17"
    with pytest.raises(PoseDataError, match="Unsupported 2D layout"):
        layout_of(17, {"layout_name": "openpose"})
    with pytest.raises(PoseDataError, match="has 17 joints but the file has 15"):
        layout_of(15, {"layout_name": "coco"})
    with pytest.raises(PoseDataError, match="No known layout has 20 joints"):
        layout_of(20)


def test_millimetre_file_is_rejected(tmp_path: Path) -> None:
    path = tmp_path / "mm.npz"
    pose = np.random.default_rng(3).normal(0, 300, (4, 17, 3)).astype(np.float32)
    np.savez(path, positions_3d=np.array({"S1": {"Eating": pose}}, dtype=object))
    with pytest.raises(PoseDataError, match="looks like millimetres"):
        load_videopose3d_3d(path)


def test_wrong_joint_count_and_missing_key(tmp_path: Path) -> None:
    path = tmp_path / "bad.npz"
    np.savez(path, positions_3d=np.array({"S1": {"Eating": np.zeros((2, 20, 3))}}, dtype=object))
    with pytest.raises(PoseDataError, match="expected 32 or 17 or 15 or 16 joints, got 20"):
        load_videopose3d_3d(path)
    with pytest.raises(PoseDataError, match="lacks the key"):
        load_videopose3d_2d(path)


def test_not_a_dictionary(tmp_path: Path) -> None:
    path = tmp_path / "flat.npz"
    np.savez(path, positions_3d=np.zeros((2, 32, 3)))
    with pytest.raises(PoseDataError, match="not a non-empty subject -> action dictionary"):
        load_videopose3d_3d(path)


def test_mixed_joint_counts_in_2d(tmp_path: Path) -> None:
    path = tmp_path / "mixed.npz"
    positions = {"S1": {"A": [np.zeros((2, 17, 2))], "B": [np.zeros((2, 15, 2))]}}
    np.savez(path, positions_2d=np.array(positions, dtype=object))
    with pytest.raises(PoseDataError, match="expected 17 joints, got 15"):
        read_videopose3d_2d_raw(path)
