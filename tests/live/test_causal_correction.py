"""The causal geometric correction: its numpy root placement equals `root_translation`'s, its
skeleton is exact and constant, and a pose that already fits its 2D is left where it is."""

from __future__ import annotations

import numpy as np

from posemachines.correction.causal import (
    CausalCorrectionConfig,
    CausalGeometricCorrector,
    place_root,
    repose,
)
from posemachines.correction.root_translation import solve_root_translation
from posemachines.skeleton import bone_lengths, to_joints16
from tests.data.synthetic import synthetic_h36m32_world_mm

F_PX, SIZE = 1000.0, (1280, 720)
CENTRE = np.array([640.0, 360.0])


def walk(frames: int) -> np.ndarray:
    """(T, 16, 3) mm root-relative poses of a synthetic person with one skeleton (its median
    bone lengths), camera frame (y down)."""
    joints = to_joints16(synthetic_h36m32_world_mm(frames, np.random.default_rng(3)), "h36m32")[0]
    camera = np.stack([joints[..., 0], -joints[..., 2], joints[..., 1]], axis=-1)
    return repose(camera - camera[:, :1], np.median(bone_lengths(camera), axis=0))


def project(points: np.ndarray) -> np.ndarray:
    return F_PX * points[..., :2] / points[..., 2:] + CENTRE


def test_place_root_matches_root_translation():
    pose = walk(1)[0]
    truth = np.array([150.0, -80.0, 3500.0])
    uv = project(pose + truth) + np.random.default_rng(0).normal(0, 3, (16, 2))
    weights = np.random.default_rng(1).uniform(0.3, 1.0, 16)
    weights[4] = 0.0
    reference = solve_root_translation(pose[None], uv[None], weights[None], F_PX, CENTRE, 3)[0]
    ours = place_root(pose, uv - CENTRE, weights, np.array([F_PX, F_PX]), 3)
    np.testing.assert_allclose(ours, reference, atol=1e-6)
    assert np.isnan(place_root(pose, uv - CENTRE, np.eye(16)[0], np.array([F_PX, F_PX]), 3)).all()


def test_repose_keeps_directions_and_sets_the_lengths():
    pose = walk(1)[0]
    lengths = np.linspace(100.0, 400.0, 15)
    out = repose(pose, lengths)
    np.testing.assert_allclose(bone_lengths(out[None])[0], lengths, rtol=1e-9)
    np.testing.assert_array_equal(out[0], 0.0)
    bone = out[2] - out[1]
    original = pose[2] - pose[1]
    np.testing.assert_allclose(bone / np.linalg.norm(bone), original / np.linalg.norm(original))


def test_skeleton_from_the_history_removes_bone_length_jitter_and_finds_the_person():
    """The network's poses are the truth with each frame's bones 5 % longer or shorter at
    random; the 2D is the truth's, with 0.5 px of noise. From the first fit to the next every
    frame has the same skeleton, close to the true one, and the root lands on the person."""
    frames = 60
    poses = walk(frames)
    true_lengths = bone_lengths(poses[:1])[0]
    rng = np.random.default_rng(2)
    jitter = 1.0 + 0.05 * rng.standard_normal((frames, 15))
    network = np.stack([repose(pose, true_lengths * scale)
                        for pose, scale in zip(poses, jitter, strict=True)])
    translation = np.array([200.0, 100.0, 4000.0]) + np.arange(frames)[:, None] * [5.0, 0.0, 0.0]
    uv = project(poses + translation[:, None]) + rng.normal(0.0, 0.5, (frames, 16, 2))
    corrector = CausalGeometricCorrector(SIZE, focal_px=F_PX, fps=30.0)
    out = [corrector.update(network[t], uv[t], np.ones(16), t / 30.0) for t in range(frames)]
    config = CausalCorrectionConfig()
    start = config.first_fit - 1  # the first_fit-th frame is the first fitted
    corrected = np.stack([frame.pose3d_mm for frame in out[start:]]).astype(np.float64)
    lengths = bone_lengths(corrected)
    between_fits = lengths[:config.refit_every]
    np.testing.assert_allclose(between_fits, between_fits[:1].repeat(config.refit_every, 0),
                               atol=1e-3)
    np.testing.assert_allclose(lengths[-1], true_lengths, rtol=0.03)
    error_in = np.linalg.norm(network[start:] - poses[start:], axis=-1).mean()
    error_out = np.linalg.norm(corrected - poses[start:], axis=-1).mean()
    assert error_out < 0.5 * error_in
    placed = np.stack([frame.root_translation_mm for frame in out[start:]])
    np.testing.assert_allclose(placed[:, 2], translation[start:, 2], rtol=0.03)
    np.testing.assert_allclose(placed[:, :2], translation[start:, :2], atol=20.0)


def test_background_refit_lands_later_but_fits_the_same_skeleton():
    """With the refit in a worker thread the first fit is still made on the frame it is due
    (nothing to correct with before it); later fits arrive a frame or more after they were
    asked for, computed on the same history, so they give the same skeleton."""
    frames = 45
    poses = walk(frames)
    uv = project(poses + np.array([100.0, 50.0, 3800.0]))
    confidence = np.ones(16)
    config = CausalCorrectionConfig(refit_every=10, background_refit=True)
    inline = CausalGeometricCorrector(SIZE, focal_px=F_PX, fps=30.0,
                                      config=CausalCorrectionConfig(refit_every=10))
    background = CausalGeometricCorrector(SIZE, focal_px=F_PX, fps=30.0, config=config)
    first = config.first_fit - 1
    for t in range(frames):
        inline.update(poses[t], uv[t], confidence, t / 30.0)
        background.update(poses[t], uv[t], confidence, t / 30.0)
        if t == first:  # the first fit is inline in both
            np.testing.assert_allclose(background.bone_lengths_mm, inline.bone_lengths_mm)
    background.settle()
    np.testing.assert_allclose(background.bone_lengths_mm, inline.bone_lengths_mm, rtol=0.01)
