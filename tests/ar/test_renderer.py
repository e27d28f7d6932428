"""The rasteriser: geometry through a known camera, occlusion by a mask, compositing."""

from __future__ import annotations

import cv2
import numpy as np
import pytest

from posemachines.ar.meshes import Prop, box, rgba, transform
from posemachines.ar.renderer import (
    BodyMask,
    Occluder,
    Renderer,
    composite_premultiplied,
    projection_matrix,
)

WIDTH, HEIGHT = 320, 240
F_PX, C_PX = np.array([300.0, 280.0]), np.array([150.5, 121.0])


def rotation_xyz(ax: float, ay: float, az: float) -> np.ndarray:
    cx, sx, cy, sy, cz, sz = np.cos(ax), np.sin(ax), np.cos(ay), np.sin(ay), np.cos(az), np.sin(az)
    rx = np.array([[1, 0, 0], [0, cx, -sx], [0, sx, cx]])
    ry = np.array([[cy, 0, sy], [0, 1, 0], [-sy, 0, cy]])
    rz = np.array([[cz, -sz, 0], [sz, cz, 0], [0, 0, 1]])
    return rz @ ry @ rx


@pytest.fixture(scope="module")
def renderer() -> Renderer:
    return Renderer(WIDTH, HEIGHT, F_PX, C_PX)


def white_cube(rotation: np.ndarray, centre: np.ndarray, size: float, occludable: bool = True
               ) -> Prop:
    """A lit white cube (every face at least 30 % bright)."""
    return Prop(box(rgba("#ffffff")), transform(rotation, centre, size), occludable)


def test_unit_cube_lands_on_the_pinhole_projection(renderer: Renderer) -> None:
    rotation = rotation_xyz(0.35, 0.6, 0.2)
    centre = np.array([80.0, -40.0, 4000.0])
    image = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8),
                            [white_cube(rotation, centre, 1000.0)])
    covered = image.max(axis=2) > 40
    corners = np.array([[x, y, z] for x in (-500, 500) for y in (-500, 500) for z in (-500, 500)])
    camera_points = corners @ rotation.T + centre
    uv = camera_points[:, :2] / camera_points[:, 2:] * F_PX + C_PX
    hull = cv2.convexHull(uv.astype(np.float32))
    rows, cols = np.mgrid[0:HEIGHT, 0:WIDTH]
    distance = np.array([cv2.pointPolygonTest(hull, (float(x), float(y)), True)
                         for x, y in zip(cols.ravel(), rows.ravel(), strict=True)])
    distance = distance.reshape(HEIGHT, WIDTH)
    # Every pixel more than 1 px inside the projected outline is drawn, none 1 px outside.
    assert covered[distance > 1.0].all()
    assert not covered[distance < -1.0].any()
    # Each silhouette corner has a drawn pixel within 1 px.
    drawn = np.column_stack(np.nonzero(covered))[:, ::-1]
    for corner in hull[:, 0]:
        assert np.min(np.linalg.norm(drawn - corner, axis=1)) <= 1.0


def test_projection_matrix_maps_pixel_centres() -> None:
    matrix = projection_matrix(F_PX, C_PX, WIDTH, HEIGHT)
    point = np.array([120.0, -60.0, 2000.0, 1.0])
    clip = matrix @ point
    ndc = clip[:3] / clip[3]
    window = (ndc[:2] + 1) / 2 * [WIDTH, HEIGHT] - 0.5  # GL window coords, centres on integers
    expected = point[:2] / point[2] * F_PX + C_PX
    np.testing.assert_allclose(window, expected, atol=1e-9)
    assert -1 < ndc[2] < 1


def occlusion_scene(prop_depth: float) -> tuple[list[Prop], Occluder, np.ndarray]:
    """A cube covering the middle of the image at prop_depth, a flat body at 3000 mm and a
    person mask: the left half of the cube's area."""
    cube = white_cube(np.eye(3), np.array([0.0, 0.0, prop_depth]), prop_depth * 0.5)
    body_wall = Prop(box(rgba("#808080")), transform(np.eye(3), [0.0, 0.0, 3000.0],
                                                     [20000.0, 20000.0, 1.0]))
    mask = np.zeros((HEIGHT, WIDTH), np.float32)
    mask[60:180, 40:150] = 1.0
    occluder = Occluder(body=[body_wall], mask=BodyMask(mask, np.array([[1.0, 0, 0],
                                                                         [0, 1.0, 0]])))
    return [cube], occluder, mask


def test_a_prop_behind_the_person_is_hidden_exactly_where_the_mask_is(renderer) -> None:
    props, occluder, mask = occlusion_scene(prop_depth=5000.0)
    visible = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), props)[..., 0] > 128
    hidden = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), props, occluder)
    shown = hidden[..., 0] > 128
    assert visible.sum() > 5000
    np.testing.assert_array_equal(shown, visible & (mask < 0.5))


def test_a_prop_in_front_of_the_person_stays_visible(renderer: Renderer) -> None:
    props, occluder, _ = occlusion_scene(prop_depth=2000.0)
    free = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), props)
    masked = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), props, occluder)
    np.testing.assert_array_equal(masked, free)


def test_a_translucent_prop_blends_with_the_frame(renderer: Renderer) -> None:
    half_white = Prop(box(rgba("#ffffff", 0.5), look="glow"), transform(np.eye(3),
                                                                       [0, 0, 3000.0], 500.0))
    frame = np.full((HEIGHT, WIDTH, 3), 100, np.uint8)
    image = renderer.render(frame, [Prop(box(rgba("#ffffff", 0.5)), half_white.model_to_camera,
                                         False)])
    centre = image[HEIGHT // 2 - 3:HEIGHT // 2 + 3, 150:152].astype(float)
    # Premultiplied white at alpha 0.5 over grey 100: about 0.5 * lit white + 50.
    assert 110 < centre.mean() < 190
    assert np.all(image[:5, :5] == 100)


def test_composite_premultiplied_by_hand() -> None:
    background = np.array([[[200, 100, 0]]], np.uint8)
    layer = np.array([[[60, 30, 0, 102]]], np.uint8)  # alpha 0.4
    composite_premultiplied(background, layer)
    np.testing.assert_array_equal(background, [[[60 + 120, 30 + 60, 0]]])


def test_nothing_in_view_returns_the_frame(renderer: Renderer) -> None:
    frame = np.random.default_rng(0).integers(0, 255, (HEIGHT, WIDTH, 3), dtype=np.uint8)
    behind = white_cube(np.eye(3), np.array([0.0, 0.0, -3000.0]), 100.0)
    np.testing.assert_array_equal(renderer.render(frame, [behind]), frame)


def test_where_only_the_mask_has_the_person_back_props_hide_and_others_use_the_chest(
        renderer: Renderer) -> None:
    props, occluder, mask = occlusion_scene(prop_depth=2000.0)
    no_proxy = Occluder(body=[], mask=occluder.mask, fallback_depth_mm=3000.0)
    free = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), props)[..., 0] > 128
    in_front = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), props, no_proxy)
    np.testing.assert_array_equal(in_front[..., 0] > 128, free)    # nearer than the chest
    worn = [Prop(props[0].mesh, props[0].model_to_camera, behind_body=True)]
    on_back = renderer.render(np.zeros((HEIGHT, WIDTH, 3), np.uint8), worn, no_proxy)
    np.testing.assert_array_equal(on_back[..., 0] > 128, free & (mask < 0.5))
