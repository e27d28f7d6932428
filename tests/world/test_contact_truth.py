"""The contact truth of clean mocap: low over each foot's own rest height, and slow."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.world.contact_truth import local_floor_mm, mocap_contacts, rest_heights_mm

FPS = 30.0


def feet(right_y: np.ndarray, left_y: np.ndarray, left_x: np.ndarray | None = None) -> np.ndarray:
    """(T, 2, 3) ankles; the right one still at x = 0, the left one 200 mm to its side."""
    joints = np.zeros((len(right_y), 2, 3))
    joints[:, 0, 1], joints[:, 1, 1], joints[:, 1, 2] = right_y, left_y, 200.0
    if left_x is not None:
        joints[:, 1, 0] = left_x
    return joints


def test_a_foot_resting_28_mm_higher_is_in_contact() -> None:
    # The right ankle stands at 100 mm; the left one stands 28 mm higher (a rig's offset),
    # then 20 mm higher still (a heel starting to rise), both still: 48 mm over a floor shared
    # by both feet (100), only 20 over the left foot's own rest (128, the 10th percentile of
    # its heights 28 / 48 over the floor on its still frames).
    left = np.where(np.arange(60) < 30, 128.0, 148.0)
    flags = mocap_contacts(feet(np.full(60, 100.0), left), FPS, contact_joints=(0, 1))
    assert flags[:, 0].all()
    # Only the step's two frames move: central differences 10 mm/frame = 300 mm/s, not < 300.
    assert np.flatnonzero(~flags[:, 1]).tolist() == [29, 30]


def test_a_four_frame_stop_between_slides_is_four_frames_of_contact() -> None:
    # The left ankle slides at rest height at 12 mm/frame (360 mm/s), stands on frames 10-13
    # (no step from 10 to 11, 12, 13), slides on: the stop's first and last frames move
    # 6 mm/frame (180 mm/s) by central differences, the slides 360 mm/s.
    step = np.where((np.arange(30) >= 11) & (np.arange(30) <= 13), 0.0, 12.0)
    left_x = np.concatenate([[0.0], np.cumsum(step[1:])])
    flags = mocap_contacts(feet(np.full(30, 100.0), np.full(30, 100.0), left_x), FPS,
                           contact_joints=(0, 1))
    assert np.flatnonzero(flags[:, 1]).tolist() == [10, 11, 12, 13]


def test_rest_height_is_a_low_percentile_of_the_slow_frames() -> None:
    heights = np.array([[0.0, 5.0], [10.0, 5.0], [20.0, 5.0], [30.0, 5.0], [40.0, 500.0]])
    speed = np.array([[0.0, 0.0], [0.0, 0.0], [0.0, 900.0], [0.0, 900.0], [0.0, 900.0]])
    # Joint 0: all five frames slow, median 20. Joint 1: two slow frames (< 3): 0.
    np.testing.assert_allclose(rest_heights_mm(heights, speed, percentile=50.0), [20.0, 0.0])


def test_local_floor_follows_a_sloping_take() -> None:
    # Both ankles rise 1 mm per frame (a floor that is not level): the floor at frame t is the
    # lowest within +-1 s, i.e. the height 30 frames earlier (0 in the first second).
    rising = np.arange(100, dtype=np.float64)
    floor = local_floor_mm(np.stack([rising, rising + 5.0], axis=1), FPS)
    np.testing.assert_allclose(floor, np.maximum(rising - 30.0, 0.0))


def test_bad_input_raises() -> None:
    with pytest.raises(PoseInputError):
        mocap_contacts(np.zeros((10, 3)), FPS)
