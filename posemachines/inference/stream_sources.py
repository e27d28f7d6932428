"""Live frame sources: a camera, a stream URL, or a video file (as fast as read, or in real time).

Frames come from cv2.VideoCapture (its bundled FFmpeg reads rtsp/http/udp streams and every
common container; V4L2 / the OS's API reads cameras). A live source (camera, URL, or a file
played in real time) is read by a thread that keeps only the newest frame: when the consumer
falls behind, the frames it has not taken yet are dropped, never queued, so latency stays
bounded (`StreamSource.dropped` counts them). A file read without `realtime` gives every frame
in order (for evaluation and tests).
"""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posemachines.errors import PoseInputError
from posemachines.inference.frames import open_frames

#: How long opening a stream URL, or waiting for its next frame, may take, ms.
NETWORK_TIMEOUT_MS = 5000


@dataclass(frozen=True)
class StreamFrame:
    """One frame as it arrived: index in the source (gaps where frames were dropped);
    timestamp_s (file: index / fps; camera, URL: since the first frame); rgb (H, W, 3) uint8;
    arrival_s: `time.perf_counter()` when it arrived (latencies are measured from it)."""

    index: int
    timestamp_s: float
    rgb: np.ndarray
    arrival_s: float


class _NewestFrame:
    """A one-frame mailbox: `put` replaces an untaken frame (counted as dropped)."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._frame: tuple[int, float, np.ndarray, float] | None = None
        self._ended = False
        self.dropped = 0

    def put(self, item: tuple[int, float, np.ndarray, float]) -> None:
        with self._condition:
            if self._frame is not None:
                self.dropped += 1
            self._frame = item
            self._condition.notify()

    def end(self) -> None:
        with self._condition:
            self._ended = True
            self._condition.notify()

    def take(self) -> tuple[int, float, np.ndarray, float] | None:
        """The newest frame, waiting for one; None once the source has ended."""
        with self._condition:
            self._condition.wait_for(lambda: self._frame is not None or self._ended)
            item, self._frame = self._frame, None
            return item


class StreamSource:
    """One opened source (see `open_stream`); iterate for `StreamFrame`s, then `close`.

    kind: 'camera', 'url' or 'file'; description: what to call it in messages; fps: its nominal
    frame rate; width, height px; live: read by a thread that drops what the consumer misses;
    dropped: frames dropped so far; error: why it stopped early (a camera or stream that broke
    off), None when it ended normally or was closed.
    """

    def __init__(self, capture: cv2.VideoCapture, kind: str, description: str, first: np.ndarray,
                 fps: float, live: bool, loop: bool = False, reopen: str | int | None = None
                 ) -> None:
        self.kind, self.description, self.live, self.loop = kind, description, live, loop
        self.fps = fps
        self.height, self.width = first.shape[:2]
        self.error: str | None = None
        self._capture, self._reopen = capture, reopen
        self._first: np.ndarray | None = first
        self._stop = threading.Event()
        self._mailbox = _NewestFrame()
        self._thread: threading.Thread | None = None
        self._read = 0

    @property
    def dropped(self) -> int:
        return self._mailbox.dropped

    def __iter__(self) -> Iterator[StreamFrame]:
        if not self.live:
            yield from self._sequential()
            return
        if self._thread is None:
            self._thread = threading.Thread(target=self._reader, name="frame-reader",
                                            daemon=True)
            self._thread.start()
        while (item := self._mailbox.take()) is not None:
            index, timestamp, bgr, arrival = item
            yield StreamFrame(index, timestamp, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB), arrival)

    def close(self) -> None:
        """Stop reading and release the capture (frames not yet taken are discarded)."""
        self._stop.set()
        if self._thread is not None and self._thread is not threading.current_thread():
            self._thread.join(timeout=NETWORK_TIMEOUT_MS / 1000 + 1)
        self._mailbox.end()
        self._capture.release()

    def __enter__(self) -> StreamSource:
        return self

    def __exit__(self, *exc_info: object) -> None:
        self.close()

    def _next_bgr(self) -> np.ndarray | None:
        """The next decoded frame (the first one was read when opening), None at the end."""
        if self._first is not None:
            first, self._first = self._first, None
            return first
        ok, bgr = self._capture.read()
        if (not ok or bgr is None) and self.loop and self._read > 0 \
                and self._reopen is not None:
            self._capture.release()
            self._capture = cv2.VideoCapture(str(self._reopen))
            ok, bgr = self._capture.read()
        return bgr if ok else None

    def _sequential(self) -> Iterator[StreamFrame]:
        while not self._stop.is_set() and (bgr := self._next_bgr()) is not None:
            index, self._read = self._read, self._read + 1
            yield StreamFrame(index, index / self.fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB),
                              time.perf_counter())

    def _reader(self) -> None:
        """Thread: read frames (a file paced at its frame rate) into the one-frame mailbox."""
        start = time.perf_counter()
        try:
            while not self._stop.is_set():
                bgr = self._next_bgr()
                if bgr is None:
                    if self.kind != "file":
                        self.error = (f"{self.description} stopped sending frames after "
                                      f"{self._read} frames.")
                    return
                index, self._read = self._read, self._read + 1
                if self.kind == "file":
                    timestamp = index / self.fps
                    delay = start + timestamp - time.perf_counter()
                    if delay > 0 and self._stop.wait(delay):
                        return
                else:
                    timestamp = time.perf_counter() - start
                self._mailbox.put((index, timestamp, bgr, time.perf_counter()))
        finally:
            self._mailbox.end()


def _first_frame(capture: cv2.VideoCapture) -> np.ndarray | None:
    ok, first = capture.read() if capture.isOpened() else (False, None)
    return first if ok and first is not None else None


def open_stream(source: str | int | Path, realtime: bool = False, loop: bool = False,
                fps: float | None = None) -> StreamSource:
    """Open a camera index (int or digits), a stream URL (scheme://...) or a video file.

    realtime: play a file at its frame rate (its own, or `fps`), dropping frames the consumer
    misses (cameras and URLs are always live); loop: start a file again at its end. Raises
    PoseInputError, one sentence, for a missing camera, an unreachable URL or a file that is
    not a video.
    """
    cv2.utils.logging.setLogLevel(cv2.utils.logging.LOG_LEVEL_SILENT)
    text = str(source)
    if isinstance(source, int) or text.isdigit():
        index = int(text)
        capture = cv2.VideoCapture(index)
        first = _first_frame(capture)
        if first is None:
            capture.release()
            raise PoseInputError(f"Cannot open camera {index}: no such camera, or it is busy.")
        fps = capture.get(cv2.CAP_PROP_FPS)
        return StreamSource(capture, "camera", f"Camera {index}", first,
                            fps if np.isfinite(fps) and fps > 0 else 30.0, live=True)
    if "://" in text:
        capture = cv2.VideoCapture(text, cv2.CAP_FFMPEG, [
            cv2.CAP_PROP_OPEN_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS,
            cv2.CAP_PROP_READ_TIMEOUT_MSEC, NETWORK_TIMEOUT_MS])
        first = _first_frame(capture)
        if first is None:
            capture.release()
            raise PoseInputError(f"Cannot read a video stream from {text}: unreachable, or "
                                 "not a video.")
        fps = capture.get(cv2.CAP_PROP_FPS)
        return StreamSource(capture, "url", f"Stream {text}", first,
                            fps if np.isfinite(fps) and 0 < fps <= 240 else 30.0, live=True)
    video = open_frames(Path(text))
    if video.kind != "video":
        raise PoseInputError(f"{text} is not a video; live needs a camera, a stream URL or a "
                             "video file.")
    capture = cv2.VideoCapture(text)
    first = _first_frame(capture)
    if first is None:
        capture.release()
        raise PoseInputError(f"Video {text} is corrupt or has no decodable frames.")
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise PoseInputError(f"The playback frame rate must be positive, got {fps}.")
    return StreamSource(capture, "file", f"Video {text}", first, fps or video.fps,
                        live=realtime, loop=loop, reopen=text)
