"""Body-orientation augmentation: whole clips tilted away from upright, wired into training."""

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16, bone_lengths
from posemachines.training.augment import NO_NOISE
from posemachines.training.mocap_views import MocapViewConfig, MocapViews
from posemachines.training.orientation import OrientationConfig, tilt_clips, tilt_rotations
from tests.training.test_anthropometry import STANDING, lifter_task_for, mocap_npz  # noqa: F401

THORAX = JOINTS16.names.index("Thorax")
ALWAYS = OrientationConfig(probability=1.0, tilt_deg=(0.0, 180.0))


def _body_axis_tilt_deg(world: np.ndarray) -> np.ndarray:
    """Angle (deg) between hip->thorax and the vertical, (..., 16, 3) -> (...)."""
    axis = world[..., THORAX, :] - world[..., 0, :]
    return np.degrees(np.arccos(axis[..., 1] / np.linalg.norm(axis, axis=-1)))


def test_rotations_are_proper_and_tilt_about_a_horizontal_axis():
    rng = np.random.default_rng(0)
    rotations = tilt_rotations(rng.uniform(0, 6.3, 50), rng.uniform(0, np.pi, 50))
    np.testing.assert_allclose(rotations @ rotations.transpose(0, 2, 1),
                               np.broadcast_to(np.eye(3), (50, 3, 3)), atol=1e-12)
    np.testing.assert_allclose(np.linalg.det(rotations), 1.0)
    # Heading 0: axis +x; a quarter turn sends up (+y) to +z (right-hand rule).
    quarter = tilt_rotations(np.array([0.0]), np.array([np.pi / 2]))[0]
    np.testing.assert_allclose(quarter @ [0.0, 1.0, 0.0], [0.0, 0.0, 1.0], atol=1e-12)


def test_tilted_clips_keep_their_shape_and_tilt_by_the_drawn_angle():
    world = np.broadcast_to(STANDING, (200, 3, 16, 3)).copy()
    out = tilt_clips(np.random.default_rng(1), world, ALWAYS)
    np.testing.assert_allclose(bone_lengths(out), bone_lengths(world), atol=1e-9)
    # Upright body: its axis tilts by exactly the drawn angle, uniform over (0, 180).
    rng = np.random.default_rng(1)
    rng.uniform(0.0, 2.0 * np.pi, 200)
    drawn = rng.uniform(0.0, 180.0, 200)
    np.testing.assert_allclose(_body_axis_tilt_deg(out[:, 0]), drawn, atol=1e-6)
    # The lowest joint keeps its height: a lying body rests near the ground.
    np.testing.assert_allclose(out[..., 1].min(axis=(1, 2)), STANDING[:, 1].min())
    # The first-frame root keeps its horizontal place.
    np.testing.assert_allclose(out[:, 0, 0, [0, 2]], world[:, 0, 0, [0, 2]], atol=1e-9)


def test_probability_picks_clips_and_zero_changes_nothing():
    world = np.broadcast_to(STANDING, (400, 2, 16, 3)).copy()
    unchanged = tilt_clips(np.random.default_rng(2), world, OrientationConfig(probability=0.0))
    np.testing.assert_array_equal(unchanged, world)
    out = tilt_clips(np.random.default_rng(2), world, OrientationConfig(probability=0.3))
    changed = np.any(np.abs(out - world) > 1e-9, axis=(1, 2, 3))
    assert 0.22 < changed.mean() < 0.38
    tilts = _body_axis_tilt_deg(out[changed, 0])
    assert tilts.min() >= 20.0 - 1e-6 and tilts.max() <= 110.0 + 1e-6  # the default range


@pytest.mark.parametrize("kwargs", [
    {"probability": -0.1}, {"tilt_deg": (90.0, 10.0)}, {"tilt_deg": (0.0, 200.0)},
])
def test_bad_configs_raise(kwargs):
    with pytest.raises(PoseDataError):
        OrientationConfig(**kwargs)


def test_bad_poses_raise():
    with pytest.raises(PoseDataError, match="must be"):
        tilt_clips(np.random.default_rng(0), np.zeros((2, 16, 3)), ALWAYS)


def test_views_see_tilted_bodies_with_their_bone_lengths():
    positions = np.broadcast_to(STANDING, (30, 16, 3)).copy()
    views = MocapViews(positions, np.array([0, 30]), MocapViewConfig(
        clip_length=4, flip_prob=0.0, noise=NO_NOISE, orientation=ALWAYS))
    batch = views.sample(np.random.default_rng(3), 64, noisy=False)
    np.testing.assert_allclose(bone_lengths(batch.pose3d_mm.astype(np.float64)),
                               np.broadcast_to(bone_lengths(STANDING), (64, 4, 15)), atol=0.01)
    # Camera frame: y points down the image; an upright body's axis is near -y.
    axis = batch.pose3d_mm[:, 0, THORAX] / np.linalg.norm(batch.pose3d_mm[:, 0, THORAX], axis=-1,
                                                          keepdims=True)
    assert (axis[:, 1] > -0.5).mean() > 0.3  # many bodies far from upright in the image


def test_task_orientation_is_off_by_default_and_never_on_validation(mocap_npz):  # noqa: F811
    assert lifter_task_for(mocap_npz).view_config(validation=False).orientation is None
    task = lifter_task_for(mocap_npz, orientation={"probability": 0.4})
    assert task.view_config(validation=False).orientation == OrientationConfig(probability=0.4)
    assert task.view_config(validation=True).orientation is None
