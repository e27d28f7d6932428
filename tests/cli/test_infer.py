import json
import re

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.cli import main
from posemachines.cli.infer import sample_video_path
from posemachines.viz.people_overlay import person_colour


def test_sample_video_is_shipped():
    assert sample_video_path().is_file()


def test_infer_needs_an_input(capsys):
    assert main(["infer"]) == 2
    assert "INPUT" in capsys.readouterr().err


def test_demo_writes_every_output(random_lite_weights, tmp_path, capsys):
    out = tmp_path / "demo"
    assert main(["demo", "--weights", str(random_lite_weights), "--out", str(out)]) == 0
    names = {p.name for p in out.iterdir()}
    assert {"poses3d.json", "poses3d.npz", "poses3d.csv", "motion.bvh", "motion.glb",
            "overlay.mp4", "skeleton3d.mp4", "viewer.html"} <= names
    summary = capsys.readouterr().out
    assert "100 frames, person found in 100" in summary
    document = json.loads((out / "poses3d.json").read_text())
    assert len(document["frames"]) >= 1


def test_infer_keypoints_file_without_video(random_lite_weights, shared_data, tmp_path):
    coco = shared_data / "fixtures" / "coco" / "test_coco.json"
    out = tmp_path / "kp"
    code = main(["infer", "--keypoints", str(coco), "--weights", str(random_lite_weights),
                 "--out", str(out), "--format", "npz,csv", "--no-correction"])
    assert code == 0
    arrays = np.load(out / "poses3d.npz")
    assert arrays["pose3d_mm"].shape[1:] == (16, 3)


def test_image_without_a_person_is_one_clear_error(random_lite_weights, tmp_path, capsys):
    import cv2

    blank = tmp_path / "blank.png"
    cv2.imwrite(str(blank), np.full((240, 320, 3), 127, dtype=np.uint8))
    code = main(["infer", str(blank), "--weights", str(random_lite_weights),
                 "--out", str(tmp_path / "o")])
    assert code == 2
    assert "No person was found" in capsys.readouterr().err


@pytest.mark.parametrize("content", [b"", b"not a video at all" * 100])
def test_corrupt_video_is_one_clear_error(random_lite_weights, tmp_path, capsys, content):
    video = tmp_path / "broken.mp4"
    video.write_bytes(content)
    assert main(["infer", str(video), "--weights", str(random_lite_weights)]) == 2
    err = capsys.readouterr().err
    assert err.startswith("posemachines: error:") and "Traceback" not in err


def test_infer_analyze_writes_analysis_beside_the_poses(random_lite_weights, tmp_path):
    out = tmp_path / "an"
    code = main(["demo", "--weights", str(random_lite_weights), "--out", str(out),
                 "--format", "json,overlay", "--analyze"])
    assert code == 0
    analysis = json.loads((out / "analysis.json").read_text())
    assert "angles" in analysis and "falls" in analysis
    assert (out / "overlay.mp4").is_file()


def test_no_time_reversal_lifts_forwards_only(random_lite_weights, shared_data, tmp_path):
    from posemachines.data.keypoints_json import load_keypoints
    from posemachines.inference.estimator import Estimator

    coco = shared_data / "fixtures" / "coco" / "test_coco.json"
    common = ["infer", "--keypoints", str(coco), "--weights", str(random_lite_weights),
              "--format", "npz", "--no-correction"]
    assert main([*common, "--out", str(tmp_path / "both")]) == 0
    assert main([*common, "--no-time-reversal", "--out", str(tmp_path / "forward")]) == 0
    both = np.load(tmp_path / "both" / "poses3d.npz")["pose3d_mm"]
    forward = np.load(tmp_path / "forward" / "poses3d.npz")["pose3d_mm"]
    assert len(forward) > 1 and np.abs(both - forward).max() > 1e-2
    expected = Estimator(weights=random_lite_weights, correction="none", time_reversal=False
                         ).predict_keypoints(load_keypoints(coco)).pose3d_mm
    np.testing.assert_allclose(forward, expected, atol=1e-3)


def test_infer_several_people_writes_everyone_in_the_3d_video_and_viewer(shared_data, tmp_path):
    # the shipped lifter: the shared floor scales people by their lifted size, which a random
    # lifter's centimetre-sized poses would fail (a real error for real input)
    clip = shared_data / "media" / "two_people_walking_toward_intel.gif"
    out = tmp_path / "two"
    assert main(["infer", str(clip), "--max-people", "3", "--out", str(out)]) == 0
    assert {"people3d.json", "overlay.mp4", "skeleton3d.mp4", "viewer.html"} <= {
        p.name for p in out.iterdir()}
    assert not (out / "motion.glb").exists()  # one person's format: skipped with a note
    people = {entry["id"]: [frame["frame_index"] for frame in entry["result"]["frames"]]
              for entry in json.loads((out / "people3d.json").read_text())["people"]}
    assert len(people) == 2  # the woman and the man (tests/inference/test_people_real.py)
    page = (out / "viewer.html").read_text()
    data = json.loads(re.search(r'<script id="pose-data" type="application/json">(.*?)'
                                r'</script>', page, re.DOTALL).group(1))
    assert data["video"] == "overlay.mp4" and len(data["frame_indices"]) == 35
    assert {s["id"]: s["steps"] for s in data["skeletons"]} == people
    video = iio.imread(out / "skeleton3d.mp4")
    assert video.shape[0] == 35
    both = sorted(set(people[1]) & set(people[2]))[len(people[2]) // 2]
    views = video[both][:, -720:].astype(int)  # the front and orbit views
    for person_id in people:  # each person drawn in their colour (H.264 shifts it a little)
        near = np.abs(views - person_colour(person_id)).max(axis=-1) < 40
        assert near.sum() > 50, person_id
