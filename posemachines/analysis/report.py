"""Run the analyses on a PoseResult into an AnalysisReport, and label its poses for overlays.

`analyze_result` computes the report (`structures.analysis`): one section per analysis asked
for, a `Skipped` section for one that could not run when the run is not strict.
`report_json.write_analysis` writes it as analysis.json, `viz.analysis_plots` draws
analysis.png and actions.png. docs/analysis.md documents the fields; docs/actions.md the
action recognition.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import TypeVar

import numpy as np

from posemachines.analysis.action_report import action_row_labels, actions_section
from posemachines.analysis.angles import joint_angles, resolve_angle_name
from posemachines.analysis.falls import FallEvent, detect_falls
from posemachines.analysis.gait_report import FLOOR_METHOD, gait_section, world_up
from posemachines.analysis.reps import count_repetitions
from posemachines.analysis.vertical import VERTICAL_JOINTS, estimate_up
from posemachines.errors import PoseDataError
from posemachines.optional import MissingDependencyError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures import PoseResult
from posemachines.structures.analysis import (
    ActionsSection,
    AnalysisReport,
    AnglesSection,
    AngleSummary,
    FallEventReport,
    FallsSection,
    RepsSection,
    Skipped,
    VerticalSection,
)
from posemachines.version import __version__

#: Joints seen with less confidence than this count as missing.
MIN_CONFIDENCE = 0.1
#: Joints fall detection reads; each must be seen in at least half of the frames.
FALL_JOINTS = ("Hip", "RHip", "LHip", "RKnee", "LKnee", "RFoot", "LFoot", "Thorax", "Head")
Section = TypeVar("Section")


def _joints16_order(result: PoseResult) -> list[int]:
    """Indices of JOINTS16 in the result's joint order; PoseDataError when one is missing."""
    names = list(result.joint_names)
    missing = [name for name in JOINTS16_NAMES if name not in names]
    if missing:
        raise PoseDataError(f"The result lacks the joints {', '.join(missing)} that the "
                            "analysis needs.")
    return [names.index(name) for name in JOINTS16_NAMES]


def poses_in_joint_order(result: PoseResult) -> tuple[np.ndarray, np.ndarray]:
    """(T, 16, 3) mm poses and (T, 16) confidence reordered to JOINTS16 by joint name."""
    order = _joints16_order(result)
    poses = np.asarray(result.pose3d_mm, dtype=np.float64)[:, order]
    return poses, np.asarray(result.confidence, dtype=np.float64)[:, order]


def keypoints_in_joint_order(result: PoseResult) -> tuple[np.ndarray, np.ndarray]:
    """(T, 16, 2) px keypoints and (T, 16) confidence reordered to JOINTS16 by joint name."""
    order = _joints16_order(result)
    return (np.asarray(result.keypoints_px, dtype=np.float64)[:, order],
            np.asarray(result.confidence, dtype=np.float64)[:, order])


def _check_seen(confidence: np.ndarray, joints: tuple[str, ...], what: str) -> None:
    seen = confidence[:, [JOINTS16_NAMES.index(j) for j in joints]] >= MIN_CONFIDENCE
    unseen = [j for j, fraction in zip(joints, seen.mean(axis=0), strict=True) if fraction < 0.5]
    if unseen:
        raise PoseDataError(f"{what} needs {', '.join(unseen)}, which the result misses in "
                            "most frames.")


def _floats(values: np.ndarray, digits: int = 2) -> tuple[float | None, ...]:
    """Rounded to `digits` decimals; NaN becomes None (null in JSON)."""
    return tuple(None if not math.isfinite(v) else round(float(v), digits) for v in values)


def _angles_section(poses: np.ndarray, confidence: np.ndarray, up: np.ndarray) -> AnglesSection:
    angles = joint_angles(poses, confidence, up=up, min_confidence=MIN_CONFIDENCE)
    summary: dict[str, AngleSummary | None] = {}
    for k, name in enumerate(angles.names):
        column = angles.degrees[:, k]
        finite = column[np.isfinite(column)]
        summary[name] = (AngleSummary(min_deg=round(float(finite.min()), 2),
                                      max_deg=round(float(finite.max()), 2),
                                      mean_deg=round(float(finite.mean()), 2))
                         if len(finite) else None)
    return AnglesSection(
        names=tuple(angles.names),
        series_deg={name: _floats(angles.degrees[:, k]) for k, name in enumerate(angles.names)},
        summary=summary,
    )


def _event_report(event: FallEvent, result: PoseResult) -> FallEventReport:
    last = result.num_frames - 1
    return FallEventReport(
        start_row=event.start_frame, end_row=event.end_frame,
        down_until_row=min(last, event.end_frame + int(round(event.down_s * result.fps))),
        start_frame=int(result.frame_indices[event.start_frame]),
        end_frame=int(result.frame_indices[event.end_frame]),
        start_s=round(float(result.timestamps_s[event.start_frame]), 3),
        end_s=round(float(result.timestamps_s[event.end_frame]), 3),
        confidence=event.confidence,
        drop_speed_legs_per_s=round(event.drop_speed, 3),
        down_s=round(event.down_s, 3),
        trunk_after_deg=round(event.trunk_after_deg, 1),
    )


def _falls_section(poses: np.ndarray, confidence: np.ndarray, result: PoseResult,
                   up: np.ndarray, min_confidence: float) -> FallsSection:
    _check_seen(confidence, FALL_JOINTS, "Fall detection")
    events, signals = detect_falls(poses, result.fps, up=up, min_confidence=min_confidence)
    return FallsSection(
        min_confidence=min_confidence,
        events=tuple(_event_report(event, result) for event in events),
        pelvis_height_legs=_floats(signals.pelvis_height, 3),
        trunk_inclination_deg=_floats(signals.trunk_inclination_deg, 1),
        leg_length_mm=round(signals.leg_length_mm, 1),
    )


def _reps_section(poses: np.ndarray, confidence: np.ndarray, result: PoseResult,
                  up: np.ndarray, angle: str) -> RepsSection:
    name = resolve_angle_name(angle)
    signal = joint_angles(poses, confidence, up=up, min_confidence=MIN_CONFIDENCE)[name]
    counted = count_repetitions(signal, result.fps)
    return RepsSection(
        angle=name,
        count=counted.count,
        peak_rows=tuple(int(p) for p in counted.peak_frames),
        peak_frames=tuple(int(result.frame_indices[p]) for p in counted.peak_frames),
        peak_times_s=tuple(round(float(result.timestamps_s[p]), 3) for p in counted.peak_frames),
        period_s=None if counted.period_s is None else round(counted.period_s, 3),
        angle_deg=_floats(signal),
    )


def _run(strict: bool, build: Callable[[], Section]) -> Section | Skipped:
    """`build()`, or Skipped(why) where its data or an optional package (torch for actions)
    falls short, unless `strict`."""
    try:
        return build()
    except (PoseDataError, MissingDependencyError) as error:
        if strict:
            raise
        return Skipped(str(error))


def analyze_result(
    result: PoseResult,
    *,
    angles: bool = True,
    falls: bool = True,
    reps: str | None = None,
    min_fall_confidence: float = 0.5,
    actions: bool = False,
    action_weights: Path | str | None = None,
    strict: bool = False,
    gait: bool = True,
) -> AnalysisReport:
    """The AnalysisReport of `result` (write it with `report_json.write_analysis`).

    reps: an angle name (or a joint like 'LKnee') whose repetitions to count, or None.
    min_fall_confidence: report falls at or above this confidence, 0..1.
    actions: recognise actions (`analysis.actions`) with `action_weights` (a path; default
    shipped). gait: cadence, steps and speed from the foot contacts (for a result with a
    `world`; none without). Up (against gravity) is the floor's normal when the result is in
    the world frame, else estimated from the body (`analysis.vertical`). strict: raise
    PoseDataError when an analysis cannot run (too few frames, missing joints) instead of
    recording it as Skipped(reason) (gait, which is never asked for by name, is always
    Skipped so).
    """
    if result.num_frames == 0:
        raise PoseDataError("The result holds no poses to analyse.")
    poses, confidence = poses_in_joint_order(result)
    seen = confidence[:, [JOINTS16_NAMES.index(j) for j in VERTICAL_JOINTS]] >= MIN_CONFIDENCE
    vertical = estimate_up(poses[seen.all(axis=1)])
    floor_up = world_up(result)
    up = vertical.up if floor_up is None else floor_up
    method = vertical.method if floor_up is None else FLOOR_METHOD
    return AnalysisReport(
        generator=f"posemachines {__version__}", source=result.source,
        fps=float(result.fps),
        frame_indices=tuple(int(i) for i in result.frame_indices),
        timestamps_s=tuple(round(float(t), 4) for t in result.timestamps_s),
        vertical=VerticalSection(
            up_camera=tuple(round(float(v), 4) for v in up), method=method,
            upright_fraction=round(vertical.upright_fraction, 3),
            spread_deg=None if math.isnan(vertical.spread_deg)
            else round(vertical.spread_deg, 2),
        ),
        angles=_run(strict, lambda: _angles_section(poses, confidence, up)) if angles else None,
        falls=_run(strict, lambda: _falls_section(poses, confidence, result, up,
                                                  min_fall_confidence)) if falls else None,
        reps=None if reps is None else _run(strict, lambda: _reps_section(
            poses, confidence, result, up, reps)),
        actions=_run(strict, lambda: actions_section(
            poses, result, up, action_weights, keypoints_in_joint_order(result)))
        if actions else None,
        # never strict: nobody asks for gait by name, so a camera-frame world must not fail
        # the sections that were asked for (it is Skipped with the reason instead)
        gait=_run(False, lambda: gait_section(result))
        if gait and result.world is not None else None,
    )


def _angle_text(angles: AnglesSection | Skipped | None, row: int) -> str:
    if not isinstance(angles, AnglesSection) or not angles.series_deg:
        return ""

    def degrees(name: str) -> str:
        value = angles.series_deg[name][row]
        return "--" if value is None else f"{value:.0f}°"

    return f"knee L {degrees('knee_flexion_L')} R {degrees('knee_flexion_R')}"


def frame_labels(report: AnalysisReport, num_frames: int) -> list[str]:
    """One short text per pose row, e.g. "knee L 42° R 38° | reps 3 | walk 91% | FALL"."""
    if num_frames != report.num_frames:
        raise PoseDataError(f"The analysis covers {report.num_frames} poses, "
                            f"not {num_frames}.")
    falling = np.zeros(num_frames, dtype=bool)
    if isinstance(report.falls, FallsSection):
        for event in report.falls.events:
            falling[event.start_row: event.down_until_row + 1] = True
    reps = report.reps if isinstance(report.reps, RepsSection) else None
    peaks = np.array(reps.peak_rows if reps is not None else [], dtype=np.int64)
    actions = [""] * num_frames
    if isinstance(report.actions, ActionsSection):
        actions = action_row_labels(report.actions, num_frames)
    labels = []
    for row in range(num_frames):
        parts = [_angle_text(report.angles, row)]
        if reps is not None:
            parts.append(f"reps {int(np.sum(peaks <= row))}")
        parts.append(actions[row])
        if falling[row]:
            parts.append("FALL")
        labels.append(" | ".join(part for part in parts if part))
    return labels
