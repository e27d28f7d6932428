"""The Estimator places the person in the world: a real mocap walk filmed by a known camera,
lifted from its projected 2D by the shipped lifter, comes back with the camera's tilt, a floor
under the feet and contacts; a panning camera gives the camera-frame fallback and a warning."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.inference.estimator import Estimator
from posemachines.inference.scene import place_in_scene
from posemachines.world import to_world
from tests.world.synthetic import (
    EYE_MM,
    FOCAL_PX,
    HEADING_DEG,
    HEIGHT_MM,
    HEIGHT_PX,
    PITCH_DEG,
    ROLL_DEG,
    WIDTH_PX,
    camera_rotation,
    load_walk,
    project,
    true_contacts,
    view,
)


@pytest.fixture(scope="module")
def walk(shared_data):
    return load_walk(shared_data)[:150]


@pytest.fixture(scope="module")
def estimator():
    return Estimator(focal_px=FOCAL_PX)


def test_static_camera_walk_in_the_world(walk, estimator):
    rotation = camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG)
    keypoints = project(view(walk, rotation, EYE_MM))
    result = estimator.predict_keypoints(keypoints, fps=30.0, image_size=(WIDTH_PX, HEIGHT_PX))
    world = result.world
    assert world is not None and world.frame == "world" and not world.warnings
    # the camera looks down 15 deg and is rolled 5 deg (world.pitch_deg > 0: looking down)
    assert world.pitch_deg == pytest.approx(PITCH_DEG, abs=3.0)
    assert world.roll_deg == pytest.approx(ROLL_DEG, abs=3.0)
    # height in the lifter's scale of an average adult: within 20 % of the true 1.5 m
    assert world.camera_height_mm == pytest.approx(HEIGHT_MM, rel=0.2)
    up_true = rotation @ np.array([0.0, 1.0, 0.0])
    up_found = result.camera.R @ np.array([0.0, 1.0, 0.0])
    assert np.degrees(np.arccos(up_true @ up_found)) < 3.0
    # the root's path: 150 frames of a 10 m walk cover about 5.5 m over the floor
    travelled = np.linalg.norm(world.joints_mm[-1, 0, [0, 2]] - world.joints_mm[0, 0, [0, 2]])
    truth = np.linalg.norm(walk[-1, 0, [0, 2]] - walk[0, 0, [0, 2]])
    assert travelled == pytest.approx(truth, rel=0.2)
    # feet on the floor while in contact; contacts agree with the mocap's on most frames
    flags = world.contacts.in_contact
    ankles = world.joints_mm[:, [3, 6], 1]
    assert np.abs(ankles[flags] - np.median(ankles[flags])).max() < 60.0
    assert (flags == true_contacts(walk)).mean() > 0.8
    # the trajectory and the camera reproject the root onto its 2D
    root_px = project(result.root_translation_mm[:, None])[:, 0]
    assert np.median(np.linalg.norm(root_px - keypoints[:, 0], axis=-1)) < 5.0


def test_tilting_camera_falls_back_to_the_camera_frame(walk, estimator):
    pitches = PITCH_DEG + np.linspace(0.0, 25.0, len(walk))  # tilts 25 deg down over 5 s
    rotations = np.stack([camera_rotation(p, ROLL_DEG, HEADING_DEG) for p in pitches])
    keypoints = project(view(walk, rotations, EYE_MM))
    result = estimator.predict_keypoints(keypoints, fps=30.0, image_size=(WIDTH_PX, HEIGHT_PX))
    assert result.world.frame == "camera" and result.world.contacts is None
    assert any("camera" in warning for warning in result.world.warnings)
    np.testing.assert_allclose(result.camera.R, np.eye(3))


def test_the_scene_reads_the_detections_for_the_contacts(walk):
    rotation = camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG)
    joints_cam = view(walk, rotation, EYE_MM)
    pose, root = joints_cam - joints_cam[:, :1], joints_cam[:, 0]
    keypoints = project(joints_cam)
    frames = np.arange(10, 10 + len(walk))
    confidence = np.full(keypoints.shape[:2], 0.9)
    confidence[::7, 3] = 0.0  # a dropped ankle now and then

    def contacts(trust: np.ndarray) -> np.ndarray:
        scene = place_in_scene(pose, root, keypoints, trust, frames, 30.0, (WIDTH_PX, HEIGHT_PX),
                               FOCAL_PX, metric=True, world=True)
        return scene.world.contacts.probability

    with_2d = to_world(pose, root, frames - 10, 30.0, metric=True, keypoints_px=keypoints,
                       keypoint_confidence=confidence, focal_px=FOCAL_PX)
    without = to_world(pose, root, frames - 10, 30.0, metric=True)
    np.testing.assert_allclose(contacts(confidence), with_2d.contacts.probability, atol=1e-6)
    np.testing.assert_allclose(contacts(0.0 * confidence), without.contacts.probability,
                               atol=1e-6)
    assert np.abs(with_2d.contacts.probability - without.contacts.probability).max() > 0.05
