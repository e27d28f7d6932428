"""`posemachines analyze --actions`: segments in analysis.json, the timeline PNG, labels, errors."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.report import analyze_result, frame_labels
from posemachines.cli import main
from posemachines.export.formats import write_npz
from posemachines.structures.analysis import Skipped
from tests.analysis.synthetic import BANDAI_1, make_result, mocap_world_mm, to_camera
from tests.analysis.test_report import PNG_SIGNATURE


@pytest.fixture(scope="module")
def bow_dir(shared_data: Path, tmp_path_factory) -> Path:
    """A result folder with poses3d.npz of a held-out real bow (4.3 s) seen by a tilted camera."""
    world = mocap_world_mm(shared_data / BANDAI_1 / "dataset-1_bow_active_001.bvh")
    folder = tmp_path_factory.mktemp("bow")
    write_npz(make_result(to_camera(world, 15, -40), first_frame=7), folder / "poses3d.npz")
    return folder


def test_actions_write_segments_and_a_timeline(bow_dir, capsys):
    assert main(["analyze", str(bow_dir), "--actions"]) == 0
    analysis = json.loads((bow_dir / "analysis.json").read_text())
    assert set(analysis) & {"angles", "falls", "reps", "actions"} == {"actions"}
    segments = analysis["actions"]["segments"]
    assert segments[0]["start_row"] == 0 and segments[-1]["end_row"] == 127
    assert segments[0]["start_frame"] == 7 and segments[-1]["end_s"] == pytest.approx(134 / 30,
                                                                                     abs=1e-3)
    assert {s["label"] for s in segments} == {"bow"}
    assert 0.5 < segments[0]["confidence"] <= 1.0
    assert len(analysis["actions"]["label_probability"]) == 128
    assert (bow_dir / "actions.png").read_bytes()[:8] == PNG_SIGNATURE
    assert "1 action segment(s) (bow)" in capsys.readouterr().out


def test_overlay_labels_show_the_action(bow_dir):
    result_poses = np.load(bow_dir / "poses3d.npz")["pose3d_mm"]
    report = analyze_result(make_result(result_poses), actions=True, falls=False)
    labels = frame_labels(report, len(result_poses))
    assert labels[60].startswith("knee L ") and " | bow " in labels[60]
    assert labels[60].endswith("%")


def test_a_short_result_is_a_one_line_error(tmp_path, shared_data, capsys):
    world = mocap_world_mm(shared_data / BANDAI_1 / "dataset-1_bow_active_001.bvh")[:30]
    write_npz(make_result(to_camera(world)), tmp_path / "poses3d.npz")
    assert main(["analyze", str(tmp_path), "--actions"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("posemachines: error: Action recognition needs at least 1.97 s")
    assert "\n" not in error and not (tmp_path / "analysis.json").exists()


def test_default_analysis_is_unchanged_and_short_results_skip_actions(tmp_path, shared_data):
    world = mocap_world_mm(shared_data / BANDAI_1 / "dataset-1_bow_active_001.bvh")[:40]
    result = make_result(to_camera(world))
    assert analyze_result(result).actions is None
    skipped = analyze_result(result, actions=True, falls=False).actions
    assert isinstance(skipped, Skipped)
    assert skipped.reason.startswith("Action recognition needs at least")


def test_missing_weights_are_a_one_line_error(bow_dir, tmp_path, capsys):
    assert main(["analyze", str(bow_dir), "--actions", "--action-weights",
                 str(tmp_path / "none.pt"), "--out", str(tmp_path)]) == 2
    assert "Action weights" in capsys.readouterr().err


def test_no_plot_skips_both_plots(bow_dir, tmp_path):
    assert main(["analyze", str(bow_dir), "--actions", "--no-plot", "--out", str(tmp_path)]) == 0
    assert sorted(p.name for p in tmp_path.iterdir()) == ["analysis.json"]
