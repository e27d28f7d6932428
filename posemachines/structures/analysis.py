"""`AnalysisReport`: what `posemachines analyze` found in a PoseResult (analysis.json).

Plain frozen dataclasses, no computation: `analysis.report` builds them, `analysis.report_json`
writes and reads them as analysis.json, `viz.analysis_plots` draws them. Values are held as
analysis.json writes them (rounded as each field says; None where a value is undefined, e.g.
an angle at a pose whose joints were unseen), so a report and its file always agree. Rows are
indices into the result's poses; frames are the source video's frame numbers.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass

FORMAT_NAME = "posemachines.analysis"
FORMAT_VERSION = 1


@dataclass(frozen=True)
class Skipped:
    """An analysis that could not run on this result; reason: one sentence saying why."""

    reason: str


@dataclass(frozen=True)
class VerticalSection:
    """Up (against gravity) estimated from the poses.

    up_camera: unit vector in the camera frame (x right, y down, z forward), 4 decimals.
    method: how it was found. upright_fraction: share of poses whose body axis agreed, 0..1
    (3 decimals). spread_deg: median angle of those axes from up, deg (2 decimals; None when
    undefined).
    """

    up_camera: tuple[float, ...]
    method: str
    upright_fraction: float
    spread_deg: float | None


@dataclass(frozen=True)
class AngleSummary:
    """Minimum, maximum and mean of one angle over the poses where it was seen, deg (2 dec.)."""

    min_deg: float
    max_deg: float
    mean_deg: float


@dataclass(frozen=True)
class AnglesSection:
    """Joint angles per pose, deg (2 decimals; None where a joint was unseen).

    names: the angles, in order. series_deg: name -> (T,) values. summary: name -> its
    AngleSummary (None when the angle was never seen).
    """

    names: tuple[str, ...]
    series_deg: Mapping[str, tuple[float | None, ...]]
    summary: Mapping[str, AngleSummary | None]


@dataclass(frozen=True)
class FallEventReport:
    """One fall, located in pose rows, source frames and seconds.

    start_row/end_row: last upright pose and first pose down; down_until_row: the pose when the
    person is upright again (or the last row). start_s/end_s: seconds (3 decimals).
    confidence: 0..1. drop_speed_legs_per_s: peak pelvis drop speed, leg lengths/s (3 dec.).
    down_s: time spent down afterwards, s (3 dec.). trunk_after_deg: median trunk angle from
    vertical in the next second, deg (1 decimal).
    """

    start_row: int
    end_row: int
    down_until_row: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    confidence: float
    drop_speed_legs_per_s: float
    down_s: float
    trunk_after_deg: float


@dataclass(frozen=True)
class FallsSection:
    """Falls at or above `min_confidence` (0..1) and the per-pose signals behind them.

    pelvis_height_legs: (T,) pelvis height above the feet, leg lengths (3 decimals).
    trunk_inclination_deg: (T,) trunk angle from vertical, deg (1 decimal).
    leg_length_mm: the median leg length that scales the heights, mm (1 decimal).
    """

    min_confidence: float
    events: tuple[FallEventReport, ...]
    pelvis_height_legs: tuple[float | None, ...]
    trunk_inclination_deg: tuple[float | None, ...]
    leg_length_mm: float


@dataclass(frozen=True)
class RepsSection:
    """Repetitions of one angle: each is one excursion to a maximum and back.

    peak_rows/peak_frames/peak_times_s: each repetition's maximum as a pose row, source frame
    and time, s (3 decimals). period_s: the dominant period, s (3 decimals; None when the
    signal is aperiodic). angle_deg: (T,) the counted angle, deg (2 decimals; None where unseen).
    """

    angle: str
    count: int
    peak_rows: tuple[int, ...]
    peak_frames: tuple[int, ...]
    peak_times_s: tuple[float, ...]
    period_s: float | None
    angle_deg: tuple[float | None, ...]


@dataclass(frozen=True)
class ActionSegmentReport:
    """Poses start_row..end_row (inclusive) show `label`; confidence: its mean probability.

    start_frame/end_frame: source frames; start_s/end_s: seconds (3 decimals).
    """

    start_row: int
    end_row: int
    start_frame: int
    end_frame: int
    start_s: float
    end_s: float
    label: str
    confidence: float


@dataclass(frozen=True)
class ActionsSection:
    """Recognised actions: window_s: classifier window, s (3 decimals); classes it knows;
    segments in time order; label_probability: (T,) probability of each pose's label, 0..1
    (3 decimals; 0 where unknown)."""

    window_s: float
    classes: tuple[str, ...]
    segments: tuple[ActionSegmentReport, ...]
    label_probability: tuple[float, ...]


@dataclass(frozen=True)
class GaitSection:
    """Gait from the foot contacts in the world frame (`world.gait`): num_steps (heel strikes);
    cadence_steps_per_min; step_length and stride_length in `length_unit`; walking_speed in
    `length_unit` per second; length_unit: 'm' when the person's height was given, else 'leg
    lengths'; stance_fraction: per contact joint, the share of a gait cycle in contact. None
    where fewer than two strikes (or a whole cycle) were seen. Values to 3 decimals."""

    num_steps: int
    cadence_steps_per_min: float | None
    step_length: float | None
    stride_length: float | None
    walking_speed: float | None
    length_unit: str
    stance_fraction: Mapping[str, float | None]


@dataclass(frozen=True)
class AnalysisReport:
    """The analyses of one PoseResult; a section is None when not asked for, Skipped when it
    could not run.

    generator: "posemachines <version>"; source: the result's source; fps: its frame rate.
    frame_indices: (T,) source frame of each pose row. timestamps_s: (T,) s (4 decimals).
    """

    generator: str
    source: str
    fps: float
    frame_indices: tuple[int, ...]
    timestamps_s: tuple[float, ...]
    vertical: VerticalSection
    angles: AnglesSection | Skipped | None = None
    falls: FallsSection | Skipped | None = None
    reps: RepsSection | Skipped | None = None
    actions: ActionsSection | Skipped | None = None
    gait: GaitSection | Skipped | None = None

    @property
    def num_frames(self) -> int:
        """Pose rows analysed."""
        return len(self.frame_indices)
