"""`models.lifters.load_lifter`: the numpy lifter on the CPU, the torch network elsewhere, one
interface and the same poses."""

from __future__ import annotations

import numpy as np
import pytest
import torch

from posemachines.errors import PoseInputError, PoseModelError
from posemachines.models import PoseMachine, get_config, save_checkpoint
from posemachines.models.lifters import load_lifter
from posemachines.models.numpy_lifter import NumpyLifter
from posemachines.models.shipped import shipped_lifter_path
from posemachines.models.torch_lifter import TorchLifter


def test_cpu_gets_the_numpy_lifter() -> None:
    assert isinstance(load_lifter(shipped_lifter_path()), NumpyLifter)


def test_torch_lifter_gives_the_numpy_lifters_poses_and_state() -> None:
    path = shipped_lifter_path()
    numpy_lifter, torch_lifter = NumpyLifter.load(path), TorchLifter.load(path, "cpu")
    rng = np.random.default_rng(0)
    keypoints = rng.normal(0.0, 0.3, (2, 12, 16, 2)).astype(np.float32)
    features = rng.uniform(0.0, 1.0, (2, 12, numpy_lifter.config.visibility_root_dim)
                           ).astype(np.float32)
    ours = numpy_lifter(keypoints, visibility_root=features)
    theirs = torch_lifter(keypoints, visibility_root=features)
    np.testing.assert_allclose(theirs.pose3d_mm, ours.pose3d_mm, atol=1e-3)
    np.testing.assert_allclose(theirs.intermediate3d_mm, ours.intermediate3d_mm, atol=1e-3)
    # Continuing from the state: the second half after the first equals the whole clip.
    first = torch_lifter(keypoints[:, :5], visibility_root=features[:, :5])
    second = torch_lifter(keypoints[:, 5:], first.state, visibility_root=features[:, 5:])
    np.testing.assert_allclose(second.pose3d_mm, theirs.pose3d_mm[:, 5:], atol=1e-3)
    assert torch_lifter.config == numpy_lifter.config


def test_an_image_model_is_no_lifter(tmp_path) -> None:
    path = save_checkpoint(tmp_path / "image.pt", PoseMachine(get_config("lite-image")))
    with pytest.raises(PoseModelError, match="'lite-image' is the image model; a lifter takes 2D"):
        TorchLifter.load(path, "cpu")
    with pytest.raises(PoseModelError, match=f"Checkpoint {path}: the image model"):
        load_lifter(path)


@pytest.mark.parametrize("device", ["gpu7", "cuda:x"])
def test_an_unknown_device_is_one_clear_error(device: str) -> None:
    with pytest.raises(PoseInputError, match=f"Unknown device '{device}'"):
        load_lifter(shipped_lifter_path(), device)


def test_cuda_without_a_gpu_says_so() -> None:
    if torch.cuda.is_available():
        pytest.skip("this machine has a CUDA GPU")
    with pytest.raises(PoseInputError, match="sees no CUDA GPU; use --device cpu"):
        load_lifter(shipped_lifter_path(), "cuda")
