import numpy as np
import pytest

from posemachines.data.lifter_input import torso_roll_rad, unroll_pose
from posemachines.data.normalization import denormalize_2d, normalize_2d
from posemachines.errors import PoseDataError
from posemachines.training.augment import NO_NOISE
from posemachines.training.mocap_views import MocapViewConfig, MocapViews
from posemachines.training.orientation import OrientationConfig

STANDING = np.array([
    [0, 1000, 0], [-100, 1000, 0], [-100, 550, 0], [-100, 100, 0], [100, 1000, 0],
    [100, 550, 0], [100, 100, 0], [0, 1250, 0], [0, 1500, 0], [0, 1750, 0], [150, 1500, 0],
    [150, 1250, 0], [150, 1000, 0], [-150, 1500, 0], [-150, 1250, 0], [-150, 1000, 0],
], dtype=float)


def _views(clip_length=4, **kwargs):
    rng = np.random.default_rng(0)
    positions = STANDING[None].repeat(40, 0) + rng.normal(scale=5.0, size=(40, 16, 3))
    positions[:, :, 0] += np.linspace(0, 800, 40)[:, None]  # walking along x
    config = MocapViewConfig(clip_length=clip_length, **kwargs)
    return MocapViews(positions, np.array([0, 25, 40]), config), positions


def test_clip_starts_stay_inside_their_take():
    views, _ = _views(clip_length=10)
    starts = set(views.clip_starts.tolist())
    assert starts == set(range(0, 16)) | set(range(25, 31))


def test_take_strides_keep_every_kth_start_of_their_take():
    rng = np.random.default_rng(0)
    positions = STANDING[None].repeat(40, 0) + rng.normal(scale=5.0, size=(40, 16, 3))
    views = MocapViews(positions, np.array([0, 25, 40]), MocapViewConfig(clip_length=10), [3, 1])
    assert views.clip_starts.tolist() == [0, 3, 6, 9, 12, 15] + list(range(25, 31))


def test_too_short_takes_raise():
    with pytest.raises(PoseDataError, match="frames one training clip needs"):
        _views(clip_length=30)


def test_batch_shapes_and_root_relative_targets():
    views, _ = _views()
    batch = views.sample(np.random.default_rng(1), 8)
    assert batch.keypoints.shape == (8, 4, 16, 2)
    assert batch.visibility_root.shape == (8, 4, 18)
    assert batch.pose3d_mm.shape == (8, 4, 16, 3)
    np.testing.assert_allclose(batch.pose3d_mm[:, :, 0], 0.0, atol=1e-4)


def test_clean_views_preserve_bone_lengths_and_reproject():
    views, positions = _views(flip_prob=0.0, noise=NO_NOISE)
    batch = views.sample(np.random.default_rng(2), 16, noisy=False)
    # Rigid camera transforms keep the 3D bone lengths of the source poses.
    thigh = np.linalg.norm(batch.pose3d_mm[..., 2, :] - batch.pose3d_mm[..., 1, :], axis=-1)
    source = np.linalg.norm(positions[:, 2] - positions[:, 1], axis=-1)
    assert thigh.min() >= source.min() - 1e-3 and thigh.max() <= source.max() + 1e-3
    # The encoded 2D is the normalised form of the pixels it came from.
    normalized, _ = normalize_2d(batch.pose2d_px)
    np.testing.assert_allclose(batch.keypoints, normalized, atol=1e-4)
    np.testing.assert_allclose(batch.keypoints, batch.keypoints_clean, atol=1e-6)
    _, params = normalize_2d(batch.pose2d_px)
    np.testing.assert_allclose(denormalize_2d(batch.keypoints, params), batch.pose2d_px, atol=1e-2)


def test_person_is_upright_in_the_camera_frame():
    views, _ = _views(flip_prob=0.0, noise=NO_NOISE)
    batch = views.sample(np.random.default_rng(3), 32, noisy=False)
    head_above_hip = batch.pose3d_mm[..., 9, 1] < batch.pose3d_mm[..., 0, 1]  # y down
    assert head_above_hip.all()


def test_sampling_is_deterministic_per_seed():
    views, _ = _views()
    a = views.sample(np.random.default_rng(7), 4)
    b = views.sample(np.random.default_rng(7), 4)
    np.testing.assert_array_equal(a.keypoints, b.keypoints)
    np.testing.assert_array_equal(a.pose3d_mm, b.pose3d_mm)


def test_upright_roll_turns_each_frame_and_its_target_with_it():
    # Tilted bodies (lying across the image): with upright_roll the same draw comes out with
    # every noisy torso pointing up the image and the 3D target turned about z to match.
    tilt = OrientationConfig(probability=1.0, tilt_deg=(80.0, 100.0))
    plain, _ = _views(orientation=tilt)
    rolled, _ = _views(orientation=tilt, upright_roll=True)
    before = plain.sample(np.random.default_rng(4), 8)
    after = rolled.sample(np.random.default_rng(4), 8)
    angle = torso_roll_rad(before.pose2d_px, before.confidence)
    assert np.abs(angle).max() > np.radians(45.0)
    np.testing.assert_allclose(torso_roll_rad(after.pose2d_px, after.confidence), 0.0, atol=1e-4)
    np.testing.assert_allclose(after.pose3d_mm, unroll_pose(before.pose3d_mm, -angle), atol=1e-2)
    np.testing.assert_array_equal(after.confidence, before.confidence)
