"""poses3d.json / .npz / .csv writers, load_result, and write_outputs."""

from __future__ import annotations

import dataclasses
import json
import logging
from pathlib import Path

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.export.formats import (
    csv_header,
    load_result,
    read_json,
    write_csv,
    write_json,
    write_npz,
)
from posemachines.export.writer import write_outputs
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from posemachines.structures import PoseResult
from tests.export.sample_poses import make_result, rest_pose

SCHEMA_DOC = Path(__file__).resolve().parents[2] / "docs" / "poses3d_schema.md"
TOP_LEVEL_KEYS = {
    "format", "version", "generator", "source", "fps", "image_size", "units",
    "coordinate_frame", "joint_names", "joint_parents", "num_frames", "missing_frames",
    "correction", "camera", "world", "frames",
}
FRAME_KEYS = {"frame_index", "timestamp_s", "joints", "correction"}
SCENE_FRAME_KEYS = {"root_translation_mm", "world"}
SCENE_KEYS = {"focal_px", "principal_px", "R_camera_from_world", "t_camera_mm",
              "camera_height_mm", "pitch_deg", "roll_deg", "metric", "warnings",
              "contact_joints", "contact_joint_indices", "joints_mm", "contacts", "in_contact",
              "probability"}


def assert_results_equal(loaded: PoseResult, original: PoseResult) -> None:
    for name in ("pose3d_mm", "keypoints_px", "confidence", "frame_indices", "timestamps_s"):
        np.testing.assert_array_equal(getattr(loaded, name), getattr(original, name), name)
    for name in ("fps", "image_size", "source", "missing_frames", "joint_names"):
        assert getattr(loaded, name) == getattr(original, name), name
    assert_scenes_equal(loaded, original)
    if original.correction is None:
        assert loaded.correction is None
        return
    assert loaded.correction.method == original.correction.method
    for name in ("steps", "kept", "displacement_mm"):
        np.testing.assert_array_equal(getattr(loaded.correction, name),
                                      getattr(original.correction, name), name)


def assert_scenes_equal(loaded: PoseResult, original: PoseResult) -> None:
    for name in ("root_translation_mm", "camera", "world"):
        assert (getattr(loaded, name) is None) == (getattr(original, name) is None), name
    if original.root_translation_mm is not None:
        np.testing.assert_allclose(loaded.root_translation_mm, original.root_translation_mm)
    if original.camera is not None:
        for name in ("R", "t_mm", "f_px", "c_px", "width", "height"):
            np.testing.assert_allclose(getattr(loaded.camera, name),
                                       getattr(original.camera, name), err_msg=name)
    if original.world is None:
        return
    world, expected = loaded.world, original.world
    np.testing.assert_allclose(world.joints_mm, expected.joints_mm)
    for name in ("frame", "camera_height_mm", "pitch_deg", "roll_deg", "metric", "warnings"):
        assert getattr(world, name) == getattr(expected, name), name
    assert world.contacts.names == expected.contacts.names
    assert world.contacts.joints == expected.contacts.joints
    np.testing.assert_array_equal(world.contacts.in_contact, expected.contacts.in_contact)
    np.testing.assert_allclose(world.contacts.probability, expected.contacts.probability)


@pytest.mark.parametrize("with_scene", [True, False])
@pytest.mark.parametrize("with_correction", [True, False])
@pytest.mark.parametrize("suffix", [".json", ".npz"])
def test_round_trip_equals_the_result(tmp_path, suffix, with_correction, with_scene):
    result = make_result(4, with_correction=with_correction, with_scene=with_scene)
    path = tmp_path / f"poses3d{suffix}"
    (write_json if suffix == ".json" else write_npz)(result, path)
    assert_results_equal(load_result(path), result)


def test_load_result_from_a_folder_and_with_no_poses(tmp_path):
    empty = dataclasses.replace(
        make_result(3), pose3d_mm=np.zeros((0, 16, 3)), keypoints_px=np.zeros((0, 16, 2)),
        confidence=np.zeros((0, 16)), frame_indices=np.zeros(0, dtype=int),
        timestamps_s=np.zeros(0), correction=None, missing_frames=(0, 1, 2),
    )
    write_json(empty, tmp_path / "poses3d.json")
    assert_results_equal(load_result(tmp_path), empty)


def test_json_schema_keys_and_units(tmp_path):
    result = make_result(3)
    document = json.loads(write_json(result, tmp_path / "p.json").read_text())
    assert set(document) == TOP_LEVEL_KEYS
    assert document["format"] == "posemachines.poses3d" and document["version"] == 2
    assert document["units"]["joints_3d"] == "mm" and document["units"]["keypoints_2d"] == "px"
    assert document["coordinate_frame"]["y"] == "down"
    assert document["joint_names"] == list(JOINTS16_NAMES)
    assert document["joint_parents"] == list(JOINTS16_PARENTS)
    assert document["image_size"] == {"width": 64, "height": 48}
    assert document["missing_frames"] == [2] and document["num_frames"] == 3
    frame = document["frames"][2]
    assert set(frame) == FRAME_KEYS and frame["frame_index"] == 3
    assert set(frame["joints"]) == set(JOINTS16_NAMES)
    assert frame["joints"]["LWrist"]["xyz_mm"] == result.pose3d_mm[2, 12].tolist()
    assert frame["joints"]["LWrist"]["uv_px"] == result.keypoints_px[2, 12].tolist()
    assert frame["joints"]["LWrist"]["confidence"] == pytest.approx(0.1)
    assert set(frame["correction"]) == {"steps", "kept", "displacement_mm"}


def test_json_scene_part_hand_checked(tmp_path):
    result = make_result(3, with_scene=True)
    document = json.loads(write_json(result, tmp_path / "p.json").read_text())
    camera = document["camera"]
    assert camera["focal_px"] == [77.0, 77.0] and camera["principal_px"] == [32.0, 24.0]
    assert document["world"]["camera_height_mm"] == 1600.0
    assert document["world"]["contact_joints"] == ["RFoot", "LFoot"]
    assert document["world"]["coordinate_frame"]["floor"] == "y = 0"
    frame = document["frames"][2]
    assert set(frame) == FRAME_KEYS | SCENE_FRAME_KEYS
    # the root walks 10 mm a frame along world +Z at 900 mm above the floor
    assert frame["world"]["joints_mm"]["Hip"] == pytest.approx([0.0, 900.0, 20.0], abs=1e-6)
    assert frame["world"]["contacts"]["RFoot"] == {"in_contact": True, "probability": 0.9}
    assert frame["world"]["contacts"]["LFoot"]["in_contact"] is False


def test_version_1_files_still_read_and_unknown_versions_do_not(tmp_path):
    result = make_result(3)
    document = json.loads(write_json(result, tmp_path / "p.json").read_text())
    for key in ("camera", "world"):
        del document[key]
    document["version"] = 1
    (tmp_path / "v1.json").write_text(json.dumps(document))
    assert_results_equal(read_json(tmp_path / "v1.json"), result)
    document["version"] = 3
    (tmp_path / "v3.json").write_text(json.dumps(document))
    with pytest.raises(PoseDataError, match="version 3"):
        read_json(tmp_path / "v3.json")


def test_csv_scene_columns(tmp_path):
    result = make_result(3, with_scene=True)
    lines = write_csv(result, tmp_path / "p.csv").read_text().splitlines()
    header = lines[0].split(",")
    base = len(csv_header())
    assert header[base:base + 3] == ["root_x", "root_y", "root_z"]
    assert header[base + 3:base + 6] == ["Hip_wx", "Hip_wy", "Hip_wz"]
    assert header[-4:] == ["RFoot_contact", "RFoot_contact_p", "LFoot_contact", "LFoot_contact_p"]
    row = lines[3].split(",")  # third pose: RFoot down, root 20 mm along Z
    assert row[base + 3:base + 6] == ["0.000", "900.000", "20.000"]
    assert row[-4:] == ["1", "0.9000", "0", "0.1000"]
    assert len(header) == len(row) == base + 3 + 48 + 4


def test_schema_document_names_every_key():
    text = SCHEMA_DOC.read_text()
    for key in (TOP_LEVEL_KEYS | FRAME_KEYS | SCENE_FRAME_KEYS | SCENE_KEYS
                | {"xyz_mm", "uv_px", "confidence"}):
        assert f"`{key}`" in text, key


def test_csv_header_and_a_hand_checked_row(tmp_path):
    poses = rest_pose()[None]  # RHip (-130, 20, 0); RWrist (-150, 90, -10): sum of the bones
    poses[0, 2] = [-130.5, 460.25, 10.0]
    keypoints = np.full((1, 16, 2), 10.0)
    keypoints[0, 0] = [320.5, 240.125]
    confidence = np.full((1, 16), 0.5)
    confidence[0, 0] = 0.98765
    result = dataclasses.replace(
        make_result(1), pose3d_mm=poses, keypoints_px=keypoints, confidence=confidence,
        frame_indices=np.array([7]), timestamps_s=np.array([0.28]), correction=None)
    lines = write_csv(result, tmp_path / "p.csv").read_text().splitlines()
    header = lines[0].split(",")
    assert header[:8] == ["frame", "time_s", "Hip_x", "Hip_y", "Hip_z", "RHip_x", "RHip_y",
                          "RHip_z"]
    assert header[50:53] == ["Hip_u", "Hip_v", "Hip_conf"]
    assert header[-3:] == ["RWrist_u", "RWrist_v", "RWrist_conf"]
    assert len(header) == 2 + 16 * 3 + 16 * 3 and header == csv_header()
    row = lines[1].split(",")
    assert row[:8] == ["7", "0.280000", "0.000", "0.000", "0.000", "-130.000", "20.000", "0.000"]
    assert row[8:11] == ["-130.500", "460.250", "10.000"]
    assert row[47:50] == ["-150.000", "90.000", "-10.000"]
    assert row[50:53] == ["320.500", "240.125", "0.9877"]
    assert len(lines) == 2


def test_writing_to_an_unwritable_path_raises_pose_data_error(tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    for writer in (write_json, write_npz, write_csv):
        with pytest.raises(PoseDataError, match="Cannot write"):
            writer(make_result(2), blocker / "poses3d.out")


def test_a_file_holding_an_invalid_result_names_the_file(tmp_path):
    path = write_npz(make_result(3), tmp_path / "p.npz")
    arrays = dict(np.load(path))
    arrays["pose3d_mm"] = arrays["pose3d_mm"] / 1000.0
    np.savez(path, **arrays)
    with pytest.raises(PoseDataError, match="p.npz holds an invalid result: .*metres"):
        load_result(path)


def test_corrupt_files_raise_pose_data_error(tmp_path):
    (tmp_path / "bad.json").write_text('{"format": "posemachines.poses3d", "frames": [')
    with pytest.raises(PoseDataError, match="not valid JSON"):
        read_json(tmp_path / "bad.json")
    (tmp_path / "other.json").write_text('{"format": "something else"}')
    with pytest.raises(PoseDataError, match="not a posemachines.poses3d file"):
        read_json(tmp_path / "other.json")
    (tmp_path / "bad.npz").write_bytes(b"PK\x03\x04 truncated")
    with pytest.raises(PoseDataError, match="truncated"):
        load_result(tmp_path / "bad.npz")
    (tmp_path / "empty").mkdir()
    with pytest.raises(PoseDataError, match="neither"):
        load_result(tmp_path / "empty")


def test_write_outputs_without_frames_skips_the_overlay(tmp_path, caplog):
    result = make_result(3)
    with caplog.at_level(logging.WARNING):
        written = write_outputs(result, tmp_path / "out", ("json", "csv", "overlay", "html"))
    assert [p.name for p in written] == ["poses3d.json", "poses3d.csv", "viewer.html"]
    assert all(p.is_file() and p.stat().st_size > 0 for p in written)
    assert "overlay.mp4 skipped" in caplog.text


def test_write_outputs_rejects_unknown_formats(tmp_path):
    with pytest.raises(PoseDataError, match="Unknown output format"):
        write_outputs(make_result(2), tmp_path, ("json", "gif"))


def test_write_outputs_writes_every_format_from_a_frame_factory(tmp_path):
    result = make_result(3)  # poses on frames 0, 1, 3 of a 4-frame, 64x48 video

    def frames():
        return ((i, i / 25.0, np.zeros((48, 64, 3), np.uint8)) for i in range(4))

    written = write_outputs(result, tmp_path / "out", frames=frames)
    assert [p.name for p in written] == [
        "poses3d.json", "poses3d.npz", "poses3d.csv", "motion.bvh", "motion.glb",
        "overlay.mp4", "skeleton3d.mp4", "viewer.html"]
    assert all(p.stat().st_size > 0 for p in written)
    assert_results_equal(load_result(tmp_path / "out"), result)
