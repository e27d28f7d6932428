"""Floor fit from footprints: runs, RANSAC, per-foot bias, trunk prior where prints can't tell."""

from __future__ import annotations

import warnings

import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.world.floor_fit import (
    FloorFitConfig,
    Footprints,
    UpPrior,
    body_prior,
    candidate_contacts,
    fit_floor,
    footprints,
    merge_same_spots,
)
from tests.world.synthetic import load_walk

LEG_MM = 800.0


def _frame(up: np.ndarray) -> np.ndarray:
    """(3, 3) rows: two unit directions on the plane with normal `up`, then `up`."""
    first = np.cross(up, [1.0, 0.0, 0.0])
    first /= np.linalg.norm(first)
    return np.stack([first, np.cross(up, first), up])


def _prior(up: np.ndarray, sigma_deg: float = 3.0) -> UpPrior:
    return UpPrior(up=up / np.linalg.norm(up), precision=np.eye(3) / np.radians(sigma_deg) ** 2)


def _tilted(up: np.ndarray, degrees: float) -> np.ndarray:
    axes = _frame(up)
    angle = np.radians(degrees)
    return np.cos(angle) * up + np.sin(angle) * axes[0]


def test_footprints_are_run_medians_and_skip_short_runs() -> None:
    feet = np.zeros((12, 2, 3))
    feet[:, 0, 0] = np.arange(12)
    feet[:, 1, 2] = 100.0
    mask = np.zeros((12, 2), dtype=bool)
    mask[1:6, 0] = True      # 5 frames: kept, median x = 3
    mask[8:9, 0] = True      # 1 frame: shorter than 0.1 s at 30 fps (3 frames)
    mask[4:12, 1] = True
    prints = footprints(feet, mask, fps=30.0)
    assert prints.feet.tolist() == [0, 1]
    np.testing.assert_allclose(prints.positions_mm[0], [3.0, 0.0, 0.0])
    assert (prints.start.tolist(), prints.stop.tolist()) == ([1, 4], [6, 12])


def test_prints_along_one_viewing_ray_are_one_spot() -> None:
    ray = np.array([100.0, 600.0, 4000.0]) / 4000.0
    points = np.stack([ray * 3600.0, ray * 4000.0, ray * 4400.0,  # one spot, depth swinging
                       ray * 4000.0 + [300.0, 0.0, 0.0],          # a step to the side
                       ray * 4000.0])                             # the other foot, same spot
    prints = Footprints(points, np.array([0, 0, 0, 0, 1]), np.array([0, 10, 20, 30, 0]),
                        np.array([5, 15, 25, 35, 40]))
    merged = merge_same_spots(prints, LEG_MM)
    assert merged.feet.tolist() == [0, 0, 1]
    np.testing.assert_allclose(merged.positions_mm[0], ray * 4000.0)
    assert (merged.start.tolist(), merged.stop.tolist()) == ([0, 30, 0], [25, 35, 40])


def test_candidates_are_slow_and_low() -> None:
    t = np.arange(30)
    feet = np.zeros((30, 2, 3))
    feet[:, 0, 1] = -150.0 * (t >= 15)          # foot 0 lifted (camera y down) from frame 15
    feet[:, 1, 0] = 50.0 * t                    # foot 1 slides at 1500 mm/s
    mask = candidate_contacts(feet, 30.0, np.array([0.0, -1.0, 0.0]), LEG_MM)
    assert mask[:10, 0].all() and not mask[20:, 0].any()
    assert not mask[:, 1].any()


def test_two_dimensional_prints_decide_the_tilt_over_the_prior() -> None:
    true_up = np.array([0.0, -np.cos(0.3), -np.sin(0.3)])
    axes = _frame(true_up)
    rng = np.random.default_rng(0)
    spots = rng.uniform(-1500.0, 1500.0, size=(30, 2)) @ axes[:2] + np.array([0, 1400, 5000.0])
    prints = Footprints(spots, np.arange(30) % 2, np.zeros(30, int), np.ones(30, int))
    fit = fit_floor(prints, _prior(_tilted(true_up, 5.0)), LEG_MM, 2)
    angle = np.degrees(np.arccos(np.clip(fit.normal @ true_up, -1, 1)))
    assert angle < 0.05
    assert fit.seen_directions == 2
    # Offset: the plane through the spots, normal @ X + offset = 0.
    assert fit.offset_mm == pytest.approx(-(true_up @ spots[0]), abs=0.5)


def test_straight_walk_prints_with_a_foot_bias_do_not_tilt_the_floor_sideways() -> None:
    up = np.array([0.0, -1.0, 0.0])
    along = np.arange(12) * 650.0
    right = np.stack([-60.0 + 0 * along, 0 * along, along], axis=-1)
    left = np.stack([60.0 + 0 * along, 0 * along - 10.0, along + 325.0], axis=-1)  # 10 mm higher
    prints = Footprints(np.concatenate([right, left]), np.repeat([0, 1], 12),
                        np.zeros(24, int), np.ones(24, int))
    fit = fit_floor(prints, _prior(up), LEG_MM, 2)
    # Read as a tilt, 10 mm over 120 mm would be 4.8 deg; the per-foot bias takes it instead.
    assert np.degrees(np.arccos(fit.normal @ up)) < 0.1
    assert fit.seen_directions == 1
    assert fit.foot_bias_mm[1] - fit.foot_bias_mm[0] == pytest.approx(-10.0, abs=1.0)


def test_ransac_and_soft_l1_ignore_raised_outliers() -> None:
    true_up = _tilted(np.array([0.0, -1.0, 0.0]), 12.0)
    axes = _frame(true_up)
    rng = np.random.default_rng(1)
    spots = rng.uniform(-2000.0, 2000.0, size=(40, 2)) @ axes[:2] + np.array([0, 1500, 6000.0])
    spots[::5] += 150.0 * true_up  # every fifth footprint 150 mm too high
    prints = Footprints(spots, np.zeros(40, int), np.zeros(40, int), np.ones(40, int))
    fit = fit_floor(prints, _prior(np.array([0.0, -1.0, 0.0]), 10.0), LEG_MM, 1)
    assert np.degrees(np.arccos(fit.normal @ true_up)) < 0.2
    assert fit.inliers.tolist() == [k % 5 != 0 for k in range(40)]


def test_standing_still_keeps_the_prior() -> None:
    up = _tilted(np.array([0.0, -1.0, 0.0]), 7.0)
    spots = np.array([[-100.0, 900.0, 3000.0], [100.0, 905.0, 3000.0]])
    fit = fit_floor(Footprints(spots, np.array([0, 1]), np.zeros(2, int), np.ones(2, int)),
                    _prior(up), LEG_MM, 2)
    assert np.allclose(fit.normal, up, atol=1e-6)
    assert fit.seen_directions == 0
    assert fit.normal_sigma_deg == pytest.approx(3.0, rel=1e-3)


def test_one_footprint_is_refused() -> None:
    with pytest.raises(PoseInputError):
        fit_floor(Footprints(np.zeros((1, 3)), np.zeros(1, int), np.zeros(1, int),
                             np.ones(1, int)), _prior(np.array([0.0, -1, 0])), LEG_MM, 1,
                  FloorFitConfig())


@pytest.mark.parametrize(("extent_mm", "ratio", "follows_prints"), [
    (250.0, None, False),  # a dance in place: the body's up decides (default ratio 40)
    (250.0, 10.0, True),   # the old ratio let 6 mm of height noise over 25 cm tilt the floor
    (2500.0, None, True),  # prints spread over metres decide, as for a walk
])
def test_prints_crowded_on_one_spot_leave_the_tilt_to_the_body(extent_mm, ratio,
                                                               follows_prints) -> None:
    body_up = np.array([0.0, -1.0, 0.0])
    prints_up = _tilted(body_up, 8.0)  # the plane the lifted prints lie on
    axes = _frame(prints_up)
    rng = np.random.default_rng(2)
    spots = rng.uniform(-extent_mm, extent_mm, size=(24, 2)) @ axes[:2] + [0, 1500, 5000.0]
    spots += rng.normal(0.0, 6.0, size=(24, 1)) * prints_up
    prints = Footprints(spots, np.arange(24) % 2, np.zeros(24, int), np.ones(24, int))
    config = FloorFitConfig() if ratio is None else FloorFitConfig(spread_noise_ratio=ratio)
    fit = fit_floor(prints, _prior(body_up), LEG_MM, 2, config)
    to_prints = np.degrees(np.arccos(np.clip(fit.normal @ prints_up, -1, 1)))
    to_body = np.degrees(np.arccos(np.clip(fit.normal @ body_up, -1, 1)))
    if follows_prints:  # the prior still pulls a little against 24 prints
        assert to_prints < 2.0 and fit.seen_directions == 2
    else:
        assert to_body < 0.5 and fit.seen_directions == 0


def test_legs_above_the_thorax_still_give_a_finite_prior(shared_data) -> None:
    """Garbage 3D (an untrained lifter) may hold the feet above the thorax in every frame:
    the tallest frames are still chosen, with no empty mean and no NaN."""
    walk = load_walk(shared_data)[:60] * np.array([1.0, -1.0, 1.0])  # camera: y points down
    legs = [2, 3, 5, 6]  # RKnee, RFoot, LKnee, LFoot mirrored above the hips
    walk[:, legs, 1] = 2 * walk[:, :1, 1] - walk[:, legs, 1]
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        prior = body_prior(walk)
    assert np.isfinite(prior.up).all() and np.isfinite(prior.precision).all()
