import numpy as np
import pytest

from posemachines.skeleton import JOINTS16_NAMES
from posemachines.training.augment import (
    NO_NOISE,
    DetectorNoiseConfig,
    add_detector_noise,
    flip_clips,
    person_size_px,
)


def _clips(batch=8, frames=6):
    rng = np.random.default_rng(0)
    xy = rng.uniform(100, 300, size=(batch, frames, 16, 2))
    conf = np.ones((batch, frames, 16), dtype=np.float32)
    return xy, conf


def test_person_size_is_the_first_frame_bbox_diagonal():
    xy = np.zeros((1, 2, 16, 2))
    xy[0, 0, 1] = [30, 40]
    assert person_size_px(xy)[0] == pytest.approx(50.0)


def test_no_noise_config_changes_nothing():
    xy, conf = _clips()
    noisy, noisy_conf = add_detector_noise(xy, conf, np.random.default_rng(1), NO_NOISE)
    np.testing.assert_array_equal(noisy, xy)
    np.testing.assert_array_equal(noisy_conf, conf)


def test_jitter_scales_with_person_size():
    xy, conf = _clips(batch=64)
    config = DetectorNoiseConfig(jitter_frac=(0.02, 0.02), outlier_prob=0, drop_prob=0,
                                 occlusion_clip_prob=0, swap_prob=0, temporal_jitter_prob=0)
    noisy, _ = add_detector_noise(xy, conf, np.random.default_rng(2), config)
    sigma = (noisy - xy).std()
    expected = 0.02 * person_size_px(xy).mean()
    assert sigma == pytest.approx(expected, rel=0.1)


def test_dropped_joints_get_zero_confidence_at_the_configured_rate():
    xy, conf = _clips(batch=200)
    config = DetectorNoiseConfig(jitter_frac=(0, 0), drop_prob=0.1, occlusion_clip_prob=0,
                                 outlier_prob=0, swap_prob=0, temporal_jitter_prob=0)
    _, noisy_conf = add_detector_noise(xy, conf, np.random.default_rng(3), config)
    assert (noisy_conf == 0).mean() == pytest.approx(0.1, abs=0.01)


def test_noise_is_a_pure_function_of_the_seed():
    xy, conf = _clips()
    a = add_detector_noise(xy, conf, np.random.default_rng(5))
    b = add_detector_noise(xy, conf, np.random.default_rng(5))
    np.testing.assert_array_equal(a[0], b[0])
    np.testing.assert_array_equal(a[1], b[1])


def test_flip_mirrors_2d_in_the_image_and_3d_about_x():
    xy, conf = _clips(batch=2, frames=1)
    pose = np.random.default_rng(4).normal(size=(2, 1, 16, 3))
    width = np.array([640.0, 640.0])
    flip = np.array([True, False])
    fxy, fpose, _ = flip_clips(xy, pose, conf, width, flip)
    lw, rw = JOINTS16_NAMES.index("LWrist"), JOINTS16_NAMES.index("RWrist")
    assert fxy[0, 0, lw, 0] == pytest.approx(640.0 - xy[0, 0, rw, 0])
    assert fxy[0, 0, lw, 1] == pytest.approx(xy[0, 0, rw, 1])
    assert fpose[0, 0, lw, 0] == pytest.approx(-pose[0, 0, rw, 0])
    np.testing.assert_array_equal(fxy[1], xy[1])
