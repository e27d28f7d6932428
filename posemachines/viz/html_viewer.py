"""viewer.html: one self-contained offline page with a rotatable, playable 3D skeleton.

The page (posemachines/assets/viewer_template.html) draws on a 2D canvas with hand-written
JavaScript (no library, no network); the poses are inlined as JSON. Drag to orbit, wheel to
zoom, slider and play button to move through the poses. Script writes the pose count into
`<span id="frame-count">` and, after the first draw, the number of skeleton-coloured pixels into
`<span id="skeleton-pixels">` (a hidden self-check used by the tests).
"""

from __future__ import annotations

import html
import json
import re
from importlib import resources
from pathlib import Path

import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_PARENTS
from posemachines.structures import PoseResult
from posemachines.viz.drawing import DIM_FACTOR, MIN_CONFIDENCE, joint_colours
from posemachines.viz.skeleton3d import BACKGROUND_RGB, GRID_RGB

HTML_NAME = "viewer.html"
_TEMPLATE = "viewer_template.html"


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def viewer_data(result: PoseResult) -> dict:
    """The JSON object the page reads: poses (T*16*3, 0.1 mm), confidences, times, colours."""
    return {
        "source": result.source,
        "fps": float(result.fps),
        "joint_names": list(result.joint_names),
        "parents": list(JOINTS16_PARENTS),
        "frame_indices": [int(i) for i in result.frame_indices],
        "timestamps_s": np.round(np.asarray(result.timestamps_s, dtype=float), 4).tolist(),
        "poses": np.round(np.asarray(result.pose3d_mm, dtype=float), 1).ravel().tolist(),
        "confidence": np.round(np.asarray(result.confidence, dtype=float), 3).ravel().tolist(),
        "colours": [_hex(c) for c in joint_colours()],
        "background": _hex(BACKGROUND_RGB),
        "grid": _hex(GRID_RGB),
        "min_confidence": MIN_CONFIDENCE,
        "dim_factor": DIM_FACTOR,
    }


def render_viewer_html(result: PoseResult, title: str | None = None) -> str:
    """The complete page as a string."""
    template = (resources.files("posemachines") / "assets" / _TEMPLATE).read_text("utf-8")
    # "<" escaped so that no string in the data can close the <script> element early.
    payload = json.dumps(viewer_data(result), separators=(",", ":")).replace("<", "\\u003c")
    page_title = title or f"posemachines - {Path(result.source).name or '3D poses'}"
    values = {"__TITLE__": html.escape(page_title), "__POSE_DATA__": payload}
    return re.sub("__TITLE__|__POSE_DATA__", lambda match: values[match.group(0)], template)


def write_html_viewer(result: PoseResult, path: Path | str, title: str | None = None) -> Path:
    """Write viewer.html and return its path."""
    path = Path(path)
    try:
        path.write_text(render_viewer_html(result, title), encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write HTML viewer {path}: {error.strerror}.") from None
    return path
