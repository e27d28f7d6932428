"""Action taxonomy: real mocap file names map to classes; held-out takes follow the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from posemachines.analysis.action_taxonomy import (
    ACTION_CLASSES,
    CMU_EXCLUDED,
    CMU_SUBJECT14_TESTS,
    CONTENT_CLASSES,
    FRAME_LABELLED,
    action_for_content,
    is_split_in_time,
    is_test_take,
)
from posemachines.data.mocap import clip_labels, find_bvh_files, parse_clip_name
from posemachines.data.splits import is_validation_take


def _labels(path: Path) -> tuple[str, str, str, str]:
    dataset = next((d for d in ("lafan1", "cmu") if d in path.parts), "bandai-namco")
    return clip_labels(path, dataset)


@pytest.fixture(scope="module")
def mocap_names(shared_data: Path) -> list[tuple[str, str, str, str]]:
    return [_labels(path) for path in find_bvh_files(shared_data / "mocap")]


@pytest.mark.parametrize(("stem", "folder", "action", "test"), [
    ("dataset-1_walk_normal_002", "bandai-namco-1", "walk", False),
    ("dataset-1_walk-left_active_001", "bandai-namco-1", "walk", True),
    ("dataset-1_walk-back_sad_001", "bandai-namco-1", "walk_backward", False),
    ("dataset-2_walk-turn-right_elderly_006", "bandai-namco-2", "walk_turn", True),
    ("dataset-1_dash_happy_001", "bandai-namco-1", "run", False),
    ("dataset-1_bow_active_001", "bandai-namco-1", "bow", True),
    ("dataset-1_byebye_old_001", "bandai-namco-1", "wave", False),
    ("dataset-2_wave-left-hand_normal_001", "bandai-namco-2", "wave", False),
    ("dataset-2_raise-up-both-hands_youthful_003", "bandai-namco-2", "raise_hand", False),
    ("dataset-1_guide_proud_001", "bandai-namco-1", "gesture", False),
    ("dataset-1_call_normal_002", "bandai-namco-1", "gesture", True),
    ("dataset-1_punch_normal_001", "bandai-namco-1", "strike", False),
    ("dataset-1_slash_normal_002", "bandai-namco-1", "strike", True),
    ("fallAndGetUp2_subject2", "lafan1", "fall/floor", True),
    ("ground1_subject1", "lafan1", "fall/floor", False),
    ("obstacles1_subject1", "lafan1", "stand", False),
])
def test_real_file_names_map_to_classes_and_splits(stem, folder, action, test):
    source, content, style, take = parse_clip_name(
        stem, "lafan1" if folder == "lafan1" else "bandai-namco")
    assert source == folder
    assert action_for_content(source, content) == action
    assert is_test_take(source, content, style, take) is test


@pytest.mark.parametrize(("relative", "content", "action", "test"), [
    ("07/07_01.bvh", "walk", "walk", False),
    ("08/08_04.bvh", "slow-walk", "walk", True),
    ("_max_skeleton/131_01.bvh", "start-walk-stop", "walk", False),
    ("09/09_01.bvh", "run", "run", False),
    ("13/13_18.bvh", "boxing", "strike", False),
    ("05/05_02.bvh", "dance", "dance", False),
    ("acrnn_dance/salsa/30.bvh", "salsa-dance", "dance", True),
    ("acrnn_dance/martial/03.bvh", "martial-dance", None, False),
    ("10/10_01.bvh", "soccer", None, False),
    ("14/14_27.bvh", "sit-on-high-stool", "sit", True),
    ("14/14_29.bvh", "sit-on-stepstool", "sit", False),
    ("13/13_30.bvh", "jumping-jacks", "squat", False),
    ("13/13_39.bvh", "jump", "jump", False),
    ("14/14_34.bvh", "climb-ladder", "climb", True),
    ("13/13_33.bvh", "climb-ladder", "climb", False),
    ("13/13_26.bvh", "direct-traffic", "gesture", False),
    ("13/13_10.bvh", "jump-up-to-grab", None, False),
    ("01/01_01.bvh", "playground", None, False),
])
def test_cmu_takes_map_to_classes_or_are_excluded(shared_data, relative, content, action, test):
    source, parsed, style, take = clip_labels(shared_data / "mocap" / "cmu" / relative, "cmu")
    assert (source, parsed, take) == ("cmu", content, relative.removesuffix(".bvh"))
    assert action_for_content(source, content) == action
    assert is_test_take(source, content, style, take) is test


def test_every_shipped_take_is_handled_explicitly(mocap_names):
    """Bandai Namco and LAFAN1 takes all feed a class; each CMU content feeds one or is
    excluded with a reason, never both."""
    assert len(mocap_names) == 797
    assert sum(source == "cmu" for source, *_ in mocap_names) == 191
    unused = {(s, c) for s, c, _, _ in mocap_names
              if s != "cmu" and action_for_content(s, c) is None}
    assert unused == set()
    cmu = {c for s, c, _, _ in mocap_names if s == "cmu"}
    mapped = {c for c in cmu if action_for_content("cmu", c) is not None}
    assert mapped | set(CMU_EXCLUDED) == cmu
    assert mapped & set(CMU_EXCLUDED) == set()
    assert all(reason for reason in CMU_EXCLUDED.values())


def test_every_listed_content_has_a_class(shared_data: Path):
    for number in (1, 2):
        listed = (shared_data / "mocap" / f"bandai-namco-{number}" / "cfg" /
                  "content_label.txt").read_text().split()
        for entry in listed:
            content = entry.split("_", 1)[1]
            assert action_for_content(f"bandai-namco-{number}", content) in ACTION_CLASSES


def test_every_class_has_train_and_test_takes(mocap_names):
    train, test = set(), set()
    for source, content, style, take in mocap_names:
        action = action_for_content(source, content)
        names = ({"fall", "floor"} if action == "fall/floor" else {action})
        if is_split_in_time(source, content):
            train |= names
            test |= names
        else:
            (test if is_test_take(source, content, style, take) else train).update(names)
    assert set(ACTION_CLASSES) - train == set()
    assert set(ACTION_CLASSES) - test == {"jump"}  # no jump take is in the lifter's held-out set


def test_the_lifter_never_trained_on_multi_style_test_takes(mocap_names):
    """Contents recorded in several styles hold out exactly the lifter's validation takes;
    CMU holds out those of them outside subject 14 and four of subject 14."""
    for source, content, style, take in mocap_names:
        if source.startswith("bandai-namco") and content not in {"call", "punch", "slash"}:
            assert (is_test_take(source, content, style, take)
                    == is_validation_take(source, style, take))
    cmu = [(content, take) for source, content, _, take in mocap_names if source == "cmu"]
    held_out = {take for content, take in cmu if is_test_take("cmu", content, "", take)}
    assert held_out <= {take for _, take in cmu if is_validation_take("cmu", "", take)}
    assert {take for take in held_out if "/14_" in take} == set(CMU_SUBJECT14_TESTS)
    assert {action_for_content("cmu", content) for content, take in cmu
            if take in CMU_SUBJECT14_TESTS} == {"sit", "climb"}


def test_class_names_are_unique_and_all_used():
    assert len(set(ACTION_CLASSES)) == len(ACTION_CLASSES)
    fed = set(CONTENT_CLASSES.values()) | set(FRAME_LABELLED.values())
    assert fed | {"stand", "fall", "floor"} == set(ACTION_CLASSES)
