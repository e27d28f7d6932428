"""Moving-camera check: the floor in sliding windows must stay put in camera coordinates."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.world.camera_motion import CameraMotionConfig, detect_camera_motion
from tests.world.synthetic import (
    EYE_MM,
    HEADING_DEG,
    PITCH_DEG,
    ROLL_DEG,
    camera_rotation,
    noisy_view,
    split,
    view,
)


def _joints(clip: tuple[np.ndarray, np.ndarray]) -> np.ndarray:
    return clip[0] + clip[1][:, None]


def test_static_camera_is_static(static_clip) -> None:
    motion = detect_camera_motion(_joints(static_clip), fps=30.0)
    assert not motion.moving and motion.reason == ""
    assert np.isfinite(motion.window_height_mm).sum() >= 5
    assert motion.tilt_drift_deg < 2.0 and motion.height_drift_mm < 30.0


def test_pitch_drifting_15_degrees_is_flagged(moving_clip) -> None:
    motion = detect_camera_motion(_joints(moving_clip), fps=30.0)
    assert motion.moving
    assert motion.tilt_drift_deg > 5.0
    assert "tilts" in motion.reason and motion.reason.endswith(".")


def test_tilt_within_its_standard_errors_is_not_flagged(moving_clip) -> None:
    """The 15-deg drift is ~3 standard errors of the windows' normals; asking for 4 lets it
    pass as noise (a dancer's crowded prints tilt static windows by 5-10 deg at ~1 s.e.)."""
    joints = _joints(moving_clip)
    assert 2.0 < float(detect_camera_motion(joints, 30.0).reason.split("(")[1].split()[0]) < 4.0
    strict = detect_camera_motion(joints, 30.0, config=CameraMotionConfig(min_tilt_z=4.0))
    assert "tilts" not in strict.reason and strict.tilt_drift_deg > 10.0
    lenient = detect_camera_motion(joints, 30.0, config=CameraMotionConfig(min_tilt_z=0.0))
    assert "tilts" in lenient.reason


def test_camera_lifted_mid_clip_is_flagged_by_height(walk_world) -> None:
    """A tripod raised by 300 mm within half a second. (A steady rise while the person walks
    steadily looks exactly like a static camera over a sloping floor; it cannot be told.)"""
    frames = len(walk_world)
    rotation = camera_rotation(PITCH_DEG, ROLL_DEG, HEADING_DEG)
    lift = 300.0 * np.clip((np.arange(frames) - 130) / 15.0, 0.0, 1.0)
    eye = EYE_MM + lift[:, None] * np.array([0.0, 1.0, 0.0])
    joints = np.einsum("ij,tkj->tki", rotation, walk_world - eye[:, None, :])
    motion = detect_camera_motion(joints, fps=30.0)
    assert motion.moving and "moves by" in motion.reason
    assert motion.height_drift_mm > 120.0


@pytest.mark.parametrize("seed", [0, 1, 2])
def test_estimator_like_errors_keep_both_verdicts(static_clip, moving_clip, seed: int) -> None:
    assert not detect_camera_motion(_joints(noisy_view(*static_clip, seed=seed)), 30.0).moving
    assert detect_camera_motion(_joints(noisy_view(*moving_clip, seed=seed)), 30.0).moving


def test_clip_shorter_than_two_windows_is_not_judged(static_clip) -> None:
    motion = detect_camera_motion(_joints(static_clip)[:80], fps=30.0)
    assert not motion.moving and np.isnan(motion.tilt_drift_deg)


def test_split_round_trip(static_clip) -> None:
    pose, translation = split(_joints(static_clip))
    np.testing.assert_allclose(pose[:, 0], 0.0)
    np.testing.assert_allclose(translation, static_clip[1])
    assert view(np.zeros((1, 1, 3)), np.eye(3), np.ones(3)).tolist() == [[[-1.0, -1.0, -1.0]]]
