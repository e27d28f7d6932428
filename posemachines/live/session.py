"""A live session: the causal pipeline's loop, its running statistics and the recorder.

`LiveSession.run` drives a `PoseStream` (in the caller's thread, or `start` for a worker
thread), keeps the newest result for whoever displays it, records the frames while recording,
and on `stop` (Ctrl-C, SIGTERM, the page's stop button) or at the source's end writes what was
recorded: nothing is lost.
"""

from __future__ import annotations

import threading
import time
from collections import deque
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posemachines.inference.stream import FrameResult, PoseStream
from posemachines.live.recorder import Recorder

#: Frames the displayed rate and latency percentile are taken over.
STATS_WINDOW = 60


@dataclass(frozen=True)
class LiveStats:
    """processed / dropped frames so far; fps: processed frames per second over the last
    STATS_WINDOW frames; latency_ms: the newest frame's, arrival to 3D; latency_p95_ms over
    the window; recording: whether a take is being recorded, and its frames."""

    processed: int
    dropped: int
    fps: float
    latency_ms: float
    latency_p95_ms: float
    recording: bool
    recorded_frames: int

    def line(self) -> str:
        """One status line for a terminal."""
        record = f"  recording {self.recorded_frames} frames" if self.recording else ""
        return (f"{self.processed} frames  {self.fps:5.1f} fps  latency {self.latency_ms:5.1f} "
                f"ms (p95 {self.latency_p95_ms:5.1f})  dropped {self.dropped}{record}")


class LiveSession:
    """One stream and one recorder; `on_result(result, stats)` is called from the pipeline's
    thread after every frame (keep it short: the display's own thread should do the work)."""

    def __init__(self, stream: PoseStream, recorder: Recorder,
                 on_result: Callable[[FrameResult, LiveStats], None] | None = None) -> None:
        self.stream, self.recorder, self.on_result = stream, recorder, on_result
        self._stop = threading.Event()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._arrivals: deque[float] = deque(maxlen=STATS_WINDOW)
        self._latencies: deque[float] = deque(maxlen=STATS_WINDOW)
        self.latest: tuple[FrameResult, LiveStats] | None = None
        self.written: list[Path] = []
        self.on_finish: Callable[[], None] | None = None

    @property
    def error(self) -> str | None:
        """Why the source stopped early, if it did."""
        return self.stream.error

    @property
    def finished(self) -> bool:
        return self._done.is_set()

    def stats(self) -> LiveStats:
        span = self._arrivals[-1] - self._arrivals[0] if len(self._arrivals) > 1 else 0.0
        latencies = np.asarray(self._latencies or [0.0]) * 1000.0
        return LiveStats(
            processed=self.stream.processed, dropped=self.stream.dropped,
            fps=(len(self._arrivals) - 1) / span if span > 0 else 0.0,
            latency_ms=float(latencies[-1]), latency_p95_ms=float(np.percentile(latencies, 95)),
            recording=self.recorder.recording, recorded_frames=self.recorder.frames,
        )

    def run(self) -> list[Path]:
        """Process frames until the source ends or `stop`; write the take being recorded."""
        try:
            for result in self.stream:
                self.recorder.add(result)
                self._arrivals.append(time.perf_counter())
                self._latencies.append(result.latency_s)
                stats = self.stats()
                self.latest = (result, stats)
                if self.on_result is not None:
                    self.on_result(result, stats)
                if self._stop.is_set():
                    break
        finally:
            self.stream.close()
            self.written.extend(self.recorder.stop())
            self._done.set()
            if self.on_finish is not None:
                self.on_finish()
        return self.written

    def start(self) -> None:
        """`run` in a worker thread."""
        self._thread = threading.Thread(target=self.run, name="live-pipeline", daemon=True)
        self._thread.start()

    def toggle_recording(self) -> list[Path]:
        """Start a take, or end the one being recorded and write it (its paths)."""
        if self.recorder.recording:
            paths = self.recorder.stop()
            self.written.extend(paths)
            return paths
        self.recorder.start()
        return []

    def request_stop(self) -> None:
        """Ask the loop to end (safe from a signal handler: sets a flag, closes the source)."""
        self._stop.set()
        self.stream.close()

    def stop(self, timeout_s: float = 30.0) -> list[Path]:
        """End the session and wait for the files to be written; every path written."""
        self.request_stop()
        if self._thread is not None:
            self._thread.join(timeout_s)
        return self.written
