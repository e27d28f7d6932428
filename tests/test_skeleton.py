import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.skeleton import (
    BLAZEPOSE_HIP_RAISE,
    CORRECTION_ANCHORS,
    FORMATS,
    H36M17,
    JOINTS16,
    JOINTS16_NAMES,
    bone_lengths,
    flip_horizontal,
    mapping_matrix,
    source_joint_count,
    to_joints16,
)


def test_sixteen_joints_are_h36m_without_neck():
    assert JOINTS16.num_joints == 16
    assert "Neck/Nose" not in JOINTS16_NAMES
    assert JOINTS16.parents[JOINTS16_NAMES.index("Head")] == JOINTS16_NAMES.index("Thorax")
    assert H36M17.parents == (-1, 0, 1, 2, 0, 4, 5, 0, 7, 8, 9, 8, 11, 12, 8, 14, 15)
    assert len(JOINTS16.bones) == 15


def test_flip_permutation_swaps_left_and_right():
    perm = JOINTS16.flip_permutation
    names = JOINTS16_NAMES
    assert names[perm[names.index("LWrist")]] == "RWrist"
    assert names[perm[names.index("RHip")]] == "LHip"
    assert names[perm[names.index("Spine")]] == "Spine"
    assert tuple(perm[p] for p in perm) == tuple(range(16))


def test_flip_horizontal_is_an_involution_and_negates_x():
    rng = np.random.default_rng(0)
    pose = rng.normal(size=(4, 16, 3))
    flipped = flip_horizontal(pose)
    np.testing.assert_allclose(flip_horizontal(flipped), pose)
    lw, rw = JOINTS16_NAMES.index("LWrist"), JOINTS16_NAMES.index("RWrist")
    assert flipped[0, lw, 0] == -pose[0, rw, 0]


def test_correction_anchors_are_pelvis_hips_shoulders():
    names = {JOINTS16_NAMES[j] for j in CORRECTION_ANCHORS}
    assert names == {"Hip", "RHip", "LHip", "LShoulder", "RShoulder"}


def test_bone_lengths_of_a_hand_made_chain():
    pose = np.zeros((16, 3))
    pose[1] = [3.0, 4.0, 0.0]  # RHip at 5 from Hip
    lengths = bone_lengths(pose)
    assert lengths[0] == pytest.approx(5.0)
    assert lengths.shape == (15,)


@pytest.mark.parametrize("source", FORMATS)
def test_every_mapping_is_an_affine_combination(source):
    matrix = mapping_matrix(source)
    assert matrix.shape == (16, source_joint_count(source))
    np.testing.assert_allclose(matrix.sum(axis=1), 1.0)
    # Affine combinations commute with translation: shifting the input shifts the output.
    rng = np.random.default_rng(1)
    pts = rng.normal(size=(2, matrix.shape[1], 3))
    shift = np.array([10.0, -5.0, 2.0])
    out, _ = to_joints16(pts, source)
    out_shifted, _ = to_joints16(pts + shift, source)
    np.testing.assert_allclose(out_shifted, out + shift)


def test_h36m17_to_16_drops_only_the_neck():
    pts = np.arange(17 * 2, dtype=float).reshape(17, 2)
    out, _ = to_joints16(pts, "h36m17")
    np.testing.assert_array_equal(out, np.delete(pts, 9, axis=0))


def test_h36m32_picks_the_videopose3d_joints():
    pts = np.arange(32, dtype=float)[:, None].repeat(3, axis=1)
    out, _ = to_joints16(pts, "h36m32")
    assert out[:, 0].tolist() == [0, 1, 2, 3, 6, 7, 8, 12, 13, 15, 17, 18, 19, 25, 26, 27]


def test_coco_mapping_hand_computed():
    coco = np.zeros((17, 2))
    coco[11], coco[12] = [10, 100], [30, 100]  # hips
    coco[5], coco[6] = [0, 0], [40, 0]  # shoulders
    coco[3], coco[4] = [15, -40], [25, -40]  # ears
    conf = np.ones(17)
    conf[3] = 0.2
    out, conf16 = to_joints16(coco, "coco17", conf)
    name = JOINTS16_NAMES.index
    np.testing.assert_allclose(out[name("Hip")], [20, 100])
    np.testing.assert_allclose(out[name("Thorax")], [20, 0])
    np.testing.assert_allclose(out[name("Spine")], [20, 50])
    np.testing.assert_allclose(out[name("Head")], [20, -60])  # ears at -40, plus half of 40
    np.testing.assert_allclose(out[name("RHip")], [30, 100])
    assert conf16[name("Head")] == pytest.approx(0.2)
    assert conf16[name("LHip")] == pytest.approx(1.0)


def test_blazepose_mapping_raises_the_hip_landmarks_to_joint_centres():
    bp = np.zeros((33, 2))
    bp[23], bp[24] = [10, 100], [30, 100]
    bp[11], bp[12] = [0, 0], [40, 0]
    confidence = np.ones(33)
    confidence[11] = 0.1  # a shoulder barely seen: the hips keep their own confidence
    out, conf16 = to_joints16(bp, "blazepose33", confidence)
    name = JOINTS16_NAMES.index
    # hip-to-shoulder centres: (20, 100) -> (20, 0); the hips rise 0.15 of those 100 px
    assert BLAZEPOSE_HIP_RAISE == 0.15
    np.testing.assert_allclose(out[name("Hip")], [20, 85])
    np.testing.assert_allclose(out[name("LHip")], [10, 85])
    np.testing.assert_allclose(out[name("RHip")], [30, 85])
    np.testing.assert_allclose(out[name("Spine")], [20, 42.5])
    np.testing.assert_allclose(out[name("RShoulder")], [40, 0])
    assert conf16[name("LHip")] == 1.0 and conf16[name("Thorax")] == pytest.approx(0.1)


def test_mpii_uses_annotated_pelvis_and_head_top():
    mpii = np.arange(16, dtype=float)[:, None].repeat(2, axis=1)
    out, _ = to_joints16(mpii, "mpii16")
    name = JOINTS16_NAMES.index
    assert out[name("Hip"), 0] == 6 and out[name("Head"), 0] == 9 and out[name("RFoot"), 0] == 0


def test_wrong_joint_count_and_unknown_format_raise_one_sentence():
    with pytest.raises(PoseDataError, match="has 17 joints but the array has 16"):
        to_joints16(np.zeros((16, 2)), "coco17")
    with pytest.raises(PoseDataError, match="Unknown keypoint format"):
        to_joints16(np.zeros((16, 2)), "nope")
