"""The local backend: N worker processes, one `VideoWorker` (one Estimator) in each.

multiprocessing with the spawn start method (no torch or decoder state is forked) and one pipe
per worker rather than concurrent.futures' ProcessPoolExecutor: when a worker dies (SIGKILL,
out of memory) the executor breaks every pending future, while here the driver knows which
video the dead worker held, retries just that one (`max_retries` times) on a fresh worker, and
gets frame counts from each worker as it goes.
"""

from __future__ import annotations

import multiprocessing
import os
import shutil
import signal
import threading
import time
from collections import Counter, deque
from collections.abc import Sequence
from contextlib import suppress
from dataclasses import dataclass
from multiprocessing.connection import Connection, wait
from multiprocessing.process import BaseProcess
from pathlib import Path

from posemachines.batch.events import BackendEvents
from posemachines.batch.jobs import VideoJob
from posemachines.batch.video import VideoOutcome, VideoWorker, WorkerSettings, partial_dir

#: How often a worker sends its frame count to the driver, s.
_FRAME_REPORT_S = 0.25


def _worker_main(conn: Connection, settings: WorkerSettings, out_dir: Path) -> None:
    """A worker process: take jobs from `conn` until None (or until the driver is gone),
    answer with progress and outcomes. Ctrl-C is the driver's to handle: it ends the workers."""
    signal.signal(signal.SIGINT, signal.SIG_IGN)
    worker = VideoWorker(settings)
    with suppress(EOFError, BrokenPipeError):  # the driver is gone: nothing to report to
        _serve_jobs(conn, worker, out_dir)


def _serve_jobs(conn: Connection, worker: VideoWorker, out_dir: Path) -> None:
    """The worker's loop: ("started", name, pid), ("frames", count)..., ("outcome", ...)."""
    while (job := conn.recv()) is not None:
        conn.send(("started", job.name, os.getpid()))
        unsent, last = 0, time.monotonic()

        def on_frame() -> None:
            nonlocal unsent, last
            unsent += 1
            if time.monotonic() - last >= _FRAME_REPORT_S:
                conn.send(("frames", unsent))
                unsent, last = 0, time.monotonic()

        outcome = worker.process(job, out_dir, on_frame)
        if unsent:
            conn.send(("frames", unsent))
        conn.send(("outcome", outcome))


@dataclass
class _Slot:
    """One worker process, its end of the pipe, and the job it holds (None: idle)."""

    process: BaseProcess
    conn: Connection
    job: VideoJob | None = None


def _death(process: BaseProcess) -> str:
    code = process.exitcode
    if code is not None and code < 0:
        return f"killed by {signal.Signals(-code).name}"
    return f"exit code {code}"


class LocalPool:
    """Runs jobs on `workers` local processes; see the module docstring."""

    def __init__(self, out_dir: Path, settings: WorkerSettings, workers: int,
                 max_retries: int, events: BackendEvents) -> None:
        self.out_dir, self.settings, self.workers = out_dir, settings, workers
        self.max_retries, self.events = max_retries, events
        self._context = multiprocessing.get_context("spawn")
        self._queue: deque[VideoJob] = deque()
        self._attempts: Counter[str] = Counter()

    def run(self, jobs: Sequence[VideoJob]) -> None:
        """Process every job; returns when each is done or failed."""
        self._queue.extend(jobs)
        slots = [self._start() for _ in range(min(self.workers, len(jobs)))]
        try:
            for slot in slots:
                self._assign(slot)
            while busy := [slot for slot in slots if slot.job is not None]:
                ready = wait([s.conn for s in busy] + [s.process.sentinel for s in busy])
                for slot in busy:
                    if slot.conn in ready or slot.process.sentinel in ready:
                        self._serve(slot, slots)
        finally:
            for slot in slots:
                self._stop(slot)

    def _start(self) -> _Slot:
        parent, child = self._context.Pipe()
        process = self._context.Process(target=_worker_main, daemon=True,
                                        args=(child, self.settings, self.out_dir))
        if threading.current_thread() is threading.main_thread():
            # started with Ctrl-C ignored, the worker keeps ignoring it through its imports
            previous = signal.signal(signal.SIGINT, signal.SIG_IGN)
            try:
                process.start()
            finally:
                signal.signal(signal.SIGINT, previous)
        else:
            process.start()
        child.close()
        return _Slot(process, parent)

    def _assign(self, slot: _Slot) -> None:
        slot.job = self._queue.popleft() if self._queue else None
        if slot.job is not None:
            self._attempts[slot.job.name] += 1
        # a worker that died already fails the send: its sentinel says so and _serve retries
        with suppress(OSError):
            slot.conn.send(slot.job)

    def _serve(self, slot: _Slot, slots: list[_Slot]) -> None:
        """Read what `slot`'s worker sent; if it died holding a job, retry or fail that job."""
        try:
            while slot.job is not None and slot.conn.poll():
                self._message(slot, slot.conn.recv())
        except (EOFError, OSError):
            pass
        if slot.job is None or slot.process.is_alive():
            return
        job = slot.job
        slot.process.join()
        shutil.rmtree(partial_dir(self.out_dir, job.name), ignore_errors=True)
        death = _death(slot.process)
        slot.conn.close()
        attempts = self._attempts[job.name]
        if attempts <= self.max_retries:
            self._queue.appendleft(job)
        else:
            reason = f"worker process died ({death}) on each of {attempts} attempts"
            self.events.finished(job, VideoOutcome(job.name, False, 0, 0, 0.0, reason, ""),
                                 attempts)
        slot.job = None
        if self._queue:
            replacement = self._start()
            slots[slots.index(slot)] = replacement
            self._assign(replacement)

    def _message(self, slot: _Slot, message: tuple[object, ...]) -> None:
        """Handle ("started", name, pid), ("frames", count) or ("outcome", VideoOutcome)."""
        job, kind, value = slot.job, message[0], message[-1]
        assert job is not None
        if kind == "started":
            self.events.started(job, f"pid {value}", self._attempts[job.name])
        elif kind == "frames" and isinstance(value, int):
            self.events.frames(value)
        elif kind == "outcome" and isinstance(value, VideoOutcome):
            self.events.finished(job, value, self._attempts[job.name])
            self._assign(slot)

    @staticmethod
    def _stop(slot: _Slot) -> None:
        """End `slot`'s worker: it has been sent None when idle; killed if it still runs."""
        slot.process.join(timeout=5 if slot.job is None else 0)
        if slot.process.is_alive():
            slot.process.kill()
            slot.process.join()
        slot.conn.close()
