"""The batch's status manifest, `DIR/batch_status.csv`: one row per video, latest state.

status is `running` (a worker has it), `done` (its folder DIR/<name> is complete) or `failed`
(error holds the one-line reason). Only the batch's driver process writes the file, and always
whole: a temporary file beside it, then os.replace, so a reader or a crash never sees half.
"""

from __future__ import annotations

import csv
import io
import os
from dataclasses import asdict, dataclass, fields
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from posemachines.batch.jobs import VideoJob
from posemachines.errors import PoseDataError
from posemachines.version import __version__

STATUS_NAME = "batch_status.csv"
RUNNING, DONE, FAILED = "running", "done", "failed"


@dataclass(frozen=True)
class VideoRecord:
    """One video's row: frames read (frames) and those with a person (poses), wall seconds
    of the successful or last attempt, attempts made, the package version that made it, and
    the input's size and modification time and the options, by which a rerun knows whether
    the row still describes the same work."""

    name: str
    input: str
    status: str
    frames: int = 0
    poses: int = 0
    seconds: float = 0.0
    attempts: int = 0
    error: str = ""
    worker: str = ""
    version: str = __version__
    input_bytes: int = -1
    input_mtime_ns: int = -1
    options: str = ""
    updated_utc: str = ""


COLUMNS: tuple[str, ...] = tuple(field.name for field in fields(VideoRecord))


def input_identity(path: Path) -> tuple[int, int]:
    """(size in bytes, modification time in ns) of an input; (-1, -1) if it cannot be read."""
    try:
        stat = path.stat()
    except OSError:
        return -1, -1
    return stat.st_size, stat.st_mtime_ns


def new_record(job: VideoJob, status: str, **values: Any) -> VideoRecord:
    """A row for `job` (other fields from `values`) stamped with its input's identity, its
    options and the time now."""
    size, mtime = input_identity(job.input)
    return VideoRecord(name=job.name, input=str(job.input), status=status, input_bytes=size,
                       input_mtime_ns=mtime, options=job.options.fingerprint(),
                       updated_utc=datetime.now(UTC).isoformat(timespec="seconds"), **values)


def _parse(row: dict[str, str], where: str) -> VideoRecord:
    try:
        return VideoRecord(
            name=row["name"], input=row["input"], status=row["status"],
            frames=int(row["frames"]), poses=int(row["poses"]), seconds=float(row["seconds"]),
            attempts=int(row["attempts"]), error=row["error"], worker=row["worker"],
            version=row["version"], input_bytes=int(row["input_bytes"]),
            input_mtime_ns=int(row["input_mtime_ns"]), options=row["options"],
            updated_utc=row["updated_utc"],
        )
    except (KeyError, TypeError, ValueError) as error:
        raise PoseDataError(f"{where} is not a batch status row ({error}); move the file "
                            "away to start the batch afresh.") from None


class StatusManifest:
    """The status rows of one output folder, loaded on creation, saved on every update."""

    def __init__(self, out_dir: Path) -> None:
        self.path = out_dir / STATUS_NAME
        self.records: dict[str, VideoRecord] = {}
        if self.path.is_file():
            with self.path.open(newline="", encoding="utf-8") as handle:
                reader = csv.DictReader(handle)
                for row in reader:
                    record = _parse(row, f"{self.path} line {reader.line_num}")
                    self.records[record.name] = record

    def update(self, record: VideoRecord) -> None:
        """Set `record` as its video's row and rewrite the file atomically."""
        self.records[record.name] = record
        buffer = io.StringIO()
        writer = csv.DictWriter(buffer, fieldnames=COLUMNS, lineterminator="\n")
        writer.writeheader()
        writer.writerows(asdict(row) for row in self.records.values())
        temporary = self.path.with_name(f".{STATUS_NAME}.tmp")
        temporary.write_text(buffer.getvalue(), encoding="utf-8")
        os.replace(temporary, self.path)

    def finished(self, job: VideoJob, retry_failed: bool = False) -> VideoRecord | None:
        """The row that makes `job` need no work now, if there is one: `done` with its folder
        present, or `failed` (unless `retry_failed`), for the same input file (size and
        modification time) and the same options."""
        record = self.records.get(job.name)
        if record is None or record.input != str(job.input):
            return None
        if (record.input_bytes, record.input_mtime_ns) != input_identity(job.input):
            return None
        if record.options != job.options.fingerprint():
            return None
        if record.status == DONE and (self.path.parent / job.name).is_dir():
            return record
        if record.status == FAILED and not retry_failed:
            return record
        return None
