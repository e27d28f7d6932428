"""`lifter_mocap`: the pose-only default lifter, trained on real mocap seen by virtual cameras.

Takes are split by name (`data.splits.is_validation_take`): whole held-out takes validate, the
rest train. LAFAN1 (when `sources` names it) is split by subject: subject 2's takes validate
(`LAFAN1_VALIDATION_RULE`); for the cross-dataset protocol leave it out of `sources` altogether.
Optional anthropometric augmentation (`options.anthropometry`, off by default) gives every
training clip a new adult body; optional articulation (`options.articulation`, off by default)
bends the legs of a share of the clips; optional orientation augmentation (`options.orientation`,
off by default) tilts a share of them away from upright; validation clips keep their own.
A training item is one clip start; a whole batch of clips is drawn at once (`__getitems__`),
with cameras, flips and detector noise seeded by (seed, epoch, the batch's indices), so a
batch is a pure function of its position and resuming is exact.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from functools import cached_property
from pathlib import Path
from typing import Any

import numpy as np
import torch
from torch.utils.data import Dataset

from posemachines.data.mocap import load_mocap_npz
from posemachines.data.splits import is_validation_take
from posemachines.data.virtual_cameras import VirtualCameraConfig
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.models import get_config
from posemachines.training.anthropometry import AnthropometryConfig
from posemachines.training.articulation import ArticulationConfig
from posemachines.training.augment import DetectorNoiseConfig
from posemachines.training.mocap_views import LifterBatch, MocapViewConfig, MocapViews
from posemachines.training.orientation import OrientationConfig
from posemachines.training.tasks_pose import PoseLiftingTask, PoseStageOptions


def split_takes(
    mocap_path: str, sources: tuple[str, ...], validation: bool
) -> tuple[np.ndarray, np.ndarray, list[str]]:
    """Positions (N, 16, 3) mm world, take offsets and each take's source, of the train or
    validation takes."""
    collection = load_mocap_npz(Path(mocap_path))
    clips = [
        clip for clip in collection.clips
        if clip.source in sources
        and is_validation_take(clip.source, clip.style, clip.take) == validation
    ]
    chosen = [clip.joints_mm for clip in clips]
    if not chosen:
        part = "validation" if validation else "training"
        raise PoseDataError(f"No {part} takes from {', '.join(sources)} in {mocap_path}.")
    lengths = [len(c) for c in chosen]
    offsets = np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64)
    return np.concatenate(chosen).astype(np.float32), offsets, [clip.source for clip in clips]


def batch_to_tensors(batch: LifterBatch) -> dict[str, torch.Tensor]:
    """A `LifterBatch` as the pose tasks' batch dict (see `tasks_pose`)."""
    size = batch.keypoints.shape[0]
    return {
        "pose2d": torch.from_numpy(batch.keypoints),
        "visibility_root": torch.from_numpy(batch.visibility_root),
        "confidence": torch.from_numpy(batch.confidence),
        "pose3d": torch.from_numpy(batch.pose3d_mm),
        "has_3d": torch.ones(size, dtype=torch.bool),
    }


class MocapViewDataset(Dataset):
    """Item i is clip start i; fetch batches through `__getitems__` (vectorised)."""

    def __init__(self, views: MocapViews, seed: int, noisy: bool = True) -> None:
        self.views, self.seed, self.noisy = views, seed, noisy
        self.epoch = 0

    def set_epoch(self, epoch: int) -> None:
        self.epoch = epoch

    def __len__(self) -> int:
        return len(self.views.clip_starts)

    def __getitem__(self, index: int) -> LifterBatch:
        return self.__getitems__([index])

    def __getitems__(self, indices: list[int]) -> LifterBatch:
        rng = np.random.default_rng([self.seed, self.epoch, *indices[:4], len(indices)])
        return self.views.sample(rng, len(indices), noisy=self.noisy, starts=indices)


@dataclass
class LifterMocapOptions(PoseStageOptions):
    """mocap: npz from `posemachines data mocap`; sources: which mocap trains and validates;
    anthropometry, articulation, orientation: `AnthropometryConfig` / `ArticulationConfig` /
    `OrientationConfig` fields for training clips ({} = their defaults, None = off);
    source_strides: {source: k} keeps every k-th clip start of that source's training takes,
    weighting it at 1/k of its frames (validation keeps every clip)."""

    mocap: str = ""
    sources: tuple[str, ...] = ("bandai-namco-1", "bandai-namco-2")
    val_clips: int = 1024
    val_noisy: bool = True
    camera: dict[str, Any] = field(default_factory=dict)
    noise: dict[str, Any] = field(default_factory=dict)
    anthropometry: dict[str, Any] | None = None
    articulation: dict[str, Any] | None = None
    orientation: dict[str, Any] | None = None
    source_strides: dict[str, int] = field(default_factory=dict)


class LifterMocapTask(PoseLiftingTask):
    """Pose-only PoseMachine on mocap projected through virtual cameras."""

    Options = LifterMocapOptions

    def view_config(self, validation: bool) -> MocapViewConfig:
        """Cameras, noise and (training only) body augmentations of the clips."""
        options = self.options
        body, bend, tilt = options.anthropometry, options.articulation, options.orientation
        return MocapViewConfig(
            clip_length=self.config.data.clip_length,
            camera=_section(VirtualCameraConfig, options.camera, "camera"),
            noise=_section(DetectorNoiseConfig, options.noise, "noise"),
            anthropometry=(None if validation or body is None
                           else _section(AnthropometryConfig, body, "anthropometry")),
            articulation=(None if validation or bend is None
                          else _section(ArticulationConfig, bend, "articulation")),
            orientation=(None if validation or tilt is None
                         else _section(OrientationConfig, tilt, "orientation")),
            upright_roll=get_config(self.config.model.name,
                                    self.config.model.overrides).upright_roll,
        )

    def views(self, validation: bool) -> MocapViews:
        """The training or the validation takes, seen through `view_config`."""
        if not self.options.mocap:
            raise PoseDataError("options.mocap must name the npz from `posemachines data mocap`.")
        positions, offsets, take_sources = split_takes(
            self.options.mocap, self.options.sources, validation)
        strides = self.options.source_strides
        unknown = sorted(set(strides) - set(self.options.sources))
        if unknown or any(int(k) < 1 for k in strides.values()):
            raise PoseInputError(f"options.source_strides must map sources in options.sources "
                                 f"to strides >= 1; got {strides}.")
        take_strides = None if validation else [int(strides.get(source, 1))
                                                 for source in take_sources]
        return MocapViews(positions, offsets, self.view_config(validation), take_strides)

    def train_dataset(self) -> Dataset:
        return MocapViewDataset(self.views(validation=False), self.config.seed)

    def collate(self, items: Any) -> dict[str, torch.Tensor]:
        return batch_to_tensors(items)

    @cached_property
    def _val_batch(self) -> LifterBatch:
        views = self.views(validation=True)
        rng = np.random.default_rng([self.config.seed, 2**31 - 1])
        return views.sample(rng, self.options.val_clips, noisy=self.options.val_noisy)

    def val_dataset(self) -> Dataset:
        return _FixedBatchDataset(self._val_batch)


def _section(cls: type[Any], values: dict[str, Any], name: str) -> Any:
    """`cls(**values)`, with an unknown key reported as a config error."""
    unknown = sorted(set(values) - set(cls.__dataclass_fields__))
    if unknown:
        raise PoseInputError(f"Unknown config key options.{name}.{unknown[0]} (known here: "
                             f"{', '.join(cls.__dataclass_fields__)}).")
    return cls(**values)


class _FixedBatchDataset(Dataset):
    """A fixed validation set of clips, fetched in vectorised slices."""

    def __init__(self, batch: LifterBatch) -> None:
        self.batch = batch

    def __len__(self) -> int:
        return self.batch.keypoints.shape[0]

    def __getitem__(self, index: int) -> LifterBatch:
        return self.__getitems__([index])

    def __getitems__(self, indices: list[int]) -> LifterBatch:
        fields = LifterBatch.__dataclass_fields__
        return LifterBatch(*(getattr(self.batch, name)[indices] for name in fields))
