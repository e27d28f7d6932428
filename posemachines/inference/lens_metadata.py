"""The lens's 35 mm-equivalent focal length from a file's metadata, where the camera wrote it.

Images: the EXIF tag FocalLengthIn35mmFilm (0xA405, in the Exif IFD), read with Pillow. Videos:
the container's global metadata, dumped by the ffmpeg that imageio-ffmpeg bundles
(`ffmpeg -i FILE -f ffmetadata -`); iPhones write `com.apple.quicktime.camera.focal_length.
35mm_equivalent`. Most other phones and cameras write no lens data into their videos: then the
answer is None and the default field-of-view guess (`posemachines.correction.focal`) holds.
A 35 mm-equivalent focal length f35 converts to pixels as f35 / 43.27 mm x the image diagonal
(`estimate_focal_px(focal_35mm=...)`).
"""

from __future__ import annotations

import subprocess
from pathlib import Path

from posemachines.inference.frames import FrameSource

#: EXIF: the Exif sub-IFD pointer and its FocalLengthIn35mmFilm tag.
EXIF_IFD = 0x8769
FOCAL_LENGTH_35MM_TAG = 0xA405
#: Parts of video metadata keys (lower case) that name a 35 mm-equivalent focal length.
VIDEO_KEYS = ("focal_length.35mm_equivalent", "focallengthin35mm")
#: Plausible 35 mm-equivalent focal lengths (mm): fisheye to long telephoto; others are ignored.
PLAUSIBLE_MM = (8.0, 1200.0)
FFMPEG_TIMEOUT_S = 30.0


def _plausible(value: object) -> float | None:
    try:
        focal = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return focal if PLAUSIBLE_MM[0] <= focal <= PLAUSIBLE_MM[1] else None


def focal_35mm_from_image(path: Path) -> float | None:
    """FocalLengthIn35mmFilm (mm) from an image's EXIF, else None (no EXIF, no tag, unreadable)."""
    from PIL import Image, UnidentifiedImageError

    try:
        with Image.open(path) as image:
            exif = image.getexif()
    except (OSError, UnidentifiedImageError, ValueError):
        return None
    return _plausible(exif.get_ifd(EXIF_IFD).get(FOCAL_LENGTH_35MM_TAG))


def focal_35mm_from_video(path: Path) -> float | None:
    """A 35 mm-equivalent focal length (mm) from a video's global metadata (`VIDEO_KEYS`), else
    None (no such key, or ffmpeg could not read the file)."""
    import imageio_ffmpeg

    command = [imageio_ffmpeg.get_ffmpeg_exe(), "-v", "error", "-i", str(path),
               "-f", "ffmetadata", "-"]
    try:
        dump = subprocess.run(command, capture_output=True, text=True, check=False,
                              timeout=FFMPEG_TIMEOUT_S).stdout
    except (OSError, subprocess.TimeoutExpired):
        return None
    for line in dump.splitlines():
        key, _, value = line.partition("=")
        if any(part in key.lower() for part in VIDEO_KEYS):
            return _plausible(value)
    return None


def focal_35mm_of(source: FrameSource) -> float | None:
    """The 35 mm-equivalent focal length of a video, an image or a folder's first image."""
    if source.kind == "video":
        return focal_35mm_from_video(source.path)
    first = source.image_paths[0] if source.image_paths else source.path
    return focal_35mm_from_image(first)
