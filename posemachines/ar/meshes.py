"""Procedural triangle meshes for the AR props, and the 4x4 transforms that place them.

Every prop is built here from primitives (no shipped asset, so no licence to state). A mesh
lives in its own model frame in mm; `Prop` pairs it with a model -> camera matrix per frame.
Colours are linear RGBA in [0, 1] per vertex; `look` says how the renderer shades and blends it.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np
from numpy.typing import ArrayLike

#: How a mesh is shaded and blended: "lit" opaque (or alpha < 1) with the camera light;
#: "glow" self-lit and added onto what is behind it (fire, light).
LOOKS = ("lit", "glow")


@dataclass(frozen=True, eq=False)
class Mesh:
    """Triangles in a model frame: vertices and normals (N, 3) float32 mm, faces (M, 3) int32,
    colors (N, 4) float32 linear RGBA; shininess scales the specular highlight (0 = matte)."""

    vertices: np.ndarray
    normals: np.ndarray
    faces: np.ndarray
    colors: np.ndarray
    look: str = "lit"
    shininess: float = 0.0

    def __post_init__(self) -> None:
        object.__setattr__(self, "vertices", np.ascontiguousarray(self.vertices, np.float32))
        object.__setattr__(self, "normals", np.ascontiguousarray(self.normals, np.float32))
        object.__setattr__(self, "faces", np.ascontiguousarray(self.faces, np.int32))
        colors = np.broadcast_to(np.asarray(self.colors, np.float32), (len(self.vertices), 4))
        object.__setattr__(self, "colors", np.ascontiguousarray(colors))

    @property
    def translucent(self) -> bool:
        return self.look == "glow" or bool(np.any(self.colors[:, 3] < 1.0))


@dataclass(frozen=True, eq=False)
class Prop:
    """One mesh placed for one frame: model_to_camera (4, 4) maps model mm to camera mm;
    occludable: the person hides the parts of it behind them (off for props never behind);
    behind_body: worn on the back, so hidden wherever the person's mask is and the body's
    depth is unknown (no proxy part there)."""

    mesh: Mesh
    model_to_camera: np.ndarray = field(default_factory=lambda: np.eye(4))
    occludable: bool = True
    behind_body: bool = False


def rgba(hex_color: str, alpha: float = 1.0) -> np.ndarray:
    """'#rrggbb' -> (4,) linear RGBA (sRGB decoded)."""
    value = int(hex_color.lstrip("#"), 16)
    srgb = np.array([(value >> 16) & 255, (value >> 8) & 255, value & 255]) / 255.0
    return np.append(srgb**2.2, alpha).astype(np.float32)


def transform(rotation: ArrayLike, origin: ArrayLike, scale: ArrayLike = 1.0) -> np.ndarray:
    """(4, 4) matrix: scale (scalar or (3,)), then rotate by `rotation` (3, 3), then move to
    `origin` (3,)."""
    matrix = np.eye(4)
    matrix[:3, :3] = np.asarray(rotation, np.float64) * np.asarray(scale, np.float64)
    matrix[:3, 3] = origin
    return matrix


def segment_transform(start: ArrayLike, end: ArrayLike, radius: float) -> np.ndarray:
    """(4, 4) matrix taking the unit cylinder (z from 0 to 1, radius 1) onto start -> end."""
    axis = np.asarray(end, np.float64) - np.asarray(start, np.float64)
    length = float(np.linalg.norm(axis))
    z = axis / length if length > 1e-9 else np.array([0.0, 0.0, 1.0])
    helper = np.array([1.0, 0.0, 0.0]) if abs(z[0]) < 0.9 else np.array([0.0, 1.0, 0.0])
    x = np.cross(helper, z)
    x /= np.linalg.norm(x)
    rotation = np.column_stack([x, np.cross(z, x), z])
    return transform(rotation, start, np.array([radius, radius, max(length, 1e-6)]))


def merge(*meshes: Mesh) -> Mesh:
    """One mesh holding all of `meshes` (same look; the first one's shininess)."""
    offsets = np.cumsum([0] + [len(m.vertices) for m in meshes[:-1]])
    return Mesh(
        vertices=np.concatenate([m.vertices for m in meshes]),
        normals=np.concatenate([m.normals for m in meshes]),
        faces=np.concatenate([m.faces + offset for m, offset in zip(meshes, offsets, strict=True)]),
        colors=np.concatenate([m.colors for m in meshes]),
        look=meshes[0].look,
        shininess=meshes[0].shininess,
    )


def moved(mesh: Mesh, matrix: np.ndarray) -> Mesh:
    """`mesh` with its vertices transformed by the (4, 4) `matrix` (normals follow)."""
    linear = matrix[:3, :3]
    normals = mesh.normals @ np.linalg.inv(linear)
    normals /= np.maximum(np.linalg.norm(normals, axis=1, keepdims=True), 1e-12)
    return Mesh(mesh.vertices @ linear.T + matrix[:3, 3], normals, mesh.faces, mesh.colors,
                mesh.look, mesh.shininess)


def grid_faces(rows: int, cols: int, wrap: bool = False) -> np.ndarray:
    """Two triangles per cell of a rows x cols vertex grid (row-major); wrap closes the columns."""
    r, c = np.meshgrid(np.arange(rows - 1), np.arange(cols if wrap else cols - 1), indexing="ij")
    a = r * cols + c
    b = r * cols + (c + 1) % cols
    quads = np.stack([a, a + cols, b, b, a + cols, b + cols], axis=-1).reshape(-1, 3)
    return quads.astype(np.int32)


def surface(points: np.ndarray, color: np.ndarray, wrap: bool = False, **style: object) -> Mesh:
    """A mesh over a (rows, cols, 3) grid of points with smooth normals from the grid."""
    rows, cols = points.shape[:2]
    du = np.gradient(points, axis=1) if cols > 1 else np.zeros_like(points)
    if wrap:
        du = (np.roll(points, -1, axis=1) - np.roll(points, 1, axis=1)) / 2
    dv = np.gradient(points, axis=0)
    normals = np.cross(du, dv)
    normals /= np.maximum(np.linalg.norm(normals, axis=-1, keepdims=True), 1e-12)
    return Mesh(points.reshape(-1, 3), normals.reshape(-1, 3), grid_faces(rows, cols, wrap),
                color, **style)  # type: ignore[arg-type]


def revolve(profile: np.ndarray, color: np.ndarray, segments: int = 32, **style: object) -> Mesh:
    """Surface of revolution about +z of a (n, 2) profile of (radius, z) points."""
    angles = np.linspace(0, 2 * np.pi, segments, endpoint=False)
    radius, height = profile[:, 0:1], profile[:, 1:2]
    points = np.stack([radius * np.cos(angles), radius * np.sin(angles),
                       np.broadcast_to(height, (len(profile), segments))], axis=-1)
    return surface(points, color, wrap=True, **style)


def sphere(color: np.ndarray, rings: int = 16, segments: int = 24, **style: object) -> Mesh:
    """Unit sphere about the origin."""
    theta = np.linspace(np.pi, 0, rings + 1)
    return revolve(np.column_stack([np.sin(theta), np.cos(theta)]), color, segments, **style)


def cylinder(color: np.ndarray, segments: int = 16, capped: bool = True, **style: object) -> Mesh:
    """Unit cylinder: radius 1 about +z, z from 0 to 1 (closed when capped)."""
    profile = [(0.0, 0.0), (1.0, 0.0), (1.0, 0.0), (1.0, 1.0), (1.0, 1.0), (0.0, 1.0)]
    profile_array = np.array(profile if capped else profile[1:5], dtype=np.float64)
    # Duplicated rim points keep the cap and side normals apart (sharp edges).
    profile_array[1:-1:2, 1] += 1e-4 * (profile_array[2::2, 1] - profile_array[1:-1:2, 1])
    return revolve(profile_array, color, segments, **style)


def cone(color: np.ndarray, segments: int = 16, **style: object) -> Mesh:
    """Unit cone: base radius 1 at z = 0, apex at z = 1."""
    return revolve(np.array([(0.0, 0.0), (1.0, 0.0), (1.0, 1e-4), (1e-3, 1.0)]), color,
                   segments, **style)


def box(color: np.ndarray, **style: object) -> Mesh:
    """Axis-aligned cube from -0.5 to 0.5 on each axis, flat-shaded."""
    vertices: list[np.ndarray] = []
    normals: list[np.ndarray] = []
    faces: list[tuple[int, int, int]] = []
    for axis in range(3):
        for sign in (-1.0, 1.0):
            normal = np.zeros(3)
            normal[axis] = sign
            u, v = np.eye(3)[(axis + 1) % 3], np.eye(3)[(axis + 2) % 3]
            if sign < 0:
                u, v = v, u
            base = len(vertices)
            for du, dv in ((-1, -1), (1, -1), (1, 1), (-1, 1)):
                vertices.append(0.5 * (normal + du * u + dv * v))
                normals.append(normal)
            faces += [(base, base + 1, base + 2), (base, base + 2, base + 3)]
    return Mesh(np.array(vertices), np.array(normals), np.array(faces), color, **style)  # type: ignore[arg-type]
