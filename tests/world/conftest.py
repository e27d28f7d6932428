"""Fixtures of the world tests: the real Bandai Namco walk seen by known cameras."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.world.pipeline import WorldMotion, to_world
from tests.world.synthetic import (
    EYE_MM,
    FPS,
    HEADING_DEG,
    PITCH_DEG,
    ROLL_DEG,
    camera_rotation,
    load_walk,
    noisy_view,
    split,
    static_view,
    view,
)


@pytest.fixture(scope="session")
def walk_world(shared_data: Path) -> np.ndarray:
    """(273, 16, 3) world mm, Y up: Bandai Namco 2 'walk normal 001', 10 m along +Z."""
    return load_walk(shared_data)


@pytest.fixture(scope="session")
def static_clip(walk_world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(pose (T, 16, 3), translation (T, 3)) camera frame: pitch 15, roll 5, height 1.5 m."""
    return static_view(walk_world)


@pytest.fixture(scope="session")
def noisy_clip(static_clip: tuple[np.ndarray, np.ndarray]) -> tuple[np.ndarray, np.ndarray]:
    """The static clip with estimator-like errors (bone directions, depth-heavy root)."""
    return noisy_view(*static_clip, seed=0)


@pytest.fixture(scope="session")
def moving_clip(walk_world: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """The walk seen by a camera whose pitch drifts from 15 to 30 deg over the clip."""
    frames = len(walk_world)
    rotations = np.stack([camera_rotation(PITCH_DEG + 15.0 * t / (frames - 1), ROLL_DEG,
                                          HEADING_DEG) for t in range(frames)])
    return split(view(walk_world, rotations, EYE_MM))


@pytest.fixture(scope="session")
def clean_motion(static_clip: tuple[np.ndarray, np.ndarray]) -> WorldMotion:
    return to_world(*static_clip, None, FPS, metric=True)


@pytest.fixture(scope="session")
def noisy_motion(noisy_clip: tuple[np.ndarray, np.ndarray]) -> WorldMotion:
    return to_world(*noisy_clip, None, FPS, metric=True)
