"""Synthetic signing for the `gesture` class: arms placed by two-bone IK in the signing space."""

from __future__ import annotations

import numpy as np

from posemachines.analysis.action_data import LabelledSegment
from posemachines.analysis.action_features import torso_frames
from posemachines.analysis.action_gestures import (
    SIGNING_FORWARD,
    sign_with_arms,
    signing_segments,
    two_bone_arm,
)
from posemachines.analysis.action_taxonomy import ACTION_INDEX
from tests.analysis.synthetic import rotation_y, standing_pose_mm

ARMS = ((10, 11, 12), (13, 14, 15))


def test_two_bone_arm_reaches_the_target_with_its_bone_lengths_and_bends_to_the_pole():
    shoulder = np.zeros((3, 3))
    target = np.array([[0.0, -300.0, 300.0], [0.0, 0.0, 400.0], [0.0, 0.0, 900.0]])
    pole = np.tile([0.0, -1.0, 0.0], (3, 1))
    elbow, wrist = two_bone_arm(shoulder, target, 280.0, 250.0, pole)
    np.testing.assert_allclose(np.linalg.norm(elbow - shoulder, axis=1), 280.0)
    np.testing.assert_allclose(np.linalg.norm(wrist - elbow, axis=1), 250.0)
    np.testing.assert_allclose(wrist[:2], target[:2], atol=1e-9)  # within reach
    np.testing.assert_allclose(wrist[2], [0.0, 0.0, 0.98 * 530.0])  # out of reach: stretched
    assert elbow[1, 1] < -50.0  # the elbow drops towards the pole
    # hand-computed: reach 400 -> the elbow 219.9 mm along the reach, 173.4 mm below it
    along = (280.0 ** 2 - 250.0 ** 2 + 400.0 ** 2) / 800.0
    np.testing.assert_allclose(elbow[1], [0.0, -np.sqrt(280.0 ** 2 - along ** 2), along])


def test_signing_arms_move_in_front_of_the_chest_and_nothing_else_moves():
    still = np.repeat((standing_pose_mm() @ rotation_y(40.0).T)[None], 90, axis=0)
    signing = sign_with_arms(still, np.random.default_rng(3))
    np.testing.assert_array_equal(signing[:, :10], still[:, :10])  # legs, torso, head
    np.testing.assert_array_equal(signing[:, [10, 13]], still[:, [10, 13]])  # shoulders stay
    frames = torso_frames(still)
    moved = 0
    for shoulder, elbow, wrist in ARMS:
        upper = np.linalg.norm(signing[:, elbow] - signing[:, shoulder], axis=1)
        forearm = np.linalg.norm(signing[:, wrist] - signing[:, elbow], axis=1)
        np.testing.assert_allclose(upper, 280.0, rtol=1e-6)
        np.testing.assert_allclose(forearm, 250.0, rtol=1e-6)
        if np.allclose(signing[:, wrist], still[:, wrist]):
            continue  # the arm that does not sign keeps the still pose
        moved += 1
        local = np.einsum("tij,tj->ti", frames, signing[:, wrist] - signing[:, shoulder])
        assert np.all(local[:, 2] > 0.0)  # in front of the shoulder
        assert np.all(local[:, 1] < 0.25 * 530.0)  # not raised far above the shoulder
        speed = np.linalg.norm(np.diff(signing[:, wrist], axis=0), axis=1).mean() * 30.0
        assert 50.0 < speed < 1500.0  # mm/s
    assert moved >= 1
    assert SIGNING_FORWARD[0] > 0.2


def test_signing_segments_are_gestures_of_still_segments_and_keep_their_side():
    still = np.repeat(standing_pose_mm()[None], 90, axis=0).astype(np.float32)
    stills = [LabelledSegment(f"take{k}:still", still, np.zeros(90, dtype=np.int64),
                              np.array([0.0, 1.0, 0.0]), test=False) for k in range(3)]
    made = signing_segments(stills, 5, np.random.default_rng(0))
    assert len(made) == 5 and all(s.name.endswith(":still:signing") for s in made)
    assert all(np.all(s.labels == ACTION_INDEX["gesture"]) and not s.test for s in made)
    assert all(s.joints_mm.shape == (90, 16, 3) for s in made)
    again = signing_segments(stills, 5, np.random.default_rng(0))
    assert all(np.array_equal(a.joints_mm, b.joints_mm) for a, b in zip(made, again, strict=True))
    assert signing_segments([], 5, np.random.default_rng(0)) == []
