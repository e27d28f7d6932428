"""Action classifier: network, weights files, the shipped weights on held-out mocap, segments."""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pytest
import torch

from posemachines.analysis.action_features import FEATURE_CHANNELS, window_features
from posemachines.analysis.action_taxonomy import ACTION_CLASSES
from posemachines.analysis.actions import (
    ActionModel,
    ActionNet,
    default_action_weights_path,
    load_action_model,
    merge_short_runs,
    recognize_actions,
    resample_poses,
    save_action_model,
    segments_from_labels,
    travelling_is_not_on_the_spot,
)
from posemachines.errors import PoseDataError, PoseModelError
from posemachines.threads import single_thread
from tests.analysis.synthetic import BANDAI_1, BANDAI_2, camera_up, mocap_world_mm, to_camera

#: Held-out takes (never seen by the classifier nor the lifter) and their class.
HELD_OUT = {
    "walk": BANDAI_1 / "dataset-1_walk_active_001.bvh",
    "bow": BANDAI_1 / "dataset-1_bow_active_001.bvh",
    "wave": BANDAI_2 / "dataset-2_wave-both-hands_normal_006.bvh",
    "run": BANDAI_2 / "dataset-2_run_masculine_006.bvh",
}


@pytest.fixture(scope="module")
def shipped() -> ActionModel:
    return load_action_model()


def test_network_shape_and_parameter_count():
    net = ActionNet(15)
    logits = net(torch.zeros(4, FEATURE_CHANNELS, 60))
    assert logits.shape == (4, 15)
    convs = (90 * 64 * 5 + 64) + (64 * 96 * 5 + 96) + (96 * 128 * 5 + 128)
    norms = 2 * (64 + 96 + 128)
    assert sum(p.numel() for p in net.parameters()) == convs + norms + 256 * 15 + 15


def test_a_tiny_overfit_converges():
    torch.manual_seed(0)
    features = torch.randn(16, FEATURE_CHANNELS, 60)
    labels = torch.arange(16) % 3
    net = ActionNet(3, widths=(16, 16, 16), dropout=0.0)
    optimiser = torch.optim.Adam(net.parameters(), lr=1e-2)
    with single_thread():  # tiny tensors: waiting for a second thread on a busy CPU is slow
        for _ in range(60):
            loss = torch.nn.functional.cross_entropy(net(features), labels)
            optimiser.zero_grad()
            loss.backward()
            optimiser.step()
    assert loss.item() < 0.05


def test_save_and_load_round_trip(tmp_path):
    net = ActionNet(3, widths=(8, 8, 8)).eval()
    path = save_action_model(tmp_path / "a.pt",
                             ActionModel(net, ("a", "b", "c"), {"x": 1}, lifter="lite"))
    loaded = load_action_model(path)
    assert loaded.classes == ("a", "b", "c") and loaded.metrics == {"x": 1}
    assert loaded.lifter == "lite"
    payload = torch.load(path, weights_only=True)
    del payload["lifter"]
    payload["version"] = 1  # written before the classifier named its lifter
    torch.save(payload, tmp_path / "v1.pt")
    assert load_action_model(tmp_path / "v1.pt").lifter == ""
    payload["version"] = 3
    torch.save(payload, tmp_path / "v3.pt")
    with pytest.raises(PoseModelError, match="version 3; this posemachines reads versions 1, 2"):
        load_action_model(tmp_path / "v3.pt")
    features = np.random.default_rng(0).normal(size=(2, FEATURE_CHANNELS, 60)).astype(np.float32)
    np.testing.assert_allclose(loaded.probabilities(features),
                               torch.softmax(net(torch.from_numpy(features)), 1).detach().numpy(),
                               atol=1e-6)


def test_bad_weight_files_are_refused(tmp_path):
    with pytest.raises(PoseModelError, match="do not exist"):
        load_action_model(tmp_path / "missing.pt")
    (tmp_path / "junk.pt").write_bytes(b"not a torch file")
    with pytest.raises(PoseModelError, match="truncated or not a torch file"):
        load_action_model(tmp_path / "junk.pt")
    torch.save({"format": "something else"}, tmp_path / "other.pt")
    with pytest.raises(PoseModelError, match="not a posemachines action classifier"):
        load_action_model(tmp_path / "other.pt")


def test_shipped_weights_cover_the_taxonomy_and_carry_their_numbers(shipped):
    assert default_action_weights_path().is_file()
    assert shipped.classes == ACTION_CLASSES
    for condition in ("clean mocap 3D", "lifter 3D"):
        assert 0.0 < shipped.metrics["test"][condition]["macro_f1"] <= 1.0


@pytest.mark.parametrize("action", sorted(HELD_OUT))
def test_shipped_weights_classify_held_out_mocap_windows(shipped, shared_data: Path, action):
    world = mocap_world_mm(shared_data / HELD_OUT[action])
    middle = len(world) // 2
    windows = np.stack([world[s: s + 60] for s in (middle - 40, middle - 30, middle - 20)])
    camera = np.stack([to_camera(w, pitch_deg=20, yaw_deg=110) for w in windows])
    predicted = shipped.probabilities(window_features(camera, camera_up(20, 110))).argmax(axis=1)
    assert [ACTION_CLASSES[k] for k in predicted] == [action] * 3


def test_segments_are_contiguous_and_cover_a_real_walk_then_wave(shipped, shared_data: Path):
    walk = to_camera(mocap_world_mm(shared_data / HELD_OUT["walk"]))
    wave = to_camera(mocap_world_mm(shared_data / HELD_OUT["wave"]))
    poses = np.concatenate([walk, wave])
    times = np.arange(len(poses)) / 30.0
    keep = np.ones(len(poses), dtype=bool)
    keep[100:110] = False  # a gap where no person was found
    timeline = recognize_actions(poses[keep], times[keep], model=shipped)
    segments = timeline.segments
    assert segments[0].start_row == 0 and segments[-1].end_row == keep.sum() - 1
    for before, after in zip(segments[:-1], segments[1:], strict=True):
        assert after.start_row == before.end_row + 1 and after.label != before.label
    assert len(timeline.labels) == keep.sum()
    np.testing.assert_allclose(timeline.probabilities.sum(axis=1), 1.0, atol=1e-5)
    assert timeline.labels[20] == "walk" and timeline.labels[-60] == "wave"


def test_long_gaps_are_not_bridged_and_short_stretches_are_unknown(shipped, shared_data):
    walk = to_camera(mocap_world_mm(shared_data / HELD_OUT["walk"]))[:120]
    times = np.r_[np.arange(90) / 30.0, 5.0 + np.arange(30) / 30.0]  # 2 s gap, then 1 s
    timeline = recognize_actions(walk, times, model=shipped)
    last = timeline.segments[-1]
    assert (last.start_row, last.end_row, last.label, last.confidence) == (90, 119, "unknown", 0)
    assert set(timeline.labels[:90]) == {"walk"}
    assert np.all(timeline.label_probability[90:] == 0) and timeline.label_probability[0] > 0.5


def test_stretches_all_shorter_than_a_window_are_refused(shipped, shared_data):
    walk = to_camera(mocap_world_mm(shared_data / HELD_OUT["walk"]))[:90]
    times = np.r_[np.arange(45) / 30.0, 3.0 + np.arange(45) / 30.0]
    with pytest.raises(PoseDataError, match="without a gap over 0.5 s .* got 1.47 s"):
        recognize_actions(walk, times, model=shipped)


def test_on_the_spot_probability_goes_to_walking_only_where_the_root_travels():
    probabilities = np.array([[0.5, 0.1, 0.1, 0.3], [0.5, 0.1, 0.1, 0.3], [0.1, 0.1, 0.1, 0.7]])
    classes = ("stand", "walk", "climb", "dance")
    moved = travelling_is_not_on_the_spot(probabilities, classes, np.array([0.39, 0.41, 0.9]))
    np.testing.assert_allclose(moved, [[0.5, 0.1, 0.1, 0.3], [0.0, 0.7, 0.0, 0.3],
                                       [0.0, 0.3, 0.0, 0.7]])
    assert travelling_is_not_on_the_spot(probabilities, ("stand", "run", "climb", "dance"),
                                         np.ones(3)) is probabilities


def test_a_still_upright_body_crossing_the_floor_is_walking(shipped, shared_data: Path):
    held = to_camera(np.repeat(mocap_world_mm(shared_data / HELD_OUT["walk"])[5:6], 90, axis=0))
    times = np.arange(90) / 30.0
    for travel, label in ((None, "stand"), (np.full(90, 0.3), "stand"), (np.full(90, 0.6), "walk")):
        timeline = recognize_actions(held, times, model=shipped, travel_leg_per_s=travel)
        assert [s.label for s in timeline.segments] == [label]
        assert timeline.segments[0].confidence > 0.9  # stand's probability, moved to walk
    with pytest.raises(PoseDataError, match="one speed per pose"):
        recognize_actions(held, times, model=shipped, travel_leg_per_s=np.ones(89))


def test_merging_short_runs_relabels_them_as_the_likelier_neighbour():
    labels = np.array([0, 0, 0, 0, 2, 1, 1, 1, 1, 1])
    probabilities = np.full((10, 3), 0.1)
    probabilities[4] = [0.2, 0.35, 0.45]
    merged = merge_short_runs(labels, probabilities, min_rows=2)
    np.testing.assert_array_equal(merged, [0, 0, 0, 0, 1, 1, 1, 1, 1, 1])
    segments = segments_from_labels(merged, probabilities, ("a", "b", "c"))
    assert [(s.start_row, s.end_row, s.label) for s in segments] == [(0, 3, "a"), (4, 9, "b")]
    assert segments[1].confidence == pytest.approx((0.35 + 5 * 0.1) / 6, abs=1e-3)


def test_resampling_fills_gaps_linearly():
    poses = np.zeros((3, 16, 3))
    poses[:, 5, 0] = [0.0, 30.0, 90.0]
    resampled, grid = resample_poses(poses, np.array([0.0, 1 / 30, 3 / 30]))
    np.testing.assert_allclose(grid, np.arange(4) / 30)
    np.testing.assert_allclose(resampled[:, 5, 0], [0, 30, 60, 90])


def test_too_short_sequences_are_refused(shipped, shared_data: Path):
    poses = to_camera(mocap_world_mm(shared_data / HELD_OUT["walk"])[:45])
    with pytest.raises(PoseDataError, match="needs at least 1.97 s of poses .* got 1.47 s"):
        recognize_actions(poses, np.arange(45) / 30.0, model=shipped)


@pytest.mark.parametrize(("poses", "message"), [
    (np.zeros((90, 16, 3)), "holds no 3D poses"),
    (np.zeros((90, 16, 2)), "needs 3D poses \\(T, 16, 3\\)"),
    (np.full((90, 16, 3), np.nan), "NaN"),
])
def test_results_without_3d_are_refused(shipped, poses, message):
    with pytest.raises(PoseDataError, match=message):
        recognize_actions(poses, np.arange(90) / 30.0, model=shipped)
