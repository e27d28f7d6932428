"""Action window features: body-centred, view- and scale-invariant, mirrored on request."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posemachines.analysis.action_features import (
    CANONICAL_BONES,
    FEATURE_CHANNELS,
    FEATURE_FPS,
    VELOCITY_SCALE,
    body_frames,
    canonical_skeleton,
    leg_lengths_mm,
    mirror_windows,
    window_features,
)
from posemachines.errors import PoseDataError
from posemachines.skeleton import (
    JOINTS16,
    JOINTS16_NAMES,
    JOINTS16_PARENTS,
    bone_lengths,
    unit_vectors,
)
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
    # LWrist (joint 12, position index 11) of the rebuilt skeleton (leg lengths): the thorax
    # 0.3 + 0.33 above the hip, the shoulder 0.19 along (180, -50) mm from it, then the arm
    # (0.36 + 0.29) straight down.
    shoulder = 0.19 * np.array([180.0, -50.0]) / np.hypot(180.0, 50.0)
    np.testing.assert_allclose(features[0, 33:36, 0],
                               [shoulder[0], 0.63 + shoulder[1] - 0.65, 0.0], atol=1e-9)
    assert np.all(features[0, 45:] == 0.0)  # still: zero velocities


def test_velocity_channels_are_scaled_frame_differences():
    window = np.repeat(standing_pose_mm()[None, None], 3, axis=1)
    window[0, 2, 12, 0] += 90.0  # the left wrist moves 90 mm sideways in one frame
    features = window_features(window, UP)
    # the 250 mm forearm turns by atan(90 / 250); rebuilt 0.29 long, its wrist moves sideways:
    step = 0.29 * 90.0 / np.hypot(90.0, 250.0)
    assert features[0, 45 + 33, 2] == pytest.approx(step * FEATURE_FPS / VELOCITY_SCALE)


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


def test_rebuilt_skeletons_keep_directions_and_take_canonical_lengths(wave_windows):
    rebuilt = canonical_skeleton(wave_windows)
    lengths = bone_lengths(rebuilt)
    expected = [CANONICAL_BONES[JOINTS16_NAMES[child]] for _, child in JOINTS16.bones]
    np.testing.assert_allclose(lengths, np.broadcast_to(expected, lengths.shape), atol=1e-9)
    original = wave_windows[..., 12, :] - wave_windows[..., 11, :]  # left forearm
    turned = rebuilt[..., 12, :] - rebuilt[..., 11, :]
    np.testing.assert_allclose(unit_vectors(turned), unit_vectors(original), atol=1e-9)
    assert np.all(rebuilt[..., 0, :] == 0.0)


def test_proportions_do_not_change_the_features(wave_windows):
    """The same motion on a rig with other proportions (each bone 0.8-1.25 times as long, in
    the same direction) gives the same features."""
    factors = np.random.default_rng(0).uniform(0.8, 1.25, size=16)
    stretched = wave_windows.copy()
    for child, parent in enumerate(JOINTS16_PARENTS):
        if parent >= 0:
            bone = wave_windows[..., child, :] - wave_windows[..., parent, :]
            stretched[..., child, :] = stretched[..., parent, :] + factors[child] * bone
    assert not np.allclose(bone_lengths(stretched), bone_lengths(wave_windows), rtol=0.05)
    np.testing.assert_allclose(window_features(stretched, UP), window_features(wave_windows, UP),
                               atol=1e-5)
