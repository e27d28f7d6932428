"""`run_batch`: many videos into one output folder, resumable, on local processes or Ray.

    from posemachines.batch import VideoOptions, run_batch
    report = run_batch(["trials/", "extra/*.mp4", "subjects.csv"], "out/", workers=2,
                       options=VideoOptions(formats=("json", "npz")))
    report.failed        # VideoRecords of the videos that failed, with their error lines

DIR gets one folder per video (DIR/<name>, complete or absent) and batch_status.csv. Running
the same batch again skips the videos already done or failed (for the same input file and
options); `retry_failed` runs the failed ones again.
"""

from __future__ import annotations

import fcntl
import os
import shutil
import tempfile
import time
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path

from posemachines.batch.events import BatchProgress
from posemachines.batch.jobs import BACKENDS, VideoJob, VideoOptions, collect_jobs
from posemachines.batch.local_pool import LocalPool
from posemachines.batch.ray_pool import run_ray
from posemachines.batch.status import (
    DONE,
    FAILED,
    RUNNING,
    StatusManifest,
    VideoRecord,
    new_record,
)
from posemachines.batch.video import (
    REPLACED_PREFIX,
    VideoOutcome,
    WorkerSettings,
)
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.models.shipped import resolve_lifter_weights
from posemachines.staging import PARTIAL_PREFIX

LOCK_NAME = ".batch.lock"


@dataclass(frozen=True)
class BatchReport:
    """Every video of the batch in input order (its latest status row), how many ran now
    and how many an earlier run had finished, the frames read and wall seconds of this run,
    and the status manifest's path."""

    records: tuple[VideoRecord, ...]
    ran: int
    skipped: int
    frames: int
    seconds: float
    status_path: Path

    @property
    def failed(self) -> list[VideoRecord]:
        return [record for record in self.records if record.status == FAILED]

    @property
    def done(self) -> list[VideoRecord]:
        return [record for record in self.records if record.status == DONE]


class _Recorder:
    """Turns backend events into status rows and progress updates (driver process only)."""

    def __init__(self, status: StatusManifest, progress: BatchProgress | None) -> None:
        self.status, self.progress = status, progress
        self.frames_read = 0

    def started(self, job: VideoJob, worker: str, attempt: int) -> None:
        self.status.update(new_record(job, RUNNING, worker=worker, attempts=attempt))

    def frames(self, count: int) -> None:
        if self.progress is not None:
            self.progress.frames(count)

    def finished(self, job: VideoJob, outcome: VideoOutcome, attempts: int) -> None:
        record = new_record(
            job, DONE if outcome.done else FAILED, frames=outcome.frames, poses=outcome.poses,
            seconds=round(outcome.seconds, 3), attempts=attempts, error=outcome.error,
            worker=outcome.worker)
        self.status.update(record)
        self.frames_read += outcome.frames
        if self.progress is not None:
            self.progress.video(record)


def _prepare_out_dir(out_dir: Path) -> None:
    """Create `out_dir` and check that files can be written there (permission bits alone do
    not say: root, ACLs and read-only mounts differ)."""
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
        descriptor, probe = tempfile.mkstemp(dir=out_dir, prefix=".write-test-")
        os.close(descriptor)
        os.unlink(probe)
    except OSError as error:
        raise PoseDataError(
            f"Output folder {out_dir} is not writable: {error.strerror or error}.") from None


@contextmanager
def _exclusive(out_dir: Path) -> Iterator[None]:
    """Hold DIR/.batch.lock for the batch: two batches writing one folder would each redo and
    remove the other's work. The OS releases the lock if this process dies."""
    with (out_dir / LOCK_NAME).open("a") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except OSError:
            raise PoseInputError(
                f"Another posemachines batch is writing to {out_dir}.") from None
        yield


def _remove_leftovers(out_dir: Path) -> None:
    """Delete the hidden folders of attempts that never finished."""
    for path in out_dir.iterdir():
        if path.is_dir() and path.name.startswith((PARTIAL_PREFIX, REPLACED_PREFIX)):
            shutil.rmtree(path, ignore_errors=True)


def run_batch(
    inputs: Sequence[str | Path],
    out_dir: str | Path,
    options: VideoOptions | None = None,
    *,
    workers: int = 1,
    backend: str = "local",
    threads: int | None = None,
    weights: str | Path | None = None,
    device: str = "cpu",
    max_retries: int = 2,
    retry_failed: bool = False,
    ray_address: str | None = None,
    progress: BatchProgress | None = None,
) -> BatchReport:
    """Process every video that `inputs` name (files, folders, globs, CSV/JSONL manifests)
    into `out_dir`; see the module docstring.

    options: the defaults a manifest row may override; workers: processes (local) or actors
    (ray); threads: CPU threads per worker (default: this machine's CPUs / workers, at least
    1); max_retries: re-runs of a video whose worker died; ray_address: a Ray cluster to join
    (default: start a local one). Bad arguments or an unwritable `out_dir` raise a
    PoseMachinesError; a bad video does not raise (see BatchReport.failed).
    """
    started = time.perf_counter()
    if backend not in BACKENDS:
        raise PoseInputError(f"Unknown backend '{backend}'; known: {', '.join(BACKENDS)}.")
    if workers < 1 or max_retries < 0 or (threads is not None and threads < 1):
        raise PoseInputError("workers and threads must be at least 1, max_retries at least 0.")
    weights = None if weights is None else resolve_lifter_weights(weights)
    if weights is not None and not weights.is_file():
        raise PoseInputError(f"Weights {weights} do not exist.")
    jobs = collect_jobs(inputs, options or VideoOptions())
    out = Path(out_dir)
    _prepare_out_dir(out)
    cpus = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else os.cpu_count()
    settings = WorkerSettings(
        weights=None if weights is None else weights.resolve(), device=device,
        threads=threads or max(1, (cpus or 1) // workers))
    with _exclusive(out):
        _remove_leftovers(out)
        status = StatusManifest(out)
        pending = [job for job in jobs if status.finished(job, retry_failed) is None]
        if progress is not None:
            progress.begin(len(jobs), len(jobs) - len(pending))
        events = _Recorder(status, progress)
        try:
            if pending and backend == "ray":
                run_ray(pending, out.resolve(), settings, workers, max_retries, events,
                        ray_address)
            elif pending:
                LocalPool(out.resolve(), settings, workers, max_retries, events).run(pending)
        finally:
            _remove_leftovers(out)
        records = tuple(status.records[job.name] for job in jobs)
    return BatchReport(records, len(pending), len(jobs) - len(pending), events.frames_read,
                       time.perf_counter() - started, status.path)
