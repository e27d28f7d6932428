"""PoseMachine: output shapes for every config, streaming = whole clip, units, input errors,
and a tiny overfit of the pose-only path."""

from __future__ import annotations

import math

import pytest
import torch

from posemachines.errors import PoseInputError
from posemachines.models import PoseMachine, PoseOutput, get_config
from posemachines.models.complexity import example_inputs

#: Image-path configs run at 48 px (the full-width paper trunk stays affordable on CPU).
SMALL_INPUT = {"paper": {"image_size": 48}, "lite-image": {"image_size": 48}}


@pytest.fixture(scope="module", params=["lite", "paper-pose", "lite-image", "paper"])
def model(request) -> PoseMachine:
    torch.manual_seed(0)
    return PoseMachine(get_config(request.param, SMALL_INPUT.get(request.param))).eval()


@pytest.mark.parametrize(("batch", "frames"), [(1, 1), (2, 5)])
def test_output_shapes(model, batch, frames):
    config = model.config
    inputs, visibility_root = example_inputs(config, batch, frames)
    with torch.no_grad():
        out = model(inputs, visibility_root=visibility_root)
    assert isinstance(out, PoseOutput)
    assert tuple(out.pose3d_mm.shape) == (batch, frames, 16, 3)
    assert tuple(out.intermediate3d_mm.shape) == (batch, frames, 16, 3)
    assert tuple(out.projection2d_norm.shape) == (batch, frames, 16, 2)
    assert all(tuple(s.shape) == (2, batch, config.lstm_hidden) for s in out.state)
    if config.input_path == "image":
        cells = config.belief_size
        assert tuple(out.pose2d_px.shape) == (batch, frames, 16, 2)
        assert tuple(out.beliefs.shape) == (batch, frames, config.cpm_stages, 17, cells, cells)
    else:
        assert out.pose2d_px is None and out.beliefs is None


@pytest.mark.parametrize("name", ["lite", "lite-image"])
def test_streaming_frame_by_frame_equals_the_whole_clip(name):
    torch.manual_seed(0)
    model = PoseMachine(get_config(name, SMALL_INPUT.get(name))).eval()
    inputs, visibility_root = example_inputs(model.config, batch=2, frames=5)
    with torch.no_grad():
        whole = model(inputs, visibility_root=visibility_root)
        state, poses = None, []
        for t in range(5):
            step = model(
                inputs[:, t : t + 1], state,
                visibility_root=None if visibility_root is None
                else visibility_root[:, t : t + 1],
            )
            state = step.state
            poses.append(step.pose3d_mm)
    torch.testing.assert_close(torch.cat(poses, dim=1), whole.pose3d_mm, atol=1e-3, rtol=1e-5)
    torch.testing.assert_close(state[1], whole.state[1], atol=1e-6, rtol=1e-5)


def test_output_scale_is_a_saved_buffer_that_turns_units_into_mm():
    torch.manual_seed(0)
    model = PoseMachine(get_config("lite")).eval()
    assert float(model.state_dict()["output_scale_mm"]) == 1000.0
    inputs, visibility_root = example_inputs(model.config, 1, 2)
    with torch.no_grad():
        before = model(inputs, visibility_root=visibility_root)
        model.output_scale_mm.fill_(10.0)
        after = model(inputs, visibility_root=visibility_root)
    torch.testing.assert_close(after.pose3d_mm * 100, before.pose3d_mm)
    torch.testing.assert_close(after.projection2d_norm, before.projection2d_norm)


@pytest.mark.parametrize(
    ("inputs", "visibility_root", "state", "message"),
    [
        (torch.zeros(1, 2, 17, 2), torch.zeros(1, 2, 18), None, r"keypoints \(B, T, 16, 2\)"),
        (torch.zeros(2, 16, 2), torch.zeros(1, 2, 18), None, "keypoints"),
        (torch.zeros(1, 2, 16, 2, dtype=torch.long), torch.zeros(1, 2, 18), None, "float"),
        (torch.zeros(1, 2, 16, 2), None, None, r"visibility_root features of shape \(1, 2, 18\)"),
        (torch.zeros(1, 2, 16, 2), torch.zeros(1, 3, 18), None, "visibility_root features"),
        (torch.zeros(1, 2, 16, 2), torch.zeros(1, 2, 18), (torch.zeros(2, 1, 5),) * 2, "state"),
    ],
)
def test_bad_inputs_raise_one_sentence(inputs, visibility_root, state, message):
    model = PoseMachine(get_config("lite"))
    with pytest.raises(PoseInputError, match=message):
        model(inputs, state, visibility_root=visibility_root)


def test_image_model_rejects_keypoints():
    model = PoseMachine(get_config("lite-image", {"image_size": 48}))
    with pytest.raises(PoseInputError, match=r"frames \(B, T, 3, 48, 48\)"):
        model(torch.zeros(1, 1, 16, 2))


def _rest_pose_mm() -> torch.Tensor:
    """A standing 16-joint pose, mm, camera axes (x right, y down), root at the origin."""
    return torch.tensor(
        [
            [0, 0, 0],
            [-130, 0, 0],
            [-130, 450, 0],
            [-130, 880, 0],
            [130, 0, 0],
            [130, 450, 0],
            [130, 880, 0],
            [0, -230, 0],
            [0, -480, 0],
            [0, -700, 0],
            [170, -460, 0],
            [420, -460, 0],
            [650, -460, 0],
            [-170, -460, 0],
            [-420, -460, 0],
            [-650, -460, 0],
        ],
        dtype=torch.float32,
    )


def _synthetic_clips(clips: int, frames: int) -> tuple[torch.Tensor, torch.Tensor]:
    """Learnable lifting data: limbs moved in the body plane, the body turned 0-60 deg about
    the vertical, seen by a pinhole camera 4 m away. Returns normalised 2D (N, T, 16, 2)
    (root-centred, divided by the mean joint distance from the root) and 3D mm (N, T, 16, 3)."""
    generator = torch.Generator().manual_seed(0)
    limbs = [2, 3, 5, 6, 11, 12, 14, 15]
    pose = _rest_pose_mm().expand(clips, frames, 16, 3).clone()
    ramp = torch.linspace(0.5, 1.0, frames)[None, :, None, None]
    pose[:, :, limbs, :2] += 150 * torch.randn(clips, 1, len(limbs), 2, generator=generator) * ramp
    yaw = torch.rand(clips, 1, generator=generator) * math.pi / 3 + torch.linspace(0, 0.2, frames)
    cos, sin = torch.cos(yaw)[..., None], torch.sin(yaw)[..., None]
    x, y, z = pose.unbind(-1)
    pose3d = torch.stack([cos * x + sin * z, y, -sin * x + cos * z], dim=-1)
    camera = pose3d + torch.tensor([0.0, 0.0, 4000.0])
    xy = 1000 * camera[..., :2] / camera[..., 2:]
    xy = xy - xy[..., :1, :]
    keypoints = xy / xy.norm(dim=-1).mean(dim=-1)[..., None, None]
    return keypoints, pose3d


def test_pose_only_model_overfits_64_synthetic_clips_to_under_5mm(one_thread):
    torch.manual_seed(0)
    keypoints, pose3d = _synthetic_clips(clips=64, frames=4)
    config = get_config(
        "lite",
        {
            "visibility_root_dim": 0,
            "embed_dim": 128,
            "lstm_hidden": 128,
            "refiner_hidden": 128,
            "projector_hidden": 128,
            "dropout": 0.0,
        },
    )
    model = PoseMachine(config)
    steps = 800
    optimizer = torch.optim.Adam(model.parameters(), lr=1e-2)
    schedule = torch.optim.lr_scheduler.OneCycleLR(optimizer, max_lr=1e-2, total_steps=steps)
    mpjpe = float("inf")
    for step in range(steps):
        out = model(keypoints)
        loss = sum(
            ((pred - pose3d) / 1000).norm(dim=-1).mean()
            for pred in (out.pose3d_mm, out.intermediate3d_mm)
        )
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
        schedule.step()
        if step % 50 == 49:
            with torch.no_grad():
                mpjpe = (model.eval()(keypoints).pose3d_mm - pose3d).norm(dim=-1).mean().item()
            model.train()
            if mpjpe < 5.0:
                break
    assert mpjpe < 5.0
