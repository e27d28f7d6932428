"""The shipped demo clip through the shipped pipeline: facts a person checks by eye.

The clip (assets/sample/squat_front_gmdcsa.mp4) shows one man facing the camera: standing
(frames 0-15), a deep squat (about 25-40), standing (about 45-65), a deep squat (about 75-90).
Measured when the clip was chosen (default detector, shipped lifter): thigh 389 mm, shin 405 mm,
upper arm 300 mm, forearm 283 mm; knee flexion 24-32 deg standing, 145-159 deg in the squats.
"""

from __future__ import annotations

import numpy as np
import pytest

from posemachines import Estimator
from posemachines.analysis.angles import joint_angles
from posemachines.cli import main
from posemachines.cli.infer import DEMO_GUIDE, demo_guide, sample_video_path
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures import PoseResult

J = {name: index for index, name in enumerate(JOINTS16_NAMES)}
#: Bone -> (shortest, longest) mm an adult's bone may have in our 16-joint skeleton.
HUMAN_BONES_MM = {
    ("LHip", "LKnee"): (330, 480), ("RHip", "RKnee"): (330, 480),
    ("LKnee", "LFoot"): (330, 480), ("RKnee", "RFoot"): (330, 480),
    ("LShoulder", "LElbow"): (240, 360), ("RShoulder", "RElbow"): (240, 360),
    ("LElbow", "LWrist"): (200, 330), ("RElbow", "RWrist"): (200, 330),
    ("LShoulder", "RShoulder"): (300, 460), ("LHip", "RHip"): (170, 300),
}
STANDING = np.r_[0:12, 50:64]
SQUATTING = np.r_[27:36, 80:88]


@pytest.fixture(scope="module")
def demo() -> PoseResult:
    return Estimator().predict_video(sample_video_path())


def test_every_frame_has_the_man(demo: PoseResult) -> None:
    assert demo.num_frames == 100 and not demo.missing_frames


def test_bone_lengths_are_human_and_steady(demo: PoseResult) -> None:
    poses = demo.pose3d_mm
    for (a, b), (shortest, longest) in HUMAN_BONES_MM.items():
        length = np.linalg.norm(poses[:, J[a]] - poses[:, J[b]], axis=-1)
        assert shortest < np.median(length) < longest, (a, b, np.median(length))
        if "Shoulder" not in b and "Hip" not in b:  # a limb bone, not a width across the body
            assert length.std() < 0.03 * length.mean(), (a, b)


def test_left_and_right_are_kept(demo: PoseResult) -> None:
    # He faces the camera, so his left side is on the image's right (x grows to the right) in
    # the 2D detections and in the 3D camera frame alike.
    for points in (demo.pose3d_mm, demo.keypoints_px):
        for joint in ("Shoulder", "Hip", "Knee"):
            left_is_right = points[:, J[f"L{joint}"], 0] > points[:, J[f"R{joint}"], 0]
            assert left_is_right.mean() > 0.95, joint


def test_knees_bend_through_the_squats(demo: PoseResult) -> None:
    angles = joint_angles(demo.pose3d_mm)
    for side in ("L", "R"):
        knee = angles.degrees[:, list(angles.names).index(f"knee_flexion_{side}")]
        assert np.nanmax(knee[STANDING]) < 45.0
        assert np.nanmin(knee[SQUATTING]) > 100.0
        assert np.nanmax(knee) > 140.0


def test_demo_prints_which_files_to_open(random_lite_weights, tmp_path, capsys) -> None:
    out = tmp_path / "demo"
    code = main(["demo", "--weights", str(random_lite_weights), "--out", str(out),
                 "--format", "json,html", "--correction", "none", "--no-world"])
    assert code == 0
    printed = capsys.readouterr().out
    assert "100 frames, person found in 100" in printed
    assert f"Open in {out}:" in printed
    assert "viewer.html" in printed and "poses3d.json" in printed
    assert "overlay.mp4" not in printed  # not written with --format json,html
    assert demo_guide(out).splitlines()[1].split()[0] == "viewer.html"
    assert [name for name, _ in DEMO_GUIDE][:2] == ["overlay.mp4", "skeleton3d.mp4"]


def test_his_feet_stay_on_the_floor_through_the_squats(demo: PoseResult) -> None:
    # He never moves his feet. Before the correction held still ankles still in 3D
    # (correction/planted_feet.py), the lifted squats' depth swung the whole body ~1 m along
    # the viewing ray: standing, his ankles floated ~250 mm above the floor fitted under the
    # squats, and his root travelled 2.5 m over the floor.
    assert demo.world is not None and demo.world.frame == "world"
    joints = demo.world.joints_mm
    for ankle in ("RFoot", "LFoot"):
        path = joints[:, J[ankle]]
        assert np.ptp(path[:, 1]) < 40.0, ankle  # height over the floor, mm
        assert np.ptp(path[:, [0, 2]], axis=0).max() < 60.0, ankle  # along the floor
    travelled = np.linalg.norm(np.diff(joints[:, 0, [0, 2]], axis=0), axis=-1).sum()
    assert travelled < 1600.0  # the hips go back and forth with four squat phases
