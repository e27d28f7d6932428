"""The geometric correction's hand-written gradient (`correction.clip_energy`) against central
differences of its energy, on a small random clip where every term is active: joints behind
the camera's minimum depth (clamped), joints moved beyond the displacement hinge, the
acceleration prior, planted ankles, and both parametrisations (bone vectors of fixed length,
free joints)."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.correction.clip_energy import ClipEnergy, ClipObjective
from posemachines.correction.root_translation import MIN_DEPTH_MM
from posemachines.skeleton import bone_lengths
from tests.correction.synthetic_clip import walking_clip

FRAMES = 6
MAX_DISPLACEMENT_MM = 40.0


def _problem(per_video_skeleton: bool) -> tuple[ClipObjective, np.ndarray]:
    """A clip's objective and a point (flat variables) away from its start."""
    rng = np.random.default_rng(0)
    reference, _ = walking_clip(FRAMES)
    reference = reference + rng.normal(0.0, 20.0, reference.shape)
    reference -= reference[:, :1]
    translation = np.stack([rng.normal(0.0, 100.0, FRAMES), rng.normal(0.0, 100.0, FRAMES),
                            np.linspace(3000.0, 3300.0, FRAMES)], axis=-1)
    translation[2, 2] = 0.0  # about half of this frame's joints lie behind the minimum depth
    energy = ClipEnergy(
        reference, centred_px=rng.normal(0.0, 200.0, (FRAMES, 16, 2)),
        data_weight=2.0 * rng.uniform(0.0, 1.0, (FRAMES, 16)),
        sigma_px=rng.uniform(3.0, 8.0, FRAMES), f_px=np.array([1000.0, 1100.0]),
        pose_sigma_mm=rng.uniform(10.0, 60.0, (3, 1, 16)),
        max_displacement_mm=MAX_DISPLACEMENT_MM, accel_weight=0.05,
        planted_weight=rng.uniform(0.0, 0.3, (FRAMES - 1, 16)) * (rng.random(16) < 0.5),
    )
    lengths = np.median(bone_lengths(reference), axis=0) if per_video_skeleton else None
    objective = ClipObjective(energy, reference, translation, lengths)
    x = objective.start + rng.normal(0.0, 30.0, objective.start.shape)
    pose, shift = objective.unpack(x)
    depth = (pose + shift[:, None])[..., 2]
    assert (depth < MIN_DEPTH_MM - 1.0).any() and (depth > MIN_DEPTH_MM + 1.0).any()
    moved = np.linalg.norm(pose - reference, axis=-1)
    assert (moved > MAX_DISPLACEMENT_MM + 1.0).any() and (moved < MAX_DISPLACEMENT_MM).any()
    return objective, x


def _central_differences(objective: ClipObjective, x: np.ndarray, step: float) -> np.ndarray:
    gradient = np.empty_like(x)
    for k in range(len(x)):
        up, down = x.copy(), x.copy()
        up[k] += step
        down[k] -= step
        gradient[k] = (objective(up)[0] - objective(down)[0]) / (2.0 * step)
    return gradient


@pytest.mark.parametrize("per_video_skeleton", [True, False])
def test_gradient_matches_central_differences(per_video_skeleton: bool) -> None:
    objective, x = _problem(per_video_skeleton)
    value, gradient = objective(x)
    assert gradient.shape == x.shape and np.isfinite(value)
    numeric = _central_differences(objective, x, step=1e-3)
    error = np.linalg.norm(gradient - numeric) / np.linalg.norm(numeric)
    assert error < 1e-5
    # every coordinate, not only the bulk: the clamped and hinged joints are a few of them
    np.testing.assert_allclose(gradient, numeric, rtol=1e-4,
                               atol=1e-6 * np.abs(numeric).max())


def test_clamped_depths_have_no_depth_gradient_from_the_reprojection() -> None:
    # One joint, one frame, behind the minimum depth: moving it along z changes nothing.
    reference = np.zeros((1, 16, 3))
    energy = ClipEnergy(reference, centred_px=np.full((1, 16, 2), 50.0),
                        data_weight=np.ones((1, 16)), sigma_px=np.ones(1),
                        f_px=np.array([1000.0, 1000.0]), pose_sigma_mm=np.full((3, 1, 16), 1e9),
                        max_displacement_mm=1e9, accel_weight=0.0)
    pose = np.zeros((3, 1, 16))
    pose[2] = -5.0
    _, grad_pose, grad_translation = energy(pose, np.zeros((3, 1)))
    np.testing.assert_allclose(grad_pose[2], 0.0, atol=1e-12)
    assert grad_translation[2, 0] == pytest.approx(0.0, abs=1e-12)
    assert np.abs(grad_pose[:2]).min() > 0.0  # x and y still pull towards the 2D
