"""A tiny synthetic pose-only task for tests and smoke runs: random 3D poses, orthographic 2D.

Each clip is a rest pose with random joint offsets, turning about the vertical axis from a
random heading, in the camera frame (x right, y down, z forward, mm, root-relative). Its 2D is
the orthographic projection (x, y), normalised with `normalize_2d`. Everything is generated
once from `options.data_seed`, so item i is fixed.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import torch
from torch.utils.data import Dataset

from posemachines.data.normalization import normalize_2d
from posemachines.models import get_config
from posemachines.training.tasks_pose import PoseLiftingTask

#: A standing person, camera frame (y down), mm, in JOINTS16 order.
REST_POSE_MM = np.array([
    [0, 0, 0], [-130, 0, 0], [-130, 420, 0], [-130, 830, 0], [130, 0, 0], [130, 420, 0],
    [130, 830, 0], [0, -230, 0], [0, -480, 0], [0, -700, 0], [170, -450, 0], [180, -170, 0],
    [190, 80, 0], [-170, -450, 0], [-180, -170, 0], [-190, 80, 0],
], dtype=np.float64)


def random_pose_clips(count: int, frames: int, rng: np.random.Generator) -> np.ndarray:
    """(count, frames, 16, 3) mm camera-frame root-relative poses of turning people."""
    offsets = rng.normal(0.0, 60.0, (count, 1, 16, 3))
    offsets[:, :, 0] = 0.0
    heading = rng.uniform(-np.pi, np.pi, (count, 1)) + 0.05 * np.arange(frames)[None, :]
    pitch = rng.uniform(-0.2, 0.2, (count, 1)) * np.ones((1, frames))
    cy, sy, cp, sp = np.cos(heading), np.sin(heading), np.cos(pitch), np.sin(pitch)
    zeros, ones = np.zeros_like(cy), np.ones_like(cy)
    yaw_m = np.stack([np.stack([cy, zeros, sy], -1), np.stack([zeros, ones, zeros], -1),
                      np.stack([-sy, zeros, cy], -1)], -2)
    pitch_m = np.stack([np.stack([ones, zeros, zeros], -1), np.stack([zeros, cp, -sp], -1),
                        np.stack([zeros, sp, cp], -1)], -2)
    poses = (REST_POSE_MM + offsets) @ np.swapaxes(pitch_m @ yaw_m, -1, -2)
    return poses - poses[..., :1, :]


class SyntheticClips(Dataset):
    """Items: pose2d (T,16,2) normalised, confidence (T,16), pose3d (T,16,3) mm, has_3d,
    and visibility_root (T,18) (visibility, zero root position) when `visibility_root_dim` is 18."""

    def __init__(
        self, count: int, frames: int, seed: int, labelled_fraction: float, visibility_root_dim: int
    ) -> None:
        rng = np.random.default_rng(seed)
        pose3d = random_pose_clips(count, frames, rng)
        pose2d, _ = normalize_2d(pose3d[..., :2])
        self.pose3d = torch.from_numpy(pose3d.astype(np.float32))
        self.pose2d = torch.from_numpy(pose2d.astype(np.float32))
        self.confidence = torch.ones(count, frames, 16)
        self.has_3d = torch.from_numpy(rng.random(count) < labelled_fraction)
        self.visibility_root = (
            torch.cat([self.confidence, torch.zeros(count, frames, 2)], -1)
            if visibility_root_dim else None
        )

    def __len__(self) -> int:
        return len(self.pose3d)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        item = {
            "pose2d": self.pose2d[index],
            "confidence": self.confidence[index],
            "pose3d": self.pose3d[index],
            "has_3d": self.has_3d[index],
        }
        if self.visibility_root is not None:
            item["visibility_root"] = self.visibility_root[index]
        return item


@dataclass
class SyntheticOptions:
    num_train: int = 512
    num_val: int = 64
    #: Fraction of training clips that keep their 3D label (the rest are 2D-only).
    labelled_fraction: float = 1.0
    mask_probability: float = 0.0
    data_seed: int = 0


class SyntheticLifterTask(PoseLiftingTask):
    """Pose-path training on `SyntheticClips` (all parameters train)."""

    Options = SyntheticOptions

    def _clips(self, count: int, seed: int, labelled_fraction: float) -> SyntheticClips:
        model_config = get_config(self.config.model.name, self.config.model.overrides)
        visibility_root_dim = model_config.visibility_root_dim
        return SyntheticClips(
            count, self.config.data.clip_length, seed, labelled_fraction, visibility_root_dim
        )

    def train_dataset(self) -> Dataset:
        options = self.options
        return self._clips(options.num_train, options.data_seed, options.labelled_fraction)

    def val_dataset(self) -> Dataset:
        return self._clips(self.options.num_val, self.options.data_seed + 1, 1.0)
