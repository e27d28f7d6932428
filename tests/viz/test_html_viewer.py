"""viewer.html: self-contained page, inlined data, and a real render in headless Chromium."""

from __future__ import annotations

import dataclasses
import json
import re
import subprocess
from pathlib import Path

import imageio.v3 as iio
import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.viz.drawing import LEFT_RGB, RIGHT_RGB
from posemachines.viz.html_viewer import render_viewer_html, write_html_viewer
from tests.export.sample_poses import add_scene, make_result, random_poses

CHROMIUM = Path("/usr/bin/chromium")
needs_chromium = pytest.mark.skipif(
    not CHROMIUM.exists(),
    reason="headless Chromium not installed (apt-get install -y chromium); CI installs it",
)


@pytest.fixture(scope="module")
def result():
    poses = random_poses(12, seed=4, max_angle_deg=20)
    return dataclasses.replace(
        make_result(12), pose3d_mm=poses, source="clips/</script><b>walk.mp4",
        frame_indices=np.arange(12), timestamps_s=np.arange(12) / 25.0, missing_frames=())


def inlined_data(page: str) -> dict:
    match = re.search(r'<script id="pose-data" type="application/json">(.*?)</script>', page,
                      re.DOTALL)
    assert match is not None
    return json.loads(match.group(1))


def test_page_is_self_contained_and_inlines_the_poses(result):
    page = render_viewer_html(result)
    assert "<script src" not in page and "http://" not in page and "https://" not in page
    data = inlined_data(page)  # the "</script>" in the source name did not end the element
    assert data["source"] == result.source
    (skeleton,) = data["skeletons"]
    assert skeleton["id"] is None and skeleton["steps"] is None and not data["floor"]
    poses = np.array(skeleton["poses"]).reshape(12, 16, 3)
    np.testing.assert_allclose(poses, result.pose3d_mm, atol=0.05)
    assert data["frame_indices"] == list(range(12)) and len(skeleton["confidence"]) == 12 * 16
    assert page.split("</title>")[0].endswith("script&gt;&lt;b&gt;walk.mp4")  # escaped


def test_unwritable_path_raises_pose_data_error(result, tmp_path):
    blocker = tmp_path / "a_file"
    blocker.write_text("")
    with pytest.raises(PoseDataError, match="Cannot write HTML viewer"):
        write_html_viewer(result, blocker / "viewer.html")


def run_chromium(tmp_path: Path, *arguments: str) -> subprocess.CompletedProcess:
    command = [
        str(CHROMIUM), "--headless", "--no-sandbox", "--disable-gpu",
        "--disable-background-networking", "--disable-component-update", "--disable-sync",
        "--no-first-run", f"--user-data-dir={tmp_path / 'profile'}", *arguments,
    ]
    return subprocess.run(command, capture_output=True, text=True, timeout=120, check=False)


@needs_chromium
def test_chromium_runs_the_page_and_draws_the_skeleton(result, tmp_path):
    page = write_html_viewer(result, tmp_path / "viewer.html")
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri()).stdout
    assert re.search(r'id="frame-count">(\d+)<', dom).group(1) == "12"
    assert int(re.search(r'id="skeleton-pixels">(\d+)<', dom).group(1)) > 200
    screenshot = tmp_path / "viewer.png"
    run_chromium(tmp_path, "--hide-scrollbars", f"--screenshot={screenshot}",
                 "--window-size=640,480", page.as_uri())
    image = iio.imread(screenshot)[..., :3].astype(int)
    assert image.shape == (480, 640, 3)
    for colour in (LEFT_RGB, RIGHT_RGB):
        assert (np.abs(image - colour).max(axis=-1) < 8).sum() > 50, colour


@pytest.fixture(scope="module")
def world_result(result):
    return add_scene(result)


def test_world_page_inlines_the_walk_and_its_footprints(world_result):
    data = inlined_data(render_viewer_html(world_result, video="overlay.mp4"))
    (skeleton,) = data["skeletons"]
    assert data["floor"] and data["ground"] == 0.0
    display = np.array(skeleton["poses"]).reshape(12, 16, 3)
    # world (Y up) -> display (y down, floor y = 0): a half turn about Z
    np.testing.assert_allclose(display, world_result.world.joints_mm * [-1, -1, 1], atol=0.05)
    targets = np.array(data["targets"]).reshape(12, 3)  # the view follows the root
    np.testing.assert_allclose(targets[:, [0, 2]], display[:, 0, [0, 2]], atol=0.05)
    prints = skeleton["footprints"]
    # add_scene puts RFoot down on even frames and LFoot on odd ones: 6 one-frame prints each
    assert len(prints) == 12
    first = prints[0]
    assert (first["start"], first["stop"]) == (0, 1)
    np.testing.assert_allclose(first["xyz"], world_result.world.joints_mm[0, 3] * [-1, -1, 1],
                               atol=0.05)
    assert data["video"] == "overlay.mp4"
    assert data["scene_text"].startswith("camera 1.60 m above the floor, pitch +10 deg")
    assert "A test warning." in data["scene_text"]


def test_the_view_fits_a_person_who_sits_up_then_lies_most_of_the_clip(world_result):
    # 4 frames as add_scene stands them (root 900 mm up), then 8 lying flat 100 mm over the
    # floor: the view's height is the median frame's middle (lying), and its radius still
    # reaches the head of the frames standing.
    joints = world_result.world.joints_mm.copy()
    root = joints[:, :1]
    lying = joints[4:].copy()
    lying[..., 2] = root[4:, :, 2] + (joints[4:, :, 1] - root[4:, :, 1])
    lying[..., 1] = 100.0
    joints[4:] = lying
    scene = dataclasses.replace(world_result, world=dataclasses.replace(
        world_result.world, joints_mm=joints))
    data = inlined_data(render_viewer_html(scene))
    targets = np.array(data["targets"]).reshape(12, 3)
    np.testing.assert_allclose(targets[:, 1], -100.0)  # display y is down
    display = joints * [-1, -1, 1]
    reach = np.linalg.norm(display[:4] - targets[:4, None], axis=-1).max()
    assert reach > 1300 and data["radius"] >= reach


def test_camera_frame_fallback_draws_no_floor_path(world_result):
    fallback = dataclasses.replace(world_result, world=dataclasses.replace(
        world_result.world, frame="camera", contacts=None))
    data = inlined_data(render_viewer_html(fallback))
    assert not data["floor"] and data["targets"] is None and data["video"] is None
    assert data["scene_text"] == "A test warning."


@needs_chromium
def test_chromium_draws_the_world_page(world_result, tmp_path):
    page = write_html_viewer(world_result, tmp_path / "viewer.html")
    dom = run_chromium(tmp_path, "--dump-dom", page.as_uri() + "#pose=6").stdout
    assert re.search(r'id="frame-number">(\d+)<', dom).group(1) == "6"
    assert int(re.search(r'id="skeleton-pixels">(\d+)<', dom).group(1)) > 200
