"""The hand-written VGG-19 front: layer names, widths and stride."""

from __future__ import annotations

import pytest
import torch
from torch import nn

from posemachines.models.vgg import VGG19Front


def test_layers_are_the_vgg19_front_with_caffe_names():
    front = VGG19Front()
    convs = [(name, m) for name, m in front.layers.named_children() if isinstance(m, nn.Conv2d)]
    assert [name for name, _ in convs] == [
        "conv1_1",
        "conv1_2",
        "conv2_1",
        "conv2_2",
        "conv3_1",
        "conv3_2",
        "conv3_3",
        "conv3_4",
        "conv4_1",
        "conv4_2",
    ]
    assert [m.out_channels for _, m in convs] == [64, 64, 128, 128, 256, 256, 256, 256, 512, 512]
    assert all(m.kernel_size == (3, 3) and m.padding == (1, 1) for _, m in convs)
    pools = [m for m in front.layers if isinstance(m, nn.MaxPool2d)]
    assert len(pools) == 3
    assert front.out_channels == 512


@pytest.mark.parametrize(("size", "cells"), [(48, 6), (64, 8), (100, 12)])
def test_output_is_one_eighth_of_the_input(size, cells):
    front = VGG19Front((4, 8, 8, 16))
    out = front(torch.rand(2, 3, size, size))
    assert tuple(out.shape) == (2, 16, cells, cells)
    assert out.min() >= 0  # ends with a ReLU
