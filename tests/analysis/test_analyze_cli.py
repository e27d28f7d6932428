"""`posemachines analyze`: files written, flags, one-line errors with exit code 2."""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np
import pytest

from posemachines.cli import main
from posemachines.export.formats import write_json, write_npz
from tests.analysis.synthetic import (
    BANDAI_2,
    make_result,
    mocap_world_mm,
    standing_pose_mm,
    to_camera,
)


@pytest.fixture(scope="module")
def wave_dir(shared_data: Path, tmp_path_factory) -> Path:
    """A result folder holding poses3d.npz of a real left-hand wave (8 waves by hand count)."""
    world = mocap_world_mm(shared_data / BANDAI_2 / "dataset-2_wave-left-hand_normal_001.bvh")
    folder = tmp_path_factory.mktemp("wave")
    write_npz(make_result(to_camera(world, 15, 30)), folder / "poses3d.npz")
    return folder


def test_default_runs_angles_and_falls(wave_dir, capsys):
    assert main(["analyze", str(wave_dir)]) == 0
    analysis = json.loads((wave_dir / "analysis.json").read_text())
    assert "angles" in analysis and analysis["falls"]["events"] == []
    assert "reps" not in analysis
    assert (wave_dir / "analysis.png").stat().st_size > 10_000
    assert "0 fall(s)" in capsys.readouterr().out


def test_reps_only_with_a_joint_name(wave_dir, tmp_path, capsys):
    assert main(["analyze", str(wave_dir / "poses3d.npz"), "--reps", "LElbow",
                 "--out", str(tmp_path), "--no-plot"]) == 0
    analysis = json.loads((tmp_path / "analysis.json").read_text())
    assert set(analysis) & {"angles", "falls", "reps"} == {"reps"}
    assert analysis["reps"]["angle"] == "elbow_flexion_L"
    assert analysis["reps"]["count"] == 8
    assert not (tmp_path / "analysis.png").exists()
    assert "8 repetition(s) of elbow_flexion_L" in capsys.readouterr().out


def test_reads_poses3d_json_too(tmp_path, shared_data):
    world = mocap_world_mm(shared_data / BANDAI_2 / "dataset-2_wave-left-hand_normal_001.bvh")
    write_json(make_result(to_camera(world[:60])), tmp_path / "poses3d.json")
    assert main(["analyze", str(tmp_path), "--angles", "--no-plot"]) == 0
    analysis = json.loads((tmp_path / "analysis.json").read_text())
    assert analysis["num_frames"] == 60 and "falls" not in analysis


def test_falls_on_a_short_result_is_a_one_line_error(tmp_path, capsys):
    poses = to_camera(np.repeat(standing_pose_mm()[None], 10, axis=0))
    write_npz(make_result(poses), tmp_path / "poses3d.npz")
    assert main(["analyze", str(tmp_path), "--falls"]) == 2
    error = capsys.readouterr().err.strip()
    assert error.startswith("posemachines: error: Fall detection needs at least 1 s of poses")
    assert "\n" not in error and not (tmp_path / "analysis.json").exists()


def test_unknown_reps_joint_is_a_one_line_error(wave_dir, capsys):
    assert main(["analyze", str(wave_dir), "--reps", "LAnkle", "--no-plot"]) == 2
    assert "Unknown angle or joint 'LAnkle'" in capsys.readouterr().err


def test_missing_result_is_a_one_line_error(tmp_path, capsys):
    assert main(["analyze", str(tmp_path)]) == 2
    assert "holds neither poses3d.npz nor poses3d.json" in capsys.readouterr().err
