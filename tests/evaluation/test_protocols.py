"""Protocol definitions: subjects, cameras, takes, strides and row order."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.camera import H36M_CAMERA_IDS
from posemachines.errors import PoseInputError
from posemachines.evaluation.mocap_protocols import scale_to_height
from posemachines.evaluation.protocols import (
    PROTOCOL_NAMES,
    DatasetProtocol,
    MocapProtocol,
    get_protocol,
    row_order,
    scored_frames,
    select_sequences,
    subject_label,
)

H36M_AVAILABLE = {
    "S1": {"Directions": 4, "Walking": 4},  # a training subject: never scored
    "S9": {"Directions": 4, "Directions 1": 4, "Photo": 4, "TakingPhoto 1": 4, "Walking 1": 2},
    "S11": {"Discussion 10": 4, "Discussion 2": 4},
}


def test_the_protocols_are_named_as_the_command_line_offers_them():
    assert PROTOCOL_NAMES == ("h36m-1", "h36m-2", "h36m-3", "humaneva", "mocap-heldout",
                              "cross-mocap", "lafan1-heldout", "cmu-heldout", "cross-mocap-cmu",
                              "cross-cmu-dance")
    with pytest.raises(PoseInputError, match="Unknown protocol 'h36m-4'"):
        get_protocol("h36m-4")


@pytest.mark.parametrize("name, metric", [("h36m-1", "mpjpe"), ("h36m-2", "pa_mpjpe")])
def test_h36m_protocols_1_and_2_score_every_frame_of_every_camera_of_s9_and_s11(name, metric):
    protocol = get_protocol(name)
    assert isinstance(protocol, DatasetProtocol)
    assert protocol.metric == metric and protocol.dataset == "h36m"
    assert protocol.train_subjects == ("S1", "S5", "S6", "S7", "S8")
    assert protocol.test_subjects == ("S9", "S11")
    assert protocol.cameras is None and protocol.stride == 1 and not protocol.first_take_only


def test_h36m_protocol_3_is_pa_mpjpe_on_the_frontal_camera_first_take_every_5th_frame():
    protocol = get_protocol("h36m-3")
    assert protocol.metric == "pa_mpjpe" and protocol.stride == 5 and protocol.first_take_only
    assert [H36M_CAMERA_IDS[i] for i in protocol.cameras] == ["60457274"]
    assert protocol.test_subjects == ("S9", "S11")


def test_humaneva_is_pa_mpjpe_on_the_validation_subjects_walk_jog_box():
    protocol = get_protocol("humaneva")
    assert protocol.metric == "pa_mpjpe" and protocol.dataset == "humaneva15"
    assert protocol.test_subjects == ("Validate/S1", "Validate/S2", "Validate/S3")
    assert protocol.actions == ("Walk", "Jog", "Box") and protocol.rows_by_subject


def test_mocap_protocols_name_their_test_sources():
    heldout, cross = get_protocol("mocap-heldout"), get_protocol("cross-mocap")
    assert isinstance(heldout, MocapProtocol) and heldout.held_out
    assert heldout.test_sources == ("bandai-namco-1", "bandai-namco-2")
    assert cross.test_sources == ("lafan1",) and not cross.held_out
    assert cross.train_sources == heldout.train_sources


def test_protocol_1_takes_every_test_take_and_camera():
    keys = select_sequences(get_protocol("h36m-1"), H36M_AVAILABLE)
    assert [(k.subject, k.action, k.row) for k in keys] == [
        ("S9", "Directions", "Directions"), ("S9", "Directions 1", "Directions"),
        ("S9", "Photo", "Photo"), ("S9", "TakingPhoto 1", "Photo"),
        ("S9", "Walking 1", "Walking"),
        ("S11", "Discussion 10", "Discussion"), ("S11", "Discussion 2", "Discussion"),
    ]
    assert keys[0].cameras == (0, 1, 2, 3) and keys[4].cameras == (0, 1)


def test_protocol_3_takes_the_first_take_of_each_action_seen_by_the_frontal_camera():
    keys = select_sequences(get_protocol("h36m-3"), H36M_AVAILABLE)
    # 'Walking 1' has only cameras 0-1, so the frontal camera never saw it; the first
    # Discussion of S11 is take 2 (numbers compare as numbers, 2 < 10).
    assert [(k.subject, k.action) for k in keys] == [
        ("S9", "Directions"), ("S9", "Photo"), ("S11", "Discussion 2")]
    assert all(k.cameras == (3,) for k in keys)


def test_humaneva_scores_validation_chunks_as_rows_per_action_and_subject():
    available = {
        "Train/S1": {"Walk 1 chunk0": 3},
        "Validate/S1": {"Walk 1 chunk0": 3, "Walk 1 chunk1": 3, "ThrowCatch 1 chunk0": 3},
        "Validate/S2": {"Box 1 chunk0": 3, "Jog 1 chunk0": 3},
    }
    keys = select_sequences(get_protocol("humaneva"), available)
    assert [(k.subject, k.action, k.row) for k in keys] == [
        ("Validate/S1", "Walk 1 chunk0", "Walk S1"), ("Validate/S1", "Walk 1 chunk1", "Walk S1"),
        ("Validate/S2", "Box 1 chunk0", "Box S2"), ("Validate/S2", "Jog 1 chunk0", "Jog S2"),
    ]
    assert keys[0].cameras == (0, 1, 2)


def test_humaneva_rows_follow_the_literature_walk_jog_box_by_subject():
    rows = ["Box S2", "Jog S1", "Walk S3", "Walk S1", "Jog S1"]
    assert row_order(get_protocol("humaneva"), rows) == ["Walk S1", "Walk S3", "Jog S1",
                                                         "Box S2"]
    assert row_order(get_protocol("h36m-1"), ["Walking", "Eating"]) == ["Walking", "Eating"]


def test_scored_frames_follow_the_stride():
    np.testing.assert_array_equal(scored_frames(12, 5), [0, 5, 10])
    np.testing.assert_array_equal(scored_frames(3, 1), [0, 1, 2])
    with pytest.raises(PoseInputError, match="at least 1"):
        scored_frames(10, 0)


def test_subject_labels_drop_humaneva_split_prefixes():
    assert subject_label("Validate/S2") == "S2" and subject_label("S11") == "S11"


def test_lafan1_heldout_scores_only_the_held_out_actor():
    from posemachines.data.mocap import MocapClip
    from posemachines.evaluation.mocap_protocols import select_takes

    def clip(source, take):
        return MocapClip("n", source, np.zeros((1, 16, 3), np.float32), 30.0, "c", "", take)

    clips = [clip("lafan1", "1_subject1"), clip("lafan1", "2_subject2"),
             clip("bandai-namco-2", "006")]
    chosen = select_takes(clips, get_protocol("lafan1-heldout"))
    assert [c.take for c in chosen] == ["2_subject2"]


def test_scale_to_height_undoes_a_uniform_shrink_and_keeps_each_sequence_apart():
    rng = np.random.default_rng(0)
    truth = rng.normal(0.0, 300.0, (2, 5, 16, 3))
    truth[1] *= 1.2  # a taller second person
    guess = truth * np.array([0.8, 1.1])[:, None, None, None]
    np.testing.assert_allclose(scale_to_height(guess, truth), truth, rtol=1e-9)
