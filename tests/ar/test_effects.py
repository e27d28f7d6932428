"""Every effect on the synthetic person: where its props land, what hides them, the API."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.ar import EFFECTS, ArCompositor, BodyMask, describe_effects, effect_names
from posemachines.ar.accuracy import anchor_accuracy
from posemachines.ar.rig import HEAD, LFOOT, LWRIST, RWRIST, THORAX
from posemachines.camera import project_points
from posemachines.errors import PoseDataError, PoseInputError
from tests.ar.synthetic import C_PX, F_PX, HEIGHT, WIDTH, standing_result

GREY = np.full((HEIGHT, WIDTH, 3), 90, np.uint8)


@pytest.fixture(scope="module")
def result():
    return standing_result(num_frames=30, sway_mm=150.0)


def changed(image: np.ndarray) -> np.ndarray:
    return np.abs(image.astype(int) - GREY).max(axis=2) > 20


@pytest.mark.parametrize("name", list(EFFECTS))
def test_every_effect_draws_a_real_mesh_near_its_anchors(result, name: str) -> None:
    compositor = ArCompositor(result, name)
    frame = 15
    props = compositor.props(frame)
    assert props and all(len(p.mesh.faces) >= 12 for p in props)
    drawn = changed(compositor.render(frame, GREY))
    assert drawn.sum() > 150, f"{name} drew {drawn.sum()} px"
    rows, cols = np.nonzero(drawn)
    anchors = project_points(compositor.scene.joints(frame)[list(compositor.effects[0].anchors)],
                             F_PX, C_PX)
    # The drawing lies around its anchors (within half the person's image height: the trail
    # lies on the floor under its anchor, the hip).
    reach = 0.5 * 345
    centre = np.array([cols.mean(), rows.mean()])
    assert np.min(np.linalg.norm(anchors - centre, axis=1)) < reach


def test_headwear_sits_on_the_head_and_turns_with_it(result) -> None:
    compositor = ArCompositor(result, "crown")
    joints = compositor.scene.joints(10)
    head, thorax = project_points(joints[[HEAD, THORAX]], F_PX, C_PX)
    rows, cols = np.nonzero(changed(compositor.render(10, GREY)))
    assert abs(cols.mean() - head[0]) < 6                     # centred on the head
    assert rows.max() < thorax[1] and rows.min() < head[1]    # above the neck, up to the top
    turned = compositor.scene.head[10]
    assert turned[:, 1] @ np.array([0, -1.0, 0]) > 0.99        # upright person: up is -y


def test_gloves_follow_the_wrists(result) -> None:
    compositor = ArCompositor(result, "gloves")
    wrists = project_points(compositor.scene.joints(5)[[LWRIST, RWRIST]], F_PX, C_PX)
    drawn = changed(compositor.render(5, GREY))
    for u, v in wrists:
        window = drawn[int(v) - 5:int(v) + 30, int(u) - 15:int(u) + 15]
        assert window.mean() > 0.5


def test_the_cape_hides_behind_a_person_seen_from_the_front(result) -> None:
    compositor = ArCompositor(result, "cape")
    unmasked = changed(compositor.renderer.render(GREY, compositor.props(8)))
    silhouette = np.zeros((HEIGHT, WIDTH), np.float32)
    rows, cols = np.nonzero(unmasked)
    silhouette[rows.min():rows.max() + 1, cols.min() + 12:cols.max() - 11] = 1.0
    mask = BodyMask(silhouette, np.array([[1.0, 0, 0], [0, 1.0, 0]]))
    behind = changed(compositor.render(8, GREY, mask))
    assert unmasked.sum() > 1000
    assert not behind[silhouette > 0.5].any()                 # hidden where the person is
    np.testing.assert_array_equal(behind[silhouette < 0.5], unmasked[silhouette < 0.5])


def test_footprints_lie_on_the_floor_under_the_feet(result) -> None:
    compositor = ArCompositor(result, "footprints")
    foot = project_points(compositor.scene.joints(20)[LFOOT], F_PX, C_PX)
    rows, cols = np.nonzero(changed(compositor.render(20, GREY)))
    assert rows.min() > foot[1] - 3                           # below the ankles
    assert np.min(np.abs(cols - foot[0])) < 5


def test_anchors_project_onto_the_keypoints_and_shake_less() -> None:
    noisy = standing_result(num_frames=60, sway_mm=150.0, noise_px=2.0, seed=3)
    compositor = ArCompositor(noisy, list(EFFECTS))
    for row in anchor_accuracy(noisy, compositor):
        assert row.median_px < 5.0, row
        assert row.jitter_px < row.keypoint_jitter_px, row


def test_effect_names_and_list() -> None:
    assert effect_names("crown, cape,crown") == ("crown", "cape")
    with pytest.raises(PoseInputError, match="known: crown"):
        effect_names("crown,hat")
    lines = describe_effects().splitlines()
    assert len(lines) == len(EFFECTS) >= 6
    assert lines[0].startswith("crown ")


def test_a_result_without_camera_or_trajectory_is_refused(result) -> None:
    with pytest.raises(PoseDataError, match="camera"):
        ArCompositor(type(result)(**{**result.__dict__, "camera": None}), "crown")
    with pytest.raises(PoseDataError, match="root_translation_mm"):
        ArCompositor(type(result)(**{**result.__dict__, "root_translation_mm": None}), "crown")


def test_frames_without_a_person_pass_through(result) -> None:
    compositor = ArCompositor(result, "glow", num_frames=40)
    np.testing.assert_array_equal(compositor.render(39, GREY), GREY)


def test_a_single_image_gets_every_effect() -> None:
    compositor = ArCompositor(standing_result(num_frames=1), list(EFFECTS))
    assert changed(compositor.render(0, GREY)).sum() > 2000


def test_face_landmarks_turn_the_head_and_put_the_glasses_on_the_eyes(result) -> None:
    # Face turned 90 deg to the person's left (image right): the ears lie along the depth.
    face = np.full((30, 4, 3), np.nan)
    face[:, :, 0] = [330.0, 326.0, 316.0, 316.0]
    face[:, :, 1] = [120.0, 120.0, 121.0, 121.0]
    face[:, :, 2] = [-4.0, 4.0, 12.0, -12.0]  # left ear far (+z), right ear near, eyes ahead
    turned = ArCompositor(result, "glasses", face_px=face)
    left, up, forward = turned.scene.head[12].T
    np.testing.assert_allclose(left, [0, 0, 1], atol=0.05)       # the left ear is away
    assert forward[0] > 0.95                                      # looking to image right
    eyes_px = project_points(turned.scene.eyes_mm[12], F_PX, C_PX)
    np.testing.assert_allclose(eyes_px, [328.0, 120.0], atol=0.5)
    bridge = turned.props(12)[0].model_to_camera @ np.r_[turned.effects[0].bridge, 1.0]
    np.testing.assert_allclose(project_points(bridge[:3], F_PX, C_PX), [328.0, 120.0], atol=0.5)
    without = ArCompositor(result, "glasses")
    assert without.scene.eyes_mm is None
    assert without.scene.head[12][2, 2] < -0.95                   # facing the camera
