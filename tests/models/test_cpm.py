"""CPM 2D sub-network: shapes, belief-map coordinates and an overfit on real fixture images."""

from __future__ import annotations

import cv2
import numpy as np
import pytest
import torch

from posemachines.models.configs import get_config
from posemachines.models.cpm import ConvolutionalPoseMachine, CPMStage, belief_coordinates
from posemachines.models.pose_machine import PoseMachine
from posemachines.skeleton import to_joints16

#: Width-reduced CPM for fast tests: the paper's layers at a quarter of the width, 3 stages.
NARROW = {
    "vgg_widths": (16, 32, 64, 128),
    "cpm_trunk_width": 64,
    "cpm_feature_width": 32,
    "cpm_stage1_width": 128,
    "cpm_stage_width": 32,
    "cpm_stages": 3,
}


def test_paper_cpm_on_a_368_image_gives_46x46_features_and_beliefs():
    torch.manual_seed(0)
    cpm = ConvolutionalPoseMachine(get_config("paper")).eval()
    with torch.no_grad():
        out = cpm(torch.rand(1, 3, 368, 368))
    assert tuple(out.features.shape) == (1, 128, 46, 46)
    assert tuple(out.beliefs.shape) == (1, 6, 17, 46, 46)
    assert tuple(out.coords_px.shape) == (1, 16, 2)
    assert out.coords_px.min() >= 0 and out.coords_px.max() < 368


def test_paper_stage_layout_follows_the_caffe_prototxt():
    cpm = ConvolutionalPoseMachine(get_config("paper"))
    assert cpm.stage1.conv5_1_CPM.out_channels == 512
    assert cpm.stage1.conv5_1_CPM.kernel_size == (1, 1)
    assert cpm.stage1.conv5_2_CPM.out_channels == 17
    assert len(cpm.stages) == 5
    stage: CPMStage = cpm.stages[0]
    assert stage.layers.Mconv1.in_channels == 128 + 17
    kernels = [getattr(stage.layers, f"Mconv{i}").kernel_size[0] for i in range(1, 8)]
    assert kernels == [7, 7, 7, 7, 7, 1, 1]
    assert stage.layers.Mconv7.out_channels == 17
    assert cpm.trunk.conv4_7_CPM.out_channels == 128


@pytest.mark.parametrize("batch", [1, 3])
@pytest.mark.parametrize("soft", [False, True])
def test_narrow_cpm_shapes(batch, soft):
    config = get_config("lite-image", {**NARROW, "image_size": 64, "soft_argmax": soft})
    out = ConvolutionalPoseMachine(config)(torch.rand(batch, 3, 64, 64))
    assert tuple(out.features.shape) == (batch, 32, 8, 8)
    assert tuple(out.beliefs.shape) == (batch, 3, 17, 8, 8)
    assert tuple(out.coords_px.shape) == (batch, 16, 2)


def test_argmax_gives_the_centre_of_the_peak_cell_in_pixels():
    beliefs = torch.zeros(1, 2, 6, 5)
    beliefs[0, 0, 4, 1] = 1.0  # row 4, column 1
    beliefs[0, 1, 0, 3] = 0.5
    coords = belief_coordinates(beliefs, stride=8)
    # cell (x=1, y=4) spans pixels 8..15 and 32..39: centres 11.5 and 35.5
    torch.testing.assert_close(coords, torch.tensor([[[11.5, 35.5], [27.5, 3.5]]]))


def test_soft_argmax_finds_a_peak_between_cells():
    beliefs = torch.zeros(1, 1, 6, 6)
    beliefs[0, 0, 2, 2] = 1.0
    beliefs[0, 0, 2, 3] = 1.0  # two equal cells: the peak is half-way, x = 2.5 cells
    beliefs[0, 0, 5, 5] = 0.9  # outside the window around the argmax: ignored
    coords = belief_coordinates(beliefs, stride=8, soft=True)
    torch.testing.assert_close(coords, torch.tensor([[[2.5 * 8 + 3.5, 2 * 8 + 3.5]]]))


def test_soft_argmax_is_closer_than_argmax_for_a_gaussian_off_the_grid():
    ys, xs = torch.meshgrid(torch.arange(12.0), torch.arange(12.0), indexing="ij")
    centre = torch.tensor([5.3, 6.7])  # x, y in cells
    beliefs = torch.exp(-((xs - centre[0]) ** 2 + (ys - centre[1]) ** 2) / 2)[None, None]
    truth = (centre + 0.5) * 8 - 0.5
    hard_error = (belief_coordinates(beliefs, 8)[0, 0] - truth).norm()
    soft_error = (belief_coordinates(beliefs, 8, soft=True)[0, 0] - truth).norm()
    assert soft_error < 0.5 < hard_error


def test_soft_argmax_falls_back_to_argmax_without_positive_belief():
    beliefs = -torch.ones(1, 1, 4, 4)
    beliefs[0, 0, 1, 2] = 0.0
    coords = belief_coordinates(beliefs, stride=8, soft=True)
    torch.testing.assert_close(coords, torch.tensor([[[19.5, 11.5]]]))


def _crop(image: np.ndarray, joints: np.ndarray, center, scale, size: int):
    """Square crop of side scale * 200 * 1.1 px around center, resized to size x size."""
    zoom = size / (scale * 200 * 1.1)
    shift = size / 2 - zoom * np.asarray(center)
    affine = np.array([[zoom, 0, shift[0]], [0, zoom, shift[1]]])
    return cv2.warpAffine(image, affine, (size, size)), joints * zoom + affine[:, 2]


def _gaussian_beliefs(joints_px: torch.Tensor, cells: int, stride: int = 8) -> torch.Tensor:
    """(N, K, 2) px -> (N, K+1, cells, cells): Gaussians (sigma one cell) + 1 - max background."""
    centres = (torch.arange(cells, dtype=torch.float32) + 0.5) * stride - 0.5
    sigma = float(stride)
    gx = torch.exp(-((centres - joints_px[..., 0, None]) ** 2) / (2 * sigma**2))
    gy = torch.exp(-((centres - joints_px[..., 1, None]) ** 2) / (2 * sigma**2))
    maps = gy[..., :, None] * gx[..., None, :]
    return torch.cat([maps, 1 - maps.amax(dim=1, keepdim=True)], dim=1)


def test_full_model_overfits_the_belief_maps_of_four_h36m_images(shared_data, one_thread):
    """Width-reduced variant (NARROW) at 96 px: the whole PoseMachine runs, the belief loss of
    every stage trains it; the loss must fall by 90 % and the joints land within a cell."""
    torch.manual_seed(0)
    folder = shared_data / "fixtures" / "h36m"
    data = np.load(folder / "test_h36m_body3d.npz")
    size = 96
    images, joints = [], []
    for name, center, scale, part in zip(
        data["imgname"], data["center"], data["scale"], data["part"], strict=True
    ):
        image = cv2.cvtColor(cv2.imread(str(folder / str(name))), cv2.COLOR_BGR2RGB)
        joints16, _ = to_joints16(part[:, :2], "h36m17")
        crop, crop_joints = _crop(image, joints16, center, scale, size)
        images.append(crop)
        joints.append(crop_joints)
    frames = torch.from_numpy(np.stack(images)).permute(0, 3, 1, 2).float().div(255)[:, None]
    joints_px = torch.from_numpy(np.stack(joints)).float()
    target = _gaussian_beliefs(joints_px, size // 8)[:, None, None]  # (4, T, S, K+1, h, w)

    model = PoseMachine(get_config("lite-image", {**NARROW, "image_size": size}))
    optimizer = torch.optim.Adam(model.parameters(), lr=4e-4)
    first_loss = loss = None
    for _ in range(200):
        out = model(frames)
        loss = (out.beliefs - target).square().mean()
        first_loss = first_loss if first_loss is not None else loss.item()
        if loss.item() <= 0.1 * first_loss:
            break
        optimizer.zero_grad()
        loss.backward()
        optimizer.step()
    assert loss.item() <= 0.1 * first_loss
    error_px = (out.pose2d_px[:, 0] - joints_px).norm(dim=-1)
    assert error_px.median() < 8  # one belief cell
