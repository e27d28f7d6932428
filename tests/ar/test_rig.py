"""The tracked body: pinning to the keypoints, gaps, smoothing, bone frames, the floor."""

from __future__ import annotations

import numpy as np

from posemachines.ar.floor import ANKLE_HEIGHT, floor_of, foot_contacts
from posemachines.ar.rig import (
    HEAD,
    LWRIST,
    fill_gaps,
    frame_from,
    pin_to_image,
    smooth_runs,
    track_body,
)
from posemachines.camera import project_points
from tests.ar.synthetic import C_PX, F_PX, ROOT_MM, STANDING, standing_result


def test_pinned_joints_project_onto_confident_keypoints_at_their_depth() -> None:
    joints = STANDING[None] + ROOT_MM
    keypoints = project_points(joints, F_PX, C_PX) + 12.0  # the 2D says: 12 px off
    confidence = np.ones((1, 16))
    confidence[0, LWRIST] = 0.0                              # ... except where it is unsure
    pinned = pin_to_image(joints, keypoints, confidence, F_PX, C_PX)
    np.testing.assert_allclose(pinned[..., 2], joints[..., 2])
    reprojected = project_points(pinned, F_PX, C_PX)
    seen = [j for j in range(16) if j != LWRIST]
    np.testing.assert_allclose(reprojected[0, seen], keypoints[0, seen], atol=0.5)
    np.testing.assert_allclose(pinned[0, LWRIST], joints[0, LWRIST])


def test_fill_gaps_interpolates_short_gaps_only() -> None:
    rows = np.array([0, 1, 4, 10])
    values = np.array([[0.0], [1.0], [4.0], [10.0]])
    dense, present = fill_gaps(rows, values, 12, max_gap=2)
    np.testing.assert_allclose(dense[:5, 0], [0, 1, 2, 3, 4])
    assert present.tolist() == [True] * 5 + [False] * 5 + [True, False]
    assert np.isnan(dense[5:10]).all() and np.isnan(dense[11]).all()


def test_smoothing_keeps_a_parabola_and_damps_noise() -> None:
    t = np.arange(40, dtype=float)
    parabola = 0.05 * (t - 20) ** 2
    present = np.ones(40, bool)
    np.testing.assert_allclose(smooth_runs(parabola[:, None], present, 9)[:, 0], parabola,
                               atol=1e-9)
    noise = np.random.default_rng(0).normal(0, 1, (40, 1))
    smoothed = smooth_runs(noise, present, 9)
    assert np.abs(np.diff(smoothed, 2, axis=0)).mean() < 0.3 * np.abs(np.diff(noise, 2,
                                                                             axis=0)).mean()


def test_bone_frame_is_a_right_handed_rotation_facing_forward() -> None:
    # Facing the camera: up is -y, the person's left is +x, so forward is -z (to the camera).
    rotation = frame_from(np.array([0.1, -1.0, 0.0]), np.array([1.0, 0.3, 0.0]))
    np.testing.assert_allclose(rotation.T @ rotation, np.eye(3), atol=1e-12)
    assert np.isclose(np.linalg.det(rotation), 1.0)
    assert rotation[2, 2] < -0.99


def test_track_holds_the_body_through_a_short_gap() -> None:
    result = standing_result(num_frames=20)
    result = type(result)(**{**result.__dict__, "frame_indices": np.r_[0:10, 14:24],
                             "missing_frames": (10, 11, 12, 13)})
    track = track_body(result, F_PX, C_PX)
    assert track.num_frames == 24 and track.present.all()
    np.testing.assert_allclose(track.joints_mm[12, HEAD], (STANDING + ROOT_MM)[HEAD], atol=1.0)
    np.testing.assert_allclose(track.head_mm, 270.0, atol=1.0)


def test_floor_without_a_world_lies_under_the_feet() -> None:
    result = standing_result()
    track = track_body(result, F_PX, C_PX)
    floor = floor_of(result, track)
    np.testing.assert_allclose(floor.normal, [0, -1, 0], atol=1e-9)
    ankle = (STANDING + ROOT_MM)[3]
    np.testing.assert_allclose(floor.height(ankle), ANKLE_HEIGHT * track.height_mm, atol=1e-6)
    assert foot_contacts(result, track, floor).all()  # standing still: both feet down
