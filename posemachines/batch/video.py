"""One worker's side of a batch: an `Estimator` per process, one video at a time, its outputs
published whole.

The outputs are written into DIR/.partial-<name> and renamed to DIR/<name> only when every
file is there: a reader (or a rerun) sees a video's folder complete or not at all. A worker
that dies mid-video leaves only the hidden .partial- folder, which the next attempt (or the
next batch) removes.
"""

from __future__ import annotations

import os
import shutil
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import cv2
from threadpoolctl import threadpool_limits

from posemachines.batch.jobs import VideoJob, VideoOptions
from posemachines.errors import PoseMachinesError
from posemachines.export.writer import write_outputs
from posemachines.inference.detectors import PoseDetector, create_detector
from posemachines.inference.estimator import Estimator, PartialResultError
from posemachines.inference.frames import open_frames
from posemachines.staging import PARTIAL_PREFIX

REPLACED_PREFIX = ".replaced-"
#: Estimators kept per worker (one per distinct detector / correction / focal / height).
_MAX_ESTIMATORS = 8


@dataclass(frozen=True)
class WorkerSettings:
    """What every worker of a batch shares: the lifter checkpoint (None: the shipped one),
    the torch device, and the CPU threads each worker may use."""

    weights: Path | None = None
    device: str = "cpu"
    threads: int = 1


@dataclass(frozen=True)
class VideoOutcome:
    """What a worker reports for one video: frames read, frames with a person (poses), wall
    seconds, the one-line error if it failed ("" if done), and which worker ran it."""

    name: str
    done: bool
    frames: int
    poses: int
    seconds: float
    error: str
    worker: str


def partial_dir(out_dir: Path, name: str) -> Path:
    """Where a video's outputs are written before they are published as DIR/<name>."""
    return out_dir / f"{PARTIAL_PREFIX}{name}"


def publish(partial: Path, final: Path) -> None:
    """Move the complete folder `partial` to `final`, replacing an older `final` whole."""
    replaced = final.with_name(f"{REPLACED_PREFIX}{final.name}")
    if final.exists():
        shutil.rmtree(replaced, ignore_errors=True)
        os.replace(final, replaced)
    os.replace(partial, final)
    shutil.rmtree(replaced, ignore_errors=True)


def pin_threads(threads: int) -> None:
    """Limit this process's thread pools to `threads` — OpenCV's, numpy's BLAS, torch's (the
    action model of --analyze, imported only where a video asks for it: OMP_NUM_THREADS sets
    its count then) — and the detector gets the same count when created, so that N workers
    share the CPU instead of fighting over it. (The lifter and the correction run on one
    thread anyway: `posemachines.threads`.)"""
    os.environ["OMP_NUM_THREADS"] = str(threads)
    if (torch := sys.modules.get("torch")) is not None:
        torch.set_num_threads(threads)
    cv2.setNumThreads(threads)
    threadpool_limits(threads, user_api="blas")


def _one_line(error: BaseException) -> str:
    text = str(error).strip().splitlines()
    message = text[0] if text else ""
    return message if isinstance(error, PoseMachinesError) else (
        f"{type(error).__name__}: {message}".rstrip(": "))


class VideoWorker:
    """Processes videos one at a time in this process; Estimators (and detectors) are made on
    first use for each distinct set of options and kept."""

    def __init__(self, settings: WorkerSettings, label: str = "") -> None:
        pin_threads(settings.threads)
        self.settings = settings
        self.label = label or f"pid {os.getpid()}"
        self._detectors: dict[str, PoseDetector] = {}
        self._estimators: dict[tuple[object, ...], Estimator] = {}

    def estimator(self, options: VideoOptions) -> Estimator:
        """The Estimator for `options` (sharing this worker's detector of that name)."""
        key = (options.detector, options.correction, options.focal_px, options.height_cm,
               options.flip_test, options.time_reversal)
        if key not in self._estimators:
            if options.detector not in self._detectors:
                self._detectors[options.detector] = create_detector(
                    options.detector, num_threads=self.settings.threads)
            if len(self._estimators) >= _MAX_ESTIMATORS:
                self._estimators.pop(next(iter(self._estimators)))
            self._estimators[key] = Estimator(
                weights=self.settings.weights, detector=self._detectors[options.detector],
                correction=options.correction, device=self.settings.device,
                focal_px=options.focal_px, height_cm=options.height_cm,
                flip_test=options.flip_test, time_reversal=options.time_reversal,
            )
        return self._estimators[key]

    def process(self, job: VideoJob, out_dir: Path,
                on_frame: Callable[[], None] | None = None) -> VideoOutcome:
        """Run `job` and publish its outputs as out_dir/<name>; never raises for a bad video
        (the outcome carries the error line instead)."""
        started = time.perf_counter()
        read = [0]

        def count() -> None:
            read[0] += 1
            if on_frame is not None:
                on_frame()

        try:
            poses = self._run(job, out_dir, count)
        except Exception as error:  # one bad video must not stop the batch: report it
            shutil.rmtree(partial_dir(out_dir, job.name), ignore_errors=True)
            return VideoOutcome(job.name, False, read[0], 0, time.perf_counter() - started,
                                _one_line(error), self.label)
        return VideoOutcome(job.name, True, read[0], poses, time.perf_counter() - started,
                            "", self.label)

    def _run(self, job: VideoJob, out_dir: Path, on_frame: Callable[[], None]) -> int:
        """Predict, analyse if asked, write and publish; the number of poses written."""
        estimator = self.estimator(job.options)
        source = open_frames(job.input)
        try:
            result = estimator.predict_video(source, on_frame=on_frame)
        except PartialResultError as error:
            raise PartialResultError(
                f"{error} (after {error.result.num_frames + len(error.result.missing_frames)} "
                "frames; nothing written)", error.result) from None
        partial = partial_dir(out_dir, job.name)
        shutil.rmtree(partial, ignore_errors=True)
        partial.mkdir(parents=True)
        labels = None
        if job.options.analyze:
            # Imported on use: the analysis stack (torch for the action model, matplotlib)
            # loads only in a worker that analyses.
            from posemachines.batch.analyze import analyze_into

            labels = analyze_into(result, partial)
        write_outputs(result, partial, job.options.formats,
                      frames=lambda: (frame.rgb for frame in source), labels=labels)
        publish(partial, out_dir / job.name)
        return result.num_frames
