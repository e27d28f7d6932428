"""Matplotlib plots of an AnalysisReport: analysis.png (angles, falls, reps), actions.png.

Drawn with the Agg canvas directly (no pyplot state), so plotting is safe in any thread.
Reads only the report types (`structures.analysis`); the analyses themselves live in analysis/.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from matplotlib import colormaps
from matplotlib.backends.backend_agg import FigureCanvasAgg
from matplotlib.figure import Figure

from posemachines.errors import PoseDataError
from posemachines.structures.analysis import (
    ActionsSection,
    AnalysisReport,
    AnglesSection,
    FallsSection,
    RepsSection,
)

ANALYSIS_PLOT_NAME, ACTIONS_PLOT_NAME = "analysis.png", "actions.png"
#: Panels of analysis.png: title and the angles drawn in it.
PANELS = (
    ("legs", ("knee_flexion_L", "knee_flexion_R", "hip_flexion_L", "hip_flexion_R")),
    ("arms", ("elbow_flexion_L", "elbow_flexion_R", "shoulder_elevation_L",
              "shoulder_elevation_R")),
    ("trunk", ("trunk_inclination",)),
)
DPI = 90


def write_analysis_plots(report: AnalysisReport, out_dir: Path | str) -> list[Path]:
    """Write analysis.png, and actions.png when actions were recognised, into `out_dir`."""
    out_dir = Path(out_dir)
    written = [plot_analysis(report, out_dir / ANALYSIS_PLOT_NAME)]
    if isinstance(report.actions, ActionsSection):
        written.append(plot_action_timeline(report, out_dir / ACTIONS_PLOT_NAME))
    return written


def _series(values: tuple[float | None, ...]) -> np.ndarray:
    """Float array of report values, NaN where None (a gap in the curve)."""
    return np.array([np.nan if v is None else v for v in values], dtype=float)


def plot_analysis(report: AnalysisReport, path: Path | str) -> Path:
    """PNG of the angle curves over time with fall events shaded and repetitions marked."""
    times = np.asarray(report.timestamps_s, dtype=float)
    series = report.angles.series_deg if isinstance(report.angles, AnglesSection) else {}
    reps = report.reps if isinstance(report.reps, RepsSection) else None
    falls = report.falls if isinstance(report.falls, FallsSection) else None
    events = falls.events if falls is not None else ()
    panels: list[tuple[str, tuple[str, ...]]] = [
        (title, names) for title, names in PANELS if series]
    if reps is not None:
        panels.append((f"repetitions of {reps.angle}: {reps.count}", ()))
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
        for event in events:
            until = times[event.down_until_row]
            axis.axvspan(event.start_s, until, color="red", alpha=0.15)
            axis.axvline(event.start_s, color="red", linewidth=1)
    if falls is not None and series:
        height_axis = axes[len(PANELS) - 1].twinx()
        height_axis.plot(times, _series(falls.pelvis_height_legs), color="grey",
                         linewidth=1, linestyle="--", label="pelvis height")
        height_axis.set_ylabel("pelvis height (leg lengths)", fontsize=8)
        height_axis.set_ylim(0, 1.3)
        height_axis.legend(fontsize=7, loc="upper left")
    if reps is not None:
        peaks = np.asarray(reps.peak_rows, dtype=np.int64)
        values = _series(reps.angle_deg)
        axes[-1].plot(times, values, color="black", linewidth=1.2, label=reps.angle)
        axes[-1].plot(times[peaks], values[peaks], "rx", markersize=8, label="repetition")
        axes[-1].legend(fontsize=7, loc="upper right")
    if events:
        axes[0].set_title(f"{axes[0].get_title(loc='left')}   (red: {len(events)} fall(s))",
                          fontsize=9, loc="left")
    axes[-1].set_xlabel("time (s)")
    return _save(figure, path)


def plot_action_timeline(report: AnalysisReport, path: Path | str) -> Path:
    """PNG: coloured segment bars with their labels, and the label's probability over time."""
    section = report.actions
    if not isinstance(section, ActionsSection):
        raise ValueError("The report holds no recognised actions to plot.")
    times = np.asarray(report.timestamps_s, dtype=float)
    classes = section.classes
    colours = colormaps["tab20"]
    figure = Figure(figsize=(11, 3.2), layout="constrained")
    FigureCanvasAgg(figure)
    bars, line = figure.subplots(2, 1, sharex=True, height_ratios=(1, 1.4))
    # A segment's bar lasts until the next pose starts: one pose step past its end.
    step = float(np.median(np.diff(times))) if len(times) > 1 else 1.0 / report.fps
    for segment in section.segments:
        start, end = segment.start_s, segment.end_s + step
        known = segment.label in classes
        colour = colours(classes.index(segment.label) % 20) if known else "lightgrey"
        bars.axvspan(start, end, color=colour, alpha=0.85)
        bars.text((start + end) / 2, 0.5, segment.label.replace("_", " "), ha="center",
                  va="center", fontsize=8, rotation=90 if end - start < 1.5 else 0)
    bars.set_yticks([])
    bars.set_title(f"actions: {len(section.segments)} segment(s), {section.window_s:g} s "
                   "windows", fontsize=9, loc="left")
    line.plot(times, section.label_probability, color="black", linewidth=1.0)
    line.set_ylim(0, 1.05)
    line.set_ylabel("probability", fontsize=8)
    line.set_xlabel("time (s)")
    line.grid(True, alpha=0.3)
    return _save(figure, path)


def _save(figure: Figure, path: Path | str) -> Path:
    try:
        figure.savefig(path, dpi=DPI)
    except OSError as error:
        raise PoseDataError(f"Cannot write {path}: {error.strerror}.") from None
    return Path(path)
