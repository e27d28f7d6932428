"""Rasterise props over a video frame with OpenGL (moderngl, an off-screen EGL context on Mesa's
llvmpipe when there is no GPU).

Why OpenGL and not a numpy rasteriser: measured by `benchmarks/bench_ar.py` at 720p on this
2-core CPU, llvmpipe projects, depth-tests, shades, antialiases and composites a frame with two
effects (crown, cape) in 0.6-0.7x the CPU time numpy needs for the alpha composite alone of one
720p layer in float32 -- the last step a numpy rasteriser would take after drawing every
triangle -- so a software rasteriser in numpy could not reach GL's frame rate here; GL also
gives depth testing, perspective-correct interpolation and clipping for free.

Per frame only the tile the props cover is rasterised, at 2x2 the frame's resolution
(supersampling: llvmpipe's 4x MSAA cost 10-30x a plain pass here), then area-averaged down:
(1) the body proxy (`occlusion.body_proxy`) goes into a float depth map; (2) the props, in
camera mm, go down in three draw calls -- opaque, translucent back to front, glow added -- with
depth testing, lit from the camera (`shaders.py`). A prop fragment deeper than the body there is
faded by the person mask (soft edges). (3) The premultiplied RGBA tile is read back and
composited onto the frame with OpenCV. Rows run top to bottom in every buffer (the projection
does not flip y), so nothing is flipped on read-back.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from posemachines.ar.meshes import Prop
from posemachines.ar.shaders import DEPTH_FRAGMENT_SHADER, PROP_FRAGMENT_SHADER, VERTEX_SHADER
from posemachines.errors import PoseMachinesError
from posemachines.optional import import_optional

NEAR_MM, FAR_MM = 50.0, 100_000.0
#: Depth the body map holds where no body part was drawn.
NO_BODY_MM = 1e9
#: Antialiasing: the tile is rasterised at this many times the frame's resolution and
#: area-averaged down (llvmpipe's 4x MSAA costs 10-30x a plain pass here; 2x2 supersampling 4x).
SUPERSAMPLE = 2

class RendererUnavailableError(PoseMachinesError):
    """No off-screen OpenGL context could be made (Mesa's EGL/llvmpipe missing)."""


@dataclass(frozen=True, eq=False)
class BodyMask:
    """The person's silhouette: probability (h, w) in [0, 1] (float, or uint8 0-255) and
    image_to_mask (2, 3), the affine map from image px to mask px (pixel centres on integers;
    identity for a full-frame mask, the ROI crop's map for BlazePose's)."""

    probability: np.ndarray
    image_to_mask: np.ndarray


@dataclass(frozen=True, eq=False)
class Occluder:
    """What hides props: body proxy props (their depth only), the person mask (None: the proxy's
    own outline), and the depth (mm) used where the mask shows the person but no proxy part is."""

    body: Sequence[Prop]
    mask: BodyMask | None = None
    fallback_depth_mm: float = NO_BODY_MM


def projection_matrix(f_px: np.ndarray, c_px: np.ndarray, width: int, height: int
                      ) -> np.ndarray:
    """(4, 4) camera mm -> clip space of a pinhole; pixel (u, v) centres on integers, rows
    top to bottom (no y flip)."""
    fx, fy = (float(v) for v in f_px)
    cx, cy = (float(v) for v in c_px)
    n, f = NEAR_MM, FAR_MM
    return np.array([
        [2 * fx / width, 0, 2 * (cx + 0.5) / width - 1, 0],
        [0, 2 * fy / height, 2 * (cy + 0.5) / height - 1, 0],
        [0, 0, (f + n) / (f - n), -2 * f * n / (f - n)],
        [0, 0, 1, 0],
    ])


@functools.cache
def gl_context() -> Any:
    """The process's one off-screen OpenGL 3.3 context (EGL, Mesa llvmpipe on a CPU)."""
    moderngl = import_optional("moderngl", "AR rendering")
    try:
        return moderngl.create_standalone_context(backend="egl")
    except Exception as error:  # moderngl raises plain Exception when EGL/Mesa is missing
        raise RendererUnavailableError(
            f"AR rendering needs an off-screen OpenGL context (EGL with Mesa's llvmpipe: "
            f"apt-get install libegl1 libgl1-mesa-dri): {error}"
        ) from None


def _bytes(matrix: np.ndarray) -> bytes:
    """Column-major float32 bytes of a matrix, as GLSL reads it."""
    return np.ascontiguousarray(np.asarray(matrix, np.float32).T).tobytes()


def props_bounds_px(props: Sequence[Prop], f_px: np.ndarray, c_px: np.ndarray
                    ) -> tuple[float, float, float, float] | None:
    """(u0, v0, u1, v1) px box around the props' projected bounding boxes; None when none is in
    front of the camera; the whole plane (infinite) when one reaches behind the near plane."""
    boxes = []
    for prop in props:
        vertices = prop.mesh.vertices
        if not len(vertices):
            continue
        low, high = vertices.min(axis=0), vertices.max(axis=0)
        corners = np.array(np.meshgrid(*zip(low, high, strict=True), indexing="ij")).reshape(3, -1)
        camera = prop.model_to_camera[:3, :3] @ corners + prop.model_to_camera[:3, 3:4]
        if np.all(camera[2] < NEAR_MM):
            continue
        if np.any(camera[2] < NEAR_MM):
            return (-np.inf, -np.inf, np.inf, np.inf)
        uv = camera[:2] / camera[2] * np.asarray(f_px)[:, None] + np.asarray(c_px)[:, None]
        boxes.append((*uv.min(axis=1), *uv.max(axis=1)))
    if not boxes:
        return None
    array = np.array(boxes)
    return (array[:, 0].min(), array[:, 1].min(), array[:, 2].max(), array[:, 3].max())


class _Targets:
    """The GL buffers for one (supersampled) tile size: colour + depth, and the body's float
    depth map."""

    def __init__(self, ctx: Any, size: tuple[int, int]) -> None:
        self.depth_map = ctx.texture(size, 1, dtype="f4")
        self.depth_map.filter = (ctx.NEAREST, ctx.NEAREST)
        self.objects = [
            self.depth_map,
            depth_buffer := ctx.depth_renderbuffer(size),
            color := ctx.renderbuffer(size, 4),
            depth := ctx.depth_renderbuffer(size),
        ]
        self.body = ctx.framebuffer(color_attachments=[self.depth_map],
                                    depth_attachment=depth_buffer)
        self.props = ctx.framebuffer(color_attachments=[color], depth_attachment=depth)
        self.objects += [self.body, self.props]

    def release(self) -> None:
        for item in reversed(self.objects):
            item.release()


def batch_vertices(props: Sequence[Prop], use_occluder: bool) -> np.ndarray:
    """All props' triangles in camera mm, one (3 * M, 13) float32 row per corner: position,
    normal, RGBA, then occlusion (0 none, 1 occludable, 2 also behind the body), glow and
    shininess, in the order of `props`."""
    rows = []
    for prop in props:
        mesh, matrix = prop.mesh, np.asarray(prop.model_to_camera, np.float64)
        linear = matrix[:3, :3]
        corners = mesh.faces.reshape(-1)
        occlusion = (1.0 + prop.behind_body) if prop.occludable and use_occluder else 0.0
        material = (occlusion, float(mesh.look == "glow"), mesh.shininess)
        block = np.empty((len(corners), 13), np.float32)
        block[:, 0:3] = mesh.vertices[corners] @ linear.T + matrix[:3, 3]
        block[:, 3:6] = mesh.normals[corners] @ np.linalg.inv(linear)
        block[:, 6:10] = mesh.colors[corners]
        block[:, 10:13] = material
        rows.append(block)
    return np.concatenate(rows) if rows else np.empty((0, 13), np.float32)


class Renderer:
    """Draws props over frames of one size; reuse it for every frame of a video.

    width, height: the frame size (px); f_px, c_px: (2,) pinhole focal length and principal
    point (px) of the camera the props are in. Only the tile of the frame the props cover is
    rasterised (its size rounded up to TILE_STEP px so that the buffers are reused), and all
    props go down in four draw calls (body depth, opaque, translucent, glow): llvmpipe's cost
    per draw call is far above its cost per triangle for meshes this small.
    """

    TILE_STEP = 128

    def __init__(self, width: int, height: int, f_px: np.ndarray, c_px: np.ndarray) -> None:
        self.ctx = ctx = gl_context()
        self.size = (int(width), int(height))
        self.f_px = np.asarray(f_px, np.float64).reshape(2)
        self.c_px = np.asarray(c_px, np.float64).reshape(2)
        self.prop_program = ctx.program(vertex_shader=VERTEX_SHADER,
                                        fragment_shader=PROP_FRAGMENT_SHADER)
        self.depth_program = ctx.program(vertex_shader=VERTEX_SHADER,
                                         fragment_shader=DEPTH_FRAGMENT_SHADER)
        self._targets: dict[tuple[int, int], _Targets] = {}
        self._mask_texture: Any = None

    def render(self, frame: np.ndarray, props: Sequence[Prop],
               occluder: Occluder | None = None) -> np.ndarray:
        """`frame` (H, W, 3) uint8 RGB with `props` (camera frame) drawn on it: a new array."""
        frame = np.array(frame, dtype=np.uint8, order="C", copy=True)
        if frame.shape != (self.size[1], self.size[0], 3):
            raise PoseMachinesError(f"Renderer is for {self.size[0]}x{self.size[1]} frames, got "
                                    f"{frame.shape[1]}x{frame.shape[0]}.")
        tile = self.tile(props)
        if tile is None:
            return frame
        x0, y0, tile_width, tile_height = tile
        rgba = self.render_layer(props, occluder, tile)
        width = min(tile_width, self.size[0] - x0)
        height = min(tile_height, self.size[1] - y0)
        composite_premultiplied(frame[y0:y0 + height, x0:x0 + width], rgba[:height, :width])
        return frame

    def render_layer(self, props: Sequence[Prop], occluder: Occluder | None,
                     tile: tuple[int, int, int, int]) -> np.ndarray:
        """The props alone, premultiplied RGBA (h, w, 4) uint8, over the image tile
        (x0, y0, w, h) px; glow adds light and leaves alpha low."""
        x0, y0, width, height = tile
        s = SUPERSAMPLE
        size = (width * s, height * s)
        targets = self._targets.get(size)
        if targets is None:
            targets = self._targets[size] = _Targets(self.ctx, size)
        # Supersampled px (centres on integers) of image px u: (u - x0 + 0.5) * s - 0.5.
        centre = (self.c_px - (x0, y0) + 0.5) * s - 0.5
        projection = _bytes(projection_matrix(self.f_px * s, centre, *size))
        for program in (self.prop_program, self.depth_program):
            program["projection"].write(projection)
        self.prop_program["tile_origin"].value = (float(x0), float(y0))
        self.prop_program["supersample"].value = float(s)
        use_occluder = occluder is not None and any(p.occludable for p in props)
        if use_occluder and occluder is not None:
            self._draw_body_depth(occluder, targets)
        targets.props.use()
        targets.props.clear(0.0, 0.0, 0.0, 0.0, depth=1.0)
        self._draw_props(props, targets, use_occluder)
        pixels = targets.props.read(components=4, alignment=1)
        layer = np.frombuffer(pixels, np.uint8).reshape(size[1], size[0], 4)
        return cv2.resize(layer, (width, height), interpolation=cv2.INTER_AREA)

    def tile(self, props: Sequence[Prop]) -> tuple[int, int, int, int] | None:
        """(x0, y0, w, h): the image tile to rasterise, None when no prop is in view."""
        bounds = props_bounds_px(props, self.f_px, self.c_px)
        if bounds is None:
            return None
        x0 = int(np.clip(np.floor(bounds[0]) - 2, 0, self.size[0]))
        y0 = int(np.clip(np.floor(bounds[1]) - 2, 0, self.size[1]))
        x1 = int(np.clip(np.ceil(bounds[2]) + 3, 0, self.size[0]))
        y1 = int(np.clip(np.ceil(bounds[3]) + 3, 0, self.size[1]))
        if x1 <= x0 or y1 <= y0:
            return None
        step = self.TILE_STEP
        return x0, y0, -(-(x1 - x0) // step) * step, -(-(y1 - y0) // step) * step

    def _draw_body_depth(self, occluder: Occluder, targets: _Targets) -> None:
        ctx = self.ctx
        targets.body.use()
        targets.body.clear(NO_BODY_MM, 0.0, 0.0, 0.0, depth=1.0)
        ctx.enable(ctx.DEPTH_TEST)
        ctx.disable(ctx.BLEND | ctx.CULL_FACE)
        self._draw_batch(self.depth_program, batch_vertices(occluder.body, False))
        program = self.prop_program
        program["fallback_depth"].value = float(occluder.fallback_depth_mm)
        program["has_mask"].value = occluder.mask is not None
        if occluder.mask is not None:
            self._upload_mask(occluder.mask)

    def _upload_mask(self, mask: BodyMask) -> None:
        probability = np.asarray(mask.probability)
        if probability.dtype != np.uint8:
            probability = np.clip(probability, 0.0, 1.0).astype(np.float32)
        size = (probability.shape[1], probability.shape[0])
        dtype = "f1" if probability.dtype == np.uint8 else "f4"
        texture = self._mask_texture
        if texture is None or texture.size != size or texture.dtype != dtype:
            if texture is not None:
                texture.release()
            texture = self._mask_texture = self.ctx.texture(size, 1, dtype=dtype)
            texture.repeat_x = texture.repeat_y = False
        texture.write(np.ascontiguousarray(probability).tobytes(), alignment=1)
        matrix = np.asarray(mask.image_to_mask, np.float64)
        program = self.prop_program
        program["mask_row0"].value = tuple(matrix[0])
        program["mask_row1"].value = tuple(matrix[1])
        program["mask_size"].value = (float(size[0]), float(size[1]))

    def _draw_props(self, props: Sequence[Prop], targets: _Targets, use_occluder: bool) -> None:
        ctx, program = self.ctx, self.prop_program
        targets.depth_map.use(1)
        program["body_depth"].value = 1
        if self._mask_texture is not None:
            self._mask_texture.use(2)
        program["body_mask"].value = 2
        glow = [p for p in props if p.mesh.look == "glow"]
        opaque = [p for p in props if p.mesh.look != "glow" and not p.mesh.translucent]
        # Translucent props back to front (by their origins' depth).
        translucent = sorted((p for p in props if p.mesh.look != "glow" and p.mesh.translucent),
                             key=lambda p: -float(p.model_to_camera[2, 3]))
        ctx.enable(ctx.DEPTH_TEST | ctx.BLEND)
        ctx.disable(ctx.CULL_FACE)
        ctx.blend_func = ctx.ONE, ctx.ONE_MINUS_SRC_ALPHA
        self._draw_batch(program, batch_vertices(opaque, use_occluder))
        ctx.depth_mask = False
        self._draw_batch(program, batch_vertices(translucent, use_occluder))
        ctx.blend_func = ctx.ONE, ctx.ONE
        self._draw_batch(program, batch_vertices(glow, use_occluder))
        ctx.depth_mask = True

    def _draw_batch(self, program: Any, vertices: np.ndarray) -> None:
        if not len(vertices):
            return
        buffer = self.ctx.buffer(vertices.tobytes())
        array = self.ctx.vertex_array(
            program, [(buffer, "3f 3f 4f 3f", "in_position", "in_normal", "in_color",
                       "in_material")], skip_errors=True)
        array.render()
        array.release()
        buffer.release()

    def release(self) -> None:
        """Free every GL object this renderer made (the shared context stays)."""
        for targets in self._targets.values():
            targets.release()
        self._targets.clear()
        for item in (self._mask_texture, self.prop_program, self.depth_program):
            if item is not None:
                item.release()


def composite_premultiplied(background: np.ndarray, layer: np.ndarray) -> None:
    """In place: background (h, w, 3) uint8 <- layer.rgb + background * (1 - layer.alpha),
    with `layer` (h, w, 4) uint8 premultiplied RGBA (saturating)."""
    transparency = cv2.merge([255 - layer[..., 3]] * 3)
    kept = cv2.multiply(background, transparency, scale=1.0 / 255.0)
    cv2.add(kept, np.ascontiguousarray(layer[..., :3]), dst=background)
