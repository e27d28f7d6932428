"""viewer.html: one self-contained offline page with a rotatable, playable 3D skeleton.

The page (posemachines/assets/viewer_template.html) draws on a 2D canvas with hand-written
JavaScript (no library, no network); the poses are inlined as JSON. Drag to orbit, wheel to
zoom, slider and play button to move through the poses. Script writes the step count into
`<span id="frame-count">` and, after the first draw, the number of skeleton-coloured pixels into
`<span id="skeleton-pixels">` and per person ("id:pixels,...") into `<span id="person-pixels">`
(hidden self-checks used by the tests).

A result in the world frame (`PoseResult.world`) is shown walking over the floor: the view
follows the root, the root's path and the footprints of the foot contacts lie on the floor, and
the camera's height and tilt are printed. Several people (`PeopleResult`) share one scene
(`people_scene`: the one floor, else the camera frame), each in their own colour with their id
(the overlay's colours), with their paths and footprints; the slider runs over the source
frames and a person is hidden in the frames their track has no pose. Given the name of the
overlay video written beside the page, the page plays it next to the 3D view in step with the
slider.
"""

from __future__ import annotations

import html
import json
import re
from collections.abc import Sequence
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np

from posemachines.arrays import true_runs
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from posemachines.structures import FootContacts, PoseResult, WorldPose
from posemachines.structures.people import PeopleResult
from posemachines.viz.drawing import DIM_FACTOR, MIN_CONFIDENCE, Colour, joint_colours
from posemachines.viz.people_overlay import person_colour
from posemachines.viz.people_scene import people_scene
from posemachines.viz.skeleton3d import BACKGROUND_RGB, GRID_RGB
from posemachines.viz.world_view import Figure, smooth_path

HTML_NAME = "viewer.html"
_TEMPLATE = "viewer_template.html"
#: World (Y up, X = Y x Z) -> the page's levelled display frame (x, y down, z forward): a
#: half turn about Z, so that the floor is y = 0 and the view looks as the camera did.
WORLD_TO_DISPLAY = np.diag([-1.0, -1.0, 1.0])
PATH_DONE_RGB, PATH_TODO_RGB = (225, 225, 225), (90, 90, 100)
#: Smoothing of the point several people's view turns about (their mean root), seconds.
GROUP_FOLLOW_S = 0.8


def _hex(colour: Sequence[int]) -> str:
    return "#{:02x}{:02x}{:02x}".format(*colour)


def _flat(values: np.ndarray, decimals: int) -> list[float]:
    return np.round(np.asarray(values, dtype=float), decimals).ravel().tolist()


def footprints(joints_mm: np.ndarray, contacts: FootContacts | None,
               colours: Sequence[Colour], steps: np.ndarray | None = None) -> list[dict]:
    """One footprint per contact span of (T, 16, 3) world joints: {start, stop (steps: pose
    rows, or `steps[row]` when given; stop exclusive), xyz (mm, display frame, the foot's median
    place), colour (of the foot joint in `colours`)}."""
    if contacts is None:
        return []
    steps = np.arange(len(joints_mm)) if steps is None else np.asarray(steps)
    prints = []
    for column, joint in enumerate(contacts.joints):
        starts, stops = true_runs(np.asarray(contacts.in_contact[:, column]))
        for start, stop in zip(starts, stops, strict=True):
            place = np.median(joints_mm[start:stop, joint], axis=0) @ WORLD_TO_DISPLAY.T
            prints.append({"start": int(steps[start]), "stop": int(steps[stop - 1]) + 1,
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


def _body_radius(poses_mm: np.ndarray) -> float:
    """mm: the radius the view fits around one skeleton (99th percentile joint-root distance,
    15 % margin)."""
    if not len(poses_mm):
        return 300.0 * 1.15
    distances = np.linalg.norm(poses_mm - poses_mm[:, :1], axis=-1)
    return max(300.0, float(np.percentile(distances, 99))) * 1.15


def _single_data(result: PoseResult) -> dict:
    """The page's scene for one person: root-relative poses, or the walk over the floor."""
    colours = joint_colours()
    world = result.world
    skeleton: dict[str, Any] = {"id": None, "colour": None, "steps": None,
                "confidence": _flat(result.confidence, 3), "footprints": []}
    poses = np.asarray(result.pose3d_mm, dtype=float)
    radius = _body_radius(poses)
    scene = {"radius": radius, "scene_text": "" if world is None else scene_text(world)}
    if world is None or world.frame != "world":
        lowest = poses[..., 1].max(axis=-1) - poses[:, 0, 1]
        return scene | {"skeletons": [skeleton | {"poses": _flat(poses, 1)}], "floor": False,
                        "ground": float(np.median(lowest)) if len(poses) else 0.0,
                        "targets": None}
    display = np.asarray(world.joints_mm, dtype=float) @ WORLD_TO_DISPLAY.T
    targets = display[:, 0].copy()
    if len(targets):
        # The view follows the root over the floor at one height, the middle of the body's
        # height in the median frame, and fits whatever the body reaches from there: a person
        # who sits, then lies most of the clip is seen whole while still sitting.
        heights = display[..., 1]
        targets[:, 1] = np.median((heights.max(axis=1) + heights.min(axis=1)) / 2)
        reach = np.linalg.norm(display - targets[:, None], axis=-1)
        scene["radius"] = max(radius, float(np.percentile(reach, 99)) * 1.15)
    skeleton |= {"poses": _flat(display, 1),
                 "footprints": footprints(np.asarray(world.joints_mm), world.contacts, colours)}
    return scene | {"skeletons": [skeleton], "floor": True, "ground": 0.0,
                    "targets": _flat(targets, 1)}


def _people_data(people: PeopleResult) -> dict:
    """The page's scene for several people, in one frame (`people_scene`)."""
    scene = people_scene(people)
    figures: list[Figure] = scene.figures
    skeletons, roots, radius = [], np.zeros((people.num_frames, 3)), 300.0
    count = np.zeros(people.num_frames)
    displays = [figure.joints_mm @ WORLD_TO_DISPLAY.T for figure in figures]
    for figure, display in zip(figures, displays, strict=True):
        assert figure.person_id is not None
        colour = person_colour(figure.person_id)
        skeletons.append({
            "id": figure.person_id, "colour": _hex(colour),
            "steps": [int(step) for step in figure.steps], "poses": _flat(display, 1),
            "confidence": _flat(figure.confidence if figure.confidence is not None
                                else np.ones(display.shape[:2]), 3),
            "footprints": footprints(figure.joints_mm, figure.contacts, [colour] * 16,
                                     figure.steps)})
        roots[figure.steps] += display[:, 0]
        count[figure.steps] += 1
        radius = max(radius, _body_radius(display))
    seen = np.flatnonzero(count)
    targets = np.zeros((people.num_frames, 3))
    if len(seen):
        mean = roots[seen] / count[seen, None]
        targets = np.stack([np.interp(np.arange(people.num_frames), seen, mean[:, axis])
                            for axis in range(3)], axis=1)
        targets = smooth_path(targets, GROUP_FOLLOW_S * people.fps)
        targets[:, 1] = np.median(mean[:, 1])
        spread = np.concatenate([np.linalg.norm(
            display[:, 0, [0, 2]] - targets[figure.steps][:, [0, 2]], axis=1)
            for figure, display in zip(figures, displays, strict=True)])
        radius += float(np.percentile(spread, 90)) if len(figures) > 1 else 0.0
    return {"skeletons": skeletons, "floor": True, "ground": 0.0, "targets": _flat(targets, 1),
            "radius": radius, "scene_text": _people_scene_text(people, scene.frame)}


def _people_scene_text(people: PeopleResult, frame: str) -> str:
    """One line: the shared floor under the camera, or the camera frame's grid."""
    if frame == "camera":
        return ("camera frame: no floor was found; the grid lies at the people's typical "
                "lowest joint")
    for _, person in people:
        world = person.world
        if world is not None and world.frame == "world" and person.camera is not None:
            return scene_text(world).split(" \u00b7 Placed on the floor")[0] + (
                f" \u00b7 {len(people)} people on one floor")
    return ""


def viewer_data(result: PoseResult | PeopleResult, video: str | None = None) -> dict:
    """The JSON object the page reads: the slider's steps (frame_indices, timestamps_s), one
    skeleton per person (id, colour: None for one person drawn in the side colours; steps: the
    steps it is present at, None for every step; poses (T*16*3 mm, 0.1 mm), confidences,
    footprints), the scene (floor: poses absolute over a floor at y = ground, else
    root-relative; targets (steps*3): the point the view follows; radius mm: what the view
    fits); video: a file name beside the page to play."""
    several = isinstance(result, PeopleResult)
    if isinstance(result, PeopleResult):
        frames = np.arange(result.num_frames)
        times = frames / result.fps
        scene = _people_data(result)
    else:
        frames, times = np.asarray(result.frame_indices), np.asarray(result.timestamps_s)
        scene = _single_data(result)
    return scene | {
        "source": result.source,
        "fps": float(result.fps),
        "several": several,
        "joint_names": list(JOINTS16_NAMES),
        "parents": list(JOINTS16_PARENTS),
        "frame_indices": [int(i) for i in frames],
        "timestamps_s": _flat(times, 4),
        "colours": [_hex(c) for c in joint_colours()],
        "path_done": _hex(PATH_DONE_RGB), "path_todo": _hex(PATH_TODO_RGB),
        "video": video,
        "background": _hex(BACKGROUND_RGB),
        "grid": _hex(GRID_RGB),
        "min_confidence": MIN_CONFIDENCE,
        "dim_factor": DIM_FACTOR,
    }


def render_viewer_html(result: PoseResult | PeopleResult, title: str | None = None,
                       video: str | None = None) -> str:
    """The complete page as a string; video: a video file name beside the page to show."""
    template = (resources.files("posemachines") / "assets" / _TEMPLATE).read_text("utf-8")
    # "<" escaped so that no string in the data can close the <script> element early.
    payload = json.dumps(viewer_data(result, video), separators=(",", ":")).replace("<", "\\u003c")
    page_title = title or f"posemachines - {Path(result.source).name or '3D poses'}"
    values = {"__TITLE__": html.escape(page_title), "__POSE_DATA__": payload}
    return re.sub("__TITLE__|__POSE_DATA__", lambda match: values[match.group(0)], template)


def write_html_viewer(result: PoseResult | PeopleResult, path: Path | str,
                      title: str | None = None, video: str | None = None) -> Path:
    """Write viewer.html and return its path; video: e.g. "overlay.mp4" written beside it."""
    path = Path(path)
    try:
        path.write_text(render_viewer_html(result, title, video), encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write HTML viewer {path}: {error.strerror}.") from None
    return path
