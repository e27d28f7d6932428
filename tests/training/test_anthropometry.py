import dataclasses
import hashlib

import numpy as np
import pytest
from scipy.spatial.transform import Rotation

from posemachines.data.mocap import MocapClip, MocapCollection
from posemachines.data.splits import is_validation_take
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.skeleton import JOINTS16, bone_lengths
from posemachines.training.anthropometry import (
    BONE_CHILDREN,
    PART_BONES,
    THORAX,
    AnthropometryConfig,
    BodyProportions,
    apply_proportions,
    augment_anthropometry,
    sample_proportions,
)
from posemachines.training.augment import NO_NOISE
from posemachines.training.config import config_from_dict
from posemachines.training.lifter_task import LifterMocapTask
from posemachines.training.mocap_views import MocapViewConfig, MocapViews

STANDING = np.array([
    [0, 1000, 0], [-100, 1000, 0], [-100, 550, 0], [-100, 100, 0], [100, 1000, 0],
    [100, 550, 0], [100, 100, 0], [0, 1250, 0], [0, 1500, 0], [0, 1750, 0], [150, 1500, 0],
    [150, 1250, 0], [150, 1000, 0], [-150, 1500, 0], [-150, 1250, 0], [-150, 1000, 0],
], dtype=float)
#: Bandai Namco's half hip width after mapping, mm (docs/mocap_mapping.md).
BANDAI_NAMCO_HALF_HIP_MM = 65.0
NO_SHIFT = AnthropometryConfig(thorax_shift_frac=(0.0, 0.0))
THORAX_CHILDREN = [b for b, (p, _) in enumerate(JOINTS16.bones) if p == THORAX]


def _bone(joint: str) -> int:
    return BONE_CHILDREN.index(JOINTS16.names.index(joint))


def _moving_clips(batch=3, frames=6, seed=0):
    """(B, T, 16, 3) mm: a standing pose, turned and moved per frame, limbs bent at random, and
    every joint jittered so that the source's bone lengths change from frame to frame."""
    rng = np.random.default_rng(seed)
    pose = np.broadcast_to(STANDING, (batch, frames, 16, 3)).copy()
    pose[..., [2, 3, 5, 6, 11, 12, 14, 15], :] += rng.normal(scale=60.0, size=(batch, frames, 8, 3))
    pose += rng.normal(scale=5.0, size=pose.shape)
    turns = Rotation.from_rotvec(rng.normal(scale=0.6, size=(batch * frames, 3))).as_matrix()
    pose = np.einsum("nij,nkj->nki", turns, pose.reshape(-1, 16, 3)).reshape(pose.shape)
    return pose + rng.uniform(-2000, 2000, size=(batch, frames, 1, 3))


def _rigid_clip(frames=5, seed=1):
    """(1, T, 16, 3) mm: one pose turned and moved rigidly (constant source bone lengths)."""
    rng = np.random.default_rng(seed)
    turns = Rotation.from_rotvec(rng.normal(scale=1.0, size=(frames, 3))).as_matrix()
    pose = np.einsum("tij,kj->tki", turns, STANDING) + rng.normal(scale=500, size=(frames, 1, 3))
    return pose[None]


def test_sampled_proportions_stay_within_the_cited_ranges():
    config = AnthropometryConfig()
    bodies = sample_proportions(np.random.default_rng(0), 4000, config)
    stature = bodies.stature_mm
    assert stature.min() >= 1518.0 and stature.max() <= 1869.0
    for part, joints in PART_BONES.items():
        low, high = getattr(config, part)
        for joint in joints:
            frac = bodies.bone_mm[:, _bone(joint)] / stature
            assert frac.min() >= low and frac.max() <= high, part
            assert frac.max() - frac.min() > 0.9 * (high - low), part  # the range is used
    hip_spine, spine_thorax = bodies.bone_mm[:, _bone("Spine")], bodies.bone_mm[:, _bone("Thorax")]
    trunk = (hip_spine + spine_thorax) / stature
    assert trunk.min() >= 0.25 and trunk.max() <= 0.33
    split = hip_spine / (hip_spine + spine_thorax)
    assert split.min() >= 0.42 and split.max() <= 0.54
    shift = bodies.thorax_shift_mm / stature
    assert shift.min() >= -0.015 and shift.max() <= 0.03


def test_bodies_are_left_right_symmetric():
    bodies = sample_proportions(np.random.default_rng(1), 50)
    mirrored = [BONE_CHILDREN.index(JOINTS16.flip_permutation[c]) for c in BONE_CHILDREN]
    np.testing.assert_array_equal(bodies.bone_mm, bodies.bone_mm[:, mirrored])


def test_hip_width_reaches_twice_bandai_namco_and_below_it():
    bodies = sample_proportions(np.random.default_rng(2), 2000)
    half_hip = bodies.bone_mm[:, _bone("RHip")]
    assert half_hip.max() >= 2 * BANDAI_NAMCO_HALF_HIP_MM
    assert half_hip.min() <= BANDAI_NAMCO_HALF_HIP_MM


def test_sampling_is_deterministic_per_seed():
    a = sample_proportions(np.random.default_rng(5), 8)
    b = sample_proportions(np.random.default_rng(5), 8)
    c = sample_proportions(np.random.default_rng(6), 8)
    np.testing.assert_array_equal(a.bone_mm, b.bone_mm)
    np.testing.assert_array_equal(a.thorax_shift_mm, b.thorax_shift_mm)
    assert not np.allclose(a.bone_mm, c.bone_mm)
    world = _moving_clips()
    np.testing.assert_array_equal(
        augment_anthropometry(np.random.default_rng(3), world, AnthropometryConfig()),
        augment_anthropometry(np.random.default_rng(3), world, AnthropometryConfig()))


def test_lengths_become_the_sampled_ones_in_every_frame_and_directions_are_kept():
    world = _moving_clips()
    bodies = sample_proportions(np.random.default_rng(4), 3, NO_SHIFT)
    out = apply_proportions(world, bodies)
    np.testing.assert_allclose(bone_lengths(out), np.broadcast_to(
        bodies.bone_mm[:, None], (3, 6, 15)), atol=1e-6)
    parents = [p for p, _ in JOINTS16.bones]

    def unit(pose):
        vectors = pose[..., BONE_CHILDREN, :] - pose[..., parents, :]
        return vectors / np.linalg.norm(vectors, axis=-1, keepdims=True)

    np.testing.assert_allclose(unit(out), unit(world), atol=1e-9)
    np.testing.assert_array_equal(out[:, :, 0], world[:, :, 0])  # the root stays


def test_thorax_shift_slides_the_thorax_along_the_spine_and_keeps_its_children():
    world = _moving_clips(batch=2)
    bodies = sample_proportions(np.random.default_rng(7), 2, NO_SHIFT)
    shift = np.array([40.0, -20.0])
    shifted = apply_proportions(world, dataclasses.replace(bodies, thorax_shift_mm=shift))
    plain = apply_proportions(world, bodies)
    others = [j for j in range(16) if j != THORAX]
    np.testing.assert_allclose(shifted[:, :, others], plain[:, :, others], atol=1e-9)
    spine = world[:, :, THORAX] - world[:, :, 7]
    spine /= np.linalg.norm(spine, axis=-1, keepdims=True)
    np.testing.assert_allclose(shifted[:, :, THORAX] - plain[:, :, THORAX],
                               spine * shift[:, None, None], atol=1e-9)


def test_rigid_clips_keep_every_bone_length_constant_with_all_jitters_on():
    world = np.repeat(_rigid_clip(), 4, axis=0)
    out = augment_anthropometry(np.random.default_rng(8), world, AnthropometryConfig())
    lengths = bone_lengths(out)
    assert np.ptp(lengths, axis=1).max() < 1e-6
    assert not np.allclose(lengths[0, 0], lengths[1, 0])  # each clip its own body


def test_non_rigid_clips_keep_lengths_constant_except_beside_a_shifted_thorax():
    out = augment_anthropometry(np.random.default_rng(9), _moving_clips(), AnthropometryConfig())
    spread = np.ptp(bone_lengths(out), axis=1)  # (B, 15) over frames
    steady = [b for b in range(15) if b not in THORAX_CHILDREN]
    assert spread[:, steady].max() < 1e-6


def test_probability_zero_leaves_the_clips_unchanged():
    world = _moving_clips()
    out = augment_anthropometry(np.random.default_rng(0), world,
                                AnthropometryConfig(probability=0.0))
    np.testing.assert_array_equal(out, world)


def test_probability_picks_clips_per_clip():
    world = np.repeat(_rigid_clip(), 400, axis=0)
    out = augment_anthropometry(np.random.default_rng(0), world,
                                AnthropometryConfig(probability=0.3))
    changed = np.any(out != world, axis=(1, 2, 3))
    assert 0.2 < changed.mean() < 0.4


@pytest.mark.parametrize("kwargs", [
    {"thigh_frac": (0.3, 0.2)}, {"probability": 1.5}, {"stature_mm": (1.5, 1.9)},
    {"spine_split": (0.4, 1.2)}, {"forearm_frac": (0.0, 0.1)},
])
def test_bad_configs_raise(kwargs):
    with pytest.raises(PoseDataError):
        AnthropometryConfig(**kwargs)


def test_bad_poses_raise():
    bodies = sample_proportions(np.random.default_rng(0), 2)
    with pytest.raises(PoseDataError, match="must be"):
        apply_proportions(np.zeros((2, 3, 17, 3)), bodies)
    world = _moving_clips(batch=2)
    world[0, 1, 4, 0] = np.nan
    with pytest.raises(PoseDataError, match="NaN"):
        apply_proportions(world, bodies)
    world = _moving_clips(batch=2)
    world[1, 2, 5] = world[1, 2, 4]
    with pytest.raises(PoseDataError, match="zero length"):
        apply_proportions(world, bodies)


# ---------------------------------------------------------------- wiring into MocapViews


def _views(**kwargs):
    rng = np.random.default_rng(0)
    positions = STANDING[None].repeat(40, 0) + rng.normal(scale=5.0, size=(40, 16, 3))
    return MocapViews(positions, np.array([0, 25, 40]), MocapViewConfig(clip_length=4, **kwargs))


def _digest(batch) -> str:
    digest = hashlib.sha256()
    for name in batch.__dataclass_fields__:
        digest.update(getattr(batch, name).tobytes())
    return digest.hexdigest()


def test_option_off_gives_the_batches_of_before():
    """Hash of this exact batch, recorded with mocap_views.py before the option existed."""
    batch = _views().sample(np.random.default_rng(11), 8)
    assert _digest(batch) == "2878fd48e5a6f177856dc97eec69651e773ff0b2bb6fa22ab91dbd34fc54b1be"


def test_views_with_a_new_body_per_clip():
    views = _views(flip_prob=0.0, noise=NO_NOISE, anthropometry=NO_SHIFT)
    batch = views.sample(np.random.default_rng(12), 16, noisy=False)
    lengths = bone_lengths(batch.pose3d_mm.astype(np.float64))
    assert np.ptp(lengths, axis=1).max() < 0.01  # float32 targets
    # The clips' bodies are the ones the same rng draws right after the clip starts.
    rng = np.random.default_rng(12)
    rng.choice(views.clip_starts, size=16)
    expected = sample_proportions(rng, 16, NO_SHIFT)
    np.testing.assert_allclose(lengths[:, 0], expected.bone_mm, atol=0.01)


# ---------------------------------------------------------------- wiring into lifter_mocap


def _clip(source, content, style, take, frames, seed):
    rng = np.random.default_rng(seed)
    joints = STANDING[None] + rng.normal(scale=5.0, size=(frames, 16, 3))
    return MocapClip(f"{content}{take}", source, joints.astype(np.float32), 30.0, content,
                     style, take)


@pytest.fixture()
def mocap_npz(tmp_path):
    clips = [
        _clip("bandai-namco-2", "walk", "normal", "001", 20, 0),
        _clip("bandai-namco-2", "walk", "normal", "006", 20, 1),
        _clip("lafan1", "ground", "", "1_subject1", 20, 2),
        _clip("lafan1", "ground", "", "2_subject2", 20, 3),
        _clip("lafan1", "fallAndGetUp", "", "1_subject4", 20, 4),
    ]
    path = tmp_path / "mocap.npz"
    MocapCollection.from_clips(clips, 30.0).save(path)
    return path


def lifter_task_for(mocap, **options):
    raw = {"task": "lifter_mocap", "data": {"clip_length": 4}, "optim": {"steps": 1},
           "options": {"mocap": str(mocap), **options}}
    return LifterMocapTask(config_from_dict(raw))


def test_lafan1_subject_two_validates():
    assert is_validation_take("lafan1", "", "2_subject2")
    assert not is_validation_take("lafan1", "", "1_subject1")
    assert not is_validation_take("lafan1", "", "1_subject4")


def test_task_splits_lafan1_by_subject(mocap_npz):
    task = lifter_task_for(mocap_npz, sources=["bandai-namco-2", "lafan1"])
    assert len(task.views(validation=False).positions) == 60  # 001, subject1, subject4
    assert len(task.views(validation=True).positions) == 40  # 006, subject2


def test_task_source_strides_thin_training_clips_of_that_source_only(mocap_npz):
    task = lifter_task_for(mocap_npz, sources=["bandai-namco-2", "lafan1"],
                           source_strides={"lafan1": 4})
    # 17 clip starts of 4 frames per 20-frame take: bandai 001 all, lafan1 subjects 1, 4 every 4th
    assert len(task.views(validation=False).clip_starts) == 17 + 5 + 5
    assert len(task.views(validation=True).clip_starts) == 17 + 17
    with pytest.raises(PoseInputError, match="source_strides"):
        lifter_task_for(mocap_npz, source_strides={"cmu": 2}).views(validation=False)


def test_task_anthropometry_is_off_by_default_and_never_on_validation(mocap_npz):
    assert lifter_task_for(mocap_npz).view_config(validation=False).anthropometry is None
    task = lifter_task_for(mocap_npz, anthropometry={"probability": 0.5})
    assert task.view_config(validation=False).anthropometry == AnthropometryConfig(
        probability=0.5)
    assert task.view_config(validation=True).anthropometry is None
    assert lifter_task_for(mocap_npz, anthropometry={}).view_config(False).anthropometry == (
        AnthropometryConfig())


def test_task_rejects_unknown_anthropometry_keys(mocap_npz):
    task = lifter_task_for(mocap_npz, anthropometry={"hip_width": 0.1})
    with pytest.raises(PoseInputError, match="options.anthropometry.hip_width"):
        task.view_config(validation=False)


def test_body_proportions_length():
    assert len(BodyProportions(np.ones(3), np.ones((3, 15)), np.zeros(3))) == 3
