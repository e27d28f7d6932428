"""Writing RGB frames to an H.264 MP4 (libx264, yuv420p) through imageio-ffmpeg.

yuv420p needs even width and height: odd-sized frames get one black row/column added.
"""

from __future__ import annotations

import contextlib
from collections.abc import Iterable
from pathlib import Path

import imageio_ffmpeg
import numpy as np

from posemachines.errors import PoseDataError


def pad_to_even(frame: np.ndarray) -> np.ndarray:
    """(H, W, 3) uint8 -> the same frame with H and W rounded up to even (black padding)."""
    height, width = frame.shape[:2]
    if height % 2 == 0 and width % 2 == 0:
        return frame
    padded = np.zeros((height + height % 2, width + width % 2, 3), dtype=np.uint8)
    padded[:height, :width] = frame
    return padded


def write_video(frames: Iterable[np.ndarray], path: Path | str, fps: float) -> int:
    """Encode (H, W, 3) uint8 RGB frames (all the same size) as an MP4; return the frame count.

    Raises PoseDataError when the file cannot be written or the frames change size.
    """
    path = Path(path)
    if not fps > 0:
        raise PoseDataError(f"Cannot write video {path}: fps must be positive, got {fps}.")
    try:
        path.open("wb").close()  # ffmpeg does not report a failed open: check it here.
    except OSError as error:
        raise PoseDataError(f"Cannot write video {path}: {error.strerror}.") from None
    writer = None
    size = (0, 0)
    count = 0
    try:
        for frame in frames:
            frame = pad_to_even(np.ascontiguousarray(frame, dtype=np.uint8))
            if writer is None:
                size = (frame.shape[1], frame.shape[0])
                writer = imageio_ffmpeg.write_frames(
                    str(path), size, fps=float(fps), codec="libx264", pix_fmt_in="rgb24",
                    pix_fmt_out="yuv420p", macro_block_size=2, ffmpeg_log_level="quiet",
                    output_params=["-preset", "veryfast", "-crf", "20"],
                )
                writer.send(None)
            elif (frame.shape[1], frame.shape[0]) != size:
                raise PoseDataError(
                    f"Cannot write video {path}: frame {count} is {frame.shape[1]}x"
                    f"{frame.shape[0]} px but the first was {size[0]}x{size[1]} px."
                )
            writer.send(frame.tobytes())
            count += 1
        if writer is not None:
            writer.close()
            writer = None
    except (OSError, RuntimeError) as error:
        reason = str(error).strip().splitlines()[0] if str(error).strip() else "ffmpeg failed"
        raise PoseDataError(f"Cannot write video {path}: {reason}.") from None
    finally:
        if writer is not None:
            with contextlib.suppress(OSError, RuntimeError):
                writer.close()
    if count == 0:
        raise PoseDataError(f"Cannot write video {path}: there are no frames.")
    if path.stat().st_size == 0:
        raise PoseDataError(f"Cannot write video {path}: ffmpeg wrote nothing.")
    return count
