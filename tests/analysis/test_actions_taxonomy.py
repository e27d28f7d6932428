"""Action taxonomy: real mocap file names map to classes; held-out takes follow the rule."""

from __future__ import annotations

from pathlib import Path

import pytest

from posemachines.analysis.action_taxonomy import (
    ACTION_CLASSES,
    CONTENT_CLASSES,
    action_for_content,
    is_split_in_time,
    is_test_take,
)
from posemachines.data.mocap import find_bvh_files, parse_clip_name
from posemachines.training.lifter_task import is_validation_take


def _labels(path: Path) -> tuple[str, str, str, str]:
    skeleton = "lafan1" if "lafan1" in path.parts else "bandai-namco"
    return parse_clip_name(path.stem, skeleton)


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


def test_every_shipped_take_feeds_a_class(mocap_names):
    assert len(mocap_names) == 606
    unused = {(s, c) for s, c, _, _ in mocap_names if action_for_content(s, c) is None}
    assert unused == set()


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
    assert set(ACTION_CLASSES) - test - {"stand"} == set()  # stand is tested on LAFAN1 and lead-ins


def test_the_lifter_never_trained_on_multi_style_test_takes(mocap_names):
    """Contents recorded in several styles hold out exactly the lifter's validation takes."""
    for source, content, style, take in mocap_names:
        if source.startswith("bandai-namco") and content not in {"call", "punch", "slash"}:
            assert (is_test_take(source, content, style, take)
                    == is_validation_take(source, style, take))


def test_class_names_are_unique_and_all_used():
    assert len(set(ACTION_CLASSES)) == len(ACTION_CLASSES)
    assert set(CONTENT_CLASSES.values()) | {"stand", "fall", "floor"} == set(ACTION_CLASSES)
