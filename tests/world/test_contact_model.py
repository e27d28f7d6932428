"""The learned contact probability: its features by hand, scale, and the feet it reads."""

from __future__ import annotations

import numpy as np
import pytest
from scipy.special import expit

from posemachines.errors import PoseInputError
from posemachines.world.contact_model import (
    BIAS,
    FEATURES,
    SPEED_FLOOR_LEG_PER_S,
    WEIGHTS,
    contact_features,
    learned_contact_probability,
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
    return float(WEIGHTS[FEATURES.index(name)])


def test_two_still_feet_by_hand() -> None:
    # Both ankles still at their rest heights (the left one 28 mm higher than the right): every
    # speed is 0, so each log speed is log(0.05) and every height 0.
    world, cam = scene(0.0, 0.0, rest=(90.0, 118.0))
    still = np.log(SPEED_FLOOR_LEG_PER_S)
    expected = expit(BIAS + still * (weight("log_viewed_speed") + weight("log_across_speed")
                                     + weight("log_along_speed")
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
