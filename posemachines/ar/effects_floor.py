"""Marks on the floor: glowing footprints where the feet stood, and a light trail behind the
person. Both lie on `Scene.floor` (the world's floor when the result has one)."""

from __future__ import annotations

import numpy as np

from posemachines.ar.floor import FEET
from posemachines.ar.meshes import Mesh, Prop, cylinder, rgba, surface, transform
from posemachines.ar.rig import HIP, LFOOT, RFOOT, unit
from posemachines.ar.scene import Effect, Scene

#: Marks hover this far above the floor so they do not flicker into it (mm).
LIFT_MM = 3.0


def on_floor_rotation(scene: Scene, frame: int) -> np.ndarray:
    """(3, 3) columns (left, up = floor normal, forward) for the body's heading at `frame`."""
    up = scene.floor.normal
    forward = scene.torso[frame][:, 2]
    forward = unit(forward - np.dot(forward, up) * up)
    return np.column_stack([np.cross(up, forward), up, forward])


class Footprints(Effect):
    name = "footprints"
    description = "green footprints left on the floor at every step, fading after 3 s"
    anchors = (RFOOT, LFOOT)
    FADE_S = 3.0

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.stamps = self._stamps()
        self.meshes: dict[float, Mesh] = {}

    def _stamps(self) -> list[tuple[int, np.ndarray]]:
        """(frame, (4, 4) model matrix) of every footprint: where a foot comes down, at the
        middle of its contact, flat on the floor along the heading."""
        scene, stamps = self.scene, []
        h = scene.track.height_mm
        for column, joint in enumerate(FEET):
            down = np.r_[False, scene.contacts[:, column], False]
            edges = np.flatnonzero(np.diff(down.astype(int)))
            for start, stop in zip(edges[::2], edges[1::2], strict=True):
                frame = (start + stop - 1) // 2
                ankle = scene.track.joints_mm[frame, joint]
                rotation = on_floor_rotation(scene, frame)
                centre = scene.floor.drop(ankle) + rotation @ [0, LIFT_MM, 0.04 * h]
                # The unit cylinder's z becomes the floor normal: a flat oval along forward.
                flat = rotation @ np.array([[1.0, 0, 0], [0, 0, 1.0], [0, 1.0, 0]])
                stamps.append((int(start), transform(flat, centre,
                                                     [0.035 * h, 0.075 * h, 1.0])))
        return sorted(stamps, key=lambda stamp: stamp[0])

    def props_at(self, frame: int) -> list[Prop]:
        props = []
        fade_frames = self.FADE_S * self.scene.track.fps
        for start, matrix in self.stamps:
            age = frame - start
            if 0 <= age < fade_frames:
                alpha = round(0.9 * (1 - age / fade_frames), 2)
                if alpha not in self.meshes:
                    self.meshes[alpha] = cylinder(rgba("#00e070", alpha), 20)
                props.append(Prop(self.meshes[alpha], matrix))
        return props

    def props(self, frame: int) -> list[Prop]:
        """Footprints stay after the person has left the picture."""
        return self.props_at(frame) if 0 <= frame < self.scene.track.num_frames else []


class Trail(Effect):
    name = "trail"
    description = "a magenta ribbon on the floor tracing the last 1.5 s of the path"
    anchors = (HIP,)
    LENGTH_S = 1.5

    def props_at(self, frame: int) -> list[Prop]:
        scene = self.scene
        track = scene.track
        first = max(0, frame - int(self.LENGTH_S * track.fps))
        rows = np.arange(first, frame + 1)
        rows = rows[track.present[rows]]
        if len(rows) < 3:
            return []
        path = scene.floor.drop(track.joints_mm[rows, HIP]) + LIFT_MM * scene.floor.normal
        step = np.gradient(path, axis=0)
        side = unit(np.cross(scene.floor.normal, step))
        width = 0.12 * track.height_mm * np.linspace(0.2, 1.0, len(rows))[:, None]
        points = np.stack([path - width * side, path + width * side], axis=1)
        fade = np.linspace(0.0, 0.9, len(rows))
        colors = np.repeat(np.column_stack([np.tile(rgba("#ff2bd6")[:3], (len(rows), 1)),
                                            fade]), 2, axis=0)
        if float(np.max(np.linalg.norm(path[-1] - path, axis=-1))) < 0.02 * track.height_mm:
            return []  # standing still: no trail to draw
        return [Prop(surface(points, colors, shininess=0.3))]
