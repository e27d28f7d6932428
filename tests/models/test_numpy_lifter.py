"""The numpy lifter: the torch PoseMachine's numbers without torch, whole clips and streaming."""

from __future__ import annotations

import dataclasses
import subprocess
import sys

import numpy as np
import pytest
import torch

import posemachines.models
from posemachines.errors import PoseInputError, PoseModelError
from posemachines.models import PoseMachine, get_config, load_checkpoint, save_checkpoint
from posemachines.models.checkpoint_reader import read_checkpoint
from posemachines.models.numpy_lifter import LifterOutput, NumpyLifter
from posemachines.models.shipped import SHIPPED_LIFTERS, shipped_lifter_path

TOLERANCE_MM = 1e-3


def random_inputs(batch: int, frames: int, extra_dim: int, seed: int = 0
                  ) -> tuple[np.ndarray, np.ndarray | None]:
    rng = np.random.default_rng(seed)
    keypoints = (0.4 * rng.normal(size=(batch, frames, 16, 2))).astype(np.float32)
    extra = rng.uniform(size=(batch, frames, extra_dim)).astype(np.float32) if extra_dim else None
    return keypoints, extra


def torch_output(model: PoseMachine, keypoints, extra, state=None):
    with torch.no_grad():
        return model(torch.from_numpy(keypoints),
                     None if state is None else tuple(torch.from_numpy(s) for s in state),
                     visibility_root=None if extra is None else torch.from_numpy(extra))


def assert_matches_torch(lifter: NumpyLifter, model: PoseMachine, keypoints, extra,
                         state=None) -> LifterOutput:
    ours = lifter(keypoints, state, visibility_root=extra)
    theirs = torch_output(model, keypoints, extra, state)
    for mine, other in ((ours.pose3d_mm, theirs.pose3d_mm),
                        (ours.intermediate3d_mm, theirs.intermediate3d_mm)):
        assert mine.dtype == np.float32 and mine.shape == tuple(other.shape)
        np.testing.assert_allclose(mine, other.numpy(), rtol=0, atol=TOLERANCE_MM)
    for mine, other in zip(ours.state, theirs.state, strict=True):
        assert mine.dtype == np.float32 and mine.shape == tuple(other.shape)
        np.testing.assert_allclose(mine, other.numpy(), rtol=0, atol=1e-5)
    return ours


@pytest.fixture(scope="module")
def shipped() -> tuple[NumpyLifter, PoseMachine]:
    path = shipped_lifter_path("lite")
    return NumpyLifter.load(path), load_checkpoint(path)[0]


@pytest.mark.parametrize(("batch", "frames"), [(1, 1), (2, 7), (3, 50)])
def test_shipped_lifter_matches_torch(shipped, batch, frames):
    lifter, model = shipped
    keypoints, extra = random_inputs(batch, frames, 18, seed=frames)
    output = assert_matches_torch(lifter, model, keypoints, extra)
    assert np.abs(output.pose3d_mm).max() > 50.0  # millimetres, not normalised units


@pytest.mark.parametrize("name", sorted(SHIPPED_LIFTERS))
def test_every_shipped_lifter_matches_torch(name):
    path = shipped_lifter_path(name)
    keypoints, extra = random_inputs(2, 9, 18, seed=3)
    output = assert_matches_torch(NumpyLifter.load(path), load_checkpoint(path)[0], keypoints,
                                  extra)
    assert np.abs(output.pose3d_mm).max() > 50.0


def random_model(seed: int, **overrides) -> PoseMachine:
    """A small pose model whose every weight is random (the residual refiner too)."""
    torch.manual_seed(seed)
    sizes = {"embed_dim": 12, "lstm_hidden": 10, "refiner_hidden": 9, "projector_hidden": 8}
    model = PoseMachine(get_config("lite", {**sizes, **overrides})).eval()
    with torch.no_grad():
        for parameter in model.parameters():
            parameter.normal_(0.0, 0.3)
        model.output_scale_mm.fill_(400.0)
    return model


SMALL_CONFIGS = {
    "one layer": {"lstm_layers": 1},
    "two layers, no visibility_root": {"visibility_root_dim": 0},
    "bidirectional": {"bidirectional": True},
    "bidirectional, three layers": {"bidirectional": True, "lstm_layers": 3},
    "direct refiner": {"refiner_residual": False, "lstm_layers": 1, "visibility_root_dim": 3},
}


@pytest.mark.parametrize("name", sorted(SMALL_CONFIGS))
@pytest.mark.parametrize(("batch", "frames"), [(1, 1), (3, 50)])
def test_small_random_configs_match_torch_through_a_checkpoint(tmp_path, name, batch, frames):
    model = random_model(len(name), **SMALL_CONFIGS[name])
    lifter = NumpyLifter.load(save_checkpoint(tmp_path / "model.pt", model))
    assert lifter.config == model.config
    keypoints, extra = random_inputs(batch, frames, model.config.visibility_root_dim)
    assert_matches_torch(lifter, model, keypoints, extra)


def test_streaming_in_pieces_equals_the_whole_clip_and_torch(tmp_path):
    model = random_model(3, lstm_layers=2)
    lifter = NumpyLifter.from_payload(read_checkpoint(save_checkpoint(tmp_path / "m.pt", model)))
    keypoints, extra = random_inputs(2, 300, model.config.visibility_root_dim)
    assert extra is not None
    whole = lifter(keypoints, visibility_root=extra)
    first = lifter(keypoints[:, :17], visibility_root=extra[:, :17])
    second = assert_matches_torch(lifter, model, keypoints[:, 17:], extra[:, 17:], first.state)
    for mine, other in ((whole.pose3d_mm, [first.pose3d_mm, second.pose3d_mm]),
                        (whole.intermediate3d_mm,
                         [first.intermediate3d_mm, second.intermediate3d_mm])):
        np.testing.assert_allclose(np.concatenate(other, axis=1), mine, rtol=0,
                                   atol=TOLERANCE_MM)
    for mine, other in zip(whole.state, second.state, strict=True):
        np.testing.assert_allclose(other, mine, rtol=0, atol=1e-5)


def test_zero_frames_keep_the_state(shipped):
    lifter, _ = shipped
    state = tuple(np.full((2, 1, 256), 0.25, dtype=np.float32) for _ in range(2))
    output = lifter(np.zeros((1, 0, 16, 2)), state, visibility_root=np.zeros((1, 0, 18)))
    assert output.pose3d_mm.shape == output.intermediate3d_mm.shape == (1, 0, 16, 3)
    assert all(np.array_equal(kept, given) for kept, given in zip(output.state, state,
                                                                    strict=True))


def test_float64_inputs_give_float32_millimetres(shipped):
    lifter, _ = shipped
    keypoints, extra = random_inputs(1, 5, 18)
    assert extra is not None
    as64 = lifter(keypoints.astype(np.float64), visibility_root=extra.astype(np.float64))
    assert as64.pose3d_mm.dtype == np.float32
    np.testing.assert_array_equal(as64.pose3d_mm,
                                  lifter(keypoints, visibility_root=extra).pose3d_mm)


def test_a_float64_state_continues_as_float32(shipped):
    lifter, model = shipped
    keypoints, extra = random_inputs(2, 6, 18, seed=4)
    state = tuple(np.random.default_rng(1).uniform(-0.5, 0.5, size=(2, 2, 256)) for _ in "hc")
    output = lifter(keypoints, state, visibility_root=extra)
    assert output.state[0].dtype == output.state[1].dtype == np.float32
    assert_matches_torch(lifter, model, keypoints, extra,
                         tuple(part.astype(np.float32) for part in state))


def test_bidirectional_lifter_cannot_continue_from_a_state():
    model = random_model(1, bidirectional=True)
    lifter = NumpyLifter(model.config, {k: v.numpy() for k, v in model.state_dict().items()})
    keypoints, extra = random_inputs(1, 4, 18)
    with pytest.raises(PoseModelError, match="needs the whole clip"):
        lifter(keypoints, lifter.initial_state(1), visibility_root=extra)


@pytest.mark.parametrize(("keypoints", "extra", "state", "message"), [
    (np.zeros((1, 4, 15, 2)), np.zeros((1, 4, 18)), None,
     r"expects float keypoints \(B, T, 16, 2\), got float64 \(1, 4, 15, 2\)"),
    (np.zeros((1, 4, 16, 2), dtype=np.int64), np.zeros((1, 4, 18)), None, "got int64"),
    (np.zeros((1, 4, 16, 2)), None, None, r"visibility_root features of shape \(1, 4, 18\)"),
    (np.zeros((1, 4, 16, 2)), np.zeros((1, 3, 18)), None, r"got \(1, 3, 18\)"),
    (np.zeros((1, 4, 16, 2)), np.zeros((1, 4, 18)), (np.zeros((2, 2, 256)),) * 2,
     r"two arrays of shape \(2, 1, 256\)"),
])
def test_bad_inputs_are_one_clear_error(shipped, keypoints, extra, state, message):
    lifter, _ = shipped
    with pytest.raises(PoseInputError, match=message):
        lifter(keypoints, state, visibility_root=extra)


def test_unexpected_visibility_root_is_refused():
    model = random_model(2, visibility_root_dim=0)
    lifter = NumpyLifter(model.config, {k: v.numpy() for k, v in model.state_dict().items()})
    with pytest.raises(PoseInputError, match="takes no visibility_root"):
        lifter(np.zeros((1, 2, 16, 2)), visibility_root=np.zeros((1, 2, 18)))


def test_image_models_and_mismatched_weights_are_refused(tmp_path):
    weights = read_checkpoint(shipped_lifter_path("lite"))["state_dict"]
    config = get_config("lite")
    with pytest.raises(PoseModelError, match="the image model 'x'; a lifter takes 2D keypoints"):
        NumpyLifter(dataclasses.replace(config, name="x", input_path="image"), weights)
    missing = {k: v for k, v in weights.items() if k != "transformer.head.bias"}
    with pytest.raises(PoseModelError, match="'lite': missing transformer.head.bias"):
        NumpyLifter(config, missing)
    with pytest.raises(PoseModelError, match=r"^Checkpoint .*m\.pt does not match its config "
                                             r"'lite': transformer.lstms.0.weight_ih_l0 has "
                                             r"shape \(64, 256\), the config's is \(1024, 256\)"):
        small = PoseMachine(get_config("lite", {"lstm_hidden": 16}))
        payload = read_checkpoint(save_checkpoint(tmp_path / "m.pt", small))
        NumpyLifter.from_payload({**payload, "config": config.to_dict()},
                                 source=f"Checkpoint {tmp_path / 'm.pt'}")


def test_every_public_name_of_the_models_package_resolves():
    for name in posemachines.models.__all__:
        assert getattr(posemachines.models, name) is not None
    assert not hasattr(posemachines.models, "Nothing")


def test_runs_without_importing_torch():
    code = (
        "import sys, numpy as np\n"
        "from posemachines.models.numpy_lifter import NumpyLifter\n"
        "from posemachines.models.shipped import shipped_lifter_path\n"
        "import posemachines.models\n"
        "lifter = posemachines.models.NumpyLifter.load(shipped_lifter_path('cmu'))\n"
        "out = lifter(np.zeros((1, 3, 16, 2)), visibility_root=np.zeros((1, 3, 18)))\n"
        "assert out.pose3d_mm.shape == (1, 3, 16, 3), out.pose3d_mm.shape\n"
        "assert 'torch' not in sys.modules, 'torch was imported'\n"
        "print('ok', lifter.config.name)\n"
    )
    result = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                            check=False)
    assert result.returncode == 0, result.stderr
    assert result.stdout.strip() == "ok lite"
