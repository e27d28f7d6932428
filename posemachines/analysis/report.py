"""Run the analyses on a PoseResult and write analysis.json and analysis.png.

analysis.json holds one key per analysis ("angles", "falls", "reps", "actions") beside the
shared fields ("format", "version", "source", "fps", "num_frames", "frame_indices",
"timestamps_s", "vertical"). An analysis that could not run
holds {"skipped": "<reason>"} when the run is not strict. docs/analysis.md documents the fields;
docs/actions.md the action recognition (its timeline goes to actions.png).
"""

from __future__ import annotations

import json
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import numpy as np

from posemachines import __version__
from posemachines.analysis.angles import joint_angles, resolve_angle_name
from posemachines.analysis.falls import FallEvent, detect_falls
from posemachines.analysis.reps import count_repetitions
from posemachines.analysis.vertical import VERTICAL_JOINTS, estimate_up
from posemachines.errors import PoseDataError
from posemachines.inference.result import PoseResult
from posemachines.skeleton import JOINTS16_NAMES

FORMAT_NAME = "posemachines.analysis"
FORMAT_VERSION = 1
JSON_NAME, PLOT_NAME = "analysis.json", "analysis.png"
#: Joints seen with less confidence than this count as missing.
MIN_CONFIDENCE = 0.1
#: Joints fall detection reads; each must be seen in at least half of the frames.
FALL_JOINTS = ("Hip", "RHip", "LHip", "RKnee", "LKnee", "RFoot", "LFoot", "Thorax", "Head")


def poses_in_joint_order(result: PoseResult) -> tuple[np.ndarray, np.ndarray]:
    """(T, 16, 3) mm poses and (T, 16) confidence reordered to JOINTS16 by joint name."""
    names = list(result.joint_names)
    missing = [name for name in JOINTS16_NAMES if name not in names]
    if missing:
        raise PoseDataError(f"The result lacks the joints {', '.join(missing)} that the "
                            "analysis needs.")
    order = [names.index(name) for name in JOINTS16_NAMES]
    poses = np.asarray(result.pose3d_mm, dtype=np.float64)[:, order]
    return poses, np.asarray(result.confidence, dtype=np.float64)[:, order]


def _check_seen(confidence: np.ndarray, joints: tuple[str, ...], what: str) -> None:
    seen = confidence[:, [JOINTS16_NAMES.index(j) for j in joints]] >= MIN_CONFIDENCE
    unseen = [j for j, fraction in zip(joints, seen.mean(axis=0), strict=True) if fraction < 0.5]
    if unseen:
        raise PoseDataError(f"{what} needs {', '.join(unseen)}, which the result misses in "
                            "most frames.")


def _floats(values: np.ndarray, digits: int = 2) -> list[float | None]:
    """JSON-safe list: NaN becomes null."""
    return [None if not math.isfinite(v) else round(float(v), digits) for v in values]


def _angles_section(poses: np.ndarray, confidence: np.ndarray, up: np.ndarray) -> dict:
    angles = joint_angles(poses, confidence, up=up, min_confidence=MIN_CONFIDENCE)
    summary = {}
    for k, name in enumerate(angles.names):
        column = angles.degrees[:, k]
        finite = column[np.isfinite(column)]
        summary[name] = ({"min": round(float(finite.min()), 2),
                          "max": round(float(finite.max()), 2),
                          "mean": round(float(finite.mean()), 2)} if len(finite) else None)
    return {
        "units": "deg",
        "names": list(angles.names),
        "series": {name: _floats(angles.degrees[:, k]) for k, name in enumerate(angles.names)},
        "summary": summary,
    }


def _event_dict(event: FallEvent, result: PoseResult) -> dict[str, Any]:
    last = result.num_frames - 1
    down_until = min(last, event.end_frame + int(round(event.down_s * result.fps)))
    return {
        "start_row": event.start_frame, "end_row": event.end_frame, "down_until_row": down_until,
        "start_frame": int(result.frame_indices[event.start_frame]),
        "end_frame": int(result.frame_indices[event.end_frame]),
        "start_s": round(float(result.timestamps_s[event.start_frame]), 3),
        "end_s": round(float(result.timestamps_s[event.end_frame]), 3),
        "confidence": event.confidence,
        "drop_speed_legs_per_s": round(event.drop_speed, 3),
        "down_s": round(event.down_s, 3),
        "trunk_after_deg": round(event.trunk_after_deg, 1),
    }


def _falls_section(poses: np.ndarray, confidence: np.ndarray, result: PoseResult,
                   up: np.ndarray, min_confidence: float) -> dict:
    _check_seen(confidence, FALL_JOINTS, "Fall detection")
    events, signals = detect_falls(poses, result.fps, up=up, min_confidence=min_confidence)
    return {
        "min_confidence": min_confidence,
        "events": [_event_dict(event, result) for event in events],
        "pelvis_height_legs": _floats(signals.pelvis_height, 3),
        "trunk_inclination_deg": _floats(signals.trunk_inclination_deg, 1),
        "leg_length_mm": round(signals.leg_length_mm, 1),
    }


def _reps_section(poses: np.ndarray, confidence: np.ndarray, result: PoseResult,
                  up: np.ndarray, angle: str) -> dict:
    name = resolve_angle_name(angle)
    signal = joint_angles(poses, confidence, up=up, min_confidence=MIN_CONFIDENCE)[name]
    counted = count_repetitions(signal, result.fps)
    return {
        "angle": name,
        "count": counted.count,
        "peak_rows": [int(p) for p in counted.peak_frames],
        "peak_frames": [int(result.frame_indices[p]) for p in counted.peak_frames],
        "peak_times_s": [round(float(result.timestamps_s[p]), 3) for p in counted.peak_frames],
        "period_s": None if counted.period_s is None else round(counted.period_s, 3),
        "degrees": _floats(signal),
    }


def _run(strict: bool, build: Callable[[], dict]) -> dict:
    try:
        return build()
    except PoseDataError as error:
        if strict:
            raise
        return {"skipped": str(error)}


def analyze_result(
    result: PoseResult,
    out_dir: Path | str | None = None,
    *,
    angles: bool = True,
    falls: bool = True,
    reps: str | None = None,
    min_fall_confidence: float = 0.5,
    actions: bool = False,
    action_weights: Path | str | None = None,
    strict: bool = False,
    plot: bool = True,
) -> dict[str, Any]:
    """The analysis document of `result`; written to `out_dir` (JSON, and PNG if `plot`).

    reps: an angle name (or a joint like 'LKnee') whose repetitions to count, or None.
    actions: recognise actions (`analysis.actions`) with `action_weights` (default shipped).
    strict: raise PoseDataError when an analysis cannot run (too few frames, missing joints)
    instead of recording {"skipped": reason} under its key.
    """
    if result.num_frames == 0:
        raise PoseDataError("The result holds no poses to analyse.")
    poses, confidence = poses_in_joint_order(result)
    seen = confidence[:, [JOINTS16_NAMES.index(j) for j in VERTICAL_JOINTS]] >= MIN_CONFIDENCE
    vertical = estimate_up(poses[seen.all(axis=1)])
    analysis: dict[str, Any] = {
        "format": FORMAT_NAME, "version": FORMAT_VERSION,
        "generator": f"posemachines {__version__}", "source": result.source,
        "fps": float(result.fps), "num_frames": result.num_frames,
        "frame_indices": [int(i) for i in result.frame_indices],
        "timestamps_s": [round(float(t), 4) for t in result.timestamps_s],
        "vertical": {
            "up_camera": [round(float(v), 4) for v in vertical.up], "method": vertical.method,
            "upright_fraction": round(vertical.upright_fraction, 3),
            "spread_deg": None if math.isnan(vertical.spread_deg)
            else round(vertical.spread_deg, 2),
        },
    }
    if angles:
        analysis["angles"] = _run(strict,
                                  lambda: _angles_section(poses, confidence, vertical.up))
    if falls:
        analysis["falls"] = _run(strict, lambda: _falls_section(
            poses, confidence, result, vertical.up, min_fall_confidence))
    if reps is not None:
        analysis["reps"] = _run(strict, lambda: _reps_section(
            poses, confidence, result, vertical.up, reps))
    if actions:
        from posemachines.analysis.action_report import actions_section

        analysis["actions"] = _run(strict, lambda: actions_section(
            poses, result, vertical.up, action_weights))
    if out_dir is not None:
        write_analysis(analysis, out_dir, plot=plot)
    return analysis


def write_analysis(analysis: dict[str, Any], out_dir: Path | str, plot: bool = True) -> list[Path]:
    """Write analysis.json (and analysis.png, plus actions.png when actions were recognised,
    when `plot`) into `out_dir`; returns the paths."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        path = out_dir / JSON_NAME
        path.write_text(json.dumps(analysis, allow_nan=False) + "\n", encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write {out_dir / JSON_NAME}: {error.strerror}.") from None
    written = [path]
    if plot:
        written.append(plot_analysis(analysis, out_dir / PLOT_NAME))
    if plot and "segments" in (analysis.get("actions") or {}):
        from posemachines.analysis.action_report import ACTIONS_PLOT_NAME, plot_action_timeline

        written.append(plot_action_timeline(analysis, out_dir / ACTIONS_PLOT_NAME))
    return written


_PANELS = (
    ("legs", ("knee_flexion_L", "knee_flexion_R", "hip_flexion_L", "hip_flexion_R")),
    ("arms", ("elbow_flexion_L", "elbow_flexion_R", "shoulder_elevation_L",
              "shoulder_elevation_R")),
    ("trunk", ("trunk_inclination",)),
)


def _series(values: list[float | None]) -> np.ndarray:
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def plot_analysis(analysis: dict[str, Any], path: Path | str) -> Path:
    """PNG of the angle curves over time with fall events shaded and repetitions marked."""
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    times = np.asarray(analysis["timestamps_s"], dtype=float)
    series = (analysis.get("angles") or {}).get("series", {})
    reps = analysis.get("reps") or {}
    panels = [(title, names) for title, names in _PANELS if series]
    if "count" in reps:
        panels.append((f"repetitions of {reps['angle']}: {reps['count']}", ()))
    if not panels:
        panels = [("no angles", ())]
    figure = Figure(figsize=(11, 2.4 * len(panels) + 0.6), layout="constrained")
    FigureCanvasAgg(figure)
    axes = figure.subplots(len(panels), 1, sharex=True, squeeze=False)[:, 0]
    for axis, (title, names) in zip(axes, panels, strict=True):
        for name in names:
            axis.plot(times, _series(series[name]), label=name, linewidth=1.2)
        axis.set_title(title, fontsize=9, loc="left")
        axis.set_ylabel("degrees", fontsize=8)
        axis.grid(True, alpha=0.3)
        if names:
            axis.legend(fontsize=7, loc="upper right")
        for event in (analysis.get("falls") or {}).get("events", []):
            until = times[event["down_until_row"]]
            axis.axvspan(event["start_s"], until, color="red", alpha=0.15)
            axis.axvline(event["start_s"], color="red", linewidth=1)
    falls = analysis.get("falls") or {}
    if "pelvis_height_legs" in falls and series:
        height_axis = axes[len(_PANELS) - 1].twinx()
        height_axis.plot(times, _series(falls["pelvis_height_legs"]), color="grey",
                         linewidth=1, linestyle="--", label="pelvis height")
        height_axis.set_ylabel("pelvis height (leg lengths)", fontsize=8)
        height_axis.set_ylim(0, 1.3)
        height_axis.legend(fontsize=7, loc="upper left")
    if "count" in reps:
        peaks = np.asarray(reps["peak_rows"], dtype=np.int64)
        values = _series(reps["degrees"])
        axes[-1].plot(times, values, color="black", linewidth=1.2, label=reps["angle"])
        axes[-1].plot(times[peaks], values[peaks], "rx", markersize=8, label="repetition")
        axes[-1].legend(fontsize=7, loc="upper right")
    events = (analysis.get("falls") or {}).get("events", [])
    if events:
        axes[0].set_title(f"{axes[0].get_title(loc='left')}   (red: {len(events)} fall(s))",
                          fontsize=9, loc="left")
    axes[-1].set_xlabel("time (s)")
    try:
        figure.savefig(path, dpi=90)
    except OSError as error:
        raise PoseDataError(f"Cannot write {path}: {error.strerror}.") from None
    return Path(path)


def _angle_text(analysis: dict[str, Any], row: int) -> str:
    section = analysis.get("angles") or {}
    series = section.get("series")
    if not series:
        return ""

    def degrees(name: str) -> str:
        value = series[name][row]
        return "--" if value is None else f"{value:.0f}°"

    return f"knee L {degrees('knee_flexion_L')} R {degrees('knee_flexion_R')}"


def frame_labels(analysis: dict[str, Any], num_frames: int) -> list[str]:
    """One short text per pose row, e.g. "knee L 42° R 38° | reps 3 | walk 91% | FALL"."""
    if num_frames != analysis["num_frames"]:
        raise PoseDataError(f"The analysis covers {analysis['num_frames']} poses, "
                            f"not {num_frames}.")
    falling = np.zeros(num_frames, dtype=bool)
    for event in (analysis.get("falls") or {}).get("events", []):
        falling[event["start_row"]: event["down_until_row"] + 1] = True
    peaks = np.array((analysis.get("reps") or {}).get("peak_rows", []), dtype=np.int64)
    counting = "count" in (analysis.get("reps") or {})
    actions = [""] * num_frames
    if "segments" in (analysis.get("actions") or {}):
        from posemachines.analysis.action_report import action_row_labels

        actions = action_row_labels(analysis["actions"], num_frames)
    labels = []
    for row in range(num_frames):
        parts = [_angle_text(analysis, row)]
        if counting:
            parts.append(f"reps {int(np.sum(peaks <= row))}")
        parts.append(actions[row])
        if falling[row]:
            parts.append("FALL")
        labels.append(" | ".join(part for part in parts if part))
    return labels

