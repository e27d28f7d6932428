"""Read RGB frames from a video file, a single image, or a folder of images.

Videos are decoded with cv2.VideoCapture (its bundled FFmpeg reads every common container; it
was faster here than imageio-ffmpeg's pipe and reports a frame count). Timestamps are
index / fps, i.e. constant frame rate is assumed.
"""

from __future__ import annotations

import os
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np

from posemachines.errors import PoseInputError

# FFmpeg's own warnings ("moov atom not found" for a corrupt file, a missing camera, a refused
# connection) would add lines to the one error line the CLI prints; the PoseInputError says
# what went wrong. Read when the first capture opens, so set before any does.
os.environ.setdefault("OPENCV_FFMPEG_LOGLEVEL", "-8")

IMAGE_EXTENSIONS: frozenset[str] = frozenset({".png", ".jpg", ".jpeg", ".bmp", ".webp"})
VIDEO_EXTENSIONS: frozenset[str] = frozenset(
    {".mp4", ".avi", ".mov", ".mkv", ".webm", ".m4v", ".mpg", ".mpeg", ".wmv", ".gif"}
)
#: Frame rate given to image folders and single images unless the caller names one.
DEFAULT_IMAGE_FPS = 30.0


@dataclass(frozen=True)
class Frame:
    """One decoded frame: rgb is (H, W, 3) uint8; timestamp_s = index / fps."""

    index: int
    timestamp_s: float
    rgb: np.ndarray


@dataclass(frozen=True)
class FrameSource:
    """Frames of one input; iterate for Frame tuples (re-iterable, decoded lazily).

    kind: "video", "image" or "folder"; frame_count for videos comes from the container and
    may be off by a few frames; width and height in px (of the first frame for folders).
    """

    path: Path
    kind: str
    fps: float
    frame_count: int
    width: int
    height: int
    image_paths: tuple[Path, ...] = ()

    def __len__(self) -> int:
        return self.frame_count

    def __iter__(self) -> Iterator[Frame]:
        if self.kind == "video":
            yield from self._video_frames()
            return
        for index, image_path in enumerate(self.image_paths):
            rgb = read_image(image_path)
            if rgb.shape[:2] != (self.height, self.width):
                raise PoseInputError(
                    f"Image {image_path} is {rgb.shape[1]}x{rgb.shape[0]} px but the first "
                    f"image of {self.path} is {self.width}x{self.height} px."
                )
            yield Frame(index, index / self.fps, rgb)

    def _video_frames(self) -> Iterator[Frame]:
        capture = cv2.VideoCapture(str(self.path))
        try:
            index = 0
            while True:
                ok, bgr = capture.read()
                if not ok or bgr is None:
                    return
                yield Frame(index, index / self.fps, cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB))
                index += 1
        finally:
            capture.release()


def read_image(path: Path) -> np.ndarray:
    """An image file as (H, W, 3) uint8 RGB (alpha dropped, grey expanded, EXIF applied)."""
    try:
        data = np.fromfile(path, dtype=np.uint8)
    except OSError as error:
        raise PoseInputError(f"Cannot read image {path}: {error.strerror}.") from error
    bgr = cv2.imdecode(data, cv2.IMREAD_COLOR) if data.size else None
    if bgr is None:
        raise PoseInputError(f"Image {path} is empty or not a decodable image.")
    return cv2.cvtColor(bgr, cv2.COLOR_BGR2RGB)


def _natural_key(path: Path) -> list[object]:
    return [int(part) if part.isdigit() else part.lower() for part in re.split(r"(\d+)", path.name)]


def _open_video(path: Path, fps: float | None) -> FrameSource:
    if path.stat().st_size == 0:
        raise PoseInputError(f"Video {path} is an empty file.")
    capture = cv2.VideoCapture(str(path))
    try:
        ok, first = capture.read() if capture.isOpened() else (False, None)
        if not ok or first is None:
            raise PoseInputError(f"Video {path} is corrupt or has no decodable frames.")
        video_fps = capture.get(cv2.CAP_PROP_FPS)
        count = int(capture.get(cv2.CAP_PROP_FRAME_COUNT))
    finally:
        capture.release()
    if fps is None:
        fps = video_fps if np.isfinite(video_fps) and video_fps > 0 else DEFAULT_IMAGE_FPS
    height, width = first.shape[:2]
    return FrameSource(path, "video", float(fps), max(count, 1), width, height)


def _open_images(path: Path, image_paths: list[Path], kind: str, fps: float | None) -> FrameSource:
    height, width = read_image(image_paths[0]).shape[:2]
    return FrameSource(
        path,
        kind,
        float(fps or DEFAULT_IMAGE_FPS),
        len(image_paths),
        width,
        height,
        tuple(image_paths),
    )


def open_frames(path: Path, fps: float | None = None) -> FrameSource:
    """Open a video, an image, or a folder of images (natural sort: 2.png before 10.png).

    fps overrides the video's own rate; images get DEFAULT_IMAGE_FPS unless given. Raises
    PoseInputError for a missing path, an unsupported extension, or an unreadable file.
    """
    path = Path(path)
    if path.is_dir():
        images = sorted(
            (p for p in path.iterdir() if p.is_file() and p.suffix.lower() in IMAGE_EXTENSIONS),
            key=_natural_key,
        )
        if not images:
            known = ", ".join(sorted(IMAGE_EXTENSIONS))
            raise PoseInputError(f"Folder {path} contains no images ({known}).")
        return _open_images(path, images, "folder", fps)
    if not path.exists():
        raise PoseInputError(f"Input {path} does not exist.")
    suffix = path.suffix.lower()
    if suffix in IMAGE_EXTENSIONS:
        return _open_images(path, [path], "image", fps)
    if suffix in VIDEO_EXTENSIONS:
        return _open_video(path, fps)
    known = ", ".join(sorted(IMAGE_EXTENSIONS | VIDEO_EXTENSIONS))
    raise PoseInputError(f"Unsupported input type '{suffix or path.name}' for {path}; use {known}.")
