"""What `posemachines evaluate` prints and writes: a titled report as Markdown, CSV and JSON.

Dataset protocols carry a per-action `ActionTable` (literature order, Average row); the mocap
protocols carry a `MetricTable` of conditions x metrics, which has no Average (an average over
clean and noisy input, or over run modes, would mean nothing).
"""

from __future__ import annotations

import csv
import io
import json
import math
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from posemachines.errors import PoseDataError, PoseInputError
from posemachines.evaluation.report import ActionTable

_JSON_FORMAT = "posemachines.evaluation"


@dataclass(frozen=True)
class MetricTable:
    """values: row -> column -> number, rows and columns in print order; frame_counts: row ->
    scored frames; details: extra JSON-ready data per row (e.g. per-bone errors)."""

    rows: tuple[str, ...]
    columns: tuple[str, ...]
    values: dict[str, dict[str, float]]
    frame_counts: dict[str, int]
    details: dict[str, dict[str, Any]] = field(default_factory=dict)

    def __post_init__(self) -> None:
        if not self.rows:
            raise PoseDataError("The table has no rows to print.")
        for row in self.rows:
            for column in self.columns:
                value = self.values.get(row, {}).get(column)
                if value is None or not math.isfinite(value):
                    raise PoseDataError(f"{column} of '{row}' is missing or not finite.")

    def _grid(self, precision: int | None) -> list[list[str]]:
        def cell(value: float) -> str:
            return repr(value) if precision is None else f"{value:.{precision}f}"

        grid = [["Condition", "Frames", *self.columns]]
        for row in self.rows:
            grid.append([row, str(self.frame_counts[row]),
                         *(cell(self.values[row][c]) for c in self.columns)])
        return grid

    def to_markdown(self, precision: int = 1) -> str:
        grid = self._grid(precision)
        lines = ["| " + " | ".join(row) + " |" for row in grid]
        rule = "| --- | " + " | ".join("---:" for _ in grid[0][1:]) + " |"
        return "\n".join([lines[0], rule, *lines[1:]]) + "\n"

    def to_csv(self) -> str:
        out = io.StringIO()
        csv.writer(out, lineterminator="\n").writerows(self._grid(None))
        return out.getvalue()

    def to_dict(self) -> dict[str, Any]:
        return {
            "metrics": list(self.columns),
            "rows": [{"condition": row, "frames": self.frame_counts[row],
                      "values": self.values[row], **self.details.get(row, {})}
                     for row in self.rows],
        }


@dataclass(frozen=True)
class EvaluationReport:
    """One protocol's result: `title`, `description` lines, the table and quoted references
    (name -> {column: value}: published numbers, printed apart and never mixed with ours)."""

    protocol: str
    title: str
    description: tuple[str, ...]
    table: ActionTable | MetricTable
    reference: dict[str, dict[str, float]] = field(default_factory=dict)

    def to_markdown(self) -> str:
        parts = [f"# {self.title}\n", *(f"- {line}" for line in self.description), ""]
        if isinstance(self.table, ActionTable):
            parts.append(self.table.to_markdown(layout="columns"))
        else:
            parts.append(self.table.to_markdown())
        if self.reference:
            columns = list(dict.fromkeys(c for values in self.reference.values() for c in values))
            parts += ["Published numbers, quoted for comparison (not measured here):", "",
                      "| Quoted reference | " + " | ".join(columns) + " |",
                      "| --- | " + " | ".join("---:" for _ in columns) + " |"]
            for name, values in self.reference.items():
                cells = [f"{values[c]:.1f}" if c in values else "-" for c in columns]
                parts.append(f"| {name} | " + " | ".join(cells) + " |")
            parts.append("")
        return "\n".join(parts)

    def to_csv(self) -> str:
        if isinstance(self.table, ActionTable):
            return self.table.to_csv(layout="rows")
        return self.table.to_csv()

    def to_json(self) -> str:
        if isinstance(self.table, ActionTable):
            table = json.loads(self.table.to_json())
        else:
            table = self.table.to_dict()
        document = {
            "format": _JSON_FORMAT, "version": 1, "protocol": self.protocol, "title": self.title,
            "description": list(self.description), "table": table,
            "quoted_reference": self.reference,
        }
        return json.dumps(document, indent=2) + "\n"

    def write(self, out: Path) -> list[Path]:
        """Write OUT.md, OUT.csv and OUT.json (OUT's own suffix replaced); returns the paths."""
        out = Path(out)
        paths = [out.with_suffix(suffix) for suffix in (".md", ".csv", ".json")]
        texts = (self.to_markdown(), self.to_csv(), self.to_json())
        try:
            out.parent.mkdir(parents=True, exist_ok=True)
            for path, text in zip(paths, texts, strict=True):
                path.write_text(text, encoding="utf-8")
        except OSError as error:
            raise PoseInputError(f"Cannot write the report to {out}: "
                                 f"{error.strerror or error}.") from None
        return paths
