"""A person on one spot (Bandai Namco 'bow', trunk leaning up to ~60 deg) seen from the front
by a camera at chest height pitched slightly down: the floor must come from the body's stance,
not from its leaning trunk, and the root must not wander."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.skeleton import trunk_axes
from posemachines.world import to_world
from tests.world.synthetic import BOW, FPS, front_view, load_walk, noisy_view

HEIGHT_MM, PITCH_DEG, ROLL_DEG = 1300.0, 8.0, 2.0


@pytest.fixture(scope="module")
def bow_world(shared_data: Path) -> np.ndarray:
    return load_walk(shared_data, BOW)


def _horizontal_wander_mm(root: np.ndarray, truth: np.ndarray) -> float:
    """RMS distance (mm) between the horizontal root paths (X, Z of Y-up frames), each about
    its mean, after the best turn about the vertical (the world's heading is the camera's)."""
    ours = root[:, [0, 2]] - root[:, [0, 2]].mean(axis=0)
    true = truth[:, [0, 2]] - truth[:, [0, 2]].mean(axis=0)
    u, _, vt = np.linalg.svd(ours.T @ true)
    return float(np.sqrt(np.mean(np.sum((ours @ (u @ vt) - true) ** 2, axis=-1))))


def test_the_bow_leans_its_trunk(bow_world) -> None:
    """The premise: the trunk alone would tilt the floor by far more than 3 deg."""
    up, _, _ = trunk_axes(bow_world)
    mean = up.mean(axis=0) / np.linalg.norm(up.mean(axis=0))
    assert np.degrees(np.arccos(mean[1])) > 10.0
    assert np.ptp(bow_world[:, 0, [0, 2]], axis=0).max() < 150.0  # and stays on one spot


@pytest.mark.parametrize("seed", [None, 0, 1])
def test_in_place_camera_and_root(bow_world, seed) -> None:
    pose, translation, _ = front_view(bow_world, HEIGHT_MM, PITCH_DEG, ROLL_DEG)
    if seed is not None:
        pose, translation = noisy_view(pose, translation, seed=seed)
    motion = to_world(pose, translation, None, FPS, metric=True)
    ground = motion.ground
    assert ground is not None and motion.frame == "world"
    assert abs(ground.pitch_deg - PITCH_DEG) < 3.0, ground.pitch_deg  # was +22 (the trunk)
    assert abs(ground.roll_deg - ROLL_DEG) < 3.0, ground.roll_deg
    assert abs(ground.camera_height_mm / HEIGHT_MM - 1.0) < 0.2, ground.camera_height_mm
    assert _horizontal_wander_mm(motion.joints_mm[:, 0], bow_world[:, 0]) < 30.0
    assert motion.contacts is not None and motion.contacts.in_contact.mean() > 0.9
