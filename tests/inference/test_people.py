"""Estimator.predict_people and PeopleResult: one person reproduces predict_video exactly;
several people each get a PoseResult of their own."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.cli import main
from posemachines.data.lifter_input import encode_lifter_input, roll_detections, unroll_pose
from posemachines.errors import PoseDataError, PoseInputError, PoseModelError
from posemachines.inference.detection_track import DetectionTrack
from posemachines.inference.detectors import Detection2D, PoseDetector
from posemachines.inference.estimator import Estimator
from posemachines.inference.lifting import lift_clips
from posemachines.inference.people import any_near
from posemachines.inference.stream import StreamingLifter
from posemachines.structures.people import PeopleResult
from tests.export.people_samples import sample_people
from tests.tracking.synthetic import walk


def test_max_people_1_reproduces_predict_video(shared_data: Path) -> None:
    clip = shared_data / "media" / "two_people_walking_toward_intel.gif"
    today = Estimator().predict_video(clip)
    people = Estimator(max_people=1).predict_people(clip)
    assert people.ids == (1,) and people.num_frames == 35
    single = people.single
    for name in ("pose3d_mm", "keypoints_px", "confidence", "frame_indices", "timestamps_s"):
        np.testing.assert_array_equal(getattr(single, name), getattr(today, name), err_msg=name)
    assert single.missing_frames == today.missing_frames


def test_several_people_are_lifted_one_by_one(shared_data: Path) -> None:
    clip = shared_data / "media" / "two_people_walking_toward_intel.gif"
    people = Estimator(max_people=4, world=False).predict_people(clip)
    assert people.ids == (1, 2) and people.num_frames == 35
    for _, person in people:
        assert person.pose3d_mm.shape == (person.num_frames, 16, 3)
        np.testing.assert_allclose(person.pose3d_mm[:, 0], 0.0, atol=1e-4)  # root-relative
    first, second = people[1], people[2]
    assert not np.allclose(first.keypoints_px[-1], second.keypoints_px[-1])
    with pytest.raises(PoseDataError, match="2 people"):
        _ = people.single


def test_one_batched_lift_is_each_track_lifted_alone(random_lite_weights) -> None:
    # Three people of different lengths in one padded batch (flip test and time reversal
    # included): each as `Estimator.lift` gives it alone, to float rounding.
    estimator = Estimator(random_lite_weights, world=False)
    tracks = []
    for start, length in ((100, 30), (500, 17), (900, 24)):
        xy = walk((start, 600), (start + 200, 620), 400, length).astype(np.float32)
        confidence = np.full((length, 16), 0.9, np.float32)
        confidence[::5, 3] = 0.0
        tracks.append(DetectionTrack(xy, confidence, np.arange(length), np.arange(length) / 30,
                                     ()))
    batched = lift_clips(estimator.lifter, [(t.xy_px, t.confidence) for t in tracks],
                         (1280, 720), 1000.0, 30.0)
    for track, together in zip(tracks, batched, strict=True):
        alone = estimator.lift(track.xy_px, track.confidence, (1280, 720), 1000.0, 30.0)
        np.testing.assert_allclose(together.pose3d_mm, alone.pose3d_mm, atol=1e-2)
        np.testing.assert_allclose(together.intermediate3d_mm, alone.intermediate3d_mm,
                                   atol=1e-2)
        np.testing.assert_array_equal(together.lifter_keypoints, alone.lifter_keypoints)
        assert together.focal_px == alone.focal_px == 1000.0


def test_appearance_is_measured_for_people_near_each_other() -> None:
    boxes = np.array([[100.0, 300.0, 80.0, 300.0], [260.0, 300.0, 80.0, 300.0]])
    assert not any_near(boxes[:1]) and not any_near(boxes)  # widened to 120 px: 40 px apart
    boxes[1, 0] = 200.0                                      # widened, they overlap
    assert any_near(boxes)


def test_max_people_below_1_is_refused() -> None:
    with pytest.raises(PoseInputError, match="max_people"):
        Estimator(max_people=0)


def test_people_result_rows_presence_and_checks() -> None:
    people = sample_people()
    assert people.ids == (1, 3)
    assert people.rows_in_frame(0) == {1: 0} and people.rows_in_frame(5) == {1: 5, 3: 2}
    presence = people.presence()
    assert presence.shape == (2, 12) and presence.sum(axis=1).tolist() == [10, 6]
    with pytest.raises(PoseDataError, match="No person 2"):
        _ = people[2]
    with pytest.raises(PoseDataError, match="outside"):
        PeopleResult(dict(people), 4, people.fps, people.image_size)
    with pytest.raises(PoseDataError, match="positive"):
        PeopleResult({0: people[1]}, 12, people.fps, people.image_size)


def test_infer_max_people_writes_the_people_outputs(random_lite_weights, shared_data: Path,
                                                    tmp_path: Path, capsys) -> None:
    clip = shared_data / "media" / "two_people_walking_toward_intel.gif"
    out = tmp_path / "two"
    code = main(["infer", str(clip), "--max-people", "3", "--weights", str(random_lite_weights),
                 "--out", str(out), "--no-world", "--format", "json,npz,csv,bvh,overlay,html"])
    assert code == 0
    assert {p.name for p in out.iterdir()} == {
        "people3d.json", "people3d.npz", "people3d.csv", "motion_1.bvh", "motion_2.bvh",
        "overlay.mp4", "viewer.html"}
    assert "35 frames, 2 people" in capsys.readouterr().out


def test_infer_max_people_below_1_is_one_line(tmp_path: Path, capsys) -> None:
    assert main(["infer", str(tmp_path), "--max-people", "0"]) == 2
    assert "--max-people must be at least 1" in capsys.readouterr().err


class _OnePersonDetector(PoseDetector):
    def detect(self, frame_rgb: np.ndarray) -> Detection2D | None:
        return None

    def reset(self) -> None:
        pass


def test_several_people_need_blazepose(random_lite_weights, shared_data: Path) -> None:
    clip = shared_data / "media" / "two_people_walking_toward_intel.gif"
    estimator = Estimator(random_lite_weights, detector=_OnePersonDetector(), max_people=2)
    with pytest.raises(PoseModelError, match="BlazePose"):
        estimator.predict_people(clip)


def test_an_upright_roll_lifter_turns_with_the_camera(upright_roll_weights) -> None:
    # Detections turned 0.5 rad about the image centre (a camera rolled about its axis): the
    # lift turns by exactly that about z, flip test and time reversal included, in the clip
    # lift and in the streaming lifter alike; the lifter's input stays that of the camera.
    estimator = Estimator(upright_roll_weights, world=False)
    assert estimator.lifter.config.upright_roll
    xy = walk((500, 600), (700, 620), 400, 12)
    confidence = np.full((12, 16), 0.9)
    centre = np.array([640.0, 360.0])
    turned = roll_detections(xy, centre, np.full(12, -0.5))
    lift = estimator.lift(xy, confidence, (1280, 720), 1000.0, 30.0)
    of_turned = estimator.lift(turned, confidence, (1280, 720), 1000.0, 30.0)
    for name in ("pose3d_mm", "intermediate3d_mm"):
        np.testing.assert_allclose(getattr(of_turned, name),
                                   unroll_pose(getattr(lift, name), np.full(12, 0.5)), atol=1e-2)
    np.testing.assert_array_equal(
        lift.lifter_keypoints, encode_lifter_input(xy, confidence, np.full(2, 1000.0), centre)[0])
    streaming = StreamingLifter(estimator.lifter, (1280, 720), 1000.0)
    forward_only = lift_clips(estimator.lifter, [(xy, confidence)], (1280, 720), 1000.0,
                              time_reversal=False)[0]
    frames = [streaming.lift(one_xy, one_conf)
              for one_xy, one_conf in zip(xy, confidence, strict=True)]
    np.testing.assert_allclose(np.stack(frames), forward_only.pose3d_mm, atol=1e-2)
