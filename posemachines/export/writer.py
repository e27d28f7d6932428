"""`write_outputs`: write the chosen output formats of one result into a folder."""

from __future__ import annotations

import logging
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path

from posemachines.errors import PoseDataError
from posemachines.export.bvh_export import BVH_NAME, write_motion_bvh
from posemachines.export.format_names import OUTPUT_FORMATS
from posemachines.export.formats import (
    CSV_NAME,
    JSON_NAME,
    NPZ_NAME,
    write_csv,
    write_json,
    write_npz,
)
from posemachines.export.gltf_export import GLB_NAME, write_glb
from posemachines.staging import staged
from posemachines.structures import PoseResult
from posemachines.viz.html_viewer import HTML_NAME, write_html_viewer
from posemachines.viz.overlay import OVERLAY_NAME, FrameItem, write_overlay
from posemachines.viz.skeleton3d import SKELETON3D_NAME, write_skeleton3d
from posemachines.viz.videos import write_videos

logger = logging.getLogger(__name__)

OUTPUT_NAMES = {
    "json": JSON_NAME, "npz": NPZ_NAME, "csv": CSV_NAME, "bvh": BVH_NAME, "glb": GLB_NAME,
    "overlay": OVERLAY_NAME, "skeleton3d": SKELETON3D_NAME, "html": HTML_NAME,
}
#: A callable returning a fresh iterable of frames (bare RGB arrays or FrameSource items) each
#: time it is called: the video is decoded once per video output.
FrameFactory = Callable[[], Iterable[FrameItem]]


def _skip_reason(name: str, result: PoseResult, frames: FrameFactory | None) -> str:
    """Why output `name` cannot be made ("" when it can)."""
    if name == "overlay" and frames is None:
        return "there are no video frames to draw on."
    if name in ("bvh", "glb") and result.num_frames == 0:
        return "no person was found in any frame."
    if name == "skeleton3d" and frames is None and result.num_frames == 0:
        return "there are neither video frames nor poses to show."
    return ""


def output_folder(out_dir: Path | str) -> Path:
    """`out_dir`, created if needed; PoseDataError with the reason when it cannot be."""
    out_dir = Path(out_dir)
    try:
        out_dir.mkdir(parents=True, exist_ok=True)
    except OSError as error:
        raise PoseDataError(f"Cannot create output folder {out_dir}: {error.strerror}.") from None
    return out_dir


def write_outputs(
    result: PoseResult,
    out_dir: Path | str,
    formats: Sequence[str] = OUTPUT_FORMATS,
    frames: FrameFactory | None = None,
    labels: Sequence[str] | None = None,
) -> list[Path]:
    """Write each of `formats` into `out_dir` (created if needed); return the written paths.

    Without `frames` (e.g. keypoint-file input) overlay.mp4 is skipped with a logged warning,
    and skeleton3d.mp4 shows the two 3D views without the video panel.
    labels: optional text per pose drawn on overlay.mp4.
    """
    unknown = [name for name in formats if name not in OUTPUT_NAMES]
    if unknown:
        raise PoseDataError(
            f"Unknown output format(s) {', '.join(unknown)}; known: {', '.join(OUTPUT_FORMATS)}."
        )
    out_dir = output_folder(out_dir)
    written: list[Path] = []
    # Both videos from one decode of the input when both are asked for.
    together = frames is not None and {"overlay", "skeleton3d"} <= set(formats)
    for name in dict.fromkeys(formats):
        final = out_dir / OUTPUT_NAMES[name]
        reason = _skip_reason(name, result, frames)
        if reason:
            logger.warning("%s skipped: %s", final.name, reason)
            continue
        if name == "skeleton3d" and together:
            continue  # written with overlay.mp4
        if name == "overlay" and together and frames is not None:
            written += write_videos(frames(), result, final, out_dir / SKELETON3D_NAME, labels)
            continue
        beside = "overlay" in formats and frames is not None
        if name in ("overlay", "skeleton3d"):  # the video encoder publishes its file whole
            _write_one(name, result, final, frames, labels, beside)
        else:
            with staged(final) as (path,):
                _write_one(name, result, path, frames, labels, beside)
        written.append(final)
    return written


def _write_one(name: str, result: PoseResult, path: Path, frames: FrameFactory | None,
               labels: Sequence[str] | None, video_beside: bool) -> None:
    """Write output `name` (a key of OUTPUT_NAMES other than the overlay + 3D video pair)."""
    if name == "json":
        write_json(result, path)
    elif name == "npz":
        write_npz(result, path)
    elif name == "csv":
        write_csv(result, path)
    elif name == "bvh":
        write_motion_bvh(result, path)
    elif name == "glb":
        write_glb(result, path)
    elif name == "overlay" and frames is not None:
        write_overlay(frames(), result, path, labels)
    elif name == "skeleton3d":
        write_skeleton3d(result, path, None if frames is None else frames())
    else:
        write_html_viewer(result, path, video=OVERLAY_NAME if video_beside else None)
