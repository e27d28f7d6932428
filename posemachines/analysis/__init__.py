"""Motion analysis on 3D pose results: joint angles, falls, repetitions, actions.

Each analysis works on (T, 16, 3) mm root-relative poses in a camera frame (x right, y down,
z forward) whose tilt is unknown: `vertical.estimate_up` finds gravity from the poses.
`report.analyze_result` runs them on a PoseResult into an AnalysisReport
(`structures.analysis`), `report_json.write_analysis` writes it as analysis.json (its plots are
drawn by `viz.analysis_plots`); docs/analysis.md describes the methods and the numbers measured
on the shipped mocap.
"""

from __future__ import annotations

from typing import TYPE_CHECKING

from posemachines.lazy import lazy_attributes

if TYPE_CHECKING:
    from posemachines.analysis.actions import ActionTimeline, recognize_actions
    from posemachines.analysis.angles import ANGLE_NAMES, JointAngles, joint_angles
    from posemachines.analysis.falls import FallEvent, FallSignals, detect_falls, fall_signals
    from posemachines.analysis.report import analyze_result, frame_labels
    from posemachines.analysis.report_json import read_analysis, write_analysis
    from posemachines.analysis.reps import RepetitionCount, count_repetitions
    from posemachines.analysis.vertical import VerticalEstimate, estimate_up

#: Public name -> the submodule that defines it; names load on first use, so that angles, falls
#: and repetitions never import torch (only the action model needs it).
_HOMES = {
    "ActionTimeline": "actions", "recognize_actions": "actions", "ANGLE_NAMES": "angles",
    "JointAngles": "angles", "joint_angles": "angles", "FallEvent": "falls",
    "FallSignals": "falls", "detect_falls": "falls", "fall_signals": "falls",
    "analyze_result": "report", "frame_labels": "report", "read_analysis": "report_json",
    "write_analysis": "report_json", "RepetitionCount": "reps",
    "count_repetitions": "reps", "VerticalEstimate": "vertical", "estimate_up": "vertical",
}
__all__ = [
    "ANGLE_NAMES", "ActionTimeline", "FallEvent", "FallSignals", "JointAngles", "RepetitionCount",
    "VerticalEstimate", "analyze_result", "count_repetitions", "detect_falls", "estimate_up",
    "fall_signals", "frame_labels", "joint_angles", "read_analysis", "recognize_actions",
    "write_analysis",
]

__getattr__ = lazy_attributes(__name__, _HOMES)
