"""Parameter and MAC counting against sizes worked out by hand."""

from __future__ import annotations

from torch import nn

from posemachines.models.complexity import count_macs_per_frame, count_parameters, example_inputs
from posemachines.models.configs import get_config


def test_count_parameters_of_a_linear_layer():
    assert count_parameters(nn.Linear(3, 4)) == 3 * 4 + 4


def test_pose_path_macs_equal_the_sum_of_its_matrix_products():
    config = get_config(
        "lite",
        {
            "visibility_root_dim": 2,
            "embed_dim": 8,
            "lstm_hidden": 6,
            "lstm_layers": 2,
            "refiner_hidden": 5,
            "projector_hidden": 7,
        },
    )
    k = 16
    embed = (2 * k + 2) * 8
    lstms = 4 * 6 * (8 + 6) + 4 * 6 * (6 + 6)
    head = 6 * 3 * k
    refiner = 3 * k * 5 + 5 * 3 * k
    projection = 3 * k * 7 + 7 * 7 + 7 * 7 + 7 * 2 * k
    assert count_macs_per_frame(config) == embed + lstms + head + refiner + projection


def test_example_inputs_follow_the_config():
    inputs, visibility_root = example_inputs(get_config("lite"), batch=2, frames=3)
    assert tuple(inputs.shape) == (2, 3, 16, 2)
    assert tuple(visibility_root.shape) == (2, 3, 18)
    frames, none = example_inputs(get_config("paper", {"image_size": 48}), batch=1, frames=2)
    assert tuple(frames.shape) == (1, 2, 3, 48, 48)
    assert none is None
