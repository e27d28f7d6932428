"""The 2D pose sub-network: a Convolutional Pose Machine (CPM) on a VGG-19 front.

Layout from the CPM Caffe model (`pose_deploy_resize.prototxt`, Wei et al., CVPR 2016,
convolutional-pose-machines-release; the same layers appear in the 3D Pose Machines authors'
3Dpose_ssl `examples/cpm` prototxt):
  VGG-19 conv1_1 ... conv4_2 (3 max-pools, stride 8), conv4_3_CPM ... conv4_6_CPM (3x3, 256),
  conv4_7_CPM (3x3, 128) = the pose-aware features;
  stage 1: conv5_1_CPM (1x1, 512, ReLU), conv5_2_CPM (1x1, K+1);
  stages 2..6: concat[previous beliefs, features] -> Mconv1..5 (7x7, 128, ReLU),
  Mconv6 (1x1, 128, ReLU), Mconv7 (1x1, K+1).
The released model also concatenated a Gaussian "center map" to each stage's input; it only
marks the person at the crop centre, and our crops are always centred, so it is left out.
Belief channel K (the last) is the background.
"""

from __future__ import annotations

from collections import OrderedDict
from dataclasses import dataclass

import torch
from torch import nn

from posemachines.models.configs import CPM_STRIDE, PoseMachineConfig
from posemachines.models.vgg import VGG19Front, conv_relu

#: Half-width (cells) of the window around the argmax that the soft-argmax averages over.
SOFT_ARGMAX_RADIUS = 2


@dataclass
class CPMOutput:
    """features (N, C, H/8, W/8); beliefs (N, S, K+1, H/8, W/8), one map set per stage;
    coords_px (N, K, 2) x, y in input pixels from the last stage."""

    features: torch.Tensor
    beliefs: torch.Tensor
    coords_px: torch.Tensor


def _output_conv(in_channels: int, out_channels: int) -> nn.Conv2d:
    conv = nn.Conv2d(in_channels, out_channels, kernel_size=1)
    nn.init.normal_(conv.weight, std=0.01)
    assert conv.bias is not None  # Conv2d has a bias by default
    nn.init.zeros_(conv.bias)
    return conv


class CPMStage(nn.Module):
    """Stage 2+: (N, C + K+1, h, w) -> (N, K+1, h, w) through five 7x7 and two 1x1 convs."""

    def __init__(self, in_channels: int, width: int, num_beliefs: int) -> None:
        super().__init__()
        layers: OrderedDict[str, nn.Module] = OrderedDict()
        for index in range(1, 6):
            conv, relu = conv_relu(in_channels if index == 1 else width, width, 7)
            layers[f"Mconv{index}"], layers[f"Mrelu{index}"] = conv, relu
        layers["Mconv6"], layers["Mrelu6"] = conv_relu(width, width, 1)
        layers["Mconv7"] = _output_conv(width, num_beliefs)
        self.layers = nn.Sequential(layers)

    def forward(self, features: torch.Tensor, beliefs: torch.Tensor) -> torch.Tensor:
        return self.layers(torch.cat([beliefs, features], dim=1))


class ConvolutionalPoseMachine(nn.Module):
    """(N, 3, H, W) RGB in [0, 1] -> `CPMOutput` (features, every stage's beliefs, 2D px)."""

    def __init__(self, config: PoseMachineConfig) -> None:
        super().__init__()
        self.soft_argmax = config.soft_argmax
        self.vgg = VGG19Front(config.vgg_widths)
        trunk: OrderedDict[str, nn.Module] = OrderedDict()
        in_channels = self.vgg.out_channels
        for index in range(3, 8):
            width = config.cpm_feature_width if index == 7 else config.cpm_trunk_width
            trunk[f"conv4_{index}_CPM"], trunk[f"relu4_{index}_CPM"] = conv_relu(
                in_channels, width, 3
            )
            in_channels = width
        self.trunk = nn.Sequential(trunk)
        stage1: OrderedDict[str, nn.Module] = OrderedDict()
        stage1["conv5_1_CPM"], stage1["relu5_1_CPM"] = conv_relu(
            in_channels, config.cpm_stage1_width, 1
        )
        stage1["conv5_2_CPM"] = _output_conv(config.cpm_stage1_width, config.num_beliefs)
        self.stage1 = nn.Sequential(stage1)
        self.stages = nn.ModuleList(
            CPMStage(in_channels + config.num_beliefs, config.cpm_stage_width, config.num_beliefs)
            for _ in range(config.cpm_stages - 1)
        )
        self.feature_channels = in_channels

    def forward(self, images: torch.Tensor) -> CPMOutput:
        # The Caffe model fed pixel / 256 - 0.5; images here are already / 255.
        features = self.trunk(self.vgg(images - 0.5))
        beliefs = [self.stage1(features)]
        for stage in self.stages:
            beliefs.append(stage(features, beliefs[-1]))
        coords = belief_coordinates(beliefs[-1][:, :-1], CPM_STRIDE, soft=self.soft_argmax)
        return CPMOutput(features=features, beliefs=torch.stack(beliefs, dim=1), coords_px=coords)


def belief_coordinates(beliefs: torch.Tensor, stride: int, soft: bool = False) -> torch.Tensor:
    """(..., K, h, w) belief maps (background excluded) -> (..., K, 2) x, y in input pixels.

    A cell i covers pixels [stride*i, stride*(i+1)), so its centre is (i + 0.5) * stride - 0.5.
    soft=False: the argmax cell. soft=True: the belief-weighted mean position (negative beliefs
    clipped to 0) over the (2r+1)^2 window around the argmax, r = SOFT_ARGMAX_RADIUS; a window
    without positive belief falls back to the argmax.
    """
    height, width = beliefs.shape[-2:]
    flat_index = beliefs.flatten(-2).argmax(dim=-1)
    cell_x = (flat_index % width).to(beliefs.dtype)
    cell_y = torch.div(flat_index, width, rounding_mode="floor").to(beliefs.dtype)
    if soft:
        xs = torch.arange(width, dtype=beliefs.dtype, device=beliefs.device)
        ys = torch.arange(height, dtype=beliefs.dtype, device=beliefs.device)
        in_x = ((xs - cell_x[..., None]).abs() <= SOFT_ARGMAX_RADIUS).to(beliefs.dtype)
        in_y = ((ys - cell_y[..., None]).abs() <= SOFT_ARGMAX_RADIUS).to(beliefs.dtype)
        weights = beliefs.clamp(min=0) * in_y[..., :, None] * in_x[..., None, :]
        total = weights.sum(dim=(-2, -1))
        has_mass = total > 1e-12
        safe_total = torch.where(has_mass, total, torch.ones_like(total))
        soft_x = (weights.sum(dim=-2) * xs).sum(dim=-1) / safe_total
        soft_y = (weights.sum(dim=-1) * ys).sum(dim=-1) / safe_total
        cell_x = torch.where(has_mass, soft_x, cell_x)
        cell_y = torch.where(has_mass, soft_y, cell_y)
    cells = torch.stack([cell_x, cell_y], dim=-1)
    return (cells + 0.5) * stride - 0.5
