"""Headwear and glasses: meshes in the head frame (x left, y up, z forward; origin at the head
centre; sizes in units of the clip's thorax-to-head-top length h)."""

from __future__ import annotations

from abc import abstractmethod

import numpy as np

from posemachines.ar.meshes import (
    Mesh,
    Prop,
    box,
    cylinder,
    merge,
    moved,
    revolve,
    rgba,
    segment_transform,
    sphere,
    surface,
    transform,
)
from posemachines.ar.rig import HEAD
from posemachines.ar.scene import Effect, Scene

#: Head radius as a fraction of h (about 95 mm for h = 265 mm).
HEAD_RADIUS = 0.36
#: Rotation taking +z (the primitives' axis) to +y (up in the head frame).
Z_TO_UP = np.array([[1.0, 0, 0], [0, 0, 1.0], [0, -1.0, 0]])


class HeadEffect(Effect):
    """Base for props that ride on the head: one mesh placed in the head frame each frame."""

    anchors = (HEAD,)

    def __init__(self, scene: Scene) -> None:
        super().__init__(scene)
        self.meshes = self.build(scene.track.head_mm * HEAD_RADIUS)

    @abstractmethod
    def build(self, radius: float) -> list[Mesh]:
        """The prop's meshes in the head frame for a head of `radius` mm."""

    def props_at(self, frame: int) -> list[Prop]:
        matrix = transform(self.scene.head[frame], self.scene.head_centre(frame))
        return [Prop(mesh, matrix) for mesh in self.meshes]


class Crown(HeadEffect):
    name = "crown"
    description = "a gold crown with jewels, seated on the head"

    def build(self, radius: float) -> list[Mesh]:
        gold, ruby = rgba("#e8b923"), rgba("#c0102a")
        base_y, band, ring = 0.55 * radius, 0.38 * radius, 0.92 * radius
        teeth = 8
        angles = np.linspace(0, 2 * np.pi, 8 * teeth + 1)
        # Band top edge rises to a point at every tooth.
        rise = band + 0.45 * radius * np.clip(1 - np.abs(((angles * teeth / (2 * np.pi)) % 1)
                                                          - 0.5) * 4, 0, 1)
        rows = np.linspace(0, 1, 6)[:, None]
        flare = ring * (1 + 0.12 * rows)
        points = np.stack([flare * np.sin(angles), base_y + rows * rise,
                           flare * np.cos(angles)], axis=-1)
        shell = surface(points, gold, shininess=0.6)
        inner = surface(points[:, ::-1] * [0.97, 1, 0.97], gold, shininess=0.6)
        parts = [shell, inner]
        for k in range(teeth):
            angle = 2 * np.pi * (k + 0.5) / teeth
            tip = np.array([ring * 1.1 * np.sin(angle), base_y + band + 0.47 * radius,
                            ring * 1.1 * np.cos(angle)])
            parts.append(moved(sphere(gold, 6, 8, shininess=0.6), transform(np.eye(3), tip,
                                                                             0.07 * radius)))
            jewel = np.array([ring * 1.13 * np.sin(angle), base_y + 0.45 * band,
                              ring * 1.13 * np.cos(angle)])
            parts.append(moved(sphere(ruby, 6, 8, shininess=1.0),
                               transform(np.eye(3), jewel, 0.09 * radius)))
        return [merge(*parts)]


class Helmet(HeadEffect):
    name = "helmet"
    description = "a polished steel helmet with a crest and a brow band"

    def build(self, radius: float) -> list[Mesh]:
        steel, brass = rgba("#a9b4c2"), rgba("#c8a048")
        theta = np.linspace(0, 0.56 * np.pi, 14)  # from the top down to just below the brow
        shell = 1.12 * radius
        profile = np.column_stack([shell * np.sin(theta), shell * np.cos(theta) + 0.12 * radius])
        dome = moved(revolve(profile, steel, 36, shininess=0.9), transform(Z_TO_UP, [0, 0, 0]))
        brim = moved(cylinder(brass, 36, capped=False, shininess=0.7),
                     transform(Z_TO_UP, [0, -0.07 * radius, 0],
                               [1.14 * radius, 1.14 * radius, 0.16 * radius]))
        crest = moved(box(rgba("#b3202a"), shininess=0.2),
                      transform(np.eye(3), [0, 1.29 * radius, -0.1 * radius],
                                [0.14 * radius, 0.32 * radius, 1.7 * radius]))
        return [merge(dome, brim, crest)]


class Glasses(HeadEffect):
    name = "glasses"
    description = "sunglasses: tinted lenses in a black frame, arms to the ears"

    def props_at(self, frame: int) -> list[Prop]:
        """On the eyes where the face was seen: the bridge slides, at its depth, onto the ray
        through the eyes' midpoint."""
        props = super().props_at(frame)
        eyes = self.scene.eyes_mm
        if eyes is None or not np.all(np.isfinite(eyes[frame])):
            return props
        matrix = props[0].model_to_camera.copy()
        bridge = matrix[:3, :3] @ self.bridge + matrix[:3, 3]
        matrix[:3, 3] += eyes[frame] * (bridge[2] / eyes[frame][2]) - bridge
        return [Prop(p.mesh, matrix) for p in props]

    def build(self, radius: float) -> list[Mesh]:
        frame_color, lens_color = rgba("#151515"), rgba("#1d3b5a", 0.7)
        eye_y, front_z, half_gap = 0.08 * radius, 0.9 * radius, 0.36 * radius
        self.bridge = np.array([0.0, eye_y, front_z])
        lens_r = 0.3 * radius
        parts = []
        for side in (-1.0, 1.0):
            centre = np.array([side * half_gap, eye_y, front_z])
            parts.append(moved(cylinder(lens_color, 24, shininess=1.0),
                               transform(np.eye(3), centre, [lens_r, 0.85 * lens_r,
                                                             0.04 * radius])))
            rim_angles = np.linspace(0, 2 * np.pi, 25)
            rim = centre + np.column_stack([1.05 * lens_r * np.cos(rim_angles),
                                            0.9 * lens_r * np.sin(rim_angles),
                                            np.zeros(25)])
            for a, b in zip(rim[:-1], rim[1:], strict=True):
                parts.append(moved(cylinder(frame_color, 6, shininess=0.5),
                                   segment_transform(a, b, 0.05 * radius)))
            hinge = centre + [side * 1.05 * lens_r, 0.1 * lens_r, 0]
            ear = np.array([side * 0.97 * radius, eye_y - 0.05 * radius, -0.15 * radius])
            parts.append(moved(cylinder(frame_color, 6, shininess=0.5),
                               segment_transform(hinge, ear, 0.045 * radius)))
        bridge_l = np.array([half_gap - 1.05 * lens_r, eye_y + 0.25 * lens_r, front_z])
        parts.append(moved(cylinder(frame_color, 6, shininess=0.5),
                           segment_transform(bridge_l * [-1, 1, 1], bridge_l, 0.05 * radius)))
        return [merge(*[p for p in parts if not p.translucent]),
                merge(*[p for p in parts if p.translucent])]
