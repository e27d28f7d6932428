"""The upright roll of the lifter's input: the angle, the turn, and that it is a camera roll."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.data.lifter_input import roll_detections, torso_roll_rad, unroll_pose
from posemachines.skeleton import JOINTS16

HIP, THORAX = JOINTS16.names.index("Hip"), JOINTS16.names.index("Thorax")


def torso(thorax_px: tuple[float, float]) -> np.ndarray:
    """(1, 16, 2) px: every joint at (100, 200) but the thorax."""
    xy = np.full((1, 16, 2), [100.0, 200.0])
    xy[0, THORAX] = thorax_px
    return xy


@pytest.mark.parametrize(("thorax", "degrees"), [
    ((100.0, 100.0), 0.0),     # straight up the image (y down)
    ((200.0, 200.0), 90.0),    # lying, head to the right
    ((0.0, 200.0), -90.0),     # lying, head to the left
    ((200.0, 100.0), 45.0),
    ((100.0, 300.0), 180.0),   # upside down
])
def test_the_roll_is_the_torso_angle_from_straight_up(thorax, degrees):
    assert np.degrees(torso_roll_rad(torso(thorax), np.ones((1, 16))))[0] == pytest.approx(degrees)


def test_no_roll_where_the_hip_or_thorax_is_not_seen():
    confidence = np.ones((2, 16))
    confidence[0, HIP] = confidence[1, THORAX] = 0.0
    xy = np.concatenate([torso((200.0, 200.0))] * 2)
    np.testing.assert_array_equal(torso_roll_rad(xy, confidence), [0.0, 0.0])


def test_rolled_detections_stand_up_and_keep_their_distances():
    xy = np.random.default_rng(0).uniform(0, 640, (5, 16, 2))
    centre = np.array([320.0, 240.0])
    rolled = roll_detections(xy, centre, torso_roll_rad(xy, np.ones((5, 16))))
    np.testing.assert_allclose(torso_roll_rad(rolled, np.ones((5, 16))), 0.0, atol=1e-12)
    torso_vector = rolled[:, THORAX] - rolled[:, HIP]
    np.testing.assert_allclose(torso_vector[:, 0], 0.0, atol=1e-9)
    assert (torso_vector[:, 1] < 0).all()
    np.testing.assert_allclose(np.linalg.norm(rolled - centre, axis=-1),
                               np.linalg.norm(xy - centre, axis=-1))


def test_rolling_the_image_is_rolling_the_camera_about_its_axis():
    # A pinhole camera rolled about its optical axis: its image is the image turned about
    # the principal point, and its camera-frame pose the pose turned about z.
    rng = np.random.default_rng(1)
    pose = rng.normal(0.0, 300.0, (4, 16, 3)) + [100.0, -50.0, 4000.0]
    focal, centre = 1000.0, np.array([640.0, 360.0])
    image = pose[..., :2] / pose[..., 2:] * focal + centre
    angle = torso_roll_rad(image, np.ones((4, 16)))
    rolled_camera_pose = unroll_pose(pose, -angle)
    np.testing.assert_allclose(
        rolled_camera_pose[..., :2] / rolled_camera_pose[..., 2:] * focal + centre,
        roll_detections(image, centre, angle), atol=1e-9)
    np.testing.assert_allclose(rolled_camera_pose[..., 2], pose[..., 2])
    np.testing.assert_allclose(unroll_pose(rolled_camera_pose, angle), pose, atol=1e-9)
