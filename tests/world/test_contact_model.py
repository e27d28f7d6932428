"""The learned contact probability: its features by hand, scale, the feet it reads, and the
detected ankles' image speed."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from posemachines.errors import PoseInputError
from posemachines.world.contact_model import (
    FEATURES,
    IMAGE_FEATURES,
    IMAGE_MODEL,
    LIFTED_MODEL,
    SPEED_FLOOR_LEG_PER_S,
    ankle_image_speed_mm_s,
    contact_features,
    focal_estimate_px,
    learned_contact_probability,
    probability_from_features,
)

LEG_MM, FPS = 800.0, 30.0


def scene(left_speed_mm_frame: float, left_height_mm: float, rest: tuple[float, float],
          frames: int = 30) -> tuple[np.ndarray, np.ndarray]:
    """World ankles (T, 2, 3) (Y up; right still at its rest height, left moving along X at
    `left_height_mm` over its rest) and the same seen by a camera 5 m away, 1 m high."""
    world = np.zeros((frames, 2, 3))
    world[:, 0, 1] = rest[0]
    world[:, 1, 0] = left_speed_mm_frame * np.arange(frames)
    world[:, 1, 1] = rest[1] + left_height_mm
    world[:, 1, 2] = 200.0
    cam = np.stack([-world[..., 0], 1000.0 - world[..., 1], world[..., 2] + 5000.0], axis=-1)
    return world, cam


def weight(name: str) -> float:
    return float(LIFTED_MODEL.weights[FEATURES.index(name)])


def test_two_still_feet_by_hand() -> None:
    # Both ankles still at their rest heights (the left one 28 mm higher than the right): every
    # speed is 0, so each log speed is log(0.05) and every height 0.
    world, cam = scene(0.0, 0.0, rest=(90.0, 118.0))
    still = np.log(SPEED_FLOOR_LEG_PER_S)
    expected = expit(LIFTED_MODEL.bias + still * (
        weight("log_viewed_speed") + weight("log_across_speed") + weight("log_along_speed")
        + weight("other_log_viewed_speed")))
    probability = learned_contact_probability(world, cam, np.array([90.0, 118.0]), LEG_MM, FPS)
    np.testing.assert_allclose(probability, expected, rtol=1e-9)
    assert expected > 0.95


def test_a_swinging_foot_is_not_in_contact_and_its_partner_is() -> None:
    # The left ankle swings at 1.5 leg lengths / s (40 mm/frame), 0.2 leg above its rest.
    world, cam = scene(40.0, 0.2 * LEG_MM, rest=(90.0, 90.0))
    features = contact_features(world, cam, np.array([90.0, 90.0]), LEG_MM, FPS)
    np.testing.assert_allclose(features[:, 1, FEATURES.index("height")], 0.2)
    # In frame 0 the foot (at x = 0) moves square to its viewing ray: all of it counts (later
    # the ray turns, and the part along it counts 0.3).
    assert features[0, 1, FEATURES.index("log_viewed_speed")] == pytest.approx(
        np.log(1.5 + SPEED_FLOOR_LEG_PER_S), rel=1e-9)
    assert features[0, 1, FEATURES.index("log_along_speed")] == pytest.approx(
        np.log(SPEED_FLOOR_LEG_PER_S), rel=1e-9)
    probability = learned_contact_probability(world, cam, np.array([90.0, 90.0]), LEG_MM, FPS)
    assert probability[:, 1].max() < 0.01 and probability[:, 0].min() > 0.95


def test_the_probability_does_not_depend_on_the_scale() -> None:
    world, cam = scene(12.0, 30.0, rest=(90.0, 100.0))
    once = learned_contact_probability(world, cam, np.array([90.0, 100.0]), LEG_MM, FPS)
    twice = learned_contact_probability(2 * world, 2 * cam, np.array([180.0, 200.0]),
                                        2 * LEG_MM, FPS)
    np.testing.assert_allclose(once, twice, rtol=1e-9)


def test_bad_inputs_raise() -> None:
    world, cam = scene(0.0, 0.0, rest=(90.0, 90.0))
    with pytest.raises(PoseInputError):
        contact_features(world[:, :1], cam[:, :1], np.zeros(1), LEG_MM, FPS)
    with pytest.raises(PoseInputError):
        contact_features(world, cam, np.zeros(2), 0.0, FPS)


FOCAL_PX = 1000.0


def standing_body(frames: int = 20) -> np.ndarray:
    """(T, 16, 3) camera-frame joints mm: a still body 4 m in front of the camera, its joints
    spread over a 600 x 1700 mm box (what the focal estimate compares with the 2D)."""
    rng = np.random.default_rng(3)
    body = np.column_stack([rng.uniform(-300, 300, 16), rng.uniform(-900, 800, 16),
                            4000.0 + rng.uniform(-100, 100, 16)])
    return np.repeat(body[None], frames, axis=0)


def project(joints_cam: np.ndarray) -> np.ndarray:
    return FOCAL_PX * joints_cam[..., :2] / joints_cam[..., 2:] + np.array([640.0, 360.0])


def test_the_focal_is_found_from_the_2d_spread() -> None:
    body = standing_body()
    confidence = np.ones((len(body), 16))
    assert focal_estimate_px(project(body), confidence, body) == pytest.approx(FOCAL_PX,
                                                                                rel=1e-9)
    assert np.isnan(focal_estimate_px(project(body), 0.0 * confidence, body))


def test_a_still_ankle_in_2d_has_no_image_speed_whatever_the_3d_does() -> None:
    body = standing_body()
    keypoints = project(body)
    lifted = body.copy()
    lifted[:, [3, 6], 2] += 150.0 * np.sin(np.arange(len(body)))[:, None]  # depth jitter
    lifted[:, 3, 0] += 40.0 * np.arange(len(body))  # a lifted ankle running off sideways
    speed = ankle_image_speed_mm_s(keypoints, np.ones((len(body), 16)), lifted, 30.0)
    np.testing.assert_allclose(speed, 0.0, atol=1e-9)


def test_a_moving_ankle_by_hand() -> None:
    # The left ankle (joint 6) slides 3 px/frame to the right in the image, at its lifted
    # depth z: 3 px * 30 fps * z / focal mm/s (the Savitzky-Golay slope of a straight line is
    # exact, ends included), with the focal that the 2D's spread gives (the sliding ankle
    # stretches it: a few % off the true 1000 px); the right ankle stands still.
    body = standing_body()
    keypoints = project(body)
    keypoints[:, 6, 0] += 3.0 * np.arange(len(body))
    confidence = np.ones((len(body), 16))
    speed = ankle_image_speed_mm_s(keypoints, confidence, body, 30.0)
    focal = focal_estimate_px(keypoints, confidence, body)
    assert focal == pytest.approx(FOCAL_PX, rel=0.1)
    expected = 3.0 * 30.0 * body[0, 6, 2] / focal
    np.testing.assert_allclose(speed[:, 1], expected, rtol=1e-9)
    np.testing.assert_allclose(speed[:, 0], 0.0, atol=1e-9)
    # With the camera's own focal length (what the pipeline passes), exactly that one.
    known = ankle_image_speed_mm_s(keypoints, confidence, body, 30.0, focal_px=FOCAL_PX)
    np.testing.assert_allclose(known[:, 1], 3.0 * 30.0 * body[0, 6, 2] / FOCAL_PX, rtol=1e-9)
    lifted = body
    # A frame the detector dropped (confidence 0.1, its point anywhere) is unknown, and its
    # neighbours keep the speed of the track interpolated across it.
    confidence[10, 6], keypoints[10, 6] = 0.1, [5000.0, -300.0]
    speed = ankle_image_speed_mm_s(keypoints, confidence, lifted, 30.0)
    assert np.isnan(speed[10, 1]) and np.isfinite(np.delete(speed, 10, axis=0)).all()
    focal = focal_estimate_px(keypoints, confidence, lifted)  # one frame fewer to compare
    np.testing.assert_allclose(np.delete(speed[:, 1], 10), 3.0 * 30.0 * body[0, 6, 2] / focal,
                               rtol=1e-9)
    with pytest.raises(PoseInputError):
        ankle_image_speed_mm_s(keypoints[:, :15], confidence, lifted, 30.0)


def test_image_features_by_hand_and_the_model_they_choose() -> None:
    world, cam = scene(0.0, 0.0, rest=(90.0, 90.0), frames=12)
    image_speed = np.zeros((12, 2))
    image_speed[:, 1] = 1.5 * LEG_MM  # the left ankle moves 1.5 leg / s in the image
    image_speed[5, 0] = 1.0 * LEG_MM  # the right one once, in frame 5
    image_speed[8, 0] = np.nan  # and is not seen in frame 8
    features = contact_features(world, cam, np.array([90.0, 90.0]), LEG_MM, FPS, image_speed)
    assert features.shape == (12, 2, len(FEATURES) + len(IMAGE_FEATURES))
    own, near, other = (features[..., len(FEATURES) + k] for k in range(3))
    floor = SPEED_FLOOR_LEG_PER_S
    np.testing.assert_allclose(own[:, 1], np.log(1.5 + floor))
    np.testing.assert_allclose(own[[0, 4, 6], 0], np.log(floor))
    assert own[5, 0] == pytest.approx(np.log(1.0 + floor))
    # the larger of the frames before and after: frames 4 and 6 see frame 5's step
    np.testing.assert_allclose(near[[4, 6], 0], np.log(1.0 + floor))
    np.testing.assert_allclose(near[[2, 5], 0], np.log(floor))
    np.testing.assert_allclose(other[:, 0], own[:, 1])
    probability = probability_from_features(features)
    # frames with every image feature: the image model; the others (frame 8's right ankle,
    # frames 7 and 9 (their neighbour) and frame 8's left ankle (its partner)): the lifted one
    unseen = np.zeros((12, 2), dtype=bool)
    unseen[[7, 8, 9], 0] = unseen[8, 1] = True
    np.testing.assert_allclose(probability[unseen], LIFTED_MODEL(
        features[..., :len(FEATURES)])[unseen], rtol=1e-12)
    np.testing.assert_allclose(probability[~unseen], IMAGE_MODEL(features[~unseen]), rtol=1e-12)
    # the lifted 3D of both feet stands still: the foot still in 2D stays planted, the one
    # moving in 2D is less likely in contact than the lifted features alone would say
    lifted_only = LIFTED_MODEL(features[0, :, :len(FEATURES)])
    assert probability[0, 0] > 0.95 and lifted_only[1] > 0.95
    assert probability[0, 1] < 0.7
    with pytest.raises(PoseInputError):
        contact_features(world, cam, np.array([90.0, 90.0]), LEG_MM, FPS, image_speed[:, :1])
