"""The actions section of an AnalysisReport, and its per-pose overlay labels."""

from __future__ import annotations

from pathlib import Path

import numpy as np

from posemachines.analysis.action_features import FEATURE_FPS, WINDOW_FRAMES
from posemachines.analysis.action_taxonomy import UNKNOWN
from posemachines.optional import import_optional
from posemachines.structures import PoseResult
from posemachines.structures.analysis import ActionSegmentReport, ActionsSection


def actions_section(poses_mm: np.ndarray, result: PoseResult, up: np.ndarray,
                    weights: Path | str | None = None) -> ActionsSection:
    """Segments (rows, source frames, seconds, label, confidence) of (T, 16, 3) mm poses."""
    # Imported here, not above: the action model needs torch, which angles, falls and
    # repetitions do not (torch is optional; not a cycle). Without it: MissingDependencyError.
    import_optional("torch", "Action recognition")
    from posemachines.analysis.actions import load_action_model, recognize_actions

    model = load_action_model(weights)
    timeline = recognize_actions(poses_mm, result.timestamps_s, up=up, model=model)
    times, frames = result.timestamps_s, result.frame_indices
    return ActionsSection(
        window_s=round(WINDOW_FRAMES / FEATURE_FPS, 3),
        classes=tuple(timeline.classes),
        segments=tuple(ActionSegmentReport(
            start_row=s.start_row, end_row=s.end_row,
            start_frame=int(frames[s.start_row]), end_frame=int(frames[s.end_row]),
            start_s=round(float(times[s.start_row]), 3),
            end_s=round(float(times[s.end_row]), 3),
            label=s.label, confidence=s.confidence,
        ) for s in timeline.segments),
        label_probability=tuple(round(float(p), 3) for p in timeline.label_probability),
    )


def action_row_labels(section: ActionsSection, num_frames: int) -> list[str]:
    """Per pose row: 'label NN%' from the section's segments ('' where unknown)."""
    labels = [""] * num_frames
    for segment in section.segments:
        if segment.label == UNKNOWN:
            continue
        for row in range(segment.start_row, segment.end_row + 1):
            labels[row] = segment.label.replace("_", " ")
    probability = section.label_probability
    return [f"{label} {100 * probability[row]:.0f}%" if label and row < len(probability)
            else label for row, label in enumerate(labels)]
