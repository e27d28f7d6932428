"""Lifting whole clips, windows and single frames: what each LSTM state convention means."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posemachines.correction import correct_geometric
from posemachines.data.lifter_input import mirror_detections, roll_detections, unroll_pose
from posemachines.errors import PoseModelError
from posemachines.evaluation import lifting
from posemachines.evaluation.lifting import (
    check_pose_lifter,
    correct_lift,
    encode_for,
    lift_detections,
    lift_sequences,
)
from posemachines.models import PoseMachine, get_config
from posemachines.skeleton import flip_horizontal

TINY = {"embed_dim": 16, "lstm_hidden": 16, "lstm_layers": 1, "refiner_hidden": 16,
        "projector_hidden": 16, "dropout": 0.0}


@pytest.fixture(scope="module")
def model() -> PoseMachine:
    torch.manual_seed(0)
    return PoseMachine(get_config("lite", TINY)).eval()


@pytest.fixture(scope="module")
def inputs() -> tuple[np.ndarray, np.ndarray]:
    rng = np.random.default_rng(0)
    return (rng.normal(size=(2, 7, 16, 2)).astype(np.float32),
            rng.normal(size=(2, 7, 18)).astype(np.float32))


def forward(model: PoseMachine, keypoints: np.ndarray, visibility_root: np.ndarray) -> np.ndarray:
    with torch.no_grad():
        return model(torch.from_numpy(keypoints),
                     visibility_root=torch.from_numpy(visibility_root)).pose3d_mm.numpy()


def test_whole_clips_stream_the_lstm_over_every_frame(model, inputs):
    keypoints, visibility_root = inputs
    whole = lift_sequences(model, keypoints, visibility_root)
    assert whole.shape == (2, 7, 16, 3)
    np.testing.assert_allclose(whole, forward(model, keypoints, visibility_root), atol=1e-3)
    np.testing.assert_allclose(lift_sequences(model, keypoints, visibility_root, window=7), whole,
                               atol=1e-3)
    # Streaming: frame 6 depends on the earlier frames, so lifting it alone differs.
    alone = forward(model, keypoints[:, 6:], visibility_root[:, 6:])
    assert np.abs(alone[:, 0] - whole[:, 6]).max() > 1e-3


def test_windows_restart_from_a_zero_state(model, inputs):
    keypoints, visibility_root = inputs
    windows = lift_sequences(model, keypoints, visibility_root, window=3)
    for start, stop in ((0, 3), (3, 6), (6, 7)):
        expected = forward(model, keypoints[:, start:stop], visibility_root[:, start:stop])
        np.testing.assert_allclose(windows[:, start:stop], expected, atol=1e-3)


def test_single_frames_reset_the_lstm_every_frame_and_batch_size_does_not_matter(
    model, inputs, monkeypatch
):
    keypoints, visibility_root = inputs
    frames = lift_sequences(model, keypoints, visibility_root, window=1)
    expected = forward(model, keypoints.reshape(14, 1, 16, 2), visibility_root.reshape(14, 1, 18))
    np.testing.assert_allclose(frames, expected.reshape(2, 7, 16, 3), atol=1e-3)
    monkeypatch.setattr(lifting, "MAX_BATCH_FRAMES", 3)
    np.testing.assert_allclose(lift_sequences(model, keypoints, visibility_root, window=1), frames,
                               atol=1e-3)


def test_models_without_extra_features_get_none():
    model = PoseMachine(get_config("lite", {**TINY, "visibility_root_dim": 0}))
    xy = np.random.default_rng(1).uniform(100, 500, (4, 16, 2))
    keypoints, visibility_root = encode_for(model, xy, np.ones((4, 16)), np.array([1000.0, 1000.0]),
                                  np.array([500.0, 500.0]))
    assert keypoints.shape == (4, 16, 2) and visibility_root is None
    assert lift_sequences(model, keypoints[None], None, window=2).shape == (1, 4, 16, 3)


def test_only_pose_lifters_are_accepted():
    with pytest.raises(PoseModelError, match="w.pt is not a pose-only lifter"):
        check_pose_lifter(torch.nn.Linear(2, 2), "w.pt")


def _pinhole(pose_mm: np.ndarray, f_px: float, c_px: np.ndarray) -> np.ndarray:
    return f_px * pose_mm[..., :2] / pose_mm[..., 2:] + c_px


def test_mirrored_detections_are_the_mirrored_body_seen_by_the_same_camera():
    rng = np.random.default_rng(1)
    body = rng.normal(scale=300.0, size=(3, 16, 3)) + [200.0, -100.0, 4000.0]
    c_px = np.array([612.0, 340.0])
    xy = _pinhole(body, 1000.0, c_px)
    mirrored, conf = mirror_detections(xy, np.tile(np.arange(16.0), (3, 1)), c_px)
    np.testing.assert_allclose(mirrored, _pinhole(flip_horizontal(body), 1000.0, c_px))
    # By hand: the right hip (index 1) lands where the left hip (4) was, x reflected about cx.
    np.testing.assert_allclose(mirrored[:, 1, 0], 2 * 612.0 - xy[:, 4, 0])
    np.testing.assert_array_equal(conf[0, [1, 4, 10, 13]], [4.0, 1.0, 13.0, 10.0])


def test_flip_test_lift_is_mirror_equivariant_and_differs_from_one_lift(model):
    rng = np.random.default_rng(2)
    xy = rng.uniform(200, 600, size=(2, 5, 16, 2))
    conf = np.ones((2, 5, 16), dtype=np.float32)
    f_px, c_px = np.full((2, 2), 900.0), np.array([[400.0, 300.0], [420.0, 310.0]])
    averaged = lift_detections(model, xy, conf, f_px, c_px, flip_test=True)
    of_mirror = lift_detections(model, *mirror_detections(xy, conf, c_px), f_px, c_px,
                                flip_test=True)
    np.testing.assert_allclose(of_mirror, flip_horizontal(averaged), atol=1e-4)
    plain = lift_detections(model, xy, conf, f_px, c_px)
    np.testing.assert_allclose(plain, lift_sequences(model, *encode_for(model, xy, conf, f_px,
                                                                        c_px)))
    assert np.abs(plain - averaged).max() > 1e-3


def test_time_reversal_averages_the_forward_and_the_backward_lift(model, inputs):
    keypoints, visibility_root = inputs
    forward_only = forward(model, keypoints, visibility_root)
    backward = forward(model, keypoints[:, ::-1].copy(), visibility_root[:, ::-1].copy())[:, ::-1]
    both = lift_sequences(model, keypoints, visibility_root, time_reversal=True)
    np.testing.assert_allclose(both, 0.5 * (forward_only + backward), atol=1e-5)
    # The average is the same for the clip played backwards: time-reversal equivariant.
    of_reversed = lift_sequences(model, keypoints[:, ::-1], visibility_root[:, ::-1],
                                 time_reversal=True)
    np.testing.assert_allclose(of_reversed, both[:, ::-1], atol=1e-5)
    assert np.abs(forward_only - backward).max() > 1e-3  # a causal LSTM: not symmetric alone
    # One frame played backwards is the same frame.
    one = lift_sequences(model, keypoints[:, :1], visibility_root[:, :1], time_reversal=True)
    np.testing.assert_allclose(one, forward_only[:, :1], atol=1e-4)


def test_lift_detections_time_reversal_with_the_flip_test_and_windows(model):
    rng = np.random.default_rng(3)
    xy = rng.uniform(200, 600, size=(1, 8, 16, 2))
    conf = np.ones((1, 8, 16), dtype=np.float32)
    f_px, c_px = np.full((1, 2), 900.0), np.array([[400.0, 300.0]])
    both = lift_detections(model, xy, conf, f_px, c_px, flip_test=True, time_reversal=True)
    of_reversed = lift_detections(model, xy[:, ::-1], conf[:, ::-1], f_px, c_px,
                                  flip_test=True, time_reversal=True)
    np.testing.assert_allclose(of_reversed, both[:, ::-1], atol=1e-4)
    encoded = encode_for(model, xy, conf, f_px, c_px)
    np.testing.assert_allclose(
        lift_detections(model, xy, conf, f_px, c_px, window=3, time_reversal=True),
        lift_sequences(model, *encoded, window=3, time_reversal=True), atol=1e-5)


def test_an_upright_roll_lifter_turns_with_the_camera(model):
    # Rolling the camera by 0.6 rad about its axis turns the image about the principal point;
    # a lifter that sees every frame rolled upright sees the same input, so its pose turns by
    # exactly that roll about z. A lifter without the roll gives another pose.
    torch.manual_seed(0)
    rolled_model = PoseMachine(get_config("lite", {**TINY, "upright_roll": True})).eval()
    rng = np.random.default_rng(4)
    xy = rng.uniform(200, 600, size=(1, 6, 16, 2))
    conf = np.ones((1, 6, 16), dtype=np.float32)
    f_px, c_px = np.full((1, 2), 900.0), np.array([[400.0, 300.0]])
    turned = roll_detections(xy, c_px, np.full((1, 6), -0.6))
    for model_ in (rolled_model, model):
        options = {"flip_test": True, "time_reversal": True}
        lift = lift_detections(model_, xy, conf, f_px, c_px, **options)
        of_turned = lift_detections(model_, turned, conf, f_px, c_px, **options)
        error = np.abs(of_turned - unroll_pose(lift, np.full((1, 6), 0.6))).max()
        assert error < 1e-3 if model_ is rolled_model else error > 1e-2


def test_correct_lift_runs_the_named_correction_with_the_lifters_focal_length(model):
    rng = np.random.default_rng(5)
    xy = rng.uniform(300, 500, size=(1, 10, 16, 2))
    conf = np.ones((1, 10, 16), dtype=np.float32)
    f_px, c_px = np.full((1, 2), 900.0), np.array([[400.0, 300.0]])
    lift = lift_detections(model, xy, conf, f_px, c_px)[0]
    arguments = (lift, xy[0], conf[0], f_px[0], c_px[0], (800, 600), 25.0)
    untouched = correct_lift(model, *arguments, "none")
    assert untouched.dtype == np.float64
    np.testing.assert_allclose(untouched, lift, atol=1e-6)
    expected = correct_geometric(lift, xy[0], conf[0], image_size=(800, 600), focal_px=900.0,
                                 fps=25.0).pose3d_mm
    corrected = correct_lift(model, *arguments, "geometric")
    np.testing.assert_allclose(corrected, expected, atol=1e-6)
    assert np.abs(corrected - lift).max() > 1.0
