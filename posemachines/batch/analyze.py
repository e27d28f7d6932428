"""`--analyze` for one result: angles, falls and actions, written beside its poses (what
`posemachines infer --analyze` and a batch worker do)."""

from __future__ import annotations

from pathlib import Path

from posemachines.analysis.report import analyze_result, frame_labels
from posemachines.analysis.report_json import write_analysis
from posemachines.errors import PoseDataError
from posemachines.structures import PoseResult
from posemachines.viz.analysis_plots import write_analysis_plots


def analyze_into(result: PoseResult, out_dir: Path) -> list[str]:
    """Analyse `result` (angles, falls, actions), write analysis.json and its plots into
    `out_dir`, and return the overlay text of each pose."""
    try:
        report = analyze_result(result, actions=True)
    except PoseDataError:  # too short or gappy for 2 s action windows: angles and falls only
        report = analyze_result(result)
    write_analysis(report, out_dir)
    write_analysis_plots(report, out_dir)
    return frame_labels(report, result.num_frames)
