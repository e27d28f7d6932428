"""Cape and wings on the upper back."""

from __future__ import annotations

import numpy as np

from posemachines.ar.meshes import Mesh, Prop, merge, moved, rgba, sphere, surface, transform
from posemachines.ar.rig import HIP, LKNEE, LSHOULDER, RKNEE, RSHOULDER, SPINE, THORAX
from posemachines.ar.scene import Effect, Scene

#: How far the cape's hem trails behind the body's motion: exponential lag time constant (s).
CAPE_LAG_S = 0.25


class Cape(Effect):
    name = "cape"
    description = "a red cape from the shoulders to the knees that swings behind the motion"
    anchors = (LSHOULDER, RSHOULDER)
    ROWS, COLS = 12, 9

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.color = rgba("#9e1020")
        self.clasp = sphere(rgba("#e8b923"), 8, 10, shininess=0.8)
        self.sway = self._hem_lag()

    def _hem_lag(self) -> np.ndarray:
        """(N, 3) mm: how far the hem lags the hips (exponentially smoothed hip path minus the
        hip), clipped to a quarter of the body height."""
        track = self.scene.track
        hips = track.joints_mm[:, HIP]
        alpha = 1.0 - np.exp(-1.0 / (CAPE_LAG_S * track.fps))
        lag = np.zeros_like(hips)
        lagged = None
        for i, hip in enumerate(hips):
            if not track.present[i]:
                lagged = None
                continue
            lagged = hip.copy() if lagged is None else lagged + alpha * (hip - lagged)
            lag[i] = lagged - hip
        limit = 0.25 * track.height_mm
        norm = np.linalg.norm(lag, axis=-1, keepdims=True)
        return lag * np.minimum(1.0, limit / np.maximum(norm, 1e-9))

    def props_at(self, frame: int) -> list[Prop]:
        scene, joints = self.scene, self.scene.joints(frame)
        left, up, forward = scene.torso[frame].T
        shoulder = scene.track.shoulder_mm
        back = -0.22 * shoulder * forward
        top_l, top_r = joints[LSHOULDER] + back, joints[RSHOULDER] + back
        knees = 0.5 * (joints[LKNEE] + joints[RKNEE])
        drop = float(np.dot(joints[THORAX] - knees, up))
        s = np.linspace(0, 1, self.ROWS)[:, None, None]          # down the cape
        u = np.linspace(-1, 1, self.COLS)[None, :, None]          # across it
        top = 0.5 * (top_l + top_r) + 0.5 * u * (top_l - top_r) * 1.05
        width = 1.0 + 0.45 * s                                    # flares to the hem
        across = 0.5 * u * (top_l - top_r) * 1.05 * (width - 1.0)
        billow = -(0.25 * shoulder * np.sin(np.pi * s) * (1 - 0.4 * u**2)) * forward
        hem_lag = self.sway[frame] - np.dot(self.sway[frame], up) * up
        folds = 0.04 * shoulder * np.cos(np.pi * 4 * u) * s * forward
        points = top + across - s * drop * up + billow + s**2 * hem_lag \
            - 0.35 * shoulder * s * forward + folds
        cloth = surface(points, self.color, shininess=0.15)
        clasps = [Prop(self.clasp, transform(np.eye(3), p + 0.12 * shoulder * forward,
                                             0.07 * shoulder)) for p in (top_l, top_r)]
        return [Prop(cloth, behind_body=True), *clasps]


def wing_rise(s: np.ndarray | float) -> np.ndarray:
    """Height of the wing's arm (in wing sizes) at s in [0, 1] out along it: up and arching."""
    return np.asarray(0.45 * s + 0.25 * np.sin(np.pi * s))


class Wings(Effect):
    name = "wings"
    description = "a pair of white feathered wings on the upper back, slowly beating"
    anchors = (SPINE, THORAX)
    FEATHERS = 14
    BEATS_PER_S = 0.6

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.size = 1.25 * scene.track.shoulder_mm
        self.wing = self._build_wing()

    def _build_wing(self) -> Mesh:
        """The left wing in its own frame: root at the origin, the wing's arm arching out along
        +x and up along +y, feathers hanging from it in the x-y plane, longest at the tip."""
        white, cream = rgba("#f7f4ec"), rgba("#e6dcc4")
        size, parts = self.size, []
        for layer, (scale, color) in enumerate(((1.0, white), (0.55, cream))):
            for k in range(self.FEATHERS):
                s = (k + 0.5) / self.FEATHERS
                edge = size * np.array([s, wing_rise(s), 0.0])
                angle = np.radians(-95 + 95 * s**1.5)              # hanging down -> pointing out
                direction = np.array([np.cos(angle), np.sin(angle), 0.0])
                length = scale * size * (0.3 + 0.5 * s**1.2)
                rotation = np.column_stack([direction, np.cross([0, 0, 1.0], direction),
                                            [0, 0, 1.0]])
                centre = edge + 0.5 * length * direction + [0, 0, 0.02 * size * (layer - k / 40)]
                parts.append(moved(sphere(color, 4, 8, shininess=0.15),
                                   transform(rotation, centre, [0.5 * length, 0.06 * size,
                                                                0.012 * size])))
        along = np.linspace(0, 1, 12)
        arm = size * np.column_stack([along, wing_rise(along), np.zeros(12)])
        for a, b in zip(arm[:-1], arm[1:], strict=True):
            parts.append(moved(sphere(white, 4, 8), transform(np.eye(3), (a + b) / 2,
                                                              0.05 * size)))
        return merge(*parts)

    def props_at(self, frame: int) -> list[Prop]:
        scene, joints = self.scene, self.scene.joints(frame)
        torso = scene.torso[frame]
        root = 0.6 * joints[THORAX] + 0.4 * joints[SPINE] - 0.2 * scene.track.shoulder_mm * \
            torso[:, 2]
        beat = np.radians(12) * np.sin(2 * np.pi * self.BEATS_PER_S * frame / scene.track.fps)
        props = []
        for side in (1.0, -1.0):                                  # left wing, then mirrored
            sweep = np.radians(30) + beat                         # swept back from the back plane
            c, s = np.cos(sweep), np.sin(sweep)
            # Wing frame in torso coordinates: x out to the side and back, y up, z normal.
            out = np.array([side * c, 0.0, -s])
            normal = np.cross(out, [0, 1.0, 0])
            local = np.column_stack([out, [0, 1.0, 0], normal])
            rotation = torso @ local
            offset = root + torso @ np.array([side * 0.08 * scene.track.shoulder_mm, 0, 0])
            props.append(Prop(self.wing, transform(rotation, offset), behind_body=True))
        return props
