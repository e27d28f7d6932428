"""Named configs: lookup, overrides, validation, dict round trip, declared size and cost."""

from __future__ import annotations

import dataclasses

import pytest
import torch

from posemachines.errors import PoseModelError
from posemachines.models import PoseMachine
from posemachines.models.complexity import count_macs_per_frame, count_parameters
from posemachines.models.configs import (
    CONFIGS,
    DECLARED_COMPLEXITY,
    FULL_MODEL,
    config_from_dict,
    get_config,
)


def test_every_config_has_sixteen_joints_and_declared_complexity():
    assert set(CONFIGS) == {"paper", "paper-pose", "lite", "lite-image"}
    assert set(DECLARED_COMPLEXITY) == set(CONFIGS) == set(FULL_MODEL)
    for name, config in CONFIGS.items():
        assert config.name == name
        assert config.num_joints == 16
        assert CONFIGS[FULL_MODEL[name]].input_path == "image"


def test_paper_config_has_the_paper_sizes():
    config = get_config("paper")
    assert config.input_path == "image"
    assert (config.image_size, config.belief_size, config.num_beliefs) == (368, 46, 17)
    assert config.vgg_widths == (64, 128, 256, 512)
    assert (config.cpm_trunk_width, config.cpm_feature_width, config.cpm_stages) == (256, 128, 6)
    assert (config.embed_dim, config.lstm_hidden, config.lstm_layers) == (1024, 1024, 2)
    assert (config.refiner_hidden, config.projector_hidden) == (1024, 1024)
    assert not config.bidirectional
    assert get_config("paper-pose").input_path == "pose"


@pytest.mark.parametrize("name", sorted(CONFIGS))
def test_declared_parameters_and_macs_match_the_built_network(name):
    config = get_config(name)
    with torch.device("meta"):
        model = PoseMachine(config)
    declared = DECLARED_COMPLEXITY[name]
    assert count_parameters(model) == declared.num_parameters
    assert count_macs_per_frame(config) == declared.macs_per_frame


def test_lite_is_small_enough_to_ship():
    declared = DECLARED_COMPLEXITY["lite"]
    assert get_config("lite").input_path == "pose"
    assert declared.num_parameters * 4 <= 8 * 2**20  # float32 weights file <= 8 MiB
    assert declared.macs_per_frame < 2_000_000


def test_overrides_return_a_new_config_and_leave_the_named_one_alone():
    config = get_config("lite", {"lstm_hidden": 64, "bidirectional": True})
    assert (config.lstm_hidden, config.bidirectional) == (64, True)
    assert get_config("lite").lstm_hidden == 256


def test_float_fields_accept_ints():
    assert get_config("lite", {"output_scale_mm": 1000}).output_scale_mm == 1000


def test_dict_round_trip_restores_tuples():
    config = get_config("paper")
    as_dict = config.to_dict()
    assert as_dict["vgg_widths"] == [64, 128, 256, 512]
    assert config_from_dict(as_dict) == config


@pytest.mark.parametrize(
    ("name", "overrides", "message"),
    [
        ("nope", None, "Unknown model config 'nope'"),
        ("lite", {"input_path": "video"}, "input_path"),
        ("paper", {"image_size": 100}, "multiple of 8"),
        ("paper", {"image_size": 32}, "at least 40"),
        ("lite", {"lstm_layers": 0}, "lstm_layers"),
        ("lite", {"dropout": 1.0}, "dropout"),
        ("lite", {"hidden": 3}, "Unknown model config field"),
        ("lite", {"lstm_hidden": "16"}, "lstm_hidden must be int, got str '16'"),
        ("lite", {"bidirectional": 1}, "bidirectional must be bool"),
        ("lite", {"embed_dim": True}, "embed_dim must be int"),
        ("paper", {"vgg_widths": [64, 128, 256, 5.5]}, "vgg_widths must be tuple"),
    ],
)
def test_bad_configs_raise_one_sentence(name, overrides, message):
    with pytest.raises(PoseModelError, match=message):
        get_config(name, overrides)


def test_incomplete_dict_is_a_model_error():
    values = dataclasses.asdict(get_config("lite"))
    del values["input_path"]
    with pytest.raises(PoseModelError, match="Incomplete"):
        config_from_dict(values)


def test_checkpoints_with_the_old_field_name_still_load():
    values = get_config("lite").to_dict()
    values["extra_input_dim"] = values.pop("visibility_root_dim")
    assert config_from_dict(values) == get_config("lite")
    assert config_from_dict(values).visibility_root_dim == 18
