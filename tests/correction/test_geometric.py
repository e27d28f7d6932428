"""Geometric per-video correction on a synthetic clip whose camera and skeleton are known.

The 'lifter output' is the true pose scaled by 0.8 (a wrong body size) plus per-joint noise,
more along the depth axis. What is identifiable: from 2D alone a pose k times larger and k
times farther away projects identically, so the metric scale needs `height_cm`; with it (and
the true focal length) the bone lengths must come out right. Without it only the proportions
can, and the lengths stay at the lifter's scale.
"""

from __future__ import annotations

import dataclasses
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posemachines.correction.clips import LiftedClip
from posemachines.correction.correctors import CORRECTION_METHODS, create_corrector
from posemachines.correction.geometric import GeometricCorrectionConfig, correct_geometric
from posemachines.correction.skeleton_fit import (
    BONE_CHILDREN,
    TRUNK_BONES,
    ancestry_matrix,
    bone_vectors,
    standing_height_mm,
)
from posemachines.errors import PoseInputError
from posemachines.skeleton import bone_lengths
from tests.correction.synthetic_clip import FOCAL_PX, IMAGE_SIZE, project, walking_clip

FRAMES = 90
TRUE_LENGTHS = bone_lengths(walking_clip(1)[0][0])
TRUE_HEIGHT_CM = standing_height_mm(TRUE_LENGTHS) / 10.0


def _lifted_clip(seed: int, sigma_xy: float = 10.0, sigma_depth: float = 40.0,
                 pixel_noise: float = 1.0) -> dict[str, np.ndarray]:
    rng = np.random.default_rng(seed)
    pose, root = walking_clip(FRAMES)
    noise = rng.normal(0.0, 1.0, pose.shape) * np.array([sigma_xy, sigma_xy, sigma_depth])
    noise[:, 0] = 0.0
    return {
        "truth": pose,
        "root": root,
        "lifted": 0.8 * pose + noise,
        "keypoints": project(pose, root) + rng.normal(0.0, pixel_noise, (FRAMES, 16, 2)),
        "confidence": np.ones((FRAMES, 16)),
    }


def _run(clip: dict[str, np.ndarray], **kwargs: object):
    config = kwargs.pop("config", GeometricCorrectionConfig())
    return correct_geometric(clip["lifted"], clip["keypoints"], clip["confidence"],
                             image_size=IMAGE_SIZE, focal_px=FOCAL_PX, config=config, **kwargs)


def _mpjpe(a: np.ndarray, b: np.ndarray) -> float:
    return float(np.linalg.norm(a - b, axis=-1).mean())


def _jitter(pose: np.ndarray) -> float:
    return float(np.linalg.norm(pose[2:] - 2 * pose[1:-1] + pose[:-2], axis=-1).mean())


def test_ancestry_matrix_rebuilds_poses_from_bone_vectors() -> None:
    pose = walking_clip(3)[0]
    rebuilt = ancestry_matrix() @ bone_vectors(pose)
    np.testing.assert_allclose(rebuilt, pose, atol=1e-9)


def test_height_maps_to_the_chain_over_0894() -> None:
    lengths = np.full(15, 100.0)
    # shin + thigh + hip-spine + spine-thorax + thorax-head = 5 bones of 100 mm.
    assert standing_height_mm(lengths) == pytest.approx(500.0 / 0.894)


def test_per_video_skeleton_recovers_bone_lengths_with_known_height() -> None:
    clip = _lifted_clip(seed=0)
    result = _run(clip, height_cm=TRUE_HEIGHT_CM)
    assert result.scale == pytest.approx(1.25, rel=0.03)
    np.testing.assert_allclose(result.bone_lengths_mm, TRUE_LENGTHS, rtol=0.03)
    assert bone_lengths(result.pose3d_mm[result.info.kept]) == pytest.approx(
        np.broadcast_to(result.bone_lengths_mm, (int(result.info.kept.sum()), 15)), rel=1e-6)


def test_without_height_the_scale_stays_the_lifters() -> None:
    clip = _lifted_clip(seed=0)
    result = _run(clip)
    assert result.scale == 1.0
    assert standing_height_mm(result.bone_lengths_mm) == pytest.approx(0.8 * TRUE_HEIGHT_CM * 10,
                                                                       rel=0.03)


def test_correction_places_the_person_and_improves_the_pose() -> None:
    clip = _lifted_clip(seed=1)
    result = _run(clip, height_cm=TRUE_HEIGHT_CM)
    assert result.pose3d_mm.shape == (FRAMES, 16, 3)
    assert result.info.method == "geometric" and result.info.kept.mean() > 0.9
    before = _mpjpe(clip["lifted"] * result.scale, clip["truth"])
    assert _mpjpe(result.pose3d_mm, clip["truth"]) < 0.6 * before
    depth_error = np.abs(result.root_translation_mm - clip["root"])[:, 2]
    assert np.median(depth_error) < 100.0  # 4-4.5 m away


def test_safety_bound_holds_per_joint() -> None:
    clip = _lifted_clip(seed=2, sigma_xy=40.0, sigma_depth=120.0)
    bound = 25.0
    config = GeometricCorrectionConfig(max_displacement_mm=bound)
    result = _run(clip, height_cm=TRUE_HEIGHT_CM, config=config)
    moved = np.linalg.norm(result.pose3d_mm - result.scale * clip["lifted"], axis=-1)
    assert moved.max() <= bound + 1e-6
    assert result.info.displacement_mm.max() <= bound + 1e-6
    assert moved.max() > 0.5 * bound  # the bound is active, not trivially met


def test_corrupted_2d_frame_is_not_made_worse_beyond_the_bound() -> None:
    clip = _lifted_clip(seed=3)
    corrupted = FRAMES // 2
    rng = np.random.default_rng(4)
    clip["keypoints"][corrupted] += rng.normal(0.0, 150.0, (16, 2))
    config = GeometricCorrectionConfig()
    result = _run(clip, config=config)
    lifted_error = np.linalg.norm(clip["lifted"] - 0.8 * clip["truth"], axis=-1)
    error = np.linalg.norm(result.pose3d_mm - 0.8 * clip["truth"], axis=-1)
    assert np.all(error[corrupted] <= lifted_error[corrupted] + config.max_displacement_mm)
    neighbours = [corrupted - 2, corrupted - 1, corrupted + 1, corrupted + 2]
    assert error[neighbours].mean() < lifted_error[neighbours].mean()


def test_temporal_prior_reduces_jitter() -> None:
    clip = _lifted_clip(seed=5, sigma_xy=25.0, sigma_depth=60.0, pixel_noise=3.0)
    without = _run(clip, config=GeometricCorrectionConfig(temporal_weight=0.0))
    with_prior = _run(clip)
    assert _jitter(with_prior.pose3d_mm) < 0.5 * _jitter(without.pose3d_mm)
    assert _jitter(with_prior.pose3d_mm) < 0.2 * _jitter(clip["lifted"])
    assert _mpjpe(with_prior.pose3d_mm, 0.8 * clip["truth"]) < _mpjpe(
        without.pose3d_mm, 0.8 * clip["truth"])


def test_free_joints_variant_runs_without_skeleton() -> None:
    clip = _lifted_clip(seed=6)
    config = GeometricCorrectionConfig(per_video_skeleton=False, temporal_weight=0.0)
    result = _run(clip, config=config)
    assert _mpjpe(result.pose3d_mm, 0.8 * clip["truth"]) < _mpjpe(clip["lifted"],
                                                                  0.8 * clip["truth"])


def _as_lifted(clip: dict[str, np.ndarray]) -> LiftedClip:
    frames = len(clip["lifted"])
    return LiftedClip(
        pose3d_mm=clip["lifted"], lifter_keypoints=np.zeros((frames, 16, 2)),
        visibility_root=np.zeros((frames, 18)), keypoints_px=clip["keypoints"],
        confidence=clip["confidence"], image_size=IMAGE_SIZE, focal_px=FOCAL_PX, fps=30.0,
    )


def test_correctors_by_name_and_missing_joints() -> None:
    clip = _lifted_clip(seed=7)
    clip["confidence"][10:20, 12] = 0.0
    clip["keypoints"][10:20, 12] = np.nan
    lifted = _as_lifted(clip)
    corrected = create_corrector("geometric", model=None)(lifted)
    direct = correct_geometric(clip["lifted"], clip["keypoints"], clip["confidence"],
                               image_size=IMAGE_SIZE, focal_px=FOCAL_PX, fps=30.0)
    np.testing.assert_array_equal(corrected.pose3d_mm, direct.pose3d_mm)
    np.testing.assert_array_equal(corrected.root_translation_mm, direct.root_translation_mm)
    assert np.isfinite(corrected.pose3d_mm).all() and corrected.info is not None
    assert corrected.info.kept.shape == (FRAMES,)
    unchanged = create_corrector("none", model=None)(lifted)
    assert unchanged.info is None and unchanged.root_translation_mm is None
    np.testing.assert_array_equal(unchanged.pose3d_mm, clip["lifted"])
    assert [create_corrector(m, model=None).method for m in CORRECTION_METHODS
            if m != "paper"] == ["geometric", "none"]
    with pytest.raises(PoseInputError, match="Unknown correction method"):
        create_corrector("magic", model=None)


@pytest.mark.parametrize(
    ("change", "message"),
    [
        ({"lifted": lambda a: a / 1000.0}, "metres"),
        ({"keypoints": lambda a: a[:, :15]}, r"keypoints \(T, 16, 2\)"),
    ],
)
def test_bad_input_raises_one_clear_error(change: dict, message: str) -> None:
    clip = _lifted_clip(seed=8)
    for key, edit in change.items():
        clip[key] = edit(clip[key])
    with pytest.raises(PoseInputError, match=message):
        _run(clip)


def test_height_in_metres_is_rejected() -> None:
    with pytest.raises(PoseInputError, match="centimetres"):
        _run(_lifted_clip(seed=9), height_cm=1.8)


def test_config_is_frozen() -> None:
    with pytest.raises(dataclasses.FrozenInstanceError):
        GeometricCorrectionConfig().iterations = 3  # type: ignore[misc]


def test_an_accurate_network_is_not_pulled_onto_noisy_2d() -> None:
    # The network is exact, the 2D jitters by 4 px (about 11 mm at 4 m): the estimated trust in
    # the network's joints must keep the correction from chasing the noise.
    clip = _lifted_clip(seed=10, sigma_xy=0.0, sigma_depth=0.0, pixel_noise=4.0)
    clip["lifted"] = clip["truth"].copy()
    config = GeometricCorrectionConfig(temporal_weight=0.0, per_video_skeleton=False)
    trusting = dataclasses.replace(config, pose_sigma_xy_mm=100.0)
    adaptive_error = _mpjpe(_run(clip, config=config).pose3d_mm, clip["truth"])
    trusting_error = _mpjpe(_run(clip, config=trusting).pose3d_mm, clip["truth"])
    assert adaptive_error < 3.0
    assert adaptive_error < 0.3 * trusting_error


def _arms_stretched(clip: dict[str, np.ndarray], factor: float) -> dict[str, np.ndarray]:
    """The clip with the lifter's forearms `factor` times their length (wrists moved out)."""
    lifted = clip["lifted"].copy()
    for elbow, wrist in ((11, 12), (14, 15)):
        lifted[:, wrist] = lifted[:, elbow] + factor * (lifted[:, wrist] - lifted[:, elbow])
    return {**clip, "lifted": lifted}


def test_trunk_bones_keep_the_networks_lengths_limbs_follow_the_2d() -> None:
    clip = _lifted_clip(seed=0)
    network = np.median(bone_lengths(clip["lifted"]), axis=0)
    result = _run(clip, height_cm=TRUE_HEIGHT_CM)
    trunk = list(TRUNK_BONES)
    # (the correction's median is the lower middle value, numpy's the mean of the two)
    np.testing.assert_allclose(result.bone_lengths_mm[trunk], result.scale * network[trunk],
                               rtol=2e-3)
    free = _run(clip, height_cm=TRUE_HEIGHT_CM,
                config=GeometricCorrectionConfig(trunk_from_network=False))
    assert not np.allclose(free.bone_lengths_mm[trunk], free.scale * network[trunk], rtol=0.01)


def test_bone_lengths_stay_within_the_allowed_change_from_the_networks() -> None:
    # The lifter's forearms 1.6x too long: the 2D says shorter, but only by the cap (15 %).
    clip = _arms_stretched(_lifted_clip(seed=1), 1.6)
    network = np.median(bone_lengths(clip["lifted"]), axis=0)
    forearms = [BONE_CHILDREN.index(12), BONE_CHILDREN.index(15)]
    result = _run(clip)
    np.testing.assert_allclose(result.bone_lengths_mm[forearms], 0.85 * network[forearms],
                               rtol=5e-3)
    uncapped = _run(clip, config=GeometricCorrectionConfig(max_length_change=1.0))
    assert np.all(uncapped.bone_lengths_mm[forearms] < 0.7 * network[forearms])


def test_reprojection_slack_decides_which_frames_keep_the_prediction() -> None:
    clip = _lifted_clip(seed=2)
    strict = _run(clip, config=GeometricCorrectionConfig(reprojection_slack=0.0))
    assert not strict.info.kept.any()
    np.testing.assert_allclose(strict.pose3d_mm, clip["lifted"] - clip["lifted"][:, :1],
                               atol=1e-9)
    assert _run(clip).info.kept.all()


def test_acceleration_prior_follows_the_frame_rate() -> None:
    # The same walk filmed at 5 fps: six times the motion per frame, 36 times the acceleration.
    pose, root = walking_clip(6 * FRAMES)
    pose, root = pose[::6], root[::6]
    keypoints = project(pose, root)
    confidence = np.ones((FRAMES, 16))

    def error(fps: float | None) -> float:
        result = correct_geometric(pose, keypoints, confidence, image_size=IMAGE_SIZE,
                                   focal_px=FOCAL_PX, fps=fps)
        return _mpjpe(result.pose3d_mm, pose)

    told, assumed_30 = error(5.0), error(None)
    assert told < 2.0  # exact input stays (nearly) exact when the prior knows the frame rate
    assert assumed_30 > 3.0 * told  # a 30 fps prior drags the fast motion off the truth
    assert error(30.0) == pytest.approx(assumed_30)
    with pytest.raises(PoseInputError, match="fps must be a positive frame rate"):
        error(0.0)


def test_the_geometric_and_causal_corrections_do_not_import_torch() -> None:
    code = """
import sys
import numpy as np
from posemachines.correction.causal import CausalGeometricCorrector
from posemachines.correction.geometric import correct_geometric
from tests.correction.synthetic_clip import FOCAL_PX, IMAGE_SIZE, project, walking_clip
pose, root = walking_clip(20)
keypoints = project(pose, root)
result = correct_geometric(pose, keypoints, np.ones((20, 16)), image_size=IMAGE_SIZE)
corrector = CausalGeometricCorrector(IMAGE_SIZE, focal_px=FOCAL_PX)
frames = [corrector.update(pose[t], keypoints[t], np.ones(16), t / 30.0) for t in range(20)]
print(int(result.info.steps[0]) > 0, frames[-1].kept, "torch" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=Path(__file__).parents[2])
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "True", "False"]
