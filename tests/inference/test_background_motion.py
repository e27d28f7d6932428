"""The camera-motion check on the frames: a real clip, and the same clip panned and turned by
cropping a moving window out of it."""

from __future__ import annotations

import cv2
import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.inference.background_motion import BackgroundTracker
from posemachines.inference.estimator import Estimator
from posemachines.inference.frames import open_frames

CLIP = "media/walk_reading_side_gmdcsa.mp4"  # 1280x720, static camera, 115 frames
FRAMES, CROP = 60, (960, 540)


@pytest.fixture(scope="module")
def frames(shared_data):
    return [frame.rgb for _, frame in zip(range(FRAMES), open_frames(shared_data / CLIP),
                                         strict=False)]


def crops(frames, pan_px: float = 0.0, turn_deg: float = 0.0) -> list[np.ndarray]:
    """960x540 windows of the frames, moved `pan_px` to the right and turned `turn_deg` over
    the clip (a camera panning / rolling)."""
    out = []
    for k, rgb in enumerate(frames):
        share = k / (len(frames) - 1)
        x0 = 40 + pan_px * share
        centre = (x0 + CROP[0] / 2, 90 + CROP[1] / 2)
        matrix = cv2.getRotationMatrix2D(centre, turn_deg * share, 1.0)
        matrix[:, 2] -= [x0, 90]
        out.append(cv2.warpAffine(rgb, matrix, CROP, flags=cv2.INTER_LINEAR))
    return out


def judge(frames) -> object:
    tracker = BackgroundTracker()
    for rgb in frames:
        tracker.update(rgb, None)
    return tracker.result()


def test_static_crop_is_static(frames):
    motion = judge(crops(frames))
    assert not motion.moving and motion.reason == ""
    assert motion.drift_frac < 0.01 and motion.turn_deg < 0.5
    assert motion.pairs == (FRAMES - 1) // 3  # frames 0, 3, ..., 57


def test_a_pan_of_a_fifth_of_the_width_is_caught(frames):
    motion = judge(crops(frames, pan_px=200.0))
    assert motion.moving and "background moves" in motion.reason
    # 200 px of a 960 px window
    assert motion.drift_frac == pytest.approx(200 / 960, rel=0.1)


def test_a_roll_of_five_degrees_is_caught(frames):
    motion = judge(crops(frames, turn_deg=5.0))
    assert motion.moving and "turns by" in motion.reason
    assert motion.turn_deg == pytest.approx(5.0, abs=0.5)


def test_estimator_reports_the_pan_and_stays_in_the_camera_frame(frames, tmp_path):
    path = tmp_path / "panned.mp4"
    iio.imwrite(path, np.stack(crops(frames, pan_px=200.0)), fps=30, codec="libx264")
    result = Estimator().predict_video(path)
    assert result.world.frame == "camera" and result.world.contacts is None
    assert result.world.warnings[0].startswith("The camera seems to move: the background")
    np.testing.assert_allclose(result.world.joints_mm,
                               result.pose3d_mm + result.root_translation_mm[:, None], atol=0.01)


def test_several_people_are_all_left_out_of_the_background(shared_data, tmp_path):
    """Two people walk at a static camera down a plain corridor, whose few corners lie mostly
    on them. With only one of them left out of the background (the single-person path), the
    other's walk read as a moving camera (11 % of the width, 4.5 deg); with everyone left out
    both are placed in the world. The same clip panned is still caught."""
    gif = shared_data / "media/two_people_walking_toward_intel.gif"
    people = Estimator(max_people=2).predict_people(gif)
    assert [people[i].world.frame for i in people.ids] == ["world", "world"]
    frames = [frame.rgb for frame in open_frames(gif)]
    panned = []
    for k, rgb in enumerate(frames):  # a 400x230 window moving 80 px right over the clip
        x0 = int(round(80 * k / (len(frames) - 1)))
        panned.append(np.ascontiguousarray(rgb[20:250, x0:x0 + 400]))
    path = tmp_path / "panned.mp4"
    iio.imwrite(path, np.stack(panned), fps=12.5, codec="libx264")
    moved = Estimator(max_people=2).predict_people(path)
    assert moved.ids and all(moved[i].world.frame == "camera" for i in moved.ids)
    assert moved[moved.ids[0]].world.warnings[-1].startswith("The camera seems to move")
