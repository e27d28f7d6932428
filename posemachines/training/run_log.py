"""What a run reports: a CSV log, TensorBoard events when available, and a tqdm progress bar.

log.csv has one row per logging step (train loss terms, lr, samples/s) and one per validation
(val_* metrics), with the union of all columns seen; on resume the rows after the resumed step
are dropped, so a killed and resumed run has no duplicate rows (its first row after the resume
averages fewer steps unless checkpoint.every_n_steps is a multiple of log.every_n_steps).
TensorBoard needs the separate `tensorboard` package (the `train` extra; `torch.utils.tensorboard`
fails to import without it); when it is missing, the log is CSV only and the run says so once,
naming the extra. It is imported only when a run asks for it.
"""

from __future__ import annotations

import csv
import sys
from pathlib import Path
from typing import Any

from tqdm import tqdm

from posemachines.optional import MissingDependencyError, import_optional


class CsvLog:
    """Rows of {column: value}; rewrites the file when a new column appears."""

    def __init__(self, path: Path, keep_until_step: int) -> None:
        self.path = path
        self.rows: list[dict[str, Any]] = []
        self.columns: list[str] = ["step", "epoch"]
        if keep_until_step > 0 and path.is_file():
            with open(path, newline="") as handle:
                reader = csv.DictReader(handle)
                self.columns = list(reader.fieldnames or self.columns)
                self.rows = [r for r in reader if int(r["step"]) <= keep_until_step]
        self._rewrite()

    def append(self, row: dict[str, Any]) -> None:
        self.rows.append(row)
        new = [key for key in row if key not in self.columns]
        if new:
            self.columns.extend(new)
            self._rewrite()
            return
        with open(self.path, "a", newline="") as handle:
            csv.DictWriter(handle, fieldnames=self.columns).writerow(row)

    def _rewrite(self) -> None:
        self.path.parent.mkdir(parents=True, exist_ok=True)
        with open(self.path, "w", newline="") as handle:
            writer = csv.DictWriter(handle, fieldnames=self.columns)
            writer.writeheader()
            writer.writerows(self.rows)


def open_tensorboard(log_dir: Path, wanted: bool) -> Any | None:
    """A SummaryWriter, or None (with one note on stderr) when tensorboard is not installed."""
    if not wanted:
        return None
    try:
        tensorboard = import_optional("torch.utils.tensorboard", "TensorBoard logging")
    except MissingDependencyError as missing:
        print(f"posemachines: {missing} Logging to log.csv only.", file=sys.stderr)
        return None
    return tensorboard.SummaryWriter(log_dir=str(log_dir))


class RunLog:
    """Rank 0's reporting: CSV (+ TensorBoard) rows and the progress bar."""

    def __init__(
        self,
        run_dir: Path,
        *,
        start_step: int,
        total_steps: int,
        progress: bool,
        tensorboard: bool,
    ) -> None:
        self.csv = CsvLog(run_dir / "log.csv", keep_until_step=start_step)
        self.writer = open_tensorboard(run_dir / "tensorboard", tensorboard)
        self.bar = tqdm(
            total=total_steps, initial=start_step, disable=not progress, unit="step",
            dynamic_ncols=True, file=sys.stderr,
        )

    def train(self, step: int, epoch: int, terms: dict[str, float], lr: float, rate: float) -> None:
        """Row for `step` finished steps: loss terms, lr and samples/s."""
        row: dict[str, Any] = {"step": step, "epoch": epoch}
        row.update({name: f"{value:.6g}" for name, value in terms.items()})
        row.update({"lr": f"{lr:.6g}", "samples_per_s": f"{rate:.1f}"})
        self.csv.append(row)
        self.bar.set_postfix(loss=f"{terms.get('loss', float('nan')):.4g}", lr=f"{lr:.2g}",
                             samples_s=f"{rate:.0f}")
        if self.writer is not None:
            for name, value in terms.items():
                self.writer.add_scalar(f"train/{name}", value, step)
            self.writer.add_scalar("train/lr", lr, step)
            self.writer.add_scalar("train/samples_per_s", rate, step)

    def validation(self, step: int, epoch: int, metrics: dict[str, float]) -> None:
        row: dict[str, Any] = {"step": step, "epoch": epoch}
        row.update({f"val_{name}": f"{value:.6g}" for name, value in metrics.items()})
        self.csv.append(row)
        summary = ", ".join(f"{name} {value:.4g}" for name, value in metrics.items())
        self.bar.write(f"step {step}: validation {summary}", file=sys.stderr)
        if self.writer is not None:
            for name, value in metrics.items():
                self.writer.add_scalar(f"val/{name}", value, step)

    def advance(self, steps: int = 1) -> None:
        self.bar.update(steps)

    def close(self) -> None:
        self.bar.close()
        if self.writer is not None:
            self.writer.close()
