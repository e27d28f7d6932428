"""Per-action result tables laid out as the Human3.6M literature prints them.

The "Average" of a table is the mean over actions, the literature's convention (the paper's own
evaluation script, `tools/eval_h36m.m` of chanyn/3Dpose_ssl, averages its 15 per-action
errors); with frame counts the table also keeps the frame-weighted mean. Values are whatever
the caller measured (mm for MPJPE-type metrics, % for PCK/AUC), keyed by metric name.
"""

from __future__ import annotations

import csv
import io
import json
import math
import re
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from numbers import Integral
from typing import Literal

from posemachines.errors import PoseDataError

#: The 15 Human3.6M actions in the order every per-action table uses.
H36M_ACTIONS: tuple[str, ...] = (
    "Directions", "Discussion", "Eating", "Greeting", "Phoning", "Photo", "Posing",
    "Purchases", "Sitting", "SittingDown", "Smoking", "Waiting", "WalkDog", "Walking",
    "WalkTogether",
)
#: Column headers the literature uses (e.g. Martinez et al. 2017, Pavllo et al. 2019).
ACTION_ABBREVIATIONS: dict[str, str] = {
    "Directions": "Dir.", "Discussion": "Disc.", "Eating": "Eat", "Greeting": "Greet",
    "Phoning": "Phone", "Photo": "Photo", "Posing": "Pose", "Purchases": "Purch.",
    "Sitting": "Sit", "SittingDown": "SitD.", "Smoking": "Smoke", "Waiting": "Wait",
    "WalkDog": "WalkD.", "Walking": "Walk", "WalkTogether": "WalkT.",
}
#: Names some Human3.6M releases use for the same actions.
_ALIASES = {"takingphoto": "Photo", "walkingdog": "WalkDog", "walkingtogether": "WalkTogether"}
AVERAGE = "Average"
FRAME_WEIGHTED_AVERAGE = "Average (frame-weighted)"

#: Published Human3.6M protocol #1 MPJPE (mm) of "3D Human Pose Machines with Self-Supervised
#: Learning" (Wang et al., TPAMI 2020, arXiv 1901.03798). Only the average is stored: it is the
#: figure given in this project's brief. The per-action numbers could not be found in a form
#: that can be checked (the authors' repository shows the table only as an image), so they
#: are left out rather than guessed.
REFERENCE_ROWS: dict[str, dict[str, float]] = {
    "Wang et al. 2020 (TPAMI), protocol #1 MPJPE": {AVERAGE: 63.7},
}

Layout = Literal["columns", "rows"]
_JSON_FORMAT = "posemachines.action_table"


def canonical_action(name: str) -> str:
    """A Human3.6M action's canonical name ("walking dog" -> "WalkDog"); others stripped.

    Case, spaces and underscores are ignored; a trailing sub-action number ("Directions 1")
    is dropped for the 15 known actions.
    """
    key = re.sub(r"[\s_]+", "", name).lower()
    key_without_number = re.sub(r"\d+$", "", key)
    for candidate in (key, key_without_number):
        if candidate in _ALIASES:
            return _ALIASES[candidate]
        for action in H36M_ACTIONS:
            if action.lower() == candidate:
                return action
    return name.strip()


@dataclass(frozen=True)
class TableMetadata:
    """How the numbers were made; None means not stated."""

    protocol: str | None = None
    weights: str | None = None
    input_source: str | None = None
    correction: bool | None = None

    def describe(self) -> str:
        """One line for a caption, e.g. 'protocol: #1 | weights: x.pt | correction: on'."""
        parts = []
        for name, value in asdict(self).items():
            if value is None:
                continue
            if isinstance(value, bool):
                value = "on" if value else "off"
            parts.append(f"{name.replace('_', ' ')}: {value}")
        return " | ".join(parts)


@dataclass(frozen=True)
class ActionTable:
    """Per-action metrics in literature order: H36M actions first, then others as given.

    values: action -> metric -> number; frame_counts: action -> frames (or None).
    Build it with `ActionTable.build`, which orders, validates and canonicalises.
    """

    values: dict[str, dict[str, float]]
    frame_counts: dict[str, int] | None = None
    metadata: TableMetadata = field(default_factory=TableMetadata)

    @classmethod
    def build(
        cls,
        per_action: Mapping[str, Mapping[str, float]],
        frame_counts: Mapping[str, int] | None = None,
        metadata: TableMetadata | None = None,
    ) -> ActionTable:
        """Order and check `per_action` (any order; unknown actions go last, as given)."""
        canonical: dict[str, dict[str, float]] = {}
        for action, metrics in per_action.items():
            name = canonical_action(action)
            if name == AVERAGE:
                raise PoseDataError("Do not pass an 'Average' row; the table computes it.")
            if name in canonical:
                raise PoseDataError(f"Action '{action}' appears twice (as '{name}'); pool "
                                    "sub-actions into one entry per action first.")
            canonical[name] = {metric: _finite(action, metric, v) for metric, v in
                               metrics.items()}
        known = [a for a in H36M_ACTIONS if a in canonical]
        unknown = [a for a in canonical if a not in H36M_ACTIONS]
        ordered = {a: canonical[a] for a in known + unknown}
        counts = None if frame_counts is None else _check_counts(ordered, frame_counts)
        return cls(ordered, counts, metadata or TableMetadata())

    @property
    def actions(self) -> tuple[str, ...]:
        return tuple(self.values)

    @property
    def metric_names(self) -> tuple[str, ...]:
        """Metrics in first-seen order over the actions."""
        names: dict[str, None] = {}
        for metrics in self.values.values():
            names.update(dict.fromkeys(metrics))
        return tuple(names)

    def average(self) -> dict[str, float]:
        """Mean over the actions that report each metric (the literature's Average)."""
        result = {}
        for metric in self.metric_names:
            numbers = [m[metric] for m in self.values.values() if metric in m]
            result[metric] = math.fsum(numbers) / len(numbers)
        return result

    def frame_weighted_average(self) -> dict[str, float] | None:
        """Mean over frames (each action weighted by its frame count); None without counts.

        A metric whose actions hold no frames at all is left out.
        """
        if self.frame_counts is None:
            return None
        result = {}
        for metric in self.metric_names:
            pairs = [(self.frame_counts[a], m[metric]) for a, m in self.values.items()
                     if metric in m]
            frames = sum(n for n, _ in pairs)
            if frames:
                result[metric] = math.fsum(n * v for n, v in pairs) / frames
        return result

    def to_markdown(self, layout: Layout = "columns", precision: int = 1) -> str:
        """A Markdown table; 'columns' puts actions as columns (Dir. Disc. ... Avg)."""
        grid = self._grid(layout, precision, abbreviate=layout == "columns", missing="-")
        lines = ["| " + " | ".join(row) + " |" for row in grid]
        rule = "| --- | " + " | ".join("---:" for _ in grid[0][1:]) + " |"
        return "\n".join([lines[0], rule, *lines[1:]]) + "\n"

    def to_csv(self, layout: Layout = "rows", precision: int | None = None) -> str:
        """CSV text with full action names; `precision=None` writes numbers unrounded."""
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(
            self._grid(layout, precision, abbreviate=False, missing=""))
        return out.getvalue()

    def to_json(self) -> str:
        """Numbers and metadata as JSON; `ActionTable.from_json` reads it back."""
        document = {
            "format": _JSON_FORMAT,
            "version": 1,
            "metadata": asdict(self.metadata),
            "metrics": list(self.metric_names),
            "actions": [
                {"action": a, "frames": None if self.frame_counts is None else
                 self.frame_counts[a], "values": dict(m)}
                for a, m in self.values.items()
            ],
            "average": self.average(),
            "frame_weighted_average": self.frame_weighted_average(),
        }
        return json.dumps(document, indent=2) + "\n"

    @classmethod
    def from_json(cls, text: str) -> ActionTable:
        """Read a table written by `to_json` (averages are recomputed, not trusted)."""
        try:
            document = json.loads(text)
            if document.get("format") != _JSON_FORMAT:
                raise PoseDataError("This JSON is not a posemachines action table.")
            rows = document["actions"]
            values = {row["action"]: row["values"] for row in rows}
            counts = ({row["action"]: row["frames"] for row in rows}
                      if all(row["frames"] is not None for row in rows) and rows else None)
            metadata = TableMetadata(**document["metadata"])
        except (json.JSONDecodeError, KeyError, TypeError, AttributeError) as error:
            raise PoseDataError(f"Action-table JSON is malformed ({error}).") from error
        return cls.build(values, counts, metadata)

    def _grid(
        self, layout: Layout, precision: int | None, abbreviate: bool, missing: str
    ) -> list[list[str]]:
        """Header row then body rows of cell texts; `missing` fills absent values."""
        if layout not in ("columns", "rows"):
            raise ValueError(f"layout must be 'columns' or 'rows', got '{layout}'.")
        if not self.values:
            raise PoseDataError("The table has no actions to print.")
        summaries = [(AVERAGE, self.average())]
        weighted = self.frame_weighted_average()
        if weighted is not None:
            summaries.append((FRAME_WEIGHTED_AVERAGE, weighted))
        def cell(value: float | None) -> str:
            if value is None:
                return missing
            return repr(value) if precision is None else f"{value:.{precision}f}"

        if layout == "columns":
            return self._columns_grid(summaries, cell, abbreviate)
        return self._rows_grid(summaries, cell)

    def _columns_grid(
        self, summaries: list[tuple[str, dict[str, float]]], cell: Callable[[float | None], str],
        abbreviate: bool,
    ) -> list[list[str]]:
        def label(action: str) -> str:
            return ACTION_ABBREVIATIONS.get(action, action) if abbreviate else action

        summary_labels = {AVERAGE: "Avg", FRAME_WEIGHTED_AVERAGE: "Avg (frames)"}
        header = ["Metric", *(label(a) for a in self.values),
                  *(summary_labels[name] if abbreviate else name for name, _ in summaries)]
        grid = [header]
        for metric in self.metric_names:
            cells = [cell(m.get(metric)) for m in self.values.values()]
            cells += [cell(s.get(metric)) for _, s in summaries]
            grid.append([metric, *cells])
        return grid

    def _rows_grid(
        self, summaries: list[tuple[str, dict[str, float]]], cell: Callable[[float | None], str]
    ) -> list[list[str]]:
        counts = self.frame_counts
        header = ["Action", *([] if counts is None else ["Frames"]), *self.metric_names]
        grid = [header]
        for action, metrics in self.values.items():
            frames = [] if counts is None else [str(counts[action])]
            grid.append([action, *frames,
                         *(cell(metrics.get(m)) for m in self.metric_names)])
        for name, summary in summaries:
            frames = [] if counts is None else [str(sum(counts.values()))]
            grid.append([name, *frames,
                         *(cell(summary.get(m)) for m in self.metric_names)])
        return grid


def _finite(action: str, metric: str, value: float) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError) as error:
        raise PoseDataError(f"{metric} of '{action}' is not a number: {value!r}.") from error
    if not math.isfinite(number):
        raise PoseDataError(f"{metric} of '{action}' is not finite ({number}).")
    return number


def _check_counts(
    ordered: Mapping[str, Mapping[str, float]], frame_counts: Mapping[str, int]
) -> dict[str, int]:
    counts = {canonical_action(a): n for a, n in frame_counts.items()}
    if set(counts) != set(ordered):
        raise PoseDataError("Frame counts must name exactly the table's actions; "
                            f"got {sorted(counts)} for {list(ordered)}.")
    for action, n in counts.items():
        if isinstance(n, bool) or not isinstance(n, Integral) or n < 0:
            raise PoseDataError(f"Frame count of '{action}' must be a whole number >= 0, "
                                f"got {n!r}.")
    return {a: int(counts[a]) for a in ordered}

