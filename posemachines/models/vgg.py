"""The VGG-19 front of the CPM 2D sub-network, written by hand (torchvision is not available).

conv1_1 ... conv4_2: 3x3 convolutions (padding 1) each followed by ReLU, with a 2x2 stride-2
max-pool after conv1_2, conv2_2 and conv3_4, so the output is 1/8 of the input size.
Layer names follow the Caffe model so released weights can be mapped by name.
"""

from __future__ import annotations

from collections import OrderedDict

import torch
from torch import nn

#: (block, convolutions in the block) of VGG-19 up to conv4_2.
_VGG19_FRONT_BLOCKS = ((1, 2), (2, 2), (3, 4), (4, 2))


def conv_relu(in_channels: int, out_channels: int, kernel_size: int) -> list[nn.Module]:
    """A same-padded convolution and its ReLU, Kaiming-initialised for ReLU."""
    conv = nn.Conv2d(in_channels, out_channels, kernel_size, padding=kernel_size // 2)
    nn.init.kaiming_normal_(conv.weight, nonlinearity="relu")
    assert conv.bias is not None  # Conv2d has a bias by default
    nn.init.zeros_(conv.bias)
    return [conv, nn.ReLU(inplace=True)]


class VGG19Front(nn.Module):
    """(N, 3, H, W) -> (N, widths[3], H/8, W/8): VGG-19 conv1_1 ... conv4_2 with ReLU."""

    def __init__(self, widths: tuple[int, int, int, int] = (64, 128, 256, 512)) -> None:
        super().__init__()
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        in_channels = 3
        for (block, count), width in zip(_VGG19_FRONT_BLOCKS, widths, strict=True):
            for index in range(1, count + 1):
                conv, relu = conv_relu(in_channels, width, 3)
                layers[f"conv{block}_{index}"] = conv
                layers[f"relu{block}_{index}"] = relu
                in_channels = width
            if block < 4:
                layers[f"pool{block}"] = nn.MaxPool2d(kernel_size=2, stride=2)
        self.layers = nn.Sequential(layers)
        self.out_channels = in_channels

    def forward(self, images: torch.Tensor) -> torch.Tensor:
        return self.layers(images)
