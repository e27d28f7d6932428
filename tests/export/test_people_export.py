"""Writers for several people: people3d.json / .npz / .csv, motion_<id>.bvh, the overlay."""

from __future__ import annotations

import json
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.data.bvh import read_bvh
from posemachines.errors import PoseDataError
from posemachines.export.people import (
    PEOPLE_FORMAT_NAME,
    people_arrays,
    read_people_npz,
    write_people_outputs,
)
from posemachines.viz.people_overlay import person_colour, write_people_overlay
from tests.export.people_samples import NUM_FRAMES, sample_people


def test_npz_has_a_person_axis_and_reads_back(tmp_path: Path) -> None:
    people = sample_people()
    write_people_outputs(people, tmp_path, ["npz"])
    with np.load(tmp_path / "people3d.npz") as data:
        assert data["person_ids"].tolist() == [1, 3]
        assert data["pose3d_mm"].shape == (2, NUM_FRAMES, 16, 3)
        assert data["present"][1].tolist() == [False] * 3 + [True] * 3 + [False] * 2 + \
            [True] * 3 + [False]
        assert np.isnan(data["pose3d_mm"][1, 6]).all() and (data["confidence"][1, 6] == 0).all()
        np.testing.assert_array_equal(data["pose3d_mm"][1][data["present"][1]],
                                      people[3].pose3d_mm)
    back = read_people_npz(tmp_path / "people3d.npz")
    assert back.ids == (1, 3) and back.num_frames == NUM_FRAMES
    for person_id, person in people:
        got = back[person_id]
        np.testing.assert_array_equal(got.frame_indices, person.frame_indices)
        np.testing.assert_allclose(got.pose3d_mm, person.pose3d_mm)
        np.testing.assert_allclose(got.root_translation_mm, person.root_translation_mm)
        assert got.missing_frames == person.missing_frames
    assert back[3].missing_frames == (6, 7)


def test_one_person_npz_reads_like_the_single_person_arrays() -> None:
    people = sample_people()
    arrays = people_arrays(type(people)({1: people[1]}, NUM_FRAMES, people.fps,
                                        people.image_size))
    assert arrays["pose3d_mm"].shape[0] == 1
    np.testing.assert_array_equal(arrays["pose3d_mm"][0][arrays["present"][0]],
                                  people[1].pose3d_mm)


def test_json_lists_people_with_their_ids(tmp_path: Path) -> None:
    write_people_outputs(sample_people(), tmp_path, ["json"])
    document = json.loads((tmp_path / "people3d.json").read_text())
    assert document["format"] == PEOPLE_FORMAT_NAME and document["num_frames"] == NUM_FRAMES
    assert [entry["id"] for entry in document["people"]] == [1, 3]
    third = document["people"][1]["result"]
    assert [f["frame_index"] for f in third["frames"]] == [3, 4, 5, 8, 9, 10]
    assert third["format"] == "posemachines.poses3d"


def test_csv_has_a_person_column_ordered_by_frame_then_id(tmp_path: Path) -> None:
    people = sample_people()
    write_people_outputs(people, tmp_path, ["csv"])
    lines = (tmp_path / "people3d.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:3] == ["person", "frame", "time_s"]
    keys = [tuple(int(v) for v in line.split(",")[:2]) for line in lines[1:]]
    assert len(keys) == 16 and keys == sorted(keys, key=lambda k: (k[1], k[0]))
    assert keys[:4] == [(1, 0), (1, 1), (1, 2), (1, 3)] and keys[4] == (3, 3)
    row = dict(zip(header, lines[5].split(","), strict=True))  # person 3, frame 3
    assert float(row["LWrist_x"]) == pytest.approx(float(people[3].pose3d_mm[0, 12, 0]),
                                                   abs=1e-3)


def test_one_bvh_per_person(tmp_path: Path) -> None:
    written = write_people_outputs(sample_people(), tmp_path, ["bvh"])
    assert [path.name for path in written] == ["motion_1.bvh", "motion_3.bvh"]
    assert read_bvh(tmp_path / "motion_3.bvh").num_frames == 8  # frames 3..10, gaps filled


def test_overlay_draws_each_person_in_its_colour(tmp_path: Path) -> None:
    people = sample_people()
    frames = [np.zeros((240, 320, 3), dtype=np.uint8) for _ in range(NUM_FRAMES)]
    path = write_people_overlay(frames, people, tmp_path / "overlay.mp4")
    video = iio.imread(path)
    assert video.shape[0] == NUM_FRAMES
    left, right = video[4][:, :160].reshape(-1, 3), video[4][:, 170:].reshape(-1, 3)
    for pixels, person_id in ((left, 1), (right, 3)):
        colour = np.array(person_colour(person_id), dtype=float)
        distance = np.linalg.norm(pixels.astype(float) - colour, axis=1)
        assert (distance < 40).sum() > 50, person_id
    assert (np.linalg.norm(video[6][:, 170:].astype(float) - person_colour(3), axis=-1)
            < 40).sum() < 5  # person 3 is hidden in frame 6


def test_output_folder_errors_are_one_sentence(tmp_path: Path) -> None:
    blocker = tmp_path / "file"
    blocker.write_text("x")
    with pytest.raises(PoseDataError, match="Cannot create output folder"):
        write_people_outputs(sample_people(), blocker / "out")


def test_overlay_labels_need_one_text_per_pose(tmp_path: Path) -> None:
    people = sample_people()
    frames = [np.zeros((240, 320, 3), dtype=np.uint8) for _ in range(NUM_FRAMES)]
    with pytest.raises(PoseDataError, match="person 3"):
        write_people_overlay(frames, people, tmp_path / "bad.mp4", {3: ["FALL"]})
    labelled = write_people_overlay(frames, people, tmp_path / "labelled.mp4",
                                    {3: ["FALL"] * 6})
    plain = write_people_overlay(frames, people, tmp_path / "plain.mp4")
    with_text, without = iio.imread(labelled)[4], iio.imread(plain)[4]
    assert (np.abs(with_text.astype(int) - without).sum(axis=-1) > 60).sum() > 30
