"""2D-to-3D transformer: both input paths, the LSTM step, streaming, causality, bidirectional."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from posemachines.errors import PoseModelError
from posemachines.models.configs import get_config
from posemachines.models.transformer import PoseTransformer, lstm_step

SMALL = {"embed_dim": 12, "lstm_hidden": 10, "visibility_root_dim": 3}


def _pose_transformer(**overrides) -> PoseTransformer:
    torch.manual_seed(0)
    return PoseTransformer(get_config("lite", {**SMALL, **overrides})).eval()


@pytest.mark.parametrize(("batch", "frames"), [(1, 1), (2, 5)])
def test_pose_path_shapes(batch, frames):
    model = _pose_transformer()
    pose3d, (h, c) = model(torch.randn(batch, frames, 16, 2), torch.randn(batch, frames, 3))
    assert tuple(pose3d.shape) == (batch, frames, 16, 3)
    assert tuple(h.shape) == tuple(c.shape) == (2, batch, 10)


@pytest.mark.parametrize(("batch", "frames"), [(1, 1), (2, 5)])
def test_image_path_convolves_46x46_features_down_to_6x6(batch, frames):
    config = get_config("paper", {"embed_dim": 16, "lstm_hidden": 8})
    model = PoseTransformer(config, feature_channels=128)
    convs = [m for m in model.adapter if isinstance(m, nn.Conv2d)]
    assert [(m.kernel_size, m.stride, m.out_channels) for m in convs] == [((5, 5), (2, 2), 128)] * 2
    assert model.embed[0].in_features == 128 * 6 * 6
    pose3d, _ = model(torch.rand(batch, frames, 128, 46, 46))
    assert tuple(pose3d.shape) == (batch, frames, 16, 3)


def test_lstm_step_matches_nn_lstm():
    torch.manual_seed(0)
    lstm = nn.LSTM(4, 6, batch_first=True)
    x, h, c = torch.randn(3, 4), torch.randn(3, 6), torch.randn(3, 6)
    _, (h_ref, c_ref) = lstm(x[:, None], (h[None], c[None]))
    h_step, c_step = lstm_step(lstm, x, h, c)
    torch.testing.assert_close(h_step, h_ref[0])
    torch.testing.assert_close(c_step, c_ref[0])


def test_frame_by_frame_equals_the_whole_clip():
    model = _pose_transformer()
    keypoints, visibility_root = torch.randn(2, 6, 16, 2), torch.randn(2, 6, 3)
    with torch.no_grad():
        whole, whole_state = model(keypoints, visibility_root)
        state, steps = None, []
        for t in range(6):
            pose, state = model(keypoints[:, t : t + 1], visibility_root[:, t : t + 1], state)
            steps.append(pose)
    torch.testing.assert_close(torch.cat(steps, dim=1), whole, atol=1e-6, rtol=1e-5)
    torch.testing.assert_close(state[0], whole_state[0], atol=1e-6, rtol=1e-5)


def _first_frame_changes_when_the_last_frame_does(model: PoseTransformer) -> bool:
    keypoints, visibility_root = torch.randn(1, 4, 16, 2), torch.randn(1, 4, 3)
    changed = keypoints.clone()
    changed[:, -1] += 1.0
    with torch.no_grad():
        before, _ = model(keypoints, visibility_root)
        after, _ = model(changed, visibility_root)
    return not torch.allclose(before[:, 0], after[:, 0])


def test_unidirectional_is_causal_and_bidirectional_sees_the_future():
    assert not _first_frame_changes_when_the_last_frame_does(_pose_transformer())
    assert _first_frame_changes_when_the_last_frame_does(_pose_transformer(bidirectional=True))


def test_bidirectional_refuses_to_stream():
    model = _pose_transformer(bidirectional=True)
    state = model.initial_state(1)
    with pytest.raises(PoseModelError, match="whole clip"):
        model(torch.randn(1, 1, 16, 2), torch.randn(1, 1, 3), state)
