"""The Ray backend: an actor pool, one `VideoWorker` (one Estimator) per actor.

`ray.init()` starts a local Ray for this batch (num_cpus = workers x threads) unless `address`
names a running cluster (or Ray is already initialised in this process). Each actor asks Ray
for `threads` CPUs; an actor whose process dies is restarted (`max_restarts`) and the video it
held is re-run (`max_task_retries`); a bad video is not an exception but an outcome (the actor
catches it), so Ray retries only lost workers, never deterministic failures. The driver keeps
one task per idle actor and hands the next video to whichever actor finishes first (ray.wait),
so it knows which video each lost task held; ray.util.ActorPool would not say.

Every actor reads the inputs and writes DIR at the same paths as the driver: on a cluster,
storage shared by all nodes (docs/batch.md).
"""

from __future__ import annotations

import os
import socket
from collections import deque
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from posemachines.batch.events import BackendEvents
from posemachines.batch.jobs import VideoJob
from posemachines.batch.video import VideoOutcome, VideoWorker, WorkerSettings
from posemachines.optional import import_optional

#: Ray's object store for a local Ray started here, bytes: outcomes are a few hundred bytes.
_LOCAL_OBJECT_STORE_BYTES = 128 * 1024 * 1024


class VideoActor:
    """The actor: one VideoWorker in a Ray worker process, writing into `out_dir`."""

    def __init__(self, settings: WorkerSettings, out_dir: str) -> None:
        self.out_dir = Path(out_dir)
        self.worker = VideoWorker(settings, label=f"{socket.gethostname()} pid {os.getpid()}")

    def process(self, job: VideoJob) -> VideoOutcome:
        return self.worker.process(job, self.out_dir)


def _one_line(error: BaseException) -> str:
    lines = [line for line in str(error).strip().splitlines() if line.strip()]
    return f"{type(error).__name__}: {lines[-1] if lines else ''}".rstrip(": ")


def run_ray(jobs: Sequence[VideoJob], out_dir: Path, settings: WorkerSettings, workers: int,
            max_retries: int, events: BackendEvents, address: str | None = None) -> None:
    """Process every job on a pool of `workers` Ray actors; see the module docstring."""
    ray: Any = import_optional("ray", "The Ray backend (--backend ray)")
    started_here = not ray.is_initialized()
    if started_here and address:
        ray.init(address=address, log_to_driver=False)
    elif started_here:
        ray.init(num_cpus=workers * settings.threads, include_dashboard=False,
                 log_to_driver=False, object_store_memory=_LOCAL_OBJECT_STORE_BYTES)
    try:
        actor_class = ray.remote(num_cpus=settings.threads, max_restarts=max_retries,
                                 max_task_retries=max_retries)(VideoActor)

        def new_actor() -> Any:
            return actor_class.remote(settings, str(out_dir))

        idle = [new_actor() for _ in range(min(workers, len(jobs)))]
        queue = deque(jobs)
        pending: dict[Any, tuple[VideoJob, Any]] = {}
        while queue or pending:
            while idle and queue:
                job, actor = queue.popleft(), idle.pop()
                pending[actor.process.remote(job)] = (job, actor)
                events.started(job, "ray", 1)
            [ref], _ = ray.wait(list(pending), num_returns=1)
            job, actor = pending.pop(ref)
            attempts = 1
            try:
                outcome = ray.get(ref)
            except ray.exceptions.RayError as error:  # the actor died past its restarts
                attempts = max_retries + 1
                outcome = VideoOutcome(job.name, False, 0, 0, 0.0, _one_line(error), "ray")
                actor = new_actor()
            idle.append(actor)
            events.frames(outcome.frames)
            events.finished(job, outcome, attempts)
    finally:
        if started_here:
            ray.shutdown()
