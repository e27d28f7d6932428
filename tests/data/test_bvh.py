"""BVH reader, writer and forward kinematics: hand-computed poses, round trips, real files."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.bvh import (
    BvhEndSite,
    BvhJoint,
    BvhMotion,
    forward_kinematics,
    read_bvh,
    write_bvh,
)
from posemachines.errors import PoseDataError

BANDAI_WALK = "mocap/bandai-namco-1/data/dataset-1_walk_normal_001.bvh"
LAFAN_PUSH = "mocap/lafan1/push1_subject2.bvh"


def chain_bvh(root_channels: str, frames: list[str], declared: int | None = None) -> str:
    """Root at the origin with `root_channels`, an arm 10 along x, a hand End Site 5 further."""
    count = len(root_channels.split())
    return (
        "HIERARCHY\nROOT root\n{\n  OFFSET 0 0 0\n"
        f"  CHANNELS {count} {root_channels}\n"
        "  JOINT arm\n  {\n    OFFSET 10 0 0\n    CHANNELS 3 Zrotation Xrotation Yrotation\n"
        "    End Site\n    {\n      OFFSET 5 0 0\n    }\n  }\n}\n"
        f"MOTION\nFrames: {len(frames) if declared is None else declared}\nFrame Time: 0.1\n"
        + "\n".join(frames) + "\n"
    )


def write_text(tmp_path: Path, text: str, name: str = "tiny.bvh") -> Path:
    path = tmp_path / name
    path.write_text(text)
    return path


def test_fk_of_a_two_joint_chain_matches_hand_computed_positions(tmp_path: Path) -> None:
    channels = "Xposition Yposition Zposition Zrotation Xrotation Yrotation"
    frames = [
        "1 2 3 0 0 0 0 0 0",   # rest pose, moved to (1, 2, 3)
        "1 2 3 90 0 0 0 0 0",  # root turned 90 deg about z: x -> y
        "1 2 3 90 0 0 90 0 0",  # and the arm another 90 deg: points along -x
    ]
    motion = read_bvh(write_text(tmp_path, chain_bvh(channels, frames)))
    positions = forward_kinematics(motion)

    assert motion.joint_names == ("root", "arm")
    assert motion.num_frames == 3 and motion.fps == pytest.approx(10.0)
    assert positions.joints.shape == (3, 2, 3) and positions.end_sites.shape == (3, 1, 3)
    np.testing.assert_allclose(positions.joints[:, 0], [[1, 2, 3]] * 3, atol=1e-12)
    np.testing.assert_allclose(positions.joints[:, 1], [[11, 2, 3], [1, 12, 3], [1, 12, 3]],
                               atol=1e-12)
    np.testing.assert_allclose(positions.end_sites[:, 0], [[16, 2, 3], [1, 17, 3], [-4, 12, 3]],
                               atol=1e-12)


@pytest.mark.parametrize(
    ("channels", "values", "arm_at"),
    [
        # R = Rz(90) @ Rx(90): Rx leaves x alone, Rz turns it to y.
        ("Zrotation Xrotation Yrotation", "90 90 0", (0, 10, 0)),
        # R = Rx(90) @ Rz(90): Rz turns x to y, Rx turns y to z.
        ("Xrotation Zrotation Yrotation", "90 90 0", (0, 0, 10)),
        # R = Ry(90) @ Rz(90): Rz turns x to y, Ry leaves y alone.
        ("Yrotation Zrotation Xrotation", "90 90 0", (0, 10, 0)),
        # R = Ry(90) @ Rx(90): Rx leaves x alone, Ry turns x to -z.
        ("Yrotation Xrotation Zrotation", "90 90 0", (0, 0, -10)),
    ],
)
def test_rotation_channels_apply_in_the_listed_order(
    tmp_path: Path, channels: str, values: str, arm_at: tuple[float, float, float]
) -> None:
    motion = read_bvh(write_text(tmp_path, chain_bvh(channels, [values + " 0 0 0"])))
    np.testing.assert_allclose(forward_kinematics(motion).joints[0, 1], arm_at, atol=1e-12)


def test_position_channels_on_a_child_joint_replace_its_offset(tmp_path: Path) -> None:
    text = chain_bvh("Zrotation Xrotation Yrotation", ["0 0 0 0 0 0"]).replace(
        "    CHANNELS 3 Zrotation Xrotation Yrotation",
        "    CHANNELS 6 Xposition Yposition Zposition Zrotation Xrotation Yrotation",
    ).replace("0 0 0 0 0 0\n", "0 0 0 20 1 0 0 0 0\n")
    positions = forward_kinematics(read_bvh(write_text(tmp_path, text)))
    np.testing.assert_allclose(positions.joints[0, 1], [20, 1, 0])
    np.testing.assert_allclose(positions.end_sites[0, 0], [25, 1, 0])


def _positions_by_name(motion: BvhMotion) -> dict[str, np.ndarray]:
    joints = forward_kinematics(motion).joints
    return {name: joints[:, j] for j, name in enumerate(motion.joint_names)}


@pytest.mark.parametrize("relative", [BANDAI_WALK, LAFAN_PUSH])
def test_read_write_read_round_trip_keeps_positions(
    shared_data: Path, tmp_path: Path, relative: str
) -> None:
    original = read_bvh(shared_data / relative)
    write_bvh(original, tmp_path / "copy.bvh")
    copy = read_bvh(tmp_path / "copy.bvh")

    assert copy.joint_names == original.joint_names
    assert [j.channels for j in copy.joints] == [j.channels for j in original.joints]
    assert [j.parent for j in copy.joints] == [j.parent for j in original.joints]
    assert copy.frame_time_s == pytest.approx(original.frame_time_s, rel=1e-9)
    before, after = forward_kinematics(original), forward_kinematics(copy)
    # File units are centimetres: 0.001 cm = 0.01 mm.
    assert np.abs(after.joints - before.joints).max() < 1e-3
    assert np.abs(after.end_sites - before.end_sites).max() < 1e-3


def test_writer_puts_channels_in_the_order_joints_are_written(tmp_path: Path) -> None:
    # Stored order root, a, b, c but c hangs from a, so the file is written root, a, c, b.
    rotations = ("Zrotation", "Xrotation", "Yrotation")
    joints = (
        BvhJoint("root", -1, np.zeros(3), ("Xposition", "Yposition", "Zposition", *rotations)),
        BvhJoint("a", 0, np.array([10.0, 0, 0]), rotations),
        BvhJoint("b", 0, np.array([0, 10.0, 0]), rotations),
        BvhJoint("c", 1, np.array([5.0, 0, 0]), rotations),
    )
    values = np.array([[1, 2, 3, 0, 0, 0, 90, 0, 0, 0, 45, 0, 0, 0, 0]], dtype=float)
    motion = BvhMotion(joints, (BvhEndSite(3, np.array([1.0, 0, 0])),), 1 / 30, values)
    write_bvh(motion, tmp_path / "reordered.bvh")
    copy = read_bvh(tmp_path / "reordered.bvh")

    assert copy.joint_names == ("root", "a", "c", "b")
    before, after = _positions_by_name(motion), _positions_by_name(copy)
    for name in motion.joint_names:
        np.testing.assert_allclose(after[name], before[name], atol=1e-9)
    np.testing.assert_allclose(after["c"][0], [11, 7, 3], atol=1e-9)


def test_every_shipped_bvh_file_reads_and_runs_forward_kinematics(shared_data: Path) -> None:
    files = sorted((shared_data / "mocap").rglob("*.bvh"))
    assert len(files) == 797  # 594 Bandai Namco + 12 LAFAN1 + 191 CMU
    total_frames = 0
    for path in files:
        motion = read_bvh(path)
        positions = forward_kinematics(motion).joints
        assert positions.shape == (motion.num_frames, len(motion.joints), 3), path.name
        assert np.isfinite(positions[[0, -1]]).all(), path.name
        total_frames += motion.num_frames
    assert total_frames > 210_000


def test_lafan1_root_channel_order_is_read_as_written(shared_data: Path) -> None:
    motion = read_bvh(shared_data / LAFAN_PUSH)
    assert motion.joints[0].channels == (
        "Xposition", "Yposition", "Zposition", "Zrotation", "Yrotation", "Xrotation"
    )
    assert all(j.channels == ("Zrotation", "Yrotation", "Xrotation") for j in motion.joints[1:])
    assert motion.channel_values.shape == (motion.num_frames, 6 + 3 * 21)


def test_one_frame_fewer_than_declared_is_accepted(tmp_path: Path) -> None:
    # LAFAN1's fallAndGetUp1_subject1.bvh declares 5047 frames and holds 5046.
    text = chain_bvh("Zrotation Xrotation Yrotation", ["0 0 0 0 0 0"] * 2, declared=3)
    assert read_bvh(write_text(tmp_path, text)).num_frames == 2


@pytest.mark.parametrize(
    "corruption",
    ["two frames missing", "short row", "not a number", "no motion", "broken hierarchy"],
)
def test_corrupt_files_raise_pose_data_error(tmp_path: Path, corruption: str) -> None:
    rows = ["0 0 0 0 0 0"] * 3
    text = {
        "two frames missing": chain_bvh("Zrotation Xrotation Yrotation", rows, declared=5),
        "short row": chain_bvh("Zrotation Xrotation Yrotation", [*rows[:2], "0 0 0 0 0"]),
        "not a number": chain_bvh("Zrotation Xrotation Yrotation", [*rows[:2], "0 0 0 0 x 0"]),
        "no motion": chain_bvh("Zrotation Xrotation Yrotation", rows).split("MOTION")[0],
        "broken hierarchy": chain_bvh("Zrotation Xrotation Yrotation", rows).replace("{", "", 1),
    }[corruption]
    with pytest.raises(PoseDataError, match="not a valid BVH file"):
        read_bvh(write_text(tmp_path, text))


def test_truncated_real_file_raises_pose_data_error(shared_data: Path, tmp_path: Path) -> None:
    data = (shared_data / BANDAI_WALK).read_bytes()
    truncated = tmp_path / "truncated.bvh"
    truncated.write_bytes(data[: len(data) // 2])
    with pytest.raises(PoseDataError, match="truncated or corrupt"):
        read_bvh(truncated)


def test_missing_file_raises_pose_data_error(tmp_path: Path) -> None:
    with pytest.raises(PoseDataError, match="not found"):
        read_bvh(tmp_path / "absent.bvh")


def test_motion_with_wrong_value_count_is_rejected() -> None:
    joint = BvhJoint("root", -1, np.zeros(3), ("Zrotation", "Xrotation", "Yrotation"))
    with pytest.raises(PoseDataError, match="channel values"):
        BvhMotion((joint,), (), 1 / 30, np.zeros((4, 2)))
