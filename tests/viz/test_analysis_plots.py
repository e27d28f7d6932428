"""analysis.png and actions.png drawn from an AnalysisReport (the pinned synthetic document)."""

from __future__ import annotations

from dataclasses import replace
from pathlib import Path

import cv2
import numpy as np
import pytest

from posemachines.analysis.report_json import read_analysis
from posemachines.errors import PoseDataError
from posemachines.structures.analysis import AnalysisReport, Skipped
from posemachines.viz.analysis_plots import (
    ACTIONS_PLOT_NAME,
    ANALYSIS_PLOT_NAME,
    DPI,
    plot_action_timeline,
    plot_analysis,
    write_analysis_plots,
)

#: RGB of the fall shading (red at alpha 0.15 over white), +-3 per channel.
FALL_SHADE_RGB = (255, 217, 217)


@pytest.fixture(scope="module")
def report(fixtures_dir: Path) -> AnalysisReport:
    """3 squats then a fall: angles (a gap in knee_flexion_L), 1 fall, 3 reps, 2 actions."""
    return read_analysis(fixtures_dir / "analysis_squats_fall.json")


def rgb(path: Path) -> np.ndarray:
    return cv2.cvtColor(cv2.imread(str(path)), cv2.COLOR_BGR2RGB)


def shaded_pixels(image: np.ndarray) -> int:
    return int(np.all(np.abs(image.astype(int) - FALL_SHADE_RGB) <= 3, axis=-1).sum())


def test_both_plots_are_written_with_actions(report, tmp_path):
    paths = write_analysis_plots(report, tmp_path)
    assert paths == [tmp_path / ANALYSIS_PLOT_NAME, tmp_path / ACTIONS_PLOT_NAME]
    # legs, arms, trunk and the repetitions panel: 2.4 in each + 0.6 in, 11 in wide.
    assert rgb(paths[0]).shape == (round((2.4 * 4 + 0.6) * DPI), 11 * DPI, 3)
    assert rgb(paths[1]).shape == (round(3.2 * DPI), 11 * DPI, 3)


def test_falls_are_shaded(report, tmp_path):
    shaded = rgb(plot_analysis(report, tmp_path / "with.png"))
    plain = rgb(plot_analysis(replace(report, falls=None), tmp_path / "without.png"))
    assert shaded_pixels(shaded) > 20_000
    assert shaded_pixels(plain) == 0


def test_only_the_analysis_plot_without_actions(report, tmp_path):
    skipped = replace(report, actions=Skipped("too short"))
    assert write_analysis_plots(skipped, tmp_path) == [tmp_path / ANALYSIS_PLOT_NAME]
    with pytest.raises(ValueError, match="no recognised actions"):
        plot_action_timeline(skipped, tmp_path / ACTIONS_PLOT_NAME)


def test_a_report_without_angles_or_reps_draws_one_panel(report, tmp_path):
    bare = replace(report, angles=Skipped("unseen"), falls=None, reps=None)
    image = rgb(plot_analysis(bare, tmp_path / ANALYSIS_PLOT_NAME))
    assert image.shape[0] == round((2.4 + 0.6) * DPI)


def test_an_unwritable_path_is_a_pose_data_error(report, tmp_path):
    with pytest.raises(PoseDataError, match="Cannot write"):
        plot_analysis(report, tmp_path / "missing" / ANALYSIS_PLOT_NAME)
