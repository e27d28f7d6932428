"""Outputs appear whole or not at all: `staging` and `write_outputs` stopped mid-way."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest

from posemachines.export import people, writer
from posemachines.export.writer import write_outputs
from posemachines.staging import partial_path, staged
from tests.export.people_samples import sample_people
from tests.export.sample_poses import make_result


def test_a_partial_file_is_hidden_beside_its_own_with_the_same_suffix(tmp_path: Path) -> None:
    assert partial_path(tmp_path / "overlay.mp4") == tmp_path / ".partial-overlay.mp4"


def test_a_finished_block_renames_what_it_wrote_onto_the_final_names(tmp_path: Path) -> None:
    final, untouched = tmp_path / "a.json", tmp_path / "b.json"
    untouched.write_text("from an earlier run")
    with staged(final, untouched) as (first, second):
        first.write_text("new")
        assert not final.exists()  # nothing under the final name until the block ends
    assert final.read_text() == "new"
    assert untouched.read_text() == "from an earlier run"  # its partial was never written
    assert sorted(p.name for p in tmp_path.iterdir()) == ["a.json", "b.json"]


@pytest.mark.parametrize("stop", [KeyboardInterrupt, ValueError])
def test_a_stopped_block_deletes_its_partial_files_and_keeps_the_old_ones(
        tmp_path: Path, stop: type[BaseException]) -> None:
    final = tmp_path / "poses3d.json"
    final.write_text("complete, from an earlier run")
    with pytest.raises(stop), staged(final) as (partial,):
        partial.write_text("half of a")
        raise stop
    assert final.read_text() == "complete, from an earlier run"
    assert [p.name for p in tmp_path.iterdir()] == ["poses3d.json"]


def test_write_outputs_stopped_in_one_output_keeps_those_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped_glb(result, path: Path) -> None:
        path.write_bytes(b"glTF half of it")
        raise KeyboardInterrupt  # Ctrl-C, or SIGTERM as the CLI raises it

    monkeypatch.setattr(writer, "write_glb", stopped_glb)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        write_outputs(make_result(3), out, ("json", "bvh", "glb", "html"))
    assert sorted(p.name for p in out.iterdir()) == ["motion.bvh", "poses3d.json"]


def test_write_outputs_stopped_in_the_videos_leaves_neither(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def frames():
        for index in range(4):
            if index == 2:
                raise KeyboardInterrupt
            yield index, index / 25.0, np.zeros((48, 64, 3), np.uint8)

    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        write_outputs(make_result(3), out, ("json", "overlay", "skeleton3d"), frames=frames)
    assert [p.name for p in out.iterdir()] == ["poses3d.json"]


def test_several_people_stopped_in_a_bvh_keep_the_files_before_it(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    def stopped_bvh(person, path: Path) -> None:
        path.write_text("HIERARCHY\nROOT Hip\n")
        raise KeyboardInterrupt

    monkeypatch.setattr(people, "write_motion_bvh", stopped_bvh)
    out = tmp_path / "out"
    with pytest.raises(KeyboardInterrupt):
        people.write_people_outputs(sample_people(), out, ("json", "csv", "bvh"))
    assert sorted(p.name for p in out.iterdir()) == ["people3d.csv", "people3d.json"]
