"""3D-to-2D projector: Psi_C / Psi_P layout, residual start, functional call under vmap/grad."""

from __future__ import annotations

import pytest
import torch
from torch.func import grad, vmap

from posemachines.models.configs import get_config
from posemachines.models.projector import PoseProjection, PoseProjector, PoseRefiner


def _projector(**overrides) -> PoseProjector:
    torch.manual_seed(0)
    config = get_config("lite", {"refiner_hidden": 8, "projector_hidden": 6, **overrides})
    return PoseProjector(config).eval()


@pytest.mark.parametrize("leading", [(1,), (2, 5)])
def test_shapes(leading):
    refined, projected = _projector()(torch.randn(*leading, 16, 3))
    assert tuple(refined.shape) == (*leading, 16, 3)
    assert tuple(projected.shape) == (*leading, 16, 2)


def test_paper_sizes():
    projector = PoseProjector(get_config("paper"))
    layers = projector.refiner.layers
    sizes = (layers[0].in_features, layers[0].out_features, layers[-1].out_features)
    assert sizes == (48, 1024, 48)
    projection = projector.projection
    sizes = [
        (m.in_features, m.out_features)
        for m in (projection.hidden1, projection.hidden2, projection.hidden3, projection.out)
    ]
    assert sizes == [(48, 1024), (1024, 1024), (1024, 1024), (1024, 32)]


def test_residual_refiner_starts_as_the_identity_and_direct_one_does_not():
    pose = torch.randn(3, 16, 3)
    torch.testing.assert_close(PoseRefiner(16, 8, 0.0, residual=True)(pose), pose)
    assert not torch.allclose(PoseRefiner(16, 8, 0.0, residual=False)(pose), pose)


def test_projection_adds_the_first_hidden_layer_to_the_third():
    projection = PoseProjection(num_joints=1, hidden=2, dropout=0.0)
    with torch.no_grad():
        for layer in (projection.hidden1, projection.hidden2, projection.hidden3, projection.out):
            layer.weight.zero_()
            layer.bias.zero_()
        projection.hidden1.weight[0, 0] = 2.0  # first hidden unit = relu(2 x)
        projection.hidden3.bias[1] = 0.5  # third layer's second unit = 0.5
        projection.out.weight.copy_(torch.eye(2))
    out = projection(torch.tensor([[[3.0, 0.0, 0.0]]]))  # (1, K=1, 3)
    # out = third + first = [0 + 6, 0.5 + 0]
    torch.testing.assert_close(out, torch.tensor([[[6.0, 0.5]]]))


def test_functional_call_uses_the_given_parameters_and_leaves_shared_ones_alone():
    projector = _projector(refiner_residual=False)
    pose = torch.randn(4, 16, 3)
    params = {k: v.detach().clone() for k, v in projector.named_parameters()}
    torch.testing.assert_close(projector.functional(params, pose)[0], projector(pose)[0])
    before = projector.refiner.layers[0].weight.detach().clone()
    shifted = {"refiner.layers.3.bias": params["refiner.layers.3.bias"] + 1.0}
    refined_copy, _ = projector.functional(shifted, pose)
    torch.testing.assert_close(refined_copy, projector(pose)[0] + 1.0)
    torch.testing.assert_close(projector.refiner.layers[0].weight, before)


def test_vmap_over_per_frame_parameter_copies_matches_a_loop():
    projector = _projector()
    frames = 5
    poses = torch.randn(frames, 16, 3)
    refiner = {k: v.detach() for k, v in projector.named_parameters() if k.startswith("refiner")}
    stacked = {k: v + 0.01 * torch.randn(frames, *v.shape) for k, v in refiner.items()}

    batched = vmap(projector.functional)(stacked, poses)
    for t in range(frames):
        single = projector.functional({k: v[t] for k, v in stacked.items()}, poses[t])
        torch.testing.assert_close(batched[0][t], single[0])
        torch.testing.assert_close(batched[1][t], single[1])

    def projection_loss(params, pose, target2d):
        return (projector.functional(params, pose)[1] - target2d).square().mean()

    targets = torch.randn(frames, 16, 2)
    grads = vmap(grad(projection_loss))(stacked, poses, targets)
    assert set(grads) == set(stacked)
    for name, value in grads.items():
        assert value.shape == stacked[name].shape
    loop_grad = grad(projection_loss)({k: v[2] for k, v in stacked.items()}, poses[2], targets[2])
    for name, value in loop_grad.items():
        torch.testing.assert_close(grads[name][2], value)
