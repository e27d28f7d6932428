"""2D keypoint files (COCO, MPII, OpenPose, VideoPose3D) -> 16-joint Keypoints2D."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posemachines.data.keypoints_json import (
    OPENPOSE18_TO_COCO17,
    load_coco_keypoints,
    load_keypoint_samples,
    load_keypoints,
    load_mpii_json,
    load_openpose,
    load_videopose3d_keypoints,
)
from posemachines.errors import PoseDataError
from posemachines.structures import Keypoints2D
from tests.data.synthetic import write_synthetic_videopose3d


def test_coco_dataset_fixture(shared_data: Path) -> None:
    samples = load_coco_keypoints(shared_data / "fixtures/coco/test_coco.json")
    # 14 annotations, 2 of them with num_keypoints == 0 are skipped.
    assert samples.keypoints.xy_px.shape == (12, 16, 2) and len(samples.ids) == 12
    assert samples.ids[0] == "000000000785.jpg" and samples.ids[1] == "000000040083.jpg"
    first = samples.keypoints.xy_px[0]
    # Image 785: left hip (424, 203), right hip (393, 214), right ankle (396, 341).
    np.testing.assert_allclose(first[0], [408.5, 208.5])  # Hip = mean of the hips
    np.testing.assert_allclose(first[3], [396, 341])  # RFoot
    np.testing.assert_allclose(first[10], [399, 108])  # LShoulder
    # Image 40083, first person: left ear, left elbow and right wrist have v = 0.
    confidence = samples.keypoints.confidence[1]
    assert confidence[9] == 0 and confidence[11] == 0 and confidence[15] == 0
    assert confidence.sum() == 13


def test_h36m_layout_coco_file_is_detected(shared_data: Path) -> None:
    keypoints = load_keypoints(shared_data / "fixtures/h36m/h36m_coco.json")
    assert keypoints.xy_px.shape == (4, 16, 2)
    np.testing.assert_allclose(keypoints.xy_px[0, 0], [473.6836, 444.9424], atol=1e-3)


def test_mpii_fixture(shared_data: Path) -> None:
    samples = load_mpii_json(shared_data / "fixtures/mpii/test_mpii.json")
    assert samples.keypoints.xy_px.shape == (5, 16, 2)
    assert samples.ids == (
        "005808361.jpg", "052475643.jpg", "051423444.jpg", "004645041.jpg", "060754485.jpg"
    )
    # 005808361.jpg: pelvis (974, 446), right hip (908, 438), 1-based -> minus 1.
    np.testing.assert_allclose(samples.keypoints.xy_px[0, 0], [973, 445])
    np.testing.assert_allclose(samples.keypoints.xy_px[0, 1], [907, 437])
    # 051423444.jpg: both ankles unlabelled -> RFoot and LFoot confidence 0.
    confidence = samples.keypoints.confidence[2]
    assert confidence[3] == 0 and confidence[6] == 0 and confidence.sum() == 14


def test_dispatch_on_json_content(shared_data: Path) -> None:
    coco = load_keypoint_samples(shared_data / "fixtures/coco/test_coco.json")
    mpii = load_keypoint_samples(shared_data / "fixtures/mpii/test_mpii.json")
    assert len(coco.ids) == 12 and len(mpii.ids) == 5


def test_coco_results_list(tmp_path: Path) -> None:
    keypoints = np.zeros((17, 3))
    keypoints[:, 0], keypoints[:, 1], keypoints[:, 2] = np.arange(17), 100, 0.9
    keypoints[3, 2] = 0.2  # left ear
    results = [{"image_id": 7, "category_id": 1, "keypoints": keypoints.ravel().tolist(),
                "score": 0.95}]
    path = tmp_path / "results.json"
    path.write_text(json.dumps(results))
    samples = load_keypoint_samples(path)
    assert samples.ids == ("7",)
    np.testing.assert_allclose(samples.keypoints.xy_px[0, 0], [11.5, 100])  # hips 11, 12
    assert samples.keypoints.confidence[0, 9] == pytest.approx(0.2)  # Head uses the ears
    assert samples.keypoints.confidence[0, 0] == pytest.approx(0.9)


def _openpose_person(points: np.ndarray) -> dict:
    return {"person_id": [-1], "pose_keypoints_2d": points.ravel().tolist()}


def _write_frames(folder: Path, frames: list[list[np.ndarray]]) -> None:
    folder.mkdir()
    for index, people in enumerate(frames):
        data = {"version": 1.3, "people": [_openpose_person(p) for p in people]}
        (folder / f"clip_{index:012d}_keypoints.json").write_text(json.dumps(data))


def _body25(centre: tuple[float, float], size: float, confidence: float) -> np.ndarray:
    rng = np.random.default_rng(int(size))
    points = np.zeros((25, 3))
    points[:, :2] = np.asarray(centre) + rng.uniform(-size / 2, size / 2, (25, 2))
    points[:, 2] = confidence
    return points


def test_openpose_folder_picks_main_person(tmp_path: Path) -> None:
    big = _body25((500, 400), 300, 0.8)
    small = _body25((100, 100), 40, 0.9)
    frames = [[small, big], [big], []]
    _write_frames(tmp_path / "op", frames)
    samples = load_keypoint_samples(tmp_path / "op")
    assert samples.ids == tuple(f"clip_{i:012d}_keypoints" for i in range(3))
    xy, confidence = samples.keypoints.xy_px, samples.keypoints.confidence
    np.testing.assert_allclose(xy[0, 1], big[9, :2])  # RHip = BODY_25 joint 9
    np.testing.assert_allclose(xy[0], xy[1])
    assert np.all(confidence[:2] == pytest.approx(0.8)) and np.all(confidence[2] == 0)


def test_openpose_missing_joint_and_coco18(tmp_path: Path) -> None:
    coco18 = np.zeros((18, 3))
    coco18[:, 0], coco18[:, 1], coco18[:, 2] = np.arange(18) * 10, 50, 1.0
    coco18[4] = 0  # right wrist not detected
    _write_frames(tmp_path / "op18", [[coco18]])
    samples = load_openpose(tmp_path / "op18")
    xy, confidence = samples.keypoints.xy_px[0], samples.keypoints.confidence[0]
    np.testing.assert_allclose(xy[0], [(8 * 10 + 11 * 10) / 2, 50])  # hips: 8 and 11
    np.testing.assert_allclose(xy[10], [50, 50])  # LShoulder = COCO-18 joint 5
    assert confidence[15] == 0 and confidence.sum() == 15
    assert sorted(OPENPOSE18_TO_COCO17) == [i for i in range(18) if i != 1]


def test_single_openpose_file(tmp_path: Path) -> None:
    _write_frames(tmp_path / "op", [[_body25((300, 300), 200, 0.7)]])
    file = next((tmp_path / "op").glob("*.json"))
    assert load_keypoints(file).xy_px.shape == (1, 16, 2)


def test_openpose_errors(tmp_path: Path) -> None:
    (tmp_path / "empty").mkdir()
    with pytest.raises(PoseDataError, match="holds no OpenPose .json files"):
        load_keypoints(tmp_path / "empty")
    _write_frames(tmp_path / "nobody", [[], []])
    with pytest.raises(PoseDataError, match="has no person in any frame"):
        load_keypoints(tmp_path / "nobody")
    _write_frames(tmp_path / "mixed", [[_body25((0, 0), 10, 1)], [np.ones((18, 3))]])
    with pytest.raises(PoseDataError, match="mixes body models"):
        load_keypoints(tmp_path / "mixed")
    _write_frames(tmp_path / "odd", [[np.ones((20, 3))]])
    with pytest.raises(PoseDataError, match="20 body keypoints"):
        load_keypoints(tmp_path / "odd")


def test_videopose3d_npz(tmp_path: Path) -> None:
    synthetic = write_synthetic_videopose3d(tmp_path, ("S1",), ("Walking",), 6)
    samples = load_keypoint_samples(synthetic.path_2d)
    assert isinstance(samples.keypoints, Keypoints2D)
    np.testing.assert_allclose(
        samples.keypoints.xy_px, synthetic.poses_2d_px["S1"]["Walking"][0], atol=1e-3
    )
    assert samples.ids[2] == "S1/Walking/0/2" and np.all(samples.keypoints.confidence == 1)
    third = load_videopose3d_keypoints(synthetic.path_2d, "S1", "Walking", camera=3)
    np.testing.assert_allclose(
        third.keypoints.xy_px, synthetic.poses_2d_px["S1"]["Walking"][3], atol=1e-3
    )
    with pytest.raises(PoseDataError, match="no camera 4"):
        load_videopose3d_keypoints(synthetic.path_2d, camera=4)
    with pytest.raises(PoseDataError, match="no subject 'S2'"):
        load_videopose3d_keypoints(synthetic.path_2d, subject="S2")


@pytest.mark.parametrize(
    ("name", "content", "message"),
    [
        ("a.json", "{not json", "not readable JSON"),
        ("b.json", "[]", "not COCO, MPII or OpenPose"),
        ("c.json", '{"annotations": []}', "holds no keypoints"),
        ("d.json", '{"annotations": [{"keypoints": [1, 2, 2]}]}', "expected 17 keypoints"),
        ("e.json", '[{"joints": [[1, 2]], "joints_vis": [1]}]', "expected 16 joints"),
        ("f.txt", "hello", "unsupported keypoint file type .txt"),
    ],
)
def test_bad_files(tmp_path: Path, name: str, content: str, message: str) -> None:
    path = tmp_path / name
    path.write_text(content)
    with pytest.raises(PoseDataError, match=message):
        load_keypoints(path)


def test_missing_path(tmp_path: Path) -> None:
    with pytest.raises(PoseDataError, match="does not exist"):
        load_keypoints(tmp_path / "nope.json")
