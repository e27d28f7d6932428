"""check_pose_array: good input passes, each defect gives one clear sentence."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.skeleton import to_joints16
from posemachines.structures.pose_checks import check_pose_array, median_bone_length
from tests.data.synthetic import synthetic_h36m32_world_mm


@pytest.fixture()
def pose16_mm() -> np.ndarray:
    world32 = synthetic_h36m32_world_mm(5, np.random.default_rng(1))
    return to_joints16(world32, "h36m32")[0]


def _one_sentence(error: pytest.ExceptionInfo) -> str:
    message = str(error.value)
    assert "\n" not in message and message.endswith(".")
    return message


def test_good_array_passes_and_becomes_float(pose16_mm: np.ndarray) -> None:
    out = check_pose_array(pose16_mm.round().astype(int), name="pose", dims=3, num_joints=16)
    assert out.dtype == np.float64 and out.shape == (5, 16, 3)


def test_wrong_joint_count_names_both_counts(pose16_mm: np.ndarray) -> None:
    with pytest.raises(PoseDataError) as error:
        check_pose_array(np.zeros((5, 17, 3)), name="pose", dims=3, num_joints=16)
    assert "expected 16 joints, got 17" in _one_sentence(error)
    with pytest.raises(PoseDataError, match="expected 16 or 17 joints, got 15"):
        check_pose_array(np.zeros((5, 15, 3)), name="pose", dims=3, num_joints=(16, 17))


@pytest.mark.parametrize("shape", [(16,), (5, 16, 2), (16, 4)])
def test_wrong_shape(shape: tuple[int, ...]) -> None:
    with pytest.raises(PoseDataError) as error:
        check_pose_array(np.zeros(shape), name="pose", dims=3, num_joints=16)
    assert "(..., J, 3)" in _one_sentence(error)


def test_nan_and_inf_are_counted(pose16_mm: np.ndarray) -> None:
    bad = pose16_mm.copy()
    bad[0, 3, 1] = np.nan
    bad[2, 4, 0] = np.inf
    with pytest.raises(PoseDataError) as error:
        check_pose_array(bad, name="pose", dims=3, num_joints=16)
    assert "2 NaN or infinite" in _one_sentence(error)


def test_non_numeric_is_rejected() -> None:
    with pytest.raises(PoseDataError, match="not a numeric array"):
        check_pose_array(np.array([["a", "b"]]), name="pose", dims=2, num_joints=1)


def test_metres_where_mm_expected(pose16_mm: np.ndarray) -> None:
    with pytest.raises(PoseDataError) as error:
        check_pose_array(pose16_mm / 1000.0, name="pose", dims=3, num_joints=16)
    message = _one_sentence(error)
    assert "looks like metres" in message and "millimetres are expected" in message


def test_centimetres_and_huge_values_are_caught(pose16_mm: np.ndarray) -> None:
    with pytest.raises(PoseDataError, match="looks like centimetres"):
        check_pose_array(pose16_mm / 10.0, name="pose", dims=3, num_joints=16)
    with pytest.raises(PoseDataError, match="implausible"):
        check_pose_array(pose16_mm * 1e4, name="pose", dims=3, num_joints=16)


def test_metres_accepted_when_expected_and_unit_check_can_be_skipped(
    pose16_mm: np.ndarray,
) -> None:
    check_pose_array(pose16_mm / 1000.0, name="pose", dims=3, num_joints=16, unit="m")
    check_pose_array(pose16_mm / 1000.0, name="pose", dims=3, num_joints=16, unit=None)
    with pytest.raises(PoseDataError, match="looks like millimetres"):
        check_pose_array(pose16_mm, name="pose", dims=3, num_joints=16, unit="m")


def test_degenerate_poses_skip_unit_check() -> None:
    zeros = np.zeros((3, 16, 3))
    assert median_bone_length(zeros) is None
    check_pose_array(zeros, name="pose", dims=3, num_joints=16)


def test_median_bone_length_by_hand() -> None:
    # A 17-joint pose whose every bone is 100 mm long (joint j at j*100 along x from parent).
    from posemachines.skeleton import H36M17

    pose = np.zeros((17, 3))
    for j, p in enumerate(H36M17.parents):
        if p >= 0:
            pose[j] = pose[p] + [0, 0, 100]
    assert median_bone_length(pose[None]) == pytest.approx(100.0)
