"""Real lab frames of the cross-dataset protocol: fitted intrinsics and scores."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.camera import h36m_camera, project_points
from posemachines.errors import PoseDataError
from posemachines.evaluation.fixture_frames import (
    COLUMNS,
    FIXTURE_SETS,
    default_fixtures_dir,
    fit_pinhole,
    load_fixture_set,
    score_fixture_frames,
)
from posemachines.evaluation.runner import load_lifter
from posemachines.models.shipped import shipped_lifter_path


def test_fit_pinhole_recovers_known_intrinsics_from_exact_projections():
    rng = np.random.default_rng(0)
    joints = rng.normal(0.0, 300.0, (16, 3)) + [100.0, -50.0, 4000.0]
    f_px, c_px = np.array([1150.0, 1140.0]), np.array([500.0, 520.0])
    pixels = np.asarray(project_points(joints, f_px, c_px))
    visible = np.ones(16, bool)
    visible[3] = False
    pixels[3] = 1e6  # an invisible joint's coordinates are ignored
    fitted_f, fitted_c = fit_pinhole(joints, pixels, visible)
    np.testing.assert_allclose(fitted_f, f_px, rtol=1e-9)
    np.testing.assert_allclose(fitted_c, c_px, atol=1e-6)


def test_fit_pinhole_needs_three_visible_joints():
    with pytest.raises(PoseDataError, match="fewer than 3 visible"):
        fit_pinhole(np.ones((16, 3)), np.ones((16, 2)), np.arange(16) < 2)


def test_fitted_intrinsics_match_the_human36m_calibration(shared_data):
    loader, files = FIXTURE_SETS["real Human3.6M frames, annotated 2D"]
    samples = load_fixture_set(shared_data / "fixtures", files, loader)
    for name, joints, pixels, visible in zip(samples.image_names, samples.joints3d_mm,
                                             samples.joints2d_px, samples.visibility,
                                             strict=True):
        subject, camera = name.split("/")[0], name.split(".")[1][:8]
        calibration = h36m_camera(subject, camera)
        f_px, c_px = fit_pinhole(joints, pixels, visible)
        np.testing.assert_allclose(f_px, calibration.f_px, rtol=0.015)  # lens distortion
        np.testing.assert_allclose(c_px, calibration.c_px, atol=5.0)


def test_the_shipped_lifter_scores_the_real_frames_with_human_errors(shared_data):
    model = load_lifter(shipped_lifter_path())
    scores = score_fixture_frames(model, shared_data / "fixtures")
    assert list(scores) == list(FIXTURE_SETS)
    for score in scores.values():
        assert score.frames == 4 and len(score.per_frame_mpjpe) == 4
        assert set(score.values) == set(COLUMNS)
        assert np.mean(list(score.per_frame_mpjpe.values())) == pytest.approx(
            score.values["MPJPE (mm)"])
        assert score.values["PA-MPJPE (mm)"] <= score.values["MPJPE (mm)"]
    # Measured 73.6 mm on Human3.6M, 148.9 on MPI-INF-3DHP (docs/generalisation.md).
    assert 30.0 < scores["real Human3.6M frames, annotated 2D"].values["MPJPE (mm)"] < 100.0
    assert scores["real MPI-INF-3DHP frames, annotated 2D"].values["MPJPE (mm)"] < 200.0


def test_a_fixtures_folder_without_the_files_is_a_clear_error(tmp_path, random_lite_weights):
    model = load_lifter(random_lite_weights)
    with pytest.raises(PoseDataError, match="lacks h36m/test_h36m_body3d.npz"):
        score_fixture_frames(model, tmp_path)


def test_default_fixtures_dir_follows_the_environment(monkeypatch, tmp_path):
    monkeypatch.setenv("POSEMACHINES_SHARED_DATA", str(tmp_path))
    assert default_fixtures_dir() == tmp_path / "fixtures"
    monkeypatch.delenv("POSEMACHINES_SHARED_DATA")
    assert default_fixtures_dir().parts[-3:] == ("shared", "data", "fixtures")
