"""The CMU protocols (cmu-heldout, cross-mocap-cmu, cross-cmu-dance): which takes each scores,
on a tiny synthetic npz whose names follow `data mocap`'s CMU naming, and loud failures."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.data.mocap import MocapClip, MocapCollection
from posemachines.errors import PoseDataError
from posemachines.evaluation.mocap_protocols import select_takes
from posemachines.evaluation.options import EvaluationOptions
from posemachines.evaluation.protocols import get_protocol
from posemachines.evaluation.runner import evaluate
from posemachines.skeleton import to_joints16
from tests.data.synthetic import synthetic_h36m32_world_mm

#: (source, content, take, frames): named as `data mocap` names them; the comment says which
#: protocol scores the take.
TAKES = [
    ("bandai-namco-2", "walk", "006", 9),             # mocap-heldout only
    ("lafan1", "walk", "1_subject1", 7),              # cross-mocap(-cmu)
    ("lafan1", "push", "1_subject2", 5),              # cross-mocap(-cmu), lafan1-heldout
    ("cmu", "walk", "08/08_01", 6),                   # cmu-heldout (subject 08)
    ("cmu", "walk", "07/07_01", 8),                   # trains: no protocol
    ("cmu", "drink-soda", "_mb_skeleton/14_04", 4),   # cmu-heldout (subject 14, other rig)
    ("cmu", "dance", "05/05_02", 11),                 # cross-cmu-dance (ballet)
    ("cmu", "salsa-dance", "acrnn_dance/salsa/01", 3),     # cross-cmu-dance
    ("cmu", "salsa-dance", "acrnn_dance/salsa/30", 5),     # both
    ("cmu", "indian-dance", "acrnn_dance/indian/15", 4),   # both
    ("cmu", "martial-dance", "acrnn_dance/martial/02", 6),  # cross-cmu-dance
]


def person_y_up(frames: int, seed: int) -> np.ndarray:
    """A synthetic person (T, 16, 3) float32 mm, world Y up, as the npz stores takes."""
    joints = to_joints16(synthetic_h36m32_world_mm(frames, np.random.default_rng(seed)),
                         "h36m32")[0]
    return np.stack([joints[..., 0], joints[..., 2], -joints[..., 1]], axis=-1).astype(np.float32)


def make_clips(takes=TAKES) -> list[MocapClip]:
    return [MocapClip(f"{source}/{take}", source,
                      person_y_up(frames, number), 30.0, content, "", take)
            for number, (source, content, take, frames) in enumerate(takes)]


def scored(protocol: str, clips: list[MocapClip] | None = None) -> list[str]:
    return [clip.take for clip in select_takes(clips or make_clips(), get_protocol(protocol))]


def test_cmu_heldout_scores_subjects_08_and_14_and_the_held_out_dances():
    assert scored("cmu-heldout") == ["08/08_01", "_mb_skeleton/14_04", "acrnn_dance/salsa/30",
                                     "acrnn_dance/indian/15"]


def test_cross_cmu_dance_scores_every_cmu_dance_take_held_out_or_not():
    assert scored("cross-cmu-dance") == ["05/05_02", "acrnn_dance/salsa/01",
                                         "acrnn_dance/salsa/30", "acrnn_dance/indian/15",
                                         "acrnn_dance/martial/02"]


def test_cross_mocap_cmu_scores_all_of_lafan1_like_cross_mocap():
    assert scored("cross-mocap-cmu") == scored("cross-mocap") == ["1_subject1", "1_subject2"]
    protocol = get_protocol("cross-mocap-cmu")
    assert protocol.train_sources == ("bandai-namco-1", "bandai-namco-2", "cmu")
    assert protocol.fixture_frames


def test_a_dance_style_without_takes_fails_loudly():
    without_ballet = [take for take in TAKES if take[1] != "dance"]
    with pytest.raises(PoseDataError, match="no cmu takes of dance"):
        scored("cross-cmu-dance", make_clips(without_ballet))


@pytest.fixture(scope="module")
def tiny_npz(tmp_path_factory) -> Path:
    path = tmp_path_factory.mktemp("mocap") / "mocap16.npz"
    MocapCollection.from_clips(make_clips(), 30.0).save(path)
    return path



def test_evaluate_cmu_heldout_counts_and_lists_the_scored_takes(tiny_npz, tiny_lifter):
    options = EvaluationOptions(cameras_per_take=2, flip_test=False, time_reversal=False,
                                progress=False)
    report = evaluate(tiny_lifter, "cmu-heldout", tiny_npz, options)
    # 6 + 4 + 5 + 4 frames, each seen by 2 cameras, in every row.
    assert set(report.table.frame_counts.values()) == {2 * (6 + 4 + 5 + 4)}
    assert ("Takes scored: cmu/08/08_01, cmu/_mb_skeleton/14_04, cmu/acrnn_dance/salsa/30, "
            "cmu/acrnn_dance/indian/15.") in report.description
    assert "held-out takes (cmu subjects 08 and 14; dance takes salsa 15 and 30, indian 15, " \
           "martial 10): 4 takes, 19 frames." in report.description[0]


def test_evaluate_cross_cmu_dance_says_what_it_scores(tiny_npz, tiny_lifter):
    options = EvaluationOptions(cameras_per_take=1, flip_test=False, time_reversal=False,
                                progress=False)
    report = evaluate(tiny_lifter, "cross-cmu-dance", tiny_npz, options)
    assert set(report.table.frame_counts.values()) == {11 + 3 + 5 + 4 + 6}
    assert report.description[0] == (
        "Protocol cross-cmu-dance: trained on bandai-namco-1, bandai-namco-2, lafan1; tested on "
        "all cmu takes of dance, salsa-dance, indian-dance, martial-dance: 5 takes, 29 frames.")
