"""Checkpoints: round trip with config and extras; missing, truncated and mismatched files."""

from __future__ import annotations

import pytest
import torch

from posemachines.errors import PoseModelError
from posemachines.models import PoseMachine, get_config, load_checkpoint, save_checkpoint
from posemachines.models.complexity import example_inputs


@pytest.fixture
def model() -> PoseMachine:
    torch.manual_seed(0)
    model = PoseMachine(get_config("lite", {"embed_dim": 16, "lstm_hidden": 8})).eval()
    model.output_scale_mm.fill_(950.0)
    return model


def test_round_trip_restores_config_weights_buffers_and_extra(tmp_path, model):
    extra = {"norm_mean": torch.arange(4.0), "subjects": ["S1", "S5"], "epochs": 3}
    path = save_checkpoint(tmp_path / "sub" / "model.pt", model, extra=extra)
    loaded, loaded_extra = load_checkpoint(path)
    assert loaded.config == model.config
    assert not loaded.training
    assert float(loaded.output_scale_mm) == 950.0
    assert loaded_extra["subjects"] == ["S1", "S5"] and loaded_extra["epochs"] == 3
    torch.testing.assert_close(loaded_extra["norm_mean"], extra["norm_mean"])
    inputs, features = example_inputs(model.config, 1, 3)
    with torch.no_grad():
        torch.testing.assert_close(
            loaded(inputs, visibility_root=features).pose3d_mm,
            model(inputs, visibility_root=features).pose3d_mm
        )


def test_checkpoint_holds_only_plain_types(tmp_path, model):
    path = save_checkpoint(tmp_path / "model.pt", model)
    payload = torch.load(path, weights_only=True)
    assert payload["format"] == "posemachines-checkpoint"
    assert payload["config"]["name"] == "lite"
    assert payload["joint_names"][0] == "Hip" and len(payload["joint_names"]) == 16
    assert "output_scale_mm" in payload["state_dict"]


def test_missing_file(tmp_path):
    with pytest.raises(PoseModelError, match="does not exist"):
        load_checkpoint(tmp_path / "absent.pt")


@pytest.mark.parametrize("keep", [0.5, 0.001])
def test_truncated_file(tmp_path, model, keep):
    path = save_checkpoint(tmp_path / "model.pt", model)
    data = path.read_bytes()
    path.write_bytes(data[: int(len(data) * keep)])
    with pytest.raises(PoseModelError, match="truncated"):
        load_checkpoint(path)


def test_weights_that_do_not_match_the_config(tmp_path, model):
    path = save_checkpoint(tmp_path / "model.pt", model)
    payload = torch.load(path, weights_only=True)
    payload["config"]["lstm_hidden"] = 12
    torch.save(payload, path)
    with pytest.raises(PoseModelError, match="does not match its config 'lite'"):
        load_checkpoint(path)


def test_a_torch_file_that_is_not_a_checkpoint(tmp_path):
    path = tmp_path / "weights.pt"
    torch.save({"weight": torch.zeros(2)}, path)
    with pytest.raises(PoseModelError, match="not a posemachines model checkpoint"):
        load_checkpoint(path)


def test_unknown_config_field_in_a_checkpoint(tmp_path, model):
    path = save_checkpoint(tmp_path / "model.pt", model)
    payload = torch.load(path, weights_only=True)
    payload["config"]["wings"] = 2
    torch.save(payload, path)
    with pytest.raises(PoseModelError, match="wings"):
        load_checkpoint(path)


def test_a_text_file(tmp_path):
    path = tmp_path / "notes.pt"
    path.write_text("hello")
    with pytest.raises(PoseModelError, match="not a torch file"):
        load_checkpoint(path)
