"""PoseResult and Keypoints2D validate themselves at construction, in one sentence."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.structures import Keypoints2D
from tests.export.sample_poses import make_result


def test_a_good_result_keeps_its_arrays():
    result = make_result(3)
    assert result.num_frames == 3 and result.pose3d_mm.shape == (3, 16, 3)


@pytest.mark.parametrize(
    ("change", "message"),
    [({"pose3d_mm": np.zeros((3, 17, 3))}, "16 joints"),
     ({"pose3d_mm": np.zeros((16, 3))}, "must be \\(T, 16, 3\\)"),
     ({"pose3d_mm": np.full((3, 16, 3), np.nan)}, "NaN"),
     ({"keypoints_px": np.zeros((2, 16, 2))}, "keypoints_px must have shape"),
     ({"confidence": np.ones((2, 16))}, "confidence must have shape"),
     ({"confidence": np.full((3, 16), np.inf)}, "confidence holds NaN"),
     ({"frame_indices": np.arange(4)}, "frame_indices must have shape"),
     ({"joint_names": ("Hip",) * 15}, "16 joint names"),
     ({"fps": 0.0}, "fps"),
     ({"fps": float("nan")}, "fps")],
)
def test_bad_results_are_refused(change, message):
    with pytest.raises(PoseDataError, match=message):
        dataclasses.replace(make_result(3), **change)


def test_metres_are_refused():
    result = make_result(3)
    with pytest.raises(PoseDataError, match="metres"):
        dataclasses.replace(result, pose3d_mm=result.pose3d_mm / 1000)


def test_correction_records_must_cover_every_frame():
    result = make_result(3)
    assert result.correction is not None
    short = dataclasses.replace(result.correction, kept=np.ones(2, dtype=bool))
    with pytest.raises(PoseDataError, match="correction.kept"):
        dataclasses.replace(result, correction=short)


def test_keypoints_raise_the_library_error():
    with pytest.raises(PoseDataError, match="\\(T, J, 2\\)"):
        Keypoints2D(np.zeros((3, 16)), np.ones((3, 16)))
    with pytest.raises(PoseDataError, match="confidence"):
        Keypoints2D(np.zeros((3, 16, 2)), np.ones((3, 15)))
    assert Keypoints2D(np.zeros((3, 16, 2)), np.ones((3, 16))).num_frames == 3
