"""Action recognition on 3D pose sequences: a small temporal conv net over sliding 2 s windows.

Poses (T, 16, 3) mm, root-relative, any frame (a result's camera frame) with timestamps are
split at gaps over MAX_GAP_S (no person found); each stretch is resampled to FEATURE_FPS, cut
into WINDOW_FRAMES windows every `stride_frames`, turned into view- and scale-invariant
features (`action_features`) and classified. Each window's class probabilities belong to its
centre; a pose's probabilities are interpolated between window centres (held constant before
the first and after the last). The per-pose argmax, with runs shorter than `min_segment_s`
merged into a neighbour, gives contiguous segments that cover the sequence (stretches shorter
than a window are UNKNOWN). The shipped weights (posemachines/weights/actions.pt) are trained by
`posemachines train configs/actions.yaml` (`action_task`, whose best.pt is in this module's
format) and shipped by scripts/train_actions.py; docs/actions.md has the classes and numbers.
"""

from __future__ import annotations

from dataclasses import dataclass
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch import nn

from posemachines.analysis.action_features import (
    FEATURE_CHANNELS,
    FEATURE_FPS,
    WINDOW_FRAMES,
    window_features,
)
from posemachines.analysis.action_taxonomy import UNKNOWN
from posemachines.analysis.vertical import estimate_up
from posemachines.errors import PoseDataError, PoseModelError
from posemachines.threads import single_thread

#: Longer gaps between poses (no person found) are not bridged: each side is recognised alone.
MAX_GAP_S = 0.5
WEIGHTS_FORMAT = "posemachines.actions"
#: Version 2 names the classifier's lifter; version 1 files (no lifter) still load.
WEIGHTS_VERSION = 2
READABLE_VERSIONS = (1, 2)
DEFAULT_WEIGHTS = "actions.pt"
#: Classes the mocap performs on the spot: 95 % of their labelled frames travel slower than
#: 0.41 leg lengths/s (root over the floor across 2 s; stand 0.13, wave and raise_hand 0.04,
#: gesture 0.19, bow 0.17, sit 0.36, squat 0.14, climb 0.41), against walk's 5 % under 0.58
#: (benchmarks/action_travel.py; docs/actions.md, "Travel").
ON_THE_SPOT = ("stand", "bow", "wave", "raise_hand", "gesture", "sit", "squat", "climb")
#: Where the root crosses the floor faster than this (leg lengths/s over a window's 2 s,
#: `world.gait.travel_speed_leg_per_s`), the ON_THE_SPOT classes' probability goes to `walk`.
#: The real clips measure standing at 0.02-0.26 (sway, world-placement noise) and walking at
#: 0.59-0.9 (docs/actions.md).
MAX_SPOT_TRAVEL_LEG_PER_S = 0.4


def default_action_weights_path() -> Path:
    """The shipped classifier, posemachines/weights/actions.pt."""
    return Path(str(resources.files("posemachines") / "weights" / DEFAULT_WEIGHTS))


class ActionNet(nn.Module):
    """1D temporal conv net: features (B, C, T) -> class logits (B, num_classes).

    Three conv blocks (kernel 5; strides 1, 2, 2) then average and max pooling over time.
    """

    def __init__(self, num_classes: int, widths: tuple[int, ...] = (64, 96, 128),
                 dropout: float = 0.3, in_channels: int = FEATURE_CHANNELS) -> None:
        super().__init__()
        layers: list[nn.Module] = []
        for index, width in enumerate(widths):
            layers += [nn.Conv1d(in_channels, width, 5, stride=1 if index == 0 else 2,
                                 padding=2),
                       nn.BatchNorm1d(width), nn.ReLU()]
            in_channels = width
        self.body = nn.Sequential(*layers)
        self.head = nn.Sequential(nn.Dropout(dropout), nn.Linear(2 * in_channels, num_classes))
        self.widths, self.dropout = tuple(widths), dropout

    def forward(self, features: torch.Tensor) -> torch.Tensor:
        hidden = self.body(features)
        pooled = torch.cat([hidden.mean(dim=2), hidden.amax(dim=2)], dim=1)
        return self.head(pooled)


@dataclass
class ActionModel:
    """A trained ActionNet (eval mode), its class names, the numbers it was shipped with, and
    the lifter whose poses it learned from: a shipped lifter's name ('lite') or a checkpoint
    path, with which the run-time path lifts a result's 2D again (`action_report`), so that
    the classifier reads that lifter's poses whichever lifter made the result ('': it reads
    the result's own poses)."""

    net: ActionNet
    classes: tuple[str, ...]
    metrics: dict[str, Any]
    lifter: str = ""

    def probabilities(self, features: np.ndarray, batch_size: int = 256) -> np.ndarray:
        """(B, C, T) features -> (B, num_classes) softmax probabilities (one torch thread)."""
        outputs = []
        with torch.no_grad(), single_thread():
            for start in range(0, len(features), batch_size):
                logits = self.net(torch.from_numpy(features[start: start + batch_size]))
                outputs.append(torch.softmax(logits, dim=1).numpy())
        return np.concatenate(outputs) if outputs else np.zeros((0, len(self.classes)))


def save_action_model(path: Path | str, model: ActionModel) -> Path:
    """Write the weights, architecture, class names and metrics to `path`."""
    payload = {
        "format": WEIGHTS_FORMAT, "version": WEIGHTS_VERSION, "classes": list(model.classes),
        "widths": list(model.net.widths), "dropout": model.net.dropout,
        "state_dict": model.net.state_dict(), "metrics": model.metrics,
        "lifter": model.lifter,
    }
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    torch.save(payload, path)
    return path


def load_action_model(path: Path | str | None = None) -> ActionModel:
    """Read action weights (default: the shipped ones); raises PoseModelError."""
    path = Path(path) if path is not None else default_action_weights_path()
    if not path.is_file():
        raise PoseModelError(f"Action weights {path} do not exist.")
    try:
        payload = torch.load(path, map_location="cpu", weights_only=True)
    except Exception:  # torch.load fails with many types (EOFError, zip errors, pickling...)
        raise PoseModelError(f"Action weights {path} are truncated or not a torch file.") from None
    if not isinstance(payload, dict) or payload.get("format") != WEIGHTS_FORMAT:
        raise PoseModelError(f"{path} is not a posemachines action classifier.")
    if payload.get("version") not in READABLE_VERSIONS:
        raise PoseModelError(f"Action weights {path} have version {payload.get('version')}; "
                             f"this posemachines reads versions "
                             f"{', '.join(map(str, READABLE_VERSIONS))}.")
    classes = tuple(payload["classes"])
    net = ActionNet(len(classes), tuple(payload["widths"]), float(payload["dropout"]))
    try:
        net.load_state_dict(payload["state_dict"])
    except RuntimeError:
        raise PoseModelError(f"Action weights {path} do not match their architecture.") from None
    return ActionModel(net.eval(), classes, dict(payload.get("metrics", {})),
                       str(payload.get("lifter", "")))


@dataclass(frozen=True)
class ActionSegment:
    """Poses start_row..end_row (inclusive) show `label`; confidence: its mean probability."""

    start_row: int
    end_row: int
    label: str
    confidence: float


@dataclass(frozen=True)
class ActionTimeline:
    """probabilities (T, K) per pose over `classes` (zero where unknown); label_indices (T,)
    the chosen class per pose, -1 for UNKNOWN; the segments."""

    classes: tuple[str, ...]
    probabilities: np.ndarray
    label_indices: np.ndarray
    segments: tuple[ActionSegment, ...]

    @property
    def labels(self) -> tuple[str, ...]:
        """(T,) class name per pose (UNKNOWN where no window could be classified)."""
        return tuple(_name(self.classes, k) for k in self.label_indices)

    @property
    def label_probability(self) -> np.ndarray:
        """(T,) probability of each pose's label (0 where unknown)."""
        chosen = np.maximum(self.label_indices, 0)
        picked = self.probabilities[np.arange(len(chosen)), chosen]
        return np.where(self.label_indices >= 0, picked, 0.0)


def _name(classes: tuple[str, ...], index: int) -> str:
    return classes[index] if index >= 0 else UNKNOWN


def resample_poses(poses_mm: np.ndarray, timestamps_s: np.ndarray,
                   fps: float = FEATURE_FPS) -> tuple[np.ndarray, np.ndarray]:
    """(T, 16, 3) poses at increasing timestamps -> poses on a uniform `fps` grid and its
    times (N,) s, by linear interpolation (bridging gaps where no person was found)."""
    times = np.asarray(timestamps_s, dtype=np.float64)
    if times.shape != (len(poses_mm),) or not np.all(np.diff(times) > 0):
        raise PoseDataError("Pose timestamps must be one increasing time per pose.")
    grid = times[0] + np.arange(int(np.floor((times[-1] - times[0]) * fps + 1e-4)) + 1) / fps
    flat = poses_mm.reshape(len(poses_mm), -1)
    resampled = np.stack([np.interp(grid, times, column) for column in flat.T], axis=1)
    return resampled.reshape(len(grid), *poses_mm.shape[1:]), grid


def check_sequence(poses_mm: np.ndarray, timestamps_s: np.ndarray) -> np.ndarray:
    """Validated float64 (T, 16, 3) poses with 3D content; raises PoseDataError."""
    poses = np.asarray(poses_mm, dtype=np.float64)
    if poses.ndim != 3 or poses.shape[1:] != (16, 3):
        raise PoseDataError(f"Action recognition needs 3D poses (T, 16, 3) in mm, got "
                            f"{poses.shape}.")
    if not np.isfinite(poses).all():
        raise PoseDataError("The 3D poses hold NaN or infinite values.")
    if np.abs(poses - poses[:, :1]).max(initial=0.0) < 1.0:
        raise PoseDataError("The result holds no 3D poses (every joint sits on the root).")
    times = np.asarray(timestamps_s, dtype=np.float64)
    if times.shape != (len(poses),) or not np.all(np.diff(times) > 0):
        raise PoseDataError("Pose timestamps must be one increasing time per pose.")
    return poses


def gap_free_runs(timestamps_s: np.ndarray) -> list[slice]:
    """Row ranges between gaps longer than MAX_GAP_S."""
    breaks = np.flatnonzero(np.diff(timestamps_s) > MAX_GAP_S) + 1
    edges = np.r_[0, breaks, len(timestamps_s)]
    return [slice(int(a), int(b)) for a, b in zip(edges[:-1], edges[1:], strict=True)]


def _window_starts(count: int, stride: int) -> np.ndarray:
    starts = np.arange(0, count - WINDOW_FRAMES + 1, stride)
    return np.unique(np.append(starts, count - WINDOW_FRAMES))


def merge_short_runs(labels: np.ndarray, probabilities: np.ndarray,
                      min_rows: int) -> np.ndarray:
    """Relabel runs shorter than min_rows (shortest first) as the likelier neighbour."""
    labels = labels.copy()
    while True:
        edges = np.flatnonzero(np.diff(labels)) + 1
        starts, stops = np.r_[0, edges], np.r_[edges, len(labels)]
        lengths = stops - starts
        if len(starts) == 1 or lengths.min() >= min_rows:
            return labels
        run = int(np.argmin(lengths))
        start, stop = starts[run], stops[run]
        neighbours = [labels[start - 1]] if start > 0 else []
        neighbours += [labels[stop]] if stop < len(labels) else []
        best = max(neighbours, key=lambda k: probabilities[start:stop, k].mean())
        labels[start:stop] = best


def travelling_is_not_on_the_spot(probabilities: np.ndarray, classes: tuple[str, ...],
                                  travel_leg_per_s: np.ndarray) -> np.ndarray:
    """(T, K) probabilities with, at every pose whose root travels faster than
    MAX_SPOT_TRAVEL_LEG_PER_S (travel (T,) leg lengths/s), the probability of each
    ON_THE_SPOT class among `classes` moved to `walk`: a body crossing the floor whose limbs
    the classifier reads as standing, gesturing or stepping on the spot is walking seen badly
    (feet out of view, a walk straight at the camera, a small distant walker). Unchanged
    without `walk`."""
    if "walk" not in classes:
        return probabilities
    walk = classes.index("walk")
    spot = np.array([classes.index(name) for name in ON_THE_SPOT if name in classes], dtype=int)
    moved = probabilities.copy()
    travelling = np.asarray(travel_leg_per_s) > MAX_SPOT_TRAVEL_LEG_PER_S
    moved[travelling, walk] += moved[np.ix_(travelling, spot)].sum(axis=1)
    moved[np.ix_(travelling, spot)] = 0.0
    return moved


def segments_from_labels(labels: np.ndarray, probabilities: np.ndarray,
                         classes: tuple[str, ...]) -> tuple[ActionSegment, ...]:
    """Contiguous runs of (T,) class indices (-1: UNKNOWN, confidence 0) as segments with
    their mean probability."""
    edges = np.flatnonzero(np.diff(labels)) + 1
    starts, stops = np.r_[0, edges], np.r_[edges, len(labels)]
    return tuple(
        ActionSegment(int(start), int(stop - 1), _name(classes, labels[start]),
                      round(float(probabilities[start:stop, labels[start]].mean()), 3)
                      if labels[start] >= 0 else 0.0)
        for start, stop in zip(starts, stops, strict=True)
    )


def _run_probabilities(model: ActionModel, poses: np.ndarray, times: np.ndarray,
                       up: np.ndarray, stride: int) -> np.ndarray:
    """(n, K) per-pose probabilities of one gap-free run of at least one window."""
    grid_poses, grid_times = resample_poses(poses, times)
    starts = _window_starts(len(grid_poses), stride)
    windows = grid_poses[starts[:, None] + np.arange(WINDOW_FRAMES)[None]]
    window_probs = model.probabilities(window_features(windows, up))
    centres = grid_times[starts] + (WINDOW_FRAMES - 1) / (2 * FEATURE_FPS)
    return np.stack([np.interp(times, centres, window_probs[:, k])
                     for k in range(len(model.classes))], axis=1)


def recognize_actions(
    poses_mm: np.ndarray,
    timestamps_s: np.ndarray,
    up: np.ndarray | None = None,
    model: ActionModel | None = None,
    stride_frames: int = 5,
    min_segment_s: float = 0.5,
    travel_leg_per_s: np.ndarray | None = None,
) -> ActionTimeline:
    """Actions over (T, 16, 3) mm root-relative poses at `timestamps_s` (T,) s.

    up: (3,) against gravity in the poses' frame (default: `vertical.estimate_up`, camera
    frame). model: default the shipped weights. stride_frames: window step at FEATURE_FPS.
    travel_leg_per_s: (T,) the root's speed across the floor where the poses are placed in the
    world (`world.gait.travel_speed_leg_per_s`): no pose travelling faster than
    MAX_SPOT_TRAVEL_LEG_PER_S gets an ON_THE_SPOT class (`travelling_is_not_on_the_spot`).
    Gaps over MAX_GAP_S split the poses; stretches between them too short for a window are
    UNKNOWN. Raises PoseDataError when no stretch is long enough, or without usable 3D.
    """
    poses = check_sequence(poses_mm, timestamps_s)
    times = np.asarray(timestamps_s, dtype=np.float64)
    runs = gap_free_runs(times)
    durations = [float(times[run][-1] - times[run][0]) for run in runs]
    needed = (WINDOW_FRAMES - 1) / FEATURE_FPS - 1e-6
    if max(durations) < needed:
        raise PoseDataError(
            f"Action recognition needs at least {needed:.2f} s of poses without a gap over "
            f"{MAX_GAP_S:g} s ({WINDOW_FRAMES} at {FEATURE_FPS:g} fps), got "
            f"{max(durations):.2f} s.")
    if travel_leg_per_s is not None and np.shape(travel_leg_per_s) != (len(poses),):
        raise PoseDataError(f"travel_leg_per_s must hold one speed per pose ({len(poses)}), "
                            f"got shape {np.shape(travel_leg_per_s)}.")
    model = model if model is not None else load_action_model()
    up = estimate_up(poses).up if up is None else np.asarray(up, dtype=np.float64)
    probabilities = np.zeros((len(poses), len(model.classes)))
    labels = np.full(len(poses), -1, dtype=np.int64)
    frame_s = float(np.median(np.diff(times))) if len(times) > 1 else 1.0 / FEATURE_FPS
    min_rows = max(1, int(round(min_segment_s / frame_s)))
    for run, duration in zip(runs, durations, strict=True):
        if duration >= needed:
            probabilities[run] = _run_probabilities(model, poses[run], times[run], up,
                                                    max(1, int(stride_frames)))
            if travel_leg_per_s is not None:
                probabilities[run] = travelling_is_not_on_the_spot(
                    probabilities[run], model.classes, np.asarray(travel_leg_per_s)[run])
            labels[run] = merge_short_runs(probabilities[run].argmax(axis=1),
                                            probabilities[run], min_rows)
    return ActionTimeline(model.classes, probabilities, labels,
                          segments_from_labels(labels, probabilities, model.classes))
