"""The paper's per-frame Psi_C correction on a tiny PoseMachine whose Psi_P is an exact
(orthographic) projection, set by hand, so the 2D target is reachable."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posemachines.correction import describe
from posemachines.correction.paper import PaperCorrectionConfig, correct_paper
from posemachines.errors import PoseInputError
from posemachines.models import PoseMachine, get_config

FRAMES = 24
#: Keeps every hidden unit of the hand-set Psi_P in ReLU's linear range.
OFFSET = 3.0


def _tiny_model() -> PoseMachine:
    config = get_config("lite", {"embed_dim": 16, "lstm_hidden": 16, "lstm_layers": 1,
                                 "refiner_hidden": 32, "projector_hidden": 32})
    torch.manual_seed(0)
    model = PoseMachine(config).eval()
    projection = model.projector.projection
    select_xy = torch.zeros(32, 48)
    for joint in range(16):
        select_xy[2 * joint, 3 * joint] = 1.0
        select_xy[2 * joint + 1, 3 * joint + 1] = 1.0
    with torch.no_grad():
        # Psi_P(p) = xy of p exactly: hidden1 = xy + OFFSET, hidden2/3 = 0 (so the residual
        # passes hidden1 on), out = hidden1 - OFFSET.
        projection.hidden1.weight.copy_(select_xy)
        projection.hidden1.bias.fill_(OFFSET)
        for layer in (projection.hidden2, projection.hidden3):
            layer.weight.zero_()
            layer.bias.zero_()
        projection.out.weight.copy_(torch.eye(32))
        projection.out.bias.fill_(-OFFSET)
    return model


def _toy_clip() -> tuple[torch.Tensor, torch.Tensor]:
    """True normalised 3D (T, 16, 3) and a perturbed copy (the transformer's 'estimate')."""
    generator = torch.Generator().manual_seed(1)
    truth = 0.3 * torch.randn(FRAMES, 16, 3, generator=generator)
    truth[:, 0] = 0.0
    perturbed = truth + 0.05 * torch.randn(FRAMES, 16, 3, generator=generator)
    return truth, perturbed


def _reprojection_error(pose_mm: np.ndarray, target: torch.Tensor) -> np.ndarray:
    return np.linalg.norm(pose_mm[..., :2] / 1000.0 - target.numpy(), axis=-1).mean(-1)


def test_projection_is_exact_and_refiner_starts_as_identity() -> None:
    model = _tiny_model()
    truth, _ = _toy_clip()
    refined, projected = model.projector(truth)
    torch.testing.assert_close(refined, truth)
    torch.testing.assert_close(projected, truth[..., :2])


@pytest.mark.parametrize(
    ("adapt_projection", "learning_rate", "ratio"), [(False, 0.5, 0.8), (True, 0.02, 0.995)]
)
def test_correction_reduces_reprojection_error(
    adapt_projection: bool, learning_rate: float, ratio: float
) -> None:
    # Adapting Psi_P too lets its copy absorb part of the 2D error (and its larger gradients
    # need a smaller step), so the 3D pose moves less.
    model = _tiny_model()
    truth, perturbed = _toy_clip()
    target = truth[..., :2]
    config = PaperCorrectionConfig(steps=3, learning_rate=learning_rate, stop_mm=0.0,
                                   discard_mm=1e9, adapt_projection=adapt_projection)
    pose, info = correct_paper(model, target, intermediate3d_mm=perturbed * 1000.0,
                               confidence=torch.ones(FRAMES, 16), config=config)
    before = _reprojection_error(perturbed.numpy() * 1000.0, target)
    after = _reprojection_error(pose, target)
    assert pose.shape == (FRAMES, 16, 3)
    assert np.all(after < before)
    assert after.mean() < ratio * before.mean()
    assert info.method == "paper"
    assert info.steps.tolist() == [3] * FRAMES and info.kept.all()
    assert np.all(info.displacement_mm > 0)


def test_large_move_is_discarded_by_tau() -> None:
    model = _tiny_model()
    truth, perturbed = _toy_clip()
    config = PaperCorrectionConfig(learning_rate=1e4, discard_mm=20.0)
    pose, info = correct_paper(model, truth[..., :2], intermediate3d_mm=perturbed * 1000.0,
                               config=config)
    assert not info.kept.any()
    assert np.all(info.displacement_mm > 20.0)
    assert describe(info) == (f"paper correction: 0/{FRAMES} frames corrected "
                              f"(mean 1.0 steps, 0.0 mm), {FRAMES} discarded")
    np.testing.assert_allclose(pose, perturbed.numpy() * 1000.0, atol=1e-3)


def test_tiny_steps_stop_early_by_epsilon() -> None:
    model = _tiny_model()
    truth, perturbed = _toy_clip()
    config = PaperCorrectionConfig(steps=5, learning_rate=1e-6, stop_mm=5.0)
    pose, info = correct_paper(model, truth[..., :2], intermediate3d_mm=perturbed * 1000.0,
                               config=config)
    assert info.steps.tolist() == [1] * FRAMES
    assert info.kept.all() and np.all(info.displacement_mm < 5.0)
    assert not np.array_equal(pose, perturbed.numpy() * 1000.0)


def test_shared_weights_are_bit_identical_after_correction() -> None:
    model = _tiny_model()
    before = {name: value.clone() for name, value in model.state_dict().items()}
    truth, perturbed = _toy_clip()
    config = PaperCorrectionConfig(steps=3, learning_rate=0.5, adapt_projection=True,
                                   discard_mm=1e9)
    correct_paper(model, truth[..., :2], intermediate3d_mm=perturbed * 1000.0, config=config)
    after = model.state_dict()
    assert all(torch.equal(before[name], after[name]) for name in before)
    assert all(p.grad is None for p in model.parameters())
    assert not model.training


def test_runs_the_model_when_no_intermediate_pose_is_given() -> None:
    model = _tiny_model()
    generator = torch.Generator().manual_seed(2)
    keypoints = torch.randn(FRAMES, 16, 2, generator=generator)
    visibility_root = torch.ones(FRAMES, 18)
    with torch.no_grad():
        expected = model(keypoints[None],
                         visibility_root=visibility_root[None]).pose3d_mm[0].numpy()
    pose, info = correct_paper(model, keypoints, visibility_root,
                               config=PaperCorrectionConfig(steps=0))
    np.testing.assert_allclose(pose, expected, atol=1e-4)
    assert info.steps.tolist() == [0] * FRAMES and info.kept.all()


def test_bad_shapes_raise_one_clear_error() -> None:
    model = _tiny_model()
    with pytest.raises(PoseInputError, match="keypoints_norm"):
        correct_paper(model, np.zeros((FRAMES, 17, 2)), np.ones((FRAMES, 18)))
    with pytest.raises(PoseInputError, match="NaN"):
        correct_paper(model, np.full((FRAMES, 16, 2), np.nan), np.ones((FRAMES, 18)))
