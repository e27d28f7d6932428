"""The actions section reads the poses of the classifier's own lifter, whatever made the result."""

from __future__ import annotations

import dataclasses
from pathlib import Path

import numpy as np
import pytest

from posemachines import Estimator
from posemachines.analysis.action_report import actions_section, lift_for_actions
from posemachines.analysis.actions import load_action_model, save_action_model
from posemachines.analysis.report import analyze_result
from posemachines.camera import project_points
from posemachines.models.shipped import resolve_lifter_weights
from posemachines.structures import PoseResult
from tests.analysis.synthetic import BANDAI_1, mocap_world_mm, to_camera

#: A held-out walk (never seen by the classifier nor the lifters).
WALK = BANDAI_1 / "dataset-1_walk_active_001.bvh"
FOCAL_PX, SIZE = 1000.0, (1280, 720)


@pytest.fixture(scope="module")
def walk_result(shared_data: Path) -> PoseResult:
    """The walk filmed from 4 m, 10 degrees down, lifted from its 2D by the default lifter."""
    camera = to_camera(mocap_world_mm(shared_data / WALK)[:150], pitch_deg=10, yaw_deg=60)
    xy = project_points(camera + np.array([0.0, 0.0, 4000.0]), np.full(2, FOCAL_PX),
                        np.array(SIZE) / 2.0)
    return Estimator(focal_px=FOCAL_PX, world=False).predict_keypoints(
        xy.astype(np.float32), fps=30.0, image_size=SIZE)


def test_the_shipped_classifier_names_the_lite_lifter():
    model = load_action_model()
    assert model.lifter == "lite" and resolve_lifter_weights(model.lifter).is_file()


def test_the_classifier_reads_its_lifter_not_the_results_poses(walk_result, tmp_path):
    still = dataclasses.replace(walk_result, pose3d_mm=np.repeat(
        walk_result.pose3d_mm[:1], walk_result.num_frames, axis=0))
    up = np.array([0.0, -1.0, 0.0])
    labels = [s.label for s in actions_section(
        still.pose3d_mm, still, up, keypoints=(still.keypoints_px, still.confidence)).segments]
    assert labels == ["walk"]  # lifted again from the 2D: the frozen 3D is never read
    own_poses = load_action_model()
    own_poses.lifter = ""
    path = save_action_model(tmp_path / "own.pt", own_poses)
    frozen = [s.label for s in actions_section(
        still.pose3d_mm, still, up, path, (still.keypoints_px, still.confidence)).segments]
    assert "walk" not in frozen  # a classifier without a lifter reads the result's 3D


def test_the_relift_is_the_lite_lifters_uncorrected_pose(walk_result):
    lite = Estimator(weights="lite", correction="none", world=False).predict_keypoints(
        walk_result.keypoints_px, fps=30.0, image_size=SIZE)
    relifted = lift_for_actions("lite", walk_result.keypoints_px, walk_result.confidence,
                                walk_result)
    np.testing.assert_allclose(relifted, lite.pose3d_mm, atol=0.05)
    report = analyze_result(walk_result, angles=False, falls=False, actions=True, strict=True)
    assert report.actions.segments[0].label == "walk"
