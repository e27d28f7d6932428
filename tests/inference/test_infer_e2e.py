"""End to end on real people: shipped detector + shipped lifter + geometric correction."""

from pathlib import Path

import numpy as np
import pytest

from posemachines import Estimator
from posemachines.correction import correct_geometric
from posemachines.correction.root_translation import project
from posemachines.data.mmpose_fixture import load_mmpose_h36m_fixture
from posemachines.evaluation.metrics import pa_mpjpe
from posemachines.skeleton import JOINTS16_NAMES, bone_lengths

REAL_INPUTS = (
    "media/opencv_messi5.jpg",
    "media/opencv_basketball1.png",
    "fixtures/posetrack18/videos/000001_mpiinew_test/000001_mpiinew_test.mp4",
    "fixtures/h36m/S1/S1_Directions_1.54138969/S1_Directions_1.54138969_000001.jpg",
    "fixtures/h36m/S7/S7_Greeting.55011271/S7_Greeting.55011271_000396.jpg",
    "fixtures/coco/000000000785.jpg",
    "fixtures/coco/000000196141.jpg",
)
BONE = {name: i - 1 for i, name in enumerate(JOINTS16_NAMES)}  # bone index = child joint - 1


@pytest.fixture(scope="module")
def estimator() -> Estimator:
    return Estimator(correction="none")


@pytest.mark.parametrize("relative", REAL_INPUTS)
def test_real_people_get_plausible_consistent_skeletons(estimator, shared_data, relative):
    result = estimator.predict_video(shared_data / relative)
    assert result.num_frames >= 1 and np.isfinite(result.pose3d_mm).all()
    lengths = bone_lengths(result.pose3d_mm).mean(axis=0)
    for child in ("RKnee", "LKnee", "RFoot", "LFoot"):  # thighs and shins
        assert 250 < lengths[BONE[child]] < 600, (child, lengths[BONE[child]])
    for child in ("LElbow", "RElbow"):  # upper arms
        assert 120 < lengths[BONE[child]] < 450, (child, lengths[BONE[child]])
    # Left/right not swapped: hips and shoulders keep the 2D input's left-right order.
    left, right = [4, 10], [1, 13]
    sign_2d = np.sign(result.keypoints_px[:, left, 0] - result.keypoints_px[:, right, 0])
    sign_3d = np.sign(result.pose3d_mm[:, left, 0] - result.pose3d_mm[:, right, 0])
    assert (sign_2d == sign_3d).all()
    # Placed by the geometric correction, the 3D re-projects onto the 2D within a few px.
    fitted = correct_geometric(result.pose3d_mm, result.keypoints_px, result.confidence,
                               image_size=result.image_size)
    points = fitted.pose3d_mm + fitted.root_translation_mm[:, None]
    centre = np.array(result.image_size) / 2
    error = np.linalg.norm(project(points, fitted.focal_px, centre) - result.keypoints_px,
                           axis=-1)
    assert np.median(error[result.confidence > 0.5]) < 8.0


def test_real_human36m_frame_is_close_to_its_ground_truth(estimator, shared_data):
    fixture = load_mmpose_h36m_fixture(shared_data / "fixtures/h36m/test_h36m_body3d.npz")
    index = next(i for i, n in enumerate(fixture.image_names) if "S1_Directions" in n)
    name = Path(fixture.image_names[index]).name
    image = next((shared_data / "fixtures/h36m").glob(f"**/{name}"))
    result = estimator.predict_video(image)
    truth = fixture.joints3d_mm[index] - fixture.joints3d_mm[index, :1]
    # A real frame of another dataset (Human3.6M): 63 mm with the shipped lifter.
    assert pa_mpjpe(result.pose3d_mm[0], truth) < 90.0
