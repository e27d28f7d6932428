"""Rasterise props over a video frame with OpenGL (moderngl, off-screen EGL context on Mesa).

Why OpenGL and not a numpy rasteriser: `benchmarks/bench_ar.py` measures both halves of the
job at 720p on this CPU. Mesa's llvmpipe rasterises, depth-tests, shades with 4x multisampling
and composites a whole frame with two effects in less time than numpy needs for the alpha
composite alone (one float blend of a 1280x720 frame), before any triangle is drawn, so a
software rasteriser in numpy cannot reach the frame rate that GL reaches here.

Per frame: (1) the body proxy (capsules along the bones, `occlusion.body_proxy`) is drawn
into a float depth map; (2) into a 4x multisampled target, the video frame is drawn as the
background, then the props with depth testing (opaque first, translucent back to front).
A prop fragment deeper than the body there is faded by the person mask (soft edges); props
blend premultiplied ("lit") or additively ("glow"); light comes from the camera.
Image rows run top to bottom in every buffer here (the projection does not flip y), so pixels
read back need no flip.
"""

from __future__ import annotations

import functools
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

import cv2
import numpy as np

from posemachines.ar.meshes import Prop
from posemachines.errors import PoseMachinesError
from posemachines.optional import import_optional

NEAR_MM, FAR_MM = 50.0, 100_000.0
#: Depth the body map holds where no body part was drawn.
NO_BODY_MM = 1e9
#: Antialiasing: the tile is rasterised at this many times the frame's resolution and
#: area-averaged down (llvmpipe's 4x MSAA costs 10-30x a plain pass here; 2x2 supersampling 4x).
SUPERSAMPLE = 2

VERTEX_SHADER = """
#version 330
uniform mat4 projection;
in vec3 in_position;
in vec3 in_normal;
in vec4 in_color;
in vec3 in_material;   // occludable, glow, shininess
out vec3 v_position;
out vec3 v_normal;
out vec4 v_color;
out vec3 v_material;
void main() {
    v_position = in_position;
    v_normal = in_normal;
    v_color = in_color;
    v_material = in_material;
    gl_Position = projection * vec4(in_position, 1.0);
}
"""

PROP_FRAGMENT_SHADER = """
#version 330
uniform sampler2D body_depth;
uniform sampler2D body_mask;
uniform vec3 mask_row0;
uniform vec3 mask_row1;
uniform vec2 mask_size;
uniform bool has_mask;
uniform float fallback_depth;
uniform vec2 tile_origin;
uniform float supersample;
in vec3 v_position;
in vec3 v_normal;
in vec4 v_color;
in vec3 v_material;
out vec4 color;
void main() {
    bool occludable = v_material.x > 0.5;
    bool glow = v_material.y > 0.5;
    float shininess = v_material.z;
    vec3 view = normalize(-v_position);
    vec3 normal = normalize(v_normal);
    normal *= sign(dot(normal, view) + 1e-6);              // two-sided: face the viewer
    float facing = dot(normal, view);
    // One light at the camera, raised a little above and left of it, so that flat faces
    // towards the camera are lit without all catching the highlight.
    vec3 light = normalize(view + vec3(-0.25, -0.45, 0.0));
    float diffuse = max(dot(normal, light), 0.0);
    float highlight = pow(max(dot(normal, normalize(light + view)), 0.0), 40.0);
    vec3 rgb;
    float alpha = v_color.a;
    if (glow) {
        rgb = v_color.rgb * (0.5 + 0.5 * facing);
        alpha *= smoothstep(0.0, 0.6, facing);             // soft rim
    } else {
        rgb = v_color.rgb * (0.3 + 0.7 * diffuse) + shininess * highlight;
    }
    if (occludable) {
        float body_z = texelFetch(body_depth, ivec2(gl_FragCoord.xy), 0).r;
        float coverage;
        if (has_mask) {
            vec3 px = vec3(gl_FragCoord.xy / supersample - 0.5 + tile_origin, 1.0);
            vec2 m = vec2(dot(mask_row0, px), dot(mask_row1, px));
            bool inside = all(greaterThanEqual(m, vec2(-0.5))) && all(lessThan(m, mask_size - 0.5));
            coverage = inside ? texture(body_mask, (m + 0.5) / mask_size).r : 0.0;
            if (body_z >= 1e8) body_z = fallback_depth;
        } else {
            coverage = body_z < 1e8 ? 1.0 : 0.0;
        }
        if (v_position.z > body_z) alpha *= 1.0 - coverage;
    }
    if (alpha < 0.004) discard;
    rgb = pow(clamp(rgb, 0.0, 1.0), vec3(1.0 / 2.2));       // linear -> sRGB, as the frame
    // Glow adds light: it barely dims what is behind it.
    color = vec4(rgb * alpha, glow ? 0.25 * alpha : alpha);
}
"""

DEPTH_FRAGMENT_SHADER = """
#version 330
in vec3 v_position;
in vec3 v_normal;
in vec4 v_color;
in vec3 v_material;
out float depth;
void main() { depth = v_position.z; }
"""

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
    normal, RGBA, then occludable, glow and shininess, in the order of `props`."""
    rows = []
    for prop in props:
        mesh, matrix = prop.mesh, np.asarray(prop.model_to_camera, np.float64)
        linear = matrix[:3, :3]
        corners = mesh.faces.reshape(-1)
        material = (float(prop.occludable and use_occluder), float(mesh.look == "glow"),
                    mesh.shininess)
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
