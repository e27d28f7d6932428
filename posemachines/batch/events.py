"""What a backend tells the batch driver, and what the driver tells a progress display."""

from __future__ import annotations

from typing import Protocol

from posemachines.batch.jobs import VideoJob
from posemachines.batch.status import VideoRecord
from posemachines.batch.video import VideoOutcome


class BackendEvents(Protocol):
    """Called by a backend (in the driver process) as its videos move."""

    def started(self, job: VideoJob, worker: str, attempt: int) -> None:
        """A worker took `job` (attempt 1, 2, ...)."""

    def frames(self, count: int) -> None:
        """`count` more frames were read, over all workers."""

    def finished(self, job: VideoJob, outcome: VideoOutcome, attempts: int) -> None:
        """`job` ended, done or failed, after `attempts` attempts."""


class BatchProgress(Protocol):
    """A progress display over videos and frames (the CLI's is two tqdm bars)."""

    def begin(self, videos: int, skipped: int) -> None:
        """The batch has `videos` videos, `skipped` of them finished by an earlier run."""

    def frames(self, count: int) -> None:
        """`count` more frames were read."""

    def video(self, record: VideoRecord) -> None:
        """A video ended (record.status is done or failed)."""
