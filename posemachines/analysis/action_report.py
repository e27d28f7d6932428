"""The "actions" section of analysis.json, its timeline PNG and per-pose overlay labels."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import numpy as np

from posemachines.analysis.action_features import FEATURE_FPS, WINDOW_FRAMES
from posemachines.analysis.actions import UNKNOWN, load_action_model, recognize_actions
from posemachines.errors import PoseDataError
from posemachines.inference.result import PoseResult

ACTIONS_PLOT_NAME = "actions.png"


def actions_section(poses_mm: np.ndarray, result: PoseResult, up: np.ndarray,
                    weights: Path | str | None = None) -> dict[str, Any]:
    """Segments (rows, source frames, seconds, label, confidence) of (T, 16, 3) mm poses."""
    model = load_action_model(weights)
    timeline = recognize_actions(poses_mm, result.timestamps_s, up=up, model=model)
    times, frames = result.timestamps_s, result.frame_indices
    return {
        "window_s": round(WINDOW_FRAMES / FEATURE_FPS, 3),
        "classes": list(timeline.classes),
        "segments": [{
            "start_row": s.start_row, "end_row": s.end_row,
            "start_frame": int(frames[s.start_row]), "end_frame": int(frames[s.end_row]),
            "start_s": round(float(times[s.start_row]), 3),
            "end_s": round(float(times[s.end_row]), 3),
            "label": s.label, "confidence": s.confidence,
        } for s in timeline.segments],
        "label_probability": [round(float(p), 3) for p in timeline.label_probability],
    }


def action_row_labels(section: dict[str, Any], num_frames: int) -> list[str]:
    """Per pose row: 'label NN%' from the section's segments ('' when skipped or unknown)."""
    labels = [""] * num_frames
    for segment in section.get("segments", []):
        if segment["label"] == UNKNOWN:
            continue
        for row in range(segment["start_row"], segment["end_row"] + 1):
            labels[row] = segment["label"].replace("_", " ")
    probability = section.get("label_probability", [])
    return [f"{label} {100 * probability[row]:.0f}%" if label and row < len(probability)
            else label for row, label in enumerate(labels)]


def plot_action_timeline(analysis: dict[str, Any], path: Path | str) -> Path:
    """PNG: coloured segment bars with their labels, and the label's probability over time."""
    from matplotlib import colormaps
    from matplotlib.backends.backend_agg import FigureCanvasAgg
    from matplotlib.figure import Figure

    section = analysis["actions"]
    times = np.asarray(analysis["timestamps_s"], dtype=float)
    classes = section["classes"]
    colours = colormaps["tab20"]
    figure = Figure(figsize=(11, 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    bars, line = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.4))
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0 / FEATURE_FPS
    for segment in section["segments"]:
        start, end = segment["start_s"], segment["end_s"] + step
        known = segment["label"] in classes
        colour = colours(classes.index(segment["label"]) % 20) if known else "lightgrey"
        bars.axvspan(start, end, color=colour, alpha=0.85)
        bars.text((start + end) / 2, 0.5, segment["label"].replace("_", " "), ha="center",
                  va="center", fontsize=8, rotation=90 if end - start < 1.5 else 0)
    bars.set_yticks([])
    bars.set_title(f"actions: {len(section['segments'])} segment(s), {section['window_s']:g} s "
                   "windows", fontsize=9, loc="left")
    line.plot(times, section["label_probability"], color="black", linewidth=1.0)
    line.set_ylim(0, 1.05)
    line.set_ylabel("probability", fontsize=8)
    line.set_xlabel("time (s)")
    line.grid(True, alpha=0.3)
    try:
        figure.savefig(path, dpi=90)
    except OSError as error:
        raise PoseDataError(f"Cannot write {path}: {error.strerror}.") from None
    return Path(path)
