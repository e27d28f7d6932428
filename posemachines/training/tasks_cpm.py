"""Stage 1: the CPM 2D sub-network on COCO / MPII keypoint annotations (images the user brings).

Each person instance with at least `min_joints` labelled joints becomes one square crop
(centred on its labelled joints' box, side = margin x the longer box side) resized to the
model's image_size; training crops are rotated, scaled and mirrored at random, seeded by
(seed, epoch, index) so an item depends only on its index and the epoch. The CPM's every stage
is supervised with Gaussian belief maps at stride 8 (background channel = 1 - max of the
joint maps); only the CPM trains, the rest of the PoseMachine stays as it is.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, cast

import cv2
import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset

from posemachines.data.keypoints_json import load_keypoint_samples
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.models import PoseMachine, get_config
from posemachines.models.configs import CPM_STRIDE
from posemachines.skeleton import JOINTS16
from posemachines.training.distributed import unwrap_model
from posemachines.training.losses import belief_map_loss, gaussian_belief_maps
from posemachines.training.task import Task


@dataclass(frozen=True)
class PersonSample:
    """One annotated person: image file, (16, 2) px joints, (16,) confidence (0 = unlabelled)."""

    image: Path
    keypoints_px: np.ndarray
    confidence: np.ndarray


def load_person_samples(annotation: Path, images: Path, min_joints: int) -> list[PersonSample]:
    """COCO or MPII JSON -> the persons with at least `min_joints` labelled joints."""
    samples = load_keypoint_samples(annotation)
    xy, confidence = samples.keypoints.xy_px, samples.keypoints.confidence
    return [
        PersonSample(images / name, xy[i], confidence[i])
        for i, name in enumerate(samples.ids)
        if (confidence[i] > 0).sum() >= min_joints
    ]


@dataclass(frozen=True)
class CropAugment:
    """Random crop changes for training: rotation +-deg, scale 1 +- jitter, mirror."""

    rotation_deg: float
    scale_jitter: float
    flip: bool


def crop_transform(
    keypoints: np.ndarray, visible: np.ndarray, size: int, margin: float,
    rotation_deg: float = 0.0, scale: float = 1.0, mirror: bool = False,
) -> np.ndarray:
    """(2, 3) affine from image px to a size x size crop around the visible joints."""
    points = keypoints[visible]
    low, high = points.min(axis=0), points.max(axis=0)
    centre = (low + high) / 2.0
    side = max(float((high - low).max()) * margin * scale, 16.0)
    matrix = cv2.getRotationMatrix2D((float(centre[0]), float(centre[1])), rotation_deg,
                                     size / side)
    matrix[:, 2] += size / 2.0 - centre
    if mirror:
        matrix[0] = -matrix[0]
        matrix[0, 2] += size - 1
    return matrix


class CpmCrops(Dataset):
    """Items: image (3, S, S) float RGB in [0, 1], keypoints_px (16, 2) crop px,
    visibility (16,) (labelled and inside the crop)."""

    def __init__(
        self, samples: list[PersonSample], size: int, margin: float,
        augment: CropAugment | None, seed: int,
    ) -> None:
        self.samples, self.size, self.margin = samples, size, margin
        self.augment, self.seed = augment, seed
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.samples)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        sample = self.samples[index]
        image = cv2.imread(str(sample.image), cv2.IMREAD_COLOR)
        if image is None:
            raise PoseDataError(f"Image {sample.image} is missing or unreadable.")
        rotation, scale, mirror = 0.0, 1.0, False
        if self.augment is not None:
            rng = np.random.default_rng([self.seed, self.epoch, index])
            rotation = rng.uniform(-1, 1) * self.augment.rotation_deg
            scale = 1.0 + rng.uniform(-1, 1) * self.augment.scale_jitter
            mirror = self.augment.flip and bool(rng.random() < 0.5)
        visible = sample.confidence > 0
        matrix = crop_transform(sample.keypoints_px, visible, self.size, self.margin,
                                rotation, scale, mirror)
        crop = cv2.warpAffine(image, matrix, (self.size, self.size), flags=cv2.INTER_LINEAR,
                              borderValue=(128, 128, 128))
        keypoints = sample.keypoints_px @ matrix[:, :2].T + matrix[:, 2]
        inside = np.all((keypoints >= 0) & (keypoints <= self.size - 1), axis=-1)
        visibility = (visible & inside).astype(np.float32)
        if mirror:
            order = list(JOINTS16.flip_permutation)
            keypoints, visibility = keypoints[order], visibility[order]
        rgb = cv2.cvtColor(crop, cv2.COLOR_BGR2RGB).astype(np.float32) / 255.0
        return {
            "image": torch.from_numpy(rgb.transpose(2, 0, 1).copy()),
            "keypoints_px": torch.from_numpy(keypoints.astype(np.float32)),
            "visibility": torch.from_numpy(visibility),
        }


class CpmStageMachine(PoseMachine):
    """A PoseMachine whose forward runs only the CPM: (N, 3, S, S) -> `CPMOutput`.

    Same parameter names as PoseMachine, so its checkpoints load as ordinary PoseMachines.
    """

    def forward(self, images: torch.Tensor) -> Any:  # type: ignore[override]
        assert self.cpm is not None  # a stage machine is always built with its CPM
        return self.cpm(images)


@dataclass
class CpmOptions:
    #: Image folder for each data.train / data.val annotation file, relative to data.root
    #: (an empty list: each JSON's own folder).
    train_images: list[str] = field(default_factory=list)
    val_images: list[str] = field(default_factory=list)
    min_joints: int = 6
    #: Crop side = margin x the longer side of the labelled joints' box.
    margin: float = 1.4
    #: Gaussian sigma of the target belief maps, in belief-map cells (stride 8).
    sigma_cells: float = 1.0
    rotation_deg: float = 30.0
    scale_jitter: float = 0.25
    flip: bool = True


class Cpm2DTask(Task):
    """Stage 1: train the CPM on 2D keypoint annotations; validation in crop pixels."""

    Options = CpmOptions
    best_metric = "mean_error_px"

    def build_model(self) -> nn.Module:
        config = get_config(self.config.model.name, self.config.model.overrides)
        if config.input_path != "image":
            raise PoseInputError(
                f"Stage cpm2d trains the CPM, but model '{config.name}' has no image path; "
                "pick an image-path model such as 'paper'."
            )
        return CpmStageMachine(config)

    def _crops(self, files: list[str], images: list[str], augment: bool) -> CpmCrops:
        root = Path(self.config.data.root or ".")
        if not files:
            raise PoseInputError("Stage cpm2d needs annotation files in data.train and data.val.")
        if images and len(images) != len(files):
            raise PoseInputError("options.*_images needs one image folder per annotation file.")
        samples: list[PersonSample] = []
        for index, name in enumerate(files):
            annotation = root / name
            folder = root / images[index] if images else annotation.parent
            samples += load_person_samples(annotation, folder, self.options.min_joints)
        if not samples:
            raise PoseDataError(f"No person with {self.options.min_joints}+ joints in {files}.")
        options = self.options
        ranges = CropAugment(options.rotation_deg, options.scale_jitter, options.flip)
        size = get_config(self.config.model.name, self.config.model.overrides).image_size
        return CpmCrops(samples, size, options.margin, ranges if augment else None,
                        self.config.seed)

    def train_dataset(self) -> Dataset:
        return self._crops(self.config.data.train, self.options.train_images, augment=True)

    def trainable_parameters(self, model: nn.Module) -> Iterable[nn.Parameter]:
        return cast(nn.Module, model.cpm).parameters()

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        beliefs = model(batch["image"]).beliefs  # (N, S, K+1, h, w)
        height, width = beliefs.shape[-2:]
        cells = (batch["keypoints_px"] + 0.5) / CPM_STRIDE - 0.5
        joints = gaussian_belief_maps(cells, batch["visibility"], height, width,
                                      self.options.sigma_cells)
        target = torch.cat([joints, 1.0 - joints.amax(dim=1, keepdim=True)], dim=1)
        weights = torch.cat([batch["visibility"], torch.ones_like(batch["visibility"][:, :1])], 1)
        belief = belief_map_loss(beliefs.unbind(1), target, weights)
        return {"belief": belief, "loss": self.config.loss.belief * belief}

    @torch.no_grad()
    def validate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        """Mean joint error (crop px) and the fraction within 10% of the crop side."""
        dataset = self._crops(self.config.data.val, self.options.val_images, augment=False)
        loader = DataLoader(dataset, batch_size=self.config.optim.batch_size,
                            num_workers=self.config.data.num_workers)
        bare = unwrap_model(model)
        errors, total = 0.0, 0.0
        hits = 0.0
        for batch in loader:
            predicted = bare(batch["image"].to(device)).coords_px.float().cpu()
            distance = (predicted - batch["keypoints_px"]).norm(dim=-1)
            weights = batch["visibility"]
            errors += float((distance * weights).sum())
            hits += float(((distance <= 0.1 * dataset.size).float() * weights).sum())
            total += float(weights.sum())
        if total == 0:
            return {}
        return {"mean_error_px": errors / total, "pck_10": hits / total}
