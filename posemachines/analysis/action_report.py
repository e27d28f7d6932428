"""The actions section of an AnalysisReport, and its per-pose overlay labels."""

from __future__ import annotations

from functools import lru_cache
from pathlib import Path

import numpy as np

from posemachines.analysis.action_features import FEATURE_FPS, WINDOW_FRAMES
from posemachines.analysis.action_taxonomy import UNKNOWN
from posemachines.inference.lifting import lift_clips
from posemachines.models.lifters import Lifter, load_lifter
from posemachines.models.shipped import resolve_lifter_weights
from posemachines.optional import import_optional
from posemachines.structures import PoseResult
from posemachines.structures.analysis import ActionSegmentReport, ActionsSection
from posemachines.world.gait import travel_speed_leg_per_s


def actions_section(poses_mm: np.ndarray, result: PoseResult, up: np.ndarray,
                    weights: Path | str | None = None,
                    keypoints: tuple[np.ndarray, np.ndarray] | None = None) -> ActionsSection:
    """Segments (rows, source frames, seconds, label, confidence) of (T, 16, 3) mm poses;
    keypoints: the result's 2D (T, 16, 2) px and confidence (T, 16) in the poses' joint
    order, lifted again with the classifier's own lifter where it names one (a result without
    2D, 3D made elsewhere whose keypoints are all zero, is classified from its own poses).
    A result placed in the world also gives the root's travel across the floor, so that a
    person crossing it is not read as standing or doing something else on the spot
    (`actions.travelling_is_not_on_the_spot`)."""
    # Imported here, not above: the action model needs torch, which angles, falls and
    # repetitions do not (torch is optional; not a cycle). Without it: MissingDependencyError.
    import_optional("torch", "Action recognition")
    from posemachines.analysis.actions import load_action_model, recognize_actions

    model = load_action_model(weights)
    if model.lifter and keypoints is not None and _has_2d(keypoints[0]):
        poses_mm = lift_for_actions(model.lifter, *keypoints, result)
    travel = (travel_speed_leg_per_s(result.world.joints_mm, result.timestamps_s,
                                     WINDOW_FRAMES / FEATURE_FPS)
              if result.world is not None and result.world.frame == "world" else None)
    timeline = recognize_actions(poses_mm, result.timestamps_s, up=up, model=model,
                                 travel_leg_per_s=travel)
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


def _has_2d(keypoints_px: np.ndarray) -> bool:
    """True when some frame's (T, 16, 2) px keypoints spread over a pixel or more."""
    return bool(len(keypoints_px)) and float(np.ptp(keypoints_px, axis=1).max()) >= 1.0


@lru_cache(maxsize=2)
def _numpy_lifter(path: Path) -> Lifter:
    """The lifter of checkpoint `path`, read once per process (`analyze` of a batch of videos
    re-lifts every result with the same file)."""
    return load_lifter(path)


def lift_for_actions(lifter: str, keypoints_px: np.ndarray, confidence: np.ndarray,
                     result: PoseResult) -> np.ndarray:
    """(T, 16, 3) mm root-relative camera-frame poses of `lifter` (a shipped name or a
    checkpoint) from 2D keypoints (T, 16, 2) px and confidence (T, 16) of `result`'s video,
    with the run-time passes (flip test, time reversal) and no correction: what an action
    classifier trained on that lifter's output (`action_task.CheckpointLifter`) learned from.
    The camera is the default guess from the image size, as `infer` lifts a clip without lens
    metadata (the correction's refined focal length read a real signer worse: 97 -> 57 % of
    the poses right, docs/actions.md)."""
    lifted = lift_clips(_numpy_lifter(resolve_lifter_weights(lifter)),
                        [(keypoints_px, confidence)], result.image_size, None, result.fps)[0]
    return lifted.pose3d_mm - lifted.pose3d_mm[:, :1]


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
