"""Writing RGB frames to an H.264 MP4 (libx264, yuv420p) through imageio-ffmpeg's ffmpeg binary.

`VideoEncoder` runs ffmpeg as a child process and feeds it from a background thread, so that
drawing the next frame overlaps with colour conversion, the pipe and x264 (cv2 and the pipe
release the GIL). Frames are converted to I420 (BT.601, limited range, as ffmpeg's own RGB
conversion does) with cv2 before the pipe: half the bytes of RGB and faster than swscale.
yuv420p needs even width and height: odd-sized frames get one black row/column added.
"""

from __future__ import annotations

import contextlib
import os
import queue
import re
import subprocess
import tempfile
import threading
from collections.abc import Iterable
from pathlib import Path
from types import TracebackType

import cv2
import imageio_ffmpeg
import numpy as np

from posemachines.errors import PoseDataError
from posemachines.staging import partial_path

#: x264 speed preset and quality. At 720p "ultrafast" at CRF 23 costs ~8 ms of CPU a frame
#: against ~28 ms for "veryfast" at CRF 20 (the old setting) and ~15 ms for "superfast" at CRF
#: 23, with no difference to the eye; the file is ~1.5x larger (about 6 Mbit/s at 720p).
DEFAULT_PRESET = "ultrafast"
DEFAULT_CRF = 23
#: Frames waiting for the encoder thread (720p: 1.4 MB each in I420).
QUEUE_FRAMES = 4
_STOP = None


def pad_to_even(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> the same frame with H and W rounded up to even (black padding)."""
    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    padded = np.zeros((height + height % 2, width + width % 2, 3), dtype=np.uint8)
    padded[:height, :width] = frame
    return padded


def _first_message(text: str, default: str) -> str:
    """ffmpeg's first error line without its "[libx264 @ 0x...]" prefix."""
    lines = [re.sub(r"^\[[^]]*\]\s*", "", line).strip() for line in text.splitlines()]
    lines = [line for line in lines if line]
    return lines[0] if lines else default


class VideoEncoder:
    """An MP4 being written: `write` (H, W, 3) uint8 RGB frames of one size, then `close`.

    The file is written under a hidden partial name beside `path` and renamed onto `path` by
    a successful `close` (`posemachines.staging`), so a video appears whole or not at all. Use
    as a context manager; leaving it by an exception (`abort`) stops ffmpeg and deletes the
    partial file. Errors (unwritable path, frames changing size, ffmpeg failing) raise
    PoseDataError.
    """

    def __init__(self, path: Path | str, fps: float, *, preset: str = DEFAULT_PRESET,
                 crf: int = DEFAULT_CRF) -> None:
        self.path = Path(path)
        self._partial = partial_path(self.path)
        if not fps > 0:
            raise PoseDataError(f"Cannot write video {self.path}: fps must be positive, "
                                f"got {fps}.")
        try:
            self._partial.open("wb").close()  # ffmpeg's own message would be less clear
        except OSError as error:
            raise PoseDataError(f"Cannot write video {self.path}: {error.strerror}.") from None
        self.fps, self.preset, self.crf = float(fps), preset, crf
        self.count = 0
        self.size: tuple[int, int] | None = None
        self._process: subprocess.Popen[bytes] | None = None
        # ffmpeg's messages; kept open as long as the encoder, closed by close() / abort().
        self._log = tempfile.TemporaryFile()  # noqa: SIM115
        self._queue: queue.Queue[np.ndarray | None] = queue.Queue(QUEUE_FRAMES)
        self._thread: threading.Thread | None = None
        self._error: BaseException | None = None

    def _start(self, width: int, height: int) -> None:
        command = [
            imageio_ffmpeg.get_ffmpeg_exe(), "-y", "-hide_banner", "-loglevel", "error",
            "-f", "rawvideo", "-pix_fmt", "yuv420p", "-s", f"{width}x{height}",
            "-r", f"{self.fps:.6f}", "-i", "-", "-an", "-c:v", "libx264",
            "-preset", self.preset, "-crf", str(self.crf), "-pix_fmt", "yuv420p",
            "-colorspace", "smpte170m", "-color_primaries", "smpte170m",
            "-color_trc", "smpte170m", "-color_range", "tv", str(self._partial),
        ]
        self._process = subprocess.Popen(command, stdin=subprocess.PIPE,
                                         stdout=subprocess.DEVNULL, stderr=self._log)
        self._thread = threading.Thread(target=self._feed, name="video-encoder", daemon=True)
        self._thread.start()

    def _feed(self) -> None:
        """Encoder thread: RGB -> I420 -> ffmpeg's stdin until the stop marker."""
        assert self._process is not None and self._process.stdin is not None
        pipe = self._process.stdin
        try:
            while (frame := self._queue.get()) is not _STOP:
                pipe.write(cv2.cvtColor(frame, cv2.COLOR_RGB2YUV_I420).data)
        except (OSError, ValueError) as error:  # ffmpeg died: the pipe broke
            self._error = error
            while self._queue.get() is not _STOP:  # let the producer finish without blocking
                pass

    def write(self, frame: np.ndarray) -> None:
        """Queue one (H, W, 3) uint8 RGB frame (odd sizes are padded to even)."""
        frame = pad_to_even(np.ascontiguousarray(frame, dtype=np.uint8))
        size = (frame.shape[1], frame.shape[0])
        if self.size is None:
            self.size = size
            self._start(*size)
        elif size != self.size:
            raise PoseDataError(
                f"Cannot write video {self.path}: frame {self.count} is {size[0]}x{size[1]} px "
                f"but the first was {self.size[0]}x{self.size[1]} px."
            )
        if self._error is not None:
            raise self._failure()
        self._queue.put(frame)
        self.count += 1

    def _failure(self) -> PoseDataError:
        self._log.seek(0)
        reason = _first_message(self._log.read().decode(errors="replace"), "ffmpeg failed")
        return PoseDataError(f"Cannot write video {self.path}: {reason.rstrip('.')}.")

    def _stop(self) -> int:
        """Send the stop marker, wait for the thread and ffmpeg; ffmpeg's exit code."""
        if self._process is None or self._thread is None:
            return 0
        self._queue.put(_STOP)
        self._thread.join()
        with contextlib.suppress(OSError):
            assert self._process.stdin is not None
            self._process.stdin.close()
        return self._process.wait()

    def close(self) -> int:
        """Finish the file and publish it under `path`; return the number of frames written."""
        try:
            try:
                code = self._stop()
                if code != 0 or self._error is not None:
                    raise self._failure()
            finally:
                self._log.close()
            if self.count == 0:
                raise PoseDataError(f"Cannot write video {self.path}: there are no frames.")
            if self._partial.stat().st_size == 0:
                raise PoseDataError(f"Cannot write video {self.path}: ffmpeg wrote nothing.")
        except BaseException:
            self._partial.unlink(missing_ok=True)
            raise
        os.replace(self._partial, self.path)
        return self.count

    def abort(self) -> None:
        """Stop ffmpeg without checking the result (after an error elsewhere) and delete the
        partial file."""
        if self._process is not None:
            self._process.kill()
        with contextlib.suppress(OSError, ValueError):
            self._stop()
        self._log.close()
        self._partial.unlink(missing_ok=True)

    def __enter__(self) -> VideoEncoder:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()


def write_video(frames: Iterable[np.ndarray], path: Path | str, fps: float, *,
                preset: str = DEFAULT_PRESET, crf: int = DEFAULT_CRF) -> int:
    """Encode (H, W, 3) uint8 RGB frames (all the same size) as an MP4; return the frame count.

    Raises PoseDataError when the file cannot be written or the frames change size.
    """
    with VideoEncoder(path, fps, preset=preset, crf=crf) as encoder:
        for frame in frames:
            encoder.write(frame)
    return encoder.count
