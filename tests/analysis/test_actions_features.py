"""Action window features: body-centred, view- and scale-invariant, mirrored on request."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posemachines.analysis.action_features import (
    FEATURE_CHANNELS,
    FEATURE_FPS,
    VELOCITY_SCALE,
    body_frames,
    leg_lengths_mm,
    mirror_windows,
    window_features,
)
from posemachines.errors import PoseDataError
from tests.analysis.synthetic import BANDAI_2, mocap_world_mm, standing_pose_mm

UP = np.array([0.0, 1.0, 0.0])


@pytest.fixture(scope="module")
def wave_windows(shared_data) -> np.ndarray:
    """Three real 2 s windows (world mm, Y up) of a right-hand wave."""
    world = mocap_world_mm(shared_data / BANDAI_2 / "dataset-2_wave-right-hand_normal_001.bvh")
    return np.stack([world[s: s + 60] for s in (0, 50, 100)])


def test_shape_and_dtype(wave_windows):
    features = window_features(wave_windows, UP)
    assert features.shape == (3, FEATURE_CHANNELS, 60) and features.dtype == np.float32


def test_rotation_scale_and_translation_do_not_change_the_features(wave_windows):
    rotation = Rotation.from_euler("xyz", [35, -120, 20], degrees=True).as_matrix()
    moved = (wave_windows @ rotation.T) * 0.7 + np.array([300.0, -50.0, 4000.0])
    expected = window_features(wave_windows, UP)
    np.testing.assert_allclose(window_features(moved, rotation @ UP), expected, atol=1e-4)


def test_camera_frame_with_per_window_up_matches_the_world(wave_windows):
    rotations = Rotation.random(3, random_state=1).as_matrix()
    seen = np.einsum("bij,btkj->btki", rotations, wave_windows)
    ups = rotations @ UP
    np.testing.assert_allclose(window_features(seen, ups), window_features(wave_windows, UP),
                               atol=1e-4)


def test_standing_pose_has_a_level_body_frame_and_hand_checked_values():
    pose = standing_pose_mm() @ Rotation.from_euler("y", 90, degrees=True).as_matrix().T
    window = np.repeat(pose[None, None], 5, axis=1)
    frame = body_frames(window, UP[None])[0]
    rotated_left = Rotation.from_euler("y", 90, degrees=True).apply([1.0, 0.0, 0.0])
    np.testing.assert_allclose(frame, np.stack([rotated_left, UP, np.cross(rotated_left, UP)]),
                               atol=1e-12)
    assert leg_lengths_mm(window)[0] == pytest.approx(900.0)
    features = window_features(window, UP)
    # LWrist (joint 12, position index 11) sits 180 mm left and 80 mm below the hip: / 900 mm.
    np.testing.assert_allclose(features[0, 33:36, 0], [0.2, -80 / 900, 0.0], atol=1e-6)
    assert np.all(features[0, 45:] == 0.0)  # still: zero velocities


def test_velocity_channels_are_scaled_frame_differences():
    window = np.repeat(standing_pose_mm()[None, None], 3, axis=1)
    window[0, 2, 12, 0] += 90.0  # the left wrist moves 90 mm = 0.1 leg in one frame
    features = window_features(window, UP)
    assert features[0, 45 + 33, 2] == pytest.approx(0.1 * FEATURE_FPS / VELOCITY_SCALE)


def test_lying_on_the_side_still_gives_a_proper_rotation():
    pose = standing_pose_mm() @ Rotation.from_euler("z", 90, degrees=True).as_matrix().T
    frame = body_frames(np.repeat(pose[None, None], 4, axis=1), UP[None])[0]
    np.testing.assert_allclose(frame @ frame.T, np.eye(3), atol=1e-9)
    assert np.linalg.det(frame) == pytest.approx(1.0)


def test_mirroring_twice_is_the_identity_and_swaps_sides(wave_windows):
    mirrored, up = mirror_windows(wave_windows, UP)
    np.testing.assert_allclose(mirrored[..., 10, 0], -wave_windows[..., 13, 0])
    again, up_again = mirror_windows(mirrored, up)
    np.testing.assert_allclose(again, wave_windows)
    np.testing.assert_allclose(up_again, UP)


@pytest.mark.parametrize(("poses", "message"), [
    (np.zeros((1, 60, 16, 2)), "must be \\(B, T, 16, 3\\)"),
    (np.full((1, 60, 16, 3), np.nan), "NaN"),
    (np.zeros((1, 60, 16, 3)), "legs of zero length"),
])
def test_bad_windows_are_refused(poses, message):
    with pytest.raises(PoseDataError, match=message):
        window_features(poses, UP)


def test_a_zero_up_is_refused(wave_windows):
    with pytest.raises(PoseDataError, match="up direction"):
        window_features(wave_windows, np.zeros(3))
