"""Several people in one 3D scene: skeleton3d.mp4 panels and viewer.html with everyone together,
each in their own colour at their own place, hidden where their track has no pose."""

from __future__ import annotations

import dataclasses
import re

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.structures import PoseResult, WorldPose
from posemachines.structures.people import PeopleResult
from posemachines.viz.html_viewer import render_viewer_html, write_html_viewer
from posemachines.viz.people_overlay import person_colour
from posemachines.viz.people_scene import people_scene
from posemachines.viz.skeleton3d import Skeleton3DComposer, skeleton3d_frames
from posemachines.viz.videos import write_videos
from tests.export.sample_poses import rest_pose, scene_camera
from tests.viz.test_html_viewer import inlined_data, needs_chromium, run_chromium

FPS, SIZE, NUM_FRAMES, PANEL = 25.0, (64, 48), 12, 160
#: Person 1 in frames 0-9; person 2 in frames 3-5 and 8-11 (hidden in 6 and 7).
FRAMES = {1: list(range(10)), 2: [3, 4, 5, 8, 9, 10, 11]}
#: World x of each person's root (+X is the filming camera's left): 1 on its left, 2 right.
PLACE_X_MM = {1: 800.0, 2: -800.0}


def person(person_id: int, world: bool) -> PoseResult:
    """The rest skeleton standing PLACE_X_MM[id] across and 3 m before the camera (1.6 m up,
    10 deg down); with world, in the world frame (feet on the floor), else camera frame only."""
    frames = np.array(FRAMES[person_id])
    camera = scene_camera(SIZE)
    upright = rest_pose() * [-1.0, -1.0, 1.0]  # camera frame -> world (Y up, X = Y x Z)
    upright[:, 1] -= upright[:, 1].min()  # the lowest joint on the floor
    joints_world = np.repeat((upright + [PLACE_X_MM[person_id], 0.0, 0.0])[None], len(frames), 0)
    joints_camera = camera.world_to_camera(joints_world)
    pose = joints_camera - joints_camera[:, :1]
    result = PoseResult(
        pose3d_mm=pose, keypoints_px=camera.f_px * joints_camera[..., :2]
        / joints_camera[..., 2:] + camera.c_px,
        confidence=np.ones((len(frames), 16)), frame_indices=frames, timestamps_s=frames / FPS,
        fps=FPS, image_size=SIZE, source="two.mp4",
        missing_frames=tuple(i for i in range(frames[0], frames[-1]) if i not in frames),
        root_translation_mm=joints_camera[:, 0])
    if not world:
        return result
    return dataclasses.replace(result, camera=camera, world=WorldPose(
        frame="world", joints_mm=joints_world, camera_height_mm=1600.0, pitch_deg=10.0,
        roll_deg=0.0))


def two_people(world: bool) -> PeopleResult:
    return PeopleResult({i: person(i, world) for i in FRAMES}, NUM_FRAMES, FPS, SIZE, "two.mp4")


def colour_columns(panel: np.ndarray, colour) -> np.ndarray:
    """x of the pixels of exactly `colour` in an RGB panel."""
    return np.flatnonzero((panel == colour).all(axis=-1).any(axis=0))


@pytest.mark.parametrize("world", [True, False])
def test_scene_keeps_each_person_where_they_stand(world):
    scene = people_scene(two_people(world))
    assert scene.frame == ("world" if world else "camera") and scene.num_steps == NUM_FRAMES
    assert [f.person_id for f in scene.figures] == [1, 2]
    for figure in scene.figures:
        np.testing.assert_array_equal(figure.steps, FRAMES[figure.person_id])
        # world: as given; camera: turned Y up (x -> -x), the same 1.6 m apart
        np.testing.assert_allclose(figure.joints_mm[0, 0, 0], PLACE_X_MM[figure.person_id],
                                   atol=1e-6 if world else 300)
        assert abs(figure.joints_mm[..., 1].min()) < (1e-6 if world else 200)  # on the floor
    if not world:  # a camera pitched 10 deg: the levelled frame is only near the true floor
        gap = scene.figures[0].joints_mm[0, 0] - scene.figures[1].joints_mm[0, 0]
        assert gap[0] == pytest.approx(1600.0, abs=1.0)


@pytest.mark.parametrize("world", [True, False])
def test_skeleton3d_shows_both_people_in_their_colours_at_their_places(world):
    people = two_people(world)
    frames = list(skeleton3d_frames(people, panel_px=PANEL))
    assert len(frames) == NUM_FRAMES and frames[0].shape == (PANEL, 2 * PANEL, 3)
    front = frames[4][:, :PANEL]
    one, two = (colour_columns(front, person_colour(i)) for i in (1, 2))
    assert len(one) > 5 and len(two) > 5
    # The front view looks as the filming camera does: person 1 (its left) on the left.
    assert one.max() < two.min() and one.mean() < PANEL / 2 < two.mean()
    composer = Skeleton3DComposer(people, panel_px=PANEL)
    rotation, eye = composer.world_view.camera(4, 0.0)
    for figure in composer.figures:  # each head where the renderer projects it
        head_px, _ = composer.world_view.project(figure.joints_mm[1, 9], rotation, eye)
        x, y = np.round(head_px).astype(int)
        patch = front[y - 2:y + 3, x - 2:x + 3]
        assert (patch == person_colour(figure.person_id)).all(axis=-1).any()
    hidden = frames[6]  # person 2's track has no pose in frame 6: hidden, person 1 shown
    assert len(colour_columns(hidden, person_colour(2))) == 0
    assert len(colour_columns(hidden, person_colour(1))) > 5
    alone = frames[11]  # frame 11: person 2 only
    assert len(colour_columns(alone, person_colour(1))) == 0


def test_people_videos_from_one_decode(tmp_path):
    people = two_people(True)
    video = [(i, i / FPS, np.full((48, 64, 3), 90, np.uint8)) for i in range(NUM_FRAMES)]
    overlay, skeleton3d = write_videos(video, people, tmp_path / "overlay.mp4",
                                       tmp_path / "skeleton3d.mp4")
    frames = iio.imread(skeleton3d)
    assert frames.shape[0] == NUM_FRAMES and frames.shape[1] == 360
    assert iio.imread(overlay).shape[0] == NUM_FRAMES
    # The video panel shows who is who: the overlay's skeletons in the people's colours.
    panels = list(skeleton3d_frames(people, video, panel_px=PANEL))
    width = 214  # 64 x 48 px scaled to the panel's height, rounded to even
    assert panels[4].shape == (PANEL, width + 2 * PANEL, 3)
    for person_id in (1, 2):
        near = np.abs(panels[4][:, :width].astype(int) - person_colour(person_id)).max(-1) < 30
        assert near.sum() > 20, person_id
    with pytest.raises(PoseDataError, match="labels"):
        write_videos(video, people, tmp_path / "o.mp4", None, ["one text"])


def test_viewer_data_holds_everyone_with_ids_and_frames():
    people = two_people(True)
    data = inlined_data(render_viewer_html(people, video="overlay.mp4"))
    assert data["several"] and data["floor"] and data["video"] == "overlay.mp4"
    assert data["frame_indices"] == list(range(NUM_FRAMES))  # the slider runs over every frame
    assert [s["id"] for s in data["skeletons"]] == [1, 2]
    for skeleton in data["skeletons"]:
        person_id = skeleton["id"]
        assert skeleton["steps"] == FRAMES[person_id]
        assert skeleton["colour"] == "#{:02x}{:02x}{:02x}".format(*person_colour(person_id))
        poses = np.array(skeleton["poses"]).reshape(len(FRAMES[person_id]), 16, 3)
        # world -> display (x, y down, z): a half turn about Z
        np.testing.assert_allclose(poses, people[person_id].world.joints_mm * [-1, -1, 1],
                                   atol=0.05)
    targets = np.array(data["targets"]).reshape(NUM_FRAMES, 3)
    # The view turns about the people's mean root (smoothed over 0.8 s, and person 1 stands
    # alone in frames 0-2): near their middle, 800 mm from each, at the roots' height.
    assert abs(targets[4, 0]) < 200.0
    np.testing.assert_allclose(targets[:, 1], poses[0, 0, 1], atol=0.05)
    assert "2 people on one floor" in data["scene_text"]


@needs_chromium
def test_chromium_draws_everyone_and_hides_the_absent(tmp_path):
    page = write_html_viewer(two_people(True), tmp_path / "viewer.html")

    def person_pixels(step: int) -> dict[int, int]:
        dom = run_chromium(tmp_path, "--dump-dom", page.as_uri() + f"#pose={step}").stdout
        assert re.search(r'id="frame-number">(\d+)<', dom).group(1) == str(step)
        counts = re.search(r'id="person-pixels">([^<]*)<', dom).group(1)
        return {int(k): int(v) for k, v in (item.split(":") for item in counts.split(","))}

    both = person_pixels(4)
    assert both[1] > 200 and both[2] > 200
    hidden = person_pixels(6)
    assert hidden[1] > 200 and hidden[2] == 0


def test_a_spread_out_group_stays_in_view_on_a_wider_grid():
    far = {i: dataclasses.replace(p, world=dataclasses.replace(
        p.world, joints_mm=p.world.joints_mm + [9 * PLACE_X_MM[i], 0.0, 0.0]))
        for i, p in two_people(True)}
    people = PeopleResult(far, NUM_FRAMES, FPS, SIZE)  # 16 m apart instead of 1.6 m
    composer = Skeleton3DComposer(people, panel_px=PANEL)
    view = composer.world_view
    assert view.grid_step_mm == 1000.0 and view.grid_reach_mm >= 8000.0 + 1500.0
    front = composer.compose(4, None)[:, :PANEL]
    one, two = (colour_columns(front, person_colour(i)) for i in (1, 2))
    assert len(one) and len(two) and one.max() < two.min()  # both in the panel, apart


def test_nobody_to_show_draws_the_floor_only(tmp_path):
    nobody = PeopleResult({}, 3, FPS, SIZE)
    frames = list(skeleton3d_frames(nobody, panel_px=PANEL))
    assert len(frames) == 3 and frames[0].max() > 40  # the grid
    assert inlined_data(render_viewer_html(nobody))["skeletons"] == []
