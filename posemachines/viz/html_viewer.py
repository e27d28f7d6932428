"""viewer.html: one self-contained offline page with a rotatable, playable 3D skeleton.

The page (posemachines/assets/viewer_template.html) draws on a 2D canvas with hand-written
JavaScript (no library, no network); the poses are inlined as JSON. Drag to orbit, wheel to
zoom, slider and play button to move through the poses. Script writes the pose count into
`<span id="frame-count">` and, after the first draw, the number of skeleton-coloured pixels into
`<span id="skeleton-pixels">` (a hidden self-check used by the tests).

A result in the world frame (`PoseResult.world`) is shown walking over the floor: the view
follows the root, the root's path and the footprints of the foot contacts lie on the floor, and
the camera's height and tilt are printed. Given the name of the overlay video written beside the
page, the page plays it next to the 3D view in step with the slider.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path

import numpy as np

from posemachines.arrays import true_runs
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_PARENTS
from posemachines.structures import PoseResult, WorldPose
from posemachines.viz.drawing import DIM_FACTOR, MIN_CONFIDENCE, joint_colours
from posemachines.viz.skeleton3d import BACKGROUND_RGB, GRID_RGB

HTML_NAME = "viewer.html"
_TEMPLATE = "viewer_template.html"
#: World (Y up, X = Y x Z) -> the page's levelled display frame (x, y down, z forward): a
#: half turn about Z, so that the floor is y = 0 and the view looks as the camera did.
WORLD_TO_DISPLAY = np.diag([-1.0, -1.0, 1.0])
PATH_DONE_RGB, PATH_TODO_RGB = (225, 225, 225), (90, 90, 100)


def _hex(colour: tuple[int, int, int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def footprints(world: WorldPose, colours: Sequence[tuple[int, int, int]]) -> list[dict]:
    """One footprint per contact span: {start, stop (pose indices, stop exclusive), xyz (mm,
    display frame, the foot's median place), colour}."""
    if world.contacts is None:
        return []
    prints = []
    for column, joint in enumerate(world.contacts.joints):
        starts, stops = true_runs(np.asarray(world.contacts.in_contact[:, column]))
        for start, stop in zip(starts, stops, strict=True):
            place = np.median(world.joints_mm[start:stop, joint], axis=0) @ WORLD_TO_DISPLAY.T
            prints.append({"start": int(start), "stop": int(stop),
                           "xyz": np.round(place, 1).tolist(), "colour": _hex(colours[joint])})
    return prints


def scene_text(world: WorldPose) -> str:
    """One line about the scene: the camera above the floor, or why there is no floor."""
    parts = []
    if world.frame == "world":
        parts.append(f"camera {world.camera_height_mm / 1000:.2f} m above the floor, pitch "
                     f"{world.pitch_deg:+.0f} deg, roll {world.roll_deg:+.0f} deg"
                     + ("" if world.metric else " (scale of an average adult)"))
    return " \u00b7 ".join([*parts, *world.warnings])


def world_data(world: WorldPose, colours: Sequence[tuple[int, int, int]]) -> dict | None:
    """The page's world part, or None when the poses are not in the world frame."""
    if world.frame != "world":
        return None
    display = np.asarray(world.joints_mm, dtype=float) @ WORLD_TO_DISPLAY.T
    return {
        "poses": np.round(display, 1).ravel().tolist(),
        "footprints": footprints(world, colours),
        "path_done": _hex(PATH_DONE_RGB), "path_todo": _hex(PATH_TODO_RGB),
    }


def viewer_data(result: PoseResult, video: str | None = None) -> dict:
    """The JSON object the page reads: poses (T*16*3, 0.1 mm), confidences, times, colours;
    the world part when the result has one; video: a file name beside the page to play."""
    colours = joint_colours()
    return {
        "source": result.source,
        "fps": float(result.fps),
        "joint_names": list(result.joint_names),
        "parents": list(JOINTS16_PARENTS),
        "frame_indices": [int(i) for i in result.frame_indices],
        "timestamps_s": np.round(np.asarray(result.timestamps_s, dtype=float), 4).tolist(),
        "poses": np.round(np.asarray(result.pose3d_mm, dtype=float), 1).ravel().tolist(),
        "confidence": np.round(np.asarray(result.confidence, dtype=float), 3).ravel().tolist(),
        "colours": [_hex(c) for c in colours],
        "world": None if result.world is None else world_data(result.world, colours),
        "scene_text": "" if result.world is None else scene_text(result.world),
        "video": video,
        "background": _hex(BACKGROUND_RGB),
        "grid": _hex(GRID_RGB),
        "min_confidence": MIN_CONFIDENCE,
        "dim_factor": DIM_FACTOR,
    }


def render_viewer_html(result: PoseResult, title: str | None = None,
                       video: str | None = None) -> str:
    """The complete page as a string; video: a video file name beside the page to show."""
    template = (resources.files("posemachines") / "assets" / _TEMPLATE).read_text("utf-8")
    # "<" escaped so that no string in the data can close the <script> element early.
    payload = json.dumps(viewer_data(result, video), separators=(",", ":")).replace("<", "\\u003c")
    page_title = title or f"posemachines - {Path(result.source).name or '3D poses'}"
    values = {"__TITLE__": html.escape(page_title), "__POSE_DATA__": payload}
    return re.sub("__TITLE__|__POSE_DATA__", lambda match: values[match.group(0)], template)


def write_html_viewer(result: PoseResult, path: Path | str, title: str | None = None,
                      video: str | None = None) -> Path:
    """Write viewer.html and return its path; video: e.g. "overlay.mp4" written beside it."""
    path = Path(path)
    try:
        path.write_text(render_viewer_html(result, title, video), encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write HTML viewer {path}: {error.strerror}.") from None
    return path
