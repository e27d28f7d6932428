"""The 3D view of people in the world: floor grid, root trails, footprints, following camera.

Input is a `WorldPose` in the 'world' frame (Y up, floor at y = 0, X = Y x Z, +Z the filming
camera's forward direction on the floor; docs/world.md), or several people as `Figure`s in one
such frame, each present at some steps (source frames). A virtual pinhole camera looks at the
people from `elevation_deg` above the floor and follows their mean root path smoothed over
`follow_s` (zero-phase, so it neither lags nor jumps). One person is drawn in the side colours;
several each in their own colour with their id, as on the several-people overlay. Everything
is numpy projection and cv2 drawing: one frame of one panel costs about a millisecond.
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from posemachines.arrays import true_runs
from posemachines.skeleton import JOINTS16
from posemachines.structures import FootContacts, WorldPose
from posemachines.viz.drawing import (
    LEFT_RGB,
    RIGHT_RGB,
    Colour,
    dimmed,
    draw_skeleton_2d,
    joint_side,
)
from posemachines.viz.people_overlay import draw_person, person_colour

BACKGROUND_RGB: Colour = (24, 24, 28)
GRID_RGB: Colour = (90, 90, 96)
TRAIL_RGB: Colour = (230, 200, 60)
SHADOW_RGB: Colour = (48, 48, 54)
GRID_STEP_MM = 500.0
#: Grid lines reach this many steps from the followed point (farther for a group spread
#: wider, in 1 m steps beyond BIG_GRID_MM); farther ones fade out.
GRID_STEPS = 7
BIG_GRID_MM = 6000.0
FOOTPRINT_RADIUS_MM = 70.0
#: Vertical field of view of the virtual camera.
FOV_DEG = 40.0
NEAR_MM = 100.0
#: The trail and the footprints show this much of the past (bounds the work per frame).
MEMORY_S = 30.0
#: Trail points closer than this to the previous one are dropped.
TRAIL_STEP_MM = 30.0
_BONES = np.array(JOINTS16.bones)
_CIRCLE = np.stack([np.cos(np.linspace(0, 2 * np.pi, 12, endpoint=False)),
                    np.sin(np.linspace(0, 2 * np.pi, 12, endpoint=False))], axis=1)


def smooth_path(path: np.ndarray, sigma_frames: float) -> np.ndarray:
    """(T, D) -> (T, D): Gaussian smoothing along time, edges held (zero phase)."""
    if sigma_frames <= 0 or len(path) < 2:
        return np.array(path, dtype=np.float64)
    half = int(np.ceil(3 * sigma_frames))
    kernel = np.exp(-0.5 * (np.arange(-half, half + 1) / sigma_frames) ** 2)
    kernel /= kernel.sum()
    padded = np.pad(np.asarray(path, dtype=np.float64), ((half, half), (0, 0)), mode="edge")
    return np.stack([np.convolve(padded[:, d], kernel, mode="valid")
                     for d in range(path.shape[1])], axis=1)


def _cross(a: np.ndarray, b: np.ndarray) -> np.ndarray:
    """a x b of two 3-vectors (np.cross costs ~10x more on single vectors)."""
    return np.array([a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2],
                     a[0] * b[1] - a[1] * b[0]])


def look_at(eye: np.ndarray, target: np.ndarray) -> np.ndarray:
    """(3, 3) world -> view rotation (rows: right, down, forward) for Y-up world coordinates."""
    forward = (target - eye) / np.linalg.norm(target - eye)
    right = _cross(forward, np.array([0.0, 1.0, 0.0]))
    right /= np.linalg.norm(right)
    return np.stack([right, _cross(forward, right), forward])


def grid_pieces(steps: int, step_mm: float) -> tuple[np.ndarray, np.ndarray]:
    """Floor grid around the origin as one-step pieces: starts and ends (N, 3) mm, y = 0."""
    ticks = np.arange(-steps, steps + 1) * step_mm
    line, along = (v.ravel() for v in np.meshgrid(ticks, ticks[:-1], indexing="ij"))
    zeros = np.zeros_like(line)
    starts = np.concatenate([np.stack([line, zeros, along], 1), np.stack([along, zeros, line], 1)])
    ends = starts + np.concatenate([np.tile([0, 0, step_mm], (len(line), 1)),
                                    np.tile([step_mm, 0, 0], (len(line), 1))])
    return starts, ends


def footprints(joints_mm: np.ndarray, contacts: FootContacts | None,
               colour: Colour | None = None) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """One print per contact run of (T, 16, 3) world joints: floor positions (P, 2) x, z mm,
    first row (P,) and colour (P, 3): the foot's side colour, or `colour` (a person's), dimmed;
    empty without contacts."""
    centres, starts, colours = [], [], []
    joints = np.asarray(joints_mm)
    if contacts is not None:
        in_contact = np.asarray(contacts.in_contact, dtype=bool)
        for column, (joint, name) in enumerate(zip(contacts.joints, contacts.names,
                                                   strict=True)):
            side = LEFT_RGB if joint_side(name) == "left" else RIGHT_RGB
            for start, stop in zip(*true_runs(in_contact[:, column]), strict=True):
                centres.append(joints[start:stop, joint][:, [0, 2]].mean(axis=0))
                starts.append(start)
                colours.append(dimmed(colour or side, 0.6))
    return (np.reshape(centres, (-1, 2)), np.asarray(starts, dtype=np.int64),
            np.reshape(colours, (-1, 3)))


def trail_rows(path: np.ndarray, step_mm: float) -> np.ndarray:
    """Rows of a (T, 3) path kept for drawing it: each at least `step_mm` along the floor
    (x, z) from the previous kept one."""
    kept, last = [], None
    for row, point in enumerate(np.asarray(path)[:, [0, 2]]):
        if last is None or np.hypot(*(point - last)) >= step_mm:
            kept.append(row)
            last = point
    return np.asarray(kept, dtype=np.int64)


@dataclass(frozen=True, eq=False)
class Figure:
    """One person in a world scene.

    joints_mm (T, 16, 3) mm world frame (Y up, floor y = 0); steps (T,) ascending ints: the
    scene step (e.g. source frame) of each row, a person being absent from the steps between;
    confidence (T, 16) or None (all confident); contacts: `FootContacts` of the rows, or None;
    person_id: None draws the side colours (one person), an id draws the skeleton in that
    person's colour (`people_overlay.person_colour`) with the id above the head.
    """

    joints_mm: np.ndarray
    steps: np.ndarray
    confidence: np.ndarray | None = None
    contacts: FootContacts | None = None
    person_id: int | None = None

    def row(self, step: int) -> int | None:
        """The row shown at `step`, None where the person is absent."""
        row = int(np.searchsorted(self.steps, step))
        return row if row < len(self.steps) and self.steps[row] == step else None


@dataclass(frozen=True, eq=False)
class _FloorMarks:
    """What a figure leaves on the floor: trail points (N, 3) mm and their steps (N,), print
    polygons (P, 12, 3) mm with their first steps (P,) and colours (P, 3)."""

    trail: np.ndarray
    trail_steps: np.ndarray
    trail_rgb: Colour
    prints: np.ndarray
    print_steps: np.ndarray
    print_rgb: np.ndarray


def _floor_marks(figure: Figure) -> _FloorMarks:
    root = np.asarray(figure.joints_mm, dtype=np.float64)[:, 0]
    kept = trail_rows(root, TRAIL_STEP_MM)
    colour = None if figure.person_id is None else person_colour(figure.person_id)
    centres, starts, print_rgb = footprints(figure.joints_mm, figure.contacts, colour)
    ring = FOOTPRINT_RADIUS_MM * _CIRCLE
    prints = np.stack([centres[:, None, 0] + ring[None, :, 0],
                       np.zeros((len(centres), len(ring))),
                       centres[:, None, 1] + ring[None, :, 1]], axis=-1)
    return _FloorMarks(
        trail=np.stack([root[kept, 0], np.zeros(len(kept)), root[kept, 2]], axis=1),
        trail_steps=np.asarray(figure.steps)[kept], trail_rgb=colour or TRAIL_RGB,
        prints=prints, print_steps=np.asarray(figure.steps)[starts], print_rgb=print_rgb)


def _follow_target(figures: Sequence[Figure], num_steps: int) -> np.ndarray:
    """(num_steps, 3) mm: the mean root of the people present at each step; steps with nobody
    interpolated between their neighbours (held at the ends)."""
    total, count = np.zeros((num_steps, 3)), np.zeros(num_steps)
    for figure in figures:
        total[figure.steps] += np.asarray(figure.joints_mm, dtype=np.float64)[:, 0]
        count[figure.steps] += 1
    seen = np.flatnonzero(count)
    if not len(seen):
        return total
    mean = total[seen] / count[seen, None]
    steps = np.arange(num_steps)
    return np.stack([np.interp(steps, seen, mean[:, axis]) for axis in range(3)], axis=1)


class WorldViewRenderer:
    """Square perspective views of one or several people in the world, following them.

    scene: a `WorldPose` (frame 'world', one person, one step per pose) or `Figure`s (several
    people over `num_steps` steps, default the last step + 1); fps: steps per second (for the
    camera's smoothing); panel_px: side of a view; elevation_deg: how far above the horizontal
    the camera looks down; follow_s: the camera's smoothing of the people's mean root path.
    The camera stands far enough back for the tallest person and the group's spread.
    """

    def __init__(self, scene: WorldPose | Sequence[Figure], fps: float, panel_px: int = 360,
                 elevation_deg: float = 20.0, follow_s: float = 0.8,
                 num_steps: int | None = None) -> None:
        if isinstance(scene, WorldPose):
            scene = [Figure(np.asarray(scene.joints_mm), np.arange(len(scene.joints_mm)),
                            contacts=scene.contacts)]
        self.figures = [dataclasses.replace(figure, joints_mm=np.asarray(
            figure.joints_mm, dtype=np.float64), steps=np.asarray(figure.steps, dtype=np.int64))
            for figure in scene]
        last = max((int(f.steps[-1]) for f in self.figures if len(f.steps)), default=0)
        self.num_steps = max(1, last + 1 if num_steps is None else num_steps)
        self.panel_px, self.elevation_deg = panel_px, elevation_deg
        self.focal_px = 0.5 * panel_px / np.tan(np.radians(FOV_DEG / 2))
        extents = [np.ptp(f.joints_mm[..., 1], axis=-1) for f in self.figures if len(f.steps)]
        height = float(np.percentile(np.concatenate(extents), 90)) if extents else 1700.0
        height = max(height, 500.0)
        self.target = smooth_path(_follow_target(self.figures, self.num_steps), follow_s * fps)
        self.target[:, 1] = 0.5 * height  # look at mid-body height, not the bobbing roots
        spread = [np.linalg.norm(f.joints_mm[:, 0, [0, 2]] - self.target[f.steps][:, [0, 2]],
                                 axis=1) for f in self.figures]
        group_mm = 2 * float(np.percentile(np.concatenate(spread), 90)) if len(
            self.figures) > 1 else 0.0
        # One person (and a step around them) fills ~60 % of the panel height, a group's
        # width (plus a body) at most ~90 % of its width, its nearer people standing a quarter
        # of that nearer the camera.
        self.distance_mm = self.focal_px * max(height / (0.6 * panel_px),
                                               (group_mm + 800.0) / (0.9 * panel_px))
        self.distance_mm += 0.25 * group_mm
        self.height_mm = height
        self.memory_steps = max(1, int(round(MEMORY_S * fps)))
        self.marks = [_floor_marks(figure) for figure in self.figures]
        farthest_mm = float(np.concatenate(spread).max()) if len(self.figures) > 1 else 0.0
        reach = max(GRID_STEPS * GRID_STEP_MM, farthest_mm + 1500.0)
        self.grid_step_mm = GRID_STEP_MM if reach <= BIG_GRID_MM else 1000.0
        self.grid_reach_mm = np.ceil(reach / self.grid_step_mm) * self.grid_step_mm
        self._grid = grid_pieces(int(self.grid_reach_mm / self.grid_step_mm), self.grid_step_mm)
        self._blank = np.full((panel_px, panel_px, 3), BACKGROUND_RGB, dtype=np.uint8)
        self._thickness = max(1, round(panel_px / 120))
        self._radius = max(2, round(panel_px / 100))
        # Trails and shadows as thick as the people look at the followed point's distance.
        tall_px = self.focal_px * height / self.distance_mm
        self._floor_thickness = int(np.clip(round(tall_px / 70), 1, self._thickness))
        self._font_scale = max(0.35, panel_px / 900)

    def camera(self, step: int, azimuth_deg: float) -> tuple[np.ndarray, np.ndarray]:
        """(rotation (3, 3) world -> view, eye (3,) mm) of the camera at `step`; azimuth 0
        looks along +Z (the filming camera's direction), positive turns the viewer to the
        people's left as the filming camera sees them."""
        a, e = np.radians(azimuth_deg), np.radians(self.elevation_deg)
        target = self.target[min(max(step, 0), self.num_steps - 1)]
        back = np.array([np.sin(a), 0.0, -np.cos(a)]) * np.cos(e) + np.array([0, np.sin(e), 0])
        eye = target + self.distance_mm * back
        return look_at(eye, target), eye

    def project(self, points_mm: np.ndarray, rotation: np.ndarray, eye: np.ndarray
                ) -> tuple[np.ndarray, np.ndarray]:
        """(..., 3) world mm -> (..., 2) panel px and (...,) depth mm along the view."""
        view = (points_mm - eye) @ rotation.T
        depth = view[..., 2]
        pixels = self.focal_px * view[..., :2] / np.maximum(depth, NEAR_MM)[..., None]
        return pixels + self.panel_px / 2.0, depth

    def _segments(self, starts: np.ndarray, ends: np.ndarray, rotation: np.ndarray,
                  eye: np.ndarray, with_kept: bool = False) -> Any:
        """World segments (N, 3) -> (M, 2, 2) int32 px (1/16 px units), clipped to the near
        plane; with_kept also returns which of the N segments are in front of it (N,) bool."""
        view_a, view_b = (starts - eye) @ rotation.T, (ends - eye) @ rotation.T
        za, zb = view_a[:, 2], view_b[:, 2]
        keep = (za > NEAR_MM) | (zb > NEAR_MM)
        view_a, view_b, za, zb = view_a[keep], view_b[keep], za[keep], zb[keep]
        cut = np.clip((NEAR_MM - za) / np.where(zb == za, 1.0, zb - za), 0.0, 1.0)[:, None]
        view_a = np.where((za < NEAR_MM)[:, None], view_a + cut * (view_b - view_a), view_a)
        view_b = np.where((zb < NEAR_MM)[:, None], view_b + cut * (view_a - view_b), view_b)
        ends_view = np.stack([view_a, view_b], axis=1)
        pixels = self.focal_px * ends_view[..., :2] / np.maximum(ends_view[..., 2:], NEAR_MM)
        pixels = np.clip(pixels + self.panel_px / 2.0, -1e4, 1e4)
        pixels = np.round(pixels * 16).astype(np.int32)  # 4 fractional bits for cv2's shift
        return (pixels, keep) if with_kept else pixels

    def _draw_grid(self, image: np.ndarray, step: int, rotation: np.ndarray,
                   eye: np.ndarray) -> None:
        """Floor lines every grid step around the followed point, fading with distance."""
        centre = np.zeros(3)
        grid_step = self.grid_step_mm
        centre[[0, 2]] = np.round(self.target[step, [0, 2]] / grid_step) * grid_step
        starts, ends = self._grid[0] + centre, self._grid[1] + centre
        middle = 0.5 * (starts + ends)[:, [0, 2]] - self.target[step, [0, 2]]
        closeness = 1.0 - np.linalg.norm(middle, axis=1) / self.grid_reach_mm
        shown = closeness > 0
        lines, kept = self._segments(starts[shown], ends[shown], rotation, eye, with_kept=True)
        levels = np.ceil(closeness[shown][kept] * 4)  # 1 (far) .. 4 (near)
        for level in range(1, 5):
            shade = (level - 0.5) / 4
            colour = tuple(int(round(bg + shade * (g - bg)))
                           for bg, g in zip(BACKGROUND_RGB, GRID_RGB, strict=True))
            cv2.polylines(image, list(lines[levels == level]), False, colour, 1, cv2.LINE_AA,
                          shift=4)

    def _draw_floor_marks(self, image: np.ndarray, marks: _FloorMarks, joints: np.ndarray,
                          step: int, rotation: np.ndarray, eye: np.ndarray) -> None:
        """A figure's footprints of contacts begun by `step`, its trail so far and the shadow
        of its (16, 3) joints."""
        since = step - self.memory_steps
        shown = np.flatnonzero((marks.print_steps <= step) & (marks.print_steps > since))
        if len(shown):
            pixels, depth = self.project(marks.prints[shown], rotation, eye)
            polygons = np.round(pixels * 16).astype(np.int32)
            visible = (depth > NEAR_MM).all(axis=1)
            for colour in np.unique(marks.print_rgb[shown], axis=0):
                chosen = visible & (marks.print_rgb[shown] == colour).all(axis=1)
                cv2.fillPoly(image, list(polygons[chosen]), tuple(int(c) for c in colour),
                             cv2.LINE_AA, shift=4)
        path = (marks.trail_steps < step) & (marks.trail_steps > since)
        if path.any():
            here = np.array([joints[0, 0], 0.0, joints[0, 2]])
            points = np.concatenate([marks.trail[path], here[None]])
            trail = self._segments(points[:-1], points[1:], rotation, eye)
            cv2.polylines(image, list(trail), False, marks.trail_rgb, self._floor_thickness,
                          cv2.LINE_AA, shift=4)
        shadow = joints.copy()
        shadow[:, 1] = 0.0
        lines = self._segments(shadow[_BONES[:, 0]], shadow[_BONES[:, 1]], rotation, eye)
        cv2.polylines(image, list(lines), False, SHADOW_RGB,
                      self._floor_thickness + min(2, self._floor_thickness), cv2.LINE_AA, shift=4)

    def render(self, step: int, azimuth_deg: float) -> np.ndarray:
        """(panel, panel, 3) uint8 RGB: the scene at `step`: the floor, and everyone present
        with their floor marks, drawn far to near."""
        image = self._blank.copy()
        rotation, eye = self.camera(step, azimuth_deg)
        self._draw_grid(image, step, rotation, eye)
        present = [(figure, marks, row) for figure, marks in zip(self.figures, self.marks,
                                                                 strict=True)
                   if (row := figure.row(step)) is not None]
        for figure, marks, row in present:
            self._draw_floor_marks(image, marks, figure.joints_mm[row], step, rotation, eye)
        drawn = []
        for figure, _, row in present:
            points_px, depth = self.project(figure.joints_mm[row], rotation, eye)
            drawn.append((float(depth[0]), figure, row, points_px, depth))
        for root_depth, figure, row, points_px, depth in sorted(drawn, key=lambda item: -item[0]):
            confidence = None if figure.confidence is None else figure.confidence[row]
            order = np.argsort(-depth[_BONES].mean(axis=1))
            # Far (small) skeletons get thinner lines, so that they stay skeletons, not blobs.
            tall_px = self.focal_px * self.height_mm / max(root_depth, NEAR_MM)
            thickness = int(np.clip(round(tall_px / 45), 1, self._thickness))
            radius = int(np.clip(round(tall_px / 40), 1, self._radius))
            if figure.person_id is None:
                draw_skeleton_2d(image, points_px, confidence, thickness=thickness,
                                 radius=radius, bone_order=order)
            else:
                draw_person(image, figure.person_id, points_px,
                            np.ones(16) if confidence is None else confidence,
                            thickness=thickness, radius=radius,
                            font_scale=self._font_scale, bone_order=order)
        return image
