"""skeleton3d.mp4: the 3D skeleton from a front view and an orbiting view beside the video.

Several people (`PeopleResult`) share one world view: everyone on the one floor (or, without
the world frame, where they are in the camera frame), each in their own colour with their id.

Drawn with numpy projection and cv2 (matplotlib's Agg renders ~10x slower). With
`result.world` in the 'world' frame the views show the person walking over the floor
(`world_view.WorldViewRenderer`: grid at y = 0, root trail, footprints, a camera following
smoothly). Otherwise they look at the root-relative pose in the camera frame (x right, y down,
z forward) with our orthographic `SkeletonViewRenderer`: the front view is the camera's own
direction of view, tilted `elevation_deg` down, the ground grid at the lowest joint's typical
height. The orbiting view turns about the vertical once every `orbit_period_s` seconds.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from pathlib import Path

import cv2
import numpy as np

from posemachines.skeleton import JOINTS16
from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult
from posemachines.viz.drawing import draw_label, draw_skeleton_2d
from posemachines.viz.overlay import FrameItem, indexed_frames, pose_rows
from posemachines.viz.people_overlay import people_overlay_frame, people_rows
from posemachines.viz.people_scene import people_scene
from posemachines.viz.video import write_video
from posemachines.viz.world_view import (
    BACKGROUND_RGB,
    GRID_RGB,
    GRID_STEP_MM,
    Figure,
    WorldViewRenderer,
)

SKELETON3D_NAME = "skeleton3d.mp4"
__all__ = ["BACKGROUND_RGB", "GRID_RGB", "SKELETON3D_NAME", "Skeleton3DComposer",
           "SkeletonViewRenderer", "skeleton3d_frames", "view_rotation", "write_skeleton3d"]
_BONES = np.array(JOINTS16.bones)


def view_rotation(azimuth_deg: float, elevation_deg: float) -> np.ndarray:
    """(3, 3) camera frame -> view (u right, v down, depth away): turn about y, then tilt about x.

    Positive elevation looks down on the subject; positive azimuth moves the viewer to the
    subject's left as seen from the camera.
    """
    a, e = np.radians(azimuth_deg), np.radians(elevation_deg)
    turn = np.array([[np.cos(a), 0, np.sin(a)], [0, 1, 0], [-np.sin(a), 0, np.cos(a)]])
    tilt = np.array([[1, 0, 0], [0, np.cos(e), -np.sin(e)], [0, np.sin(e), np.cos(e)]])
    return tilt @ turn


class SkeletonViewRenderer:
    """Renders square orthographic views of one sequence's poses at a fixed scale.

    poses_mm: (T, 16, 3) mm camera frame, root-relative (the whole sequence fixes scale and
    ground height so that the skeleton does not jump between frames).
    """

    def __init__(self, poses_mm: np.ndarray, panel_px: int = 360, elevation_deg: float = 15.0):
        relative = poses_mm - poses_mm[:, :1]
        radius = float(np.percentile(np.linalg.norm(relative, axis=-1), 99)) if len(
            relative) else 1000.0
        radius = max(radius, 300.0) * 1.15
        self.panel_px = panel_px
        self.elevation_deg = elevation_deg
        self.scale_px_per_mm = 0.5 * panel_px / radius
        self.ground_mm = float(np.median(relative[..., 1].max(axis=-1))) if len(relative) else 0.0
        half = np.ceil(radius / GRID_STEP_MM) * GRID_STEP_MM
        ticks = np.arange(-half, half + 1.0, GRID_STEP_MM)
        starts = [(t, self.ground_mm, -half) for t in ticks] + [(-half, self.ground_mm, t)
                                                               for t in ticks]
        ends = [(t, self.ground_mm, half) for t in ticks] + [(half, self.ground_mm, t)
                                                            for t in ticks]
        self._grid = np.array([starts, ends])  # (2, L, 3) mm
        self._blank = np.full((panel_px, panel_px, 3), BACKGROUND_RGB, dtype=np.uint8)
        self._grid_images: dict[float, np.ndarray] = {}
        self._thickness = max(1, round(panel_px / 120))
        self._radius = max(2, round(panel_px / 100))

    def project(self, points_mm: np.ndarray, azimuth_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) mm root-relative -> (..., 2) panel px and (...,) depth in mm."""
        view = points_mm @ view_rotation(azimuth_deg, self.elevation_deg).T
        centre = self.panel_px / 2.0
        return view[..., :2] * self.scale_px_per_mm + centre, view[..., 2]

    def _grid_image(self, azimuth_deg: float) -> np.ndarray:
        """The empty panel with the ground grid; the fixed view's image is kept for reuse."""
        cached = self._grid_images.get(azimuth_deg)
        if cached is not None:
            return cached
        image = self._blank.copy()
        grid_px, _ = self.project(self._grid, azimuth_deg)
        grid_px = np.round(grid_px).astype(np.int32)
        for start, end in zip(grid_px[0], grid_px[1], strict=True):
            cv2.line(image, tuple(start), tuple(end), GRID_RGB, 1, cv2.LINE_AA)
        if len(self._grid_images) < 4:
            self._grid_images[azimuth_deg] = image
        return image

    def render(self, pose_mm: np.ndarray | None, confidence: np.ndarray | None,
               azimuth_deg: float) -> np.ndarray:
        """(panel, panel, 3) uint8 RGB view of one (16, 3) mm pose; None draws the grid only."""
        image = self._grid_image(azimuth_deg).copy()
        if pose_mm is None:
            return image
        points_px, depth = self.project(pose_mm - pose_mm[:1], azimuth_deg)
        bone_depth = depth[_BONES].mean(axis=1)
        draw_skeleton_2d(image, points_px, confidence, thickness=self._thickness,
                         radius=self._radius, bone_order=np.argsort(-bone_depth))
        return image


def _fit_height(frame: np.ndarray, height: int) -> np.ndarray:
    """Resize an (H, W, 3) frame to `height` px, keeping its aspect (width rounded to even)."""
    if frame.shape[0] == height and frame.shape[1] % 2 == 0:
        return frame
    width = max(2, int(round(frame.shape[1] * height / frame.shape[0] / 2)) * 2)
    return cv2.resize(frame, (width, height), interpolation=cv2.INTER_AREA)


class Skeleton3DComposer:
    """Builds the skeleton3d.mp4 frame of each source frame: [video |] front view | orbit view.

    result: one person (`PoseResult`: the world view when `result.world` is in the 'world'
    frame, else the root-relative one) or several (`PeopleResult`: everyone in one world view,
    each in their own colour with their id (`people_scene`), and the video panel shows the
    several-people overlay, so that the ids can be matched to the people).
    """

    def __init__(self, result: PoseResult | PeopleResult, *, panel_px: int = 360,
                 elevation_deg: float = 15.0, orbit_period_s: float = 8.0) -> None:
        self.panel_px, self.orbit_period_s, self.fps = panel_px, orbit_period_s, result.fps
        self.single = result if isinstance(result, PoseResult) else None
        self.world_view = None
        self.plain_view = None
        self.people = result if isinstance(result, PeopleResult) else None
        self._people_at = {} if self.people is None else people_rows(self.people)
        if isinstance(result, PeopleResult):
            scene = people_scene(result)
            self.figures = scene.figures
            self.world_view = WorldViewRenderer(scene.figures, result.fps, panel_px,
                                                elevation_deg=max(elevation_deg, 20.0),
                                                num_steps=scene.num_steps)
        elif result.world is not None and result.world.frame == "world" and result.num_frames:
            world = result.world
            self.figures = [Figure(np.asarray(world.joints_mm), np.asarray(result.frame_indices),
                                   np.asarray(result.confidence), world.contacts)]
            self.world_view = WorldViewRenderer(self.figures, result.fps, panel_px,
                                                elevation_deg=max(elevation_deg, 20.0))
        else:
            self.figures = []
            self.plain_view = SkeletonViewRenderer(
                np.asarray(result.pose3d_mm, dtype=np.float64), panel_px, elevation_deg)
        self.rows = {} if self.single is None else pose_rows(self.single)
        self._label_scale = max(0.35, panel_px / 900)

    def _views(self, index: int, orbit_deg: float) -> tuple[np.ndarray, np.ndarray]:
        if self.world_view is not None:
            return self.world_view.render(index, 0.0), self.world_view.render(index, orbit_deg)
        assert self.plain_view is not None and self.single is not None
        row = self.rows.get(index)
        pose = None if row is None else self.single.pose3d_mm[row]
        confidence = None if row is None else self.single.confidence[row]
        return (self.plain_view.render(pose, confidence, 0.0),
                self.plain_view.render(pose, confidence, orbit_deg))

    def compose(self, index: int, frame: np.ndarray | None) -> np.ndarray:
        """(panel_px, W, 3) uint8 RGB for source frame `index` (its video frame, if any)."""
        row = self.rows.get(index)
        time_s = self.single.timestamps_s[row] if row is not None and self.single else (
            index / self.fps)
        front, orbit = self._views(index, 360.0 * time_s / self.orbit_period_s)
        if self.single is not None:
            absent = "no person" if row is None else ""
        else:
            absent = "" if any(f.row(index) is not None for f in self.figures) else "nobody"
        draw_label(front, "front", scale=self._label_scale)
        draw_label(orbit, f"orbit - {absent}" if absent else "orbit", scale=self._label_scale)
        panels = [front, orbit]
        if frame is not None:
            if self.people is not None:  # who is who: the overlay's skeletons and ids
                frame = people_overlay_frame(frame, self.people, self._people_at.get(index, []))
            panels.insert(0, _fit_height(np.asarray(frame, dtype=np.uint8), self.panel_px))
        return np.concatenate(panels, axis=1)


def skeleton3d_frames(
    result: PoseResult | PeopleResult,
    frames: Iterable[FrameItem] | None = None,
    *,
    panel_px: int = 360,
    elevation_deg: float = 15.0,
    orbit_period_s: float = 8.0,
) -> Iterator[np.ndarray]:
    """Yield (panel_px, W, 3) uint8 RGB frames: [video |] front view | orbiting view.

    Without `frames`, one frame per pose (per source frame for several people) with the two
    views only; with them, one per source frame (views left empty where no person was found).
    """
    composer = Skeleton3DComposer(result, panel_px=panel_px, elevation_deg=elevation_deg,
                                  orbit_period_s=orbit_period_s)
    if frames is None:
        indices = (range(result.num_frames) if isinstance(result, PeopleResult)
                   else result.frame_indices)
        for index in indices:
            yield composer.compose(int(index), None)
        return
    for index, frame in indexed_frames(frames):
        yield composer.compose(index, frame)


def write_skeleton3d(
    result: PoseResult | PeopleResult,
    path: Path | str,
    frames: Iterable[FrameItem] | None = None,
    *,
    panel_px: int = 360,
    elevation_deg: float = 15.0,
    orbit_period_s: float = 8.0,
) -> Path:
    """Write skeleton3d.mp4 at the result's fps (panels `panel_px` high) and return its path."""
    write_video(
        skeleton3d_frames(result, frames, panel_px=panel_px, elevation_deg=elevation_deg,
                          orbit_period_s=orbit_period_s),
        path, result.fps,
    )
    return Path(path)
