"""analysis.json: an AnalysisReport as a JSON document, and back.

The document holds the shared fields ("format", "version", "generator", "source", "fps",
"num_frames", "frame_indices", "timestamps_s", "vertical") and one key per analysis that ran
("angles", "falls", "reps", "actions", "gait"); an analysis that was skipped holds
{"skipped": "<reason>"}. docs/analysis.md and docs/actions.md document the fields; the key
order below is the order in the file.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from posemachines.errors import PoseDataError
from posemachines.structures.analysis import (
    FORMAT_NAME,
    FORMAT_VERSION,
    ActionSegmentReport,
    ActionsSection,
    AnalysisReport,
    AnglesSection,
    AngleSummary,
    FallEventReport,
    FallsSection,
    GaitSection,
    RepsSection,
    Skipped,
    VerticalSection,
)

JSON_NAME = "analysis.json"
Section = TypeVar("Section")


def report_to_json(report: AnalysisReport) -> dict[str, Any]:
    """The analysis.json document of `report` (JSON types only, keys in file order)."""
    vertical = report.vertical
    document: dict[str, Any] = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION, "generator": report.generator,
        "source": report.source, "fps": report.fps, "num_frames": report.num_frames,
        "frame_indices": list(report.frame_indices),
        "timestamps_s": list(report.timestamps_s),
        "vertical": {
            "up_camera": list(vertical.up_camera), "method": vertical.method,
            "upright_fraction": vertical.upright_fraction, "spread_deg": vertical.spread_deg,
        },
    }
    sections: tuple[tuple[str, object, Callable[[Any], dict[str, Any]]], ...] = (
        ("angles", report.angles, _angles_json), ("falls", report.falls, _falls_json),
        ("reps", report.reps, _reps_json), ("actions", report.actions, _actions_json),
        ("gait", report.gait, _gait_json))
    for key, section, to_json in sections:
        if isinstance(section, Skipped):
            document[key] = {"skipped": section.reason}
        elif section is not None:
            document[key] = to_json(section)
    return document


def _angles_json(section: AnglesSection) -> dict[str, Any]:
    return {
        "units": "deg",
        "names": list(section.names),
        "series": {name: list(values) for name, values in section.series_deg.items()},
        "summary": {name: None if stats is None else
                    {"min": stats.min_deg, "max": stats.max_deg, "mean": stats.mean_deg}
                    for name, stats in section.summary.items()},
    }


def _falls_json(section: FallsSection) -> dict[str, Any]:
    return {
        "min_confidence": section.min_confidence,
        "events": [{
            "start_row": e.start_row, "end_row": e.end_row, "down_until_row": e.down_until_row,
            "start_frame": e.start_frame, "end_frame": e.end_frame,
            "start_s": e.start_s, "end_s": e.end_s, "confidence": e.confidence,
            "drop_speed_legs_per_s": e.drop_speed_legs_per_s, "down_s": e.down_s,
            "trunk_after_deg": e.trunk_after_deg,
        } for e in section.events],
        "pelvis_height_legs": list(section.pelvis_height_legs),
        "trunk_inclination_deg": list(section.trunk_inclination_deg),
        "leg_length_mm": section.leg_length_mm,
    }


def _reps_json(section: RepsSection) -> dict[str, Any]:
    return {
        "angle": section.angle, "count": section.count,
        "peak_rows": list(section.peak_rows), "peak_frames": list(section.peak_frames),
        "peak_times_s": list(section.peak_times_s), "period_s": section.period_s,
        "degrees": list(section.angle_deg),
    }


def _actions_json(section: ActionsSection) -> dict[str, Any]:
    return {
        "window_s": section.window_s,
        "classes": list(section.classes),
        "segments": [{
            "start_row": s.start_row, "end_row": s.end_row,
            "start_frame": s.start_frame, "end_frame": s.end_frame,
            "start_s": s.start_s, "end_s": s.end_s, "label": s.label, "confidence": s.confidence,
        } for s in section.segments],
        "label_probability": list(section.label_probability),
    }


def _gait_json(section: GaitSection) -> dict[str, Any]:
    return {
        "num_steps": section.num_steps, "cadence_steps_per_min": section.cadence_steps_per_min,
        "step_length": section.step_length, "stride_length": section.stride_length,
        "walking_speed": section.walking_speed, "length_unit": section.length_unit,
        "stance_fraction": dict(section.stance_fraction),
    }


def report_from_json(document: dict[str, Any]) -> AnalysisReport:
    """The AnalysisReport of an analysis.json document; PoseDataError if it is not one."""
    if not isinstance(document, dict) or document.get("format") != FORMAT_NAME:
        raise PoseDataError(f"The document is not a {FORMAT_NAME} document.")
    try:
        vertical = document["vertical"]
        return AnalysisReport(
            generator=document["generator"], source=document["source"], fps=document["fps"],
            frame_indices=tuple(document["frame_indices"]),
            timestamps_s=tuple(document["timestamps_s"]),
            vertical=VerticalSection(
                up_camera=tuple(vertical["up_camera"]), method=vertical["method"],
                upright_fraction=vertical["upright_fraction"],
                spread_deg=vertical["spread_deg"]),
            angles=_section(document.get("angles"), _angles_from_json),
            falls=_section(document.get("falls"), _falls_from_json),
            reps=_section(document.get("reps"), _reps_from_json),
            actions=_section(document.get("actions"), _actions_from_json),
            gait=_section(document.get("gait"), lambda value: GaitSection(**value)),
        )
    except (KeyError, TypeError) as error:
        raise PoseDataError(f"The {FORMAT_NAME} document has a bad or missing field "
                            f"{error}.") from None


def _section(value: dict[str, Any] | None,
             from_json: Callable[[dict[str, Any]], Section]) -> Section | Skipped | None:
    if value is None:
        return None
    if "skipped" in value:
        return Skipped(value["skipped"])
    return from_json(value)


def _angles_from_json(value: dict[str, Any]) -> AnglesSection:
    return AnglesSection(
        names=tuple(value["names"]),
        series_deg={name: tuple(values) for name, values in value["series"].items()},
        summary={name: None if stats is None else
                 AngleSummary(min_deg=stats["min"], max_deg=stats["max"], mean_deg=stats["mean"])
                 for name, stats in value["summary"].items()},
    )


def _falls_from_json(value: dict[str, Any]) -> FallsSection:
    return FallsSection(
        min_confidence=value["min_confidence"],
        events=tuple(FallEventReport(**event) for event in value["events"]),
        pelvis_height_legs=tuple(value["pelvis_height_legs"]),
        trunk_inclination_deg=tuple(value["trunk_inclination_deg"]),
        leg_length_mm=value["leg_length_mm"],
    )


def _reps_from_json(value: dict[str, Any]) -> RepsSection:
    return RepsSection(
        angle=value["angle"], count=value["count"], peak_rows=tuple(value["peak_rows"]),
        peak_frames=tuple(value["peak_frames"]), peak_times_s=tuple(value["peak_times_s"]),
        period_s=value["period_s"], angle_deg=tuple(value["degrees"]),
    )


def _actions_from_json(value: dict[str, Any]) -> ActionsSection:
    return ActionsSection(
        window_s=value["window_s"], classes=tuple(value["classes"]),
        segments=tuple(ActionSegmentReport(**segment) for segment in value["segments"]),
        label_probability=tuple(value["label_probability"]),
    )


def write_analysis(report: AnalysisReport, out_dir: Path | str) -> Path:
    """Write `report` as analysis.json into `out_dir` (created if needed); returns the path."""
    out_dir = Path(out_dir)
    path = out_dir / JSON_NAME
    text = json.dumps(report_to_json(report), allow_nan=False) + "\n"
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write {path}: {error.strerror}.") from None
    return path


def read_analysis(path: Path | str) -> AnalysisReport:
    """The AnalysisReport in an analysis.json file (or a folder holding one)."""
    path = Path(path)
    if path.is_dir():
        path = path / JSON_NAME
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
    except OSError as error:
        raise PoseDataError(f"Cannot read {path}: {error.strerror}.") from None
    except json.JSONDecodeError as error:
        raise PoseDataError(f"{path} is not JSON ({error.msg}, line {error.lineno}).") from None
    return report_from_json(document)
