"""Held-out takes: the fixed rule per source, and the CMU split on the shipped files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest

from posemachines.data.mocap import MANIFEST_NAME
from posemachines.data.splits import (
    CMU_HELD_OUT_SUBJECTS,
    is_cmu_validation_take,
    is_validation_take,
)


@pytest.mark.parametrize(("source", "style", "take", "held_out"), [
    ("bandai-namco-2", "normal", "006", True),
    ("bandai-namco-2", "active", "001", False),
    ("bandai-namco-1", "active", "001", True),
    ("bandai-namco-1", "normal", "002", False),
    ("lafan1", "", "2_subject2", True),
    ("lafan1", "", "1_subject1", False),
    ("cmu", "", "08/08_01", True),
    ("cmu", "", "14/14_27", True),
    ("cmu", "", "13/13_01", False),
    ("cmu", "", "_mb_skeleton/02_01", False),
    ("cmu", "", "_max_skeleton/131_01", False),
    ("cmu", "", "acrnn_dance/salsa/15", True),
    ("cmu", "", "acrnn_dance/salsa/30", True),
    ("cmu", "", "acrnn_dance/salsa/01", False),
    ("cmu", "", "acrnn_dance/indian/15", True),
    ("cmu", "", "acrnn_dance/martial/10", True),
    ("cmu", "", "salsa/15", True),  # a copy named without the manifest
    ("cmu", "", "walks/08_02", True),
    ("h36m", "", "S9", False),
])
def test_rule_per_source(source: str, style: str, take: str, held_out: bool) -> None:
    assert is_validation_take(source, style, take) is held_out


@pytest.fixture(scope="module")
def cmu_takes(shared_data: Path) -> dict[str, int]:
    """Shipped CMU take name -> frames at 30 fps, from the manifest."""
    with (shared_data / "mocap" / "cmu" / MANIFEST_NAME).open(newline="") as handle:
        return {row["file"].removesuffix(".bvh"): int(row["frames_30fps"])
                for row in csv.DictReader(handle)}


def test_cmu_split_holds_out_whole_subjects_and_a_fifth_of_the_frames(cmu_takes) -> None:
    held = {take for take in cmu_takes if is_cmu_validation_take(take)}
    share = sum(cmu_takes[take] for take in held) / sum(cmu_takes.values())
    assert 0.15 < share < 0.30
    for take in cmu_takes:
        subject = take.rsplit("/", 1)[-1].split("_")[0]
        if "_" in take.rsplit("/", 1)[-1]:
            assert (take in held) is (int(subject) in CMU_HELD_OUT_SUBJECTS), take
    # Every dance style and some walks are tested; everything else of subject 13 trains.
    assert {take.split("/")[1] for take in held if take.startswith("acrnn_dance")} == {
        "salsa", "indian", "martial"}
    assert not any(take.startswith("13/") for take in held)


def test_cmu_split_keeps_salsa_partners_together(cmu_takes) -> None:
    """acRNN salsa NN and NN + 15 are the two dancers of one recording (equal lengths)."""
    salsa = {int(t.rsplit("/", 1)[1]): n for t, n in cmu_takes.items() if "/salsa/" in t}
    pairs = [(n, n + 15) for n in range(1, 16) if n in salsa and n + 15 in salsa]
    assert len(pairs) == 14
    for first, second in pairs:
        assert salsa[first] == salsa[second]
        assert (is_cmu_validation_take(f"acrnn_dance/salsa/{first:02d}")
                is is_cmu_validation_take(f"acrnn_dance/salsa/{second:02d}"))
