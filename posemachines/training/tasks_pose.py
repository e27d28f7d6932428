"""Pose-path training (2D keypoints in, 3D out): the shared task and the paper's stages 2-5.

Batches are dicts of (B, T, ...) tensors: pose2d (B, T, 16, 2) normalised 2D (model input and
2D target; missing joints zero), confidence (B, T, 16), pose3d (B, T, 16, 3) mm root-relative
camera frame, has_3d (B,), and visibility_root (B, T, 18) when the model takes the lifter's
per-joint visibility and root position (`posemachines.data.lifter_input`).

Stages (Wang et al. train the network piecewise, then jointly):
- transformer: only the 2D-to-3D transformer learns (a CPM trunk, if any, and Psi_C/Psi_P stay
  frozen); supervised by the 3D label of its own (intermediate) output.
- projector: only Psi_C / Psi_P learn: 3D on Psi_C's output, the 2D projection loss on Psi_P's.
- finetune: everything, every term.
- mask: everything, with random joint dropout on the 2D input (the targets stay complete), so
  the model learns to fill in joints a detector misses.
"""

from __future__ import annotations

from collections.abc import Iterable, Sized
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, ClassVar, cast

import numpy as np
import torch
from torch import nn
from torch.utils.data import DataLoader, Dataset, Subset

from posemachines.arrays import root_relative
from posemachines.camera import h36m_camera
from posemachines.data.clips import ClipDataset
from posemachines.data.lifter_input import NUM_VISIBILITY_ROOT_FEATURES, encode_lifter_input
from posemachines.data.videopose3d import (
    load_videopose3d_3d,
    map_to_joints16,
    read_videopose3d_2d_raw,
)
from posemachines.errors import PoseDataError, PoseInputError
from posemachines.models import PoseMachine, get_config
from posemachines.skeleton import NUM_JOINTS
from posemachines.training.config import ModelSection
from posemachines.training.distributed import unwrap_model
from posemachines.training.losses import pose_machine_losses
from posemachines.training.task import Task


def build_pose_machine(section: ModelSection, input_path: str | None = "pose") -> PoseMachine:
    """A fresh PoseMachine from a config name + overrides; checks the input path if given."""
    config = get_config(section.name, section.overrides)
    if input_path is not None and config.input_path != input_path:
        raise PoseInputError(
            f"This task needs a '{input_path}'-path model, but model '{config.name}' takes "
            f"'{config.input_path}' input; pick another model.name."
        )
    if config.visibility_root_dim not in (0, NUM_VISIBILITY_ROOT_FEATURES):
        raise PoseInputError(
            f"model.visibility_root_dim must be 0 or {NUM_VISIBILITY_ROOT_FEATURES} "
            "(the lifter's features), "
            f"got {config.visibility_root_dim}."
        )
    return PoseMachine(config)


def mask_joints(
    pose2d: torch.Tensor, visibility_root: torch.Tensor | None, probability: float
) -> tuple[torch.Tensor, torch.Tensor | None]:
    """Random joint dropout (torch's global RNG): each joint of each frame is zeroed with
    `probability`, and its visibility flag in `visibility_root` (the first 16 features) cleared."""
    keep = (torch.rand(pose2d.shape[:-1], device=pose2d.device) >= probability).to(pose2d.dtype)
    masked = pose2d * keep[..., None]
    if visibility_root is not None:
        visibility_root = torch.cat([visibility_root[..., :NUM_JOINTS] * keep,
                                     visibility_root[..., NUM_JOINTS:]], dim=-1)
    return masked, visibility_root


class VideoPose3DClips(Dataset):
    """Human3.6M clips from a VideoPose3D-layout folder, as pose-task items.

    `root` holds data_3d_h36m.npz and data_2d_h36m_<source_2d>.npz. Every (subject, action,
    camera) is one sequence: 3D moved into that camera's frame with the Human3.6M calibration,
    2D (with confidence when the file stores a third channel) encoded by `encode_lifter_input`.
    Subjects in `unlabelled` keep only their 2D (has_3d False: the self-supervised samples).
    """

    def __init__(
        self, root: Path, subjects: list[str], clip_length: int, stride: int,
        with_visibility_root: bool,
        source_2d: str = "gt", unlabelled: tuple[str, ...] = (),
    ) -> None:
        world = load_videopose3d_3d(root / "data_3d_h36m.npz")
        positions_2d, metadata = read_videopose3d_2d_raw(root / f"data_2d_h36m_{source_2d}.npz")
        sequences: list[dict[str, np.ndarray]] = []
        self.visibility_roots: list[torch.Tensor] = []
        for subject in list(subjects) + list(unlabelled):
            if subject not in world or subject not in positions_2d:
                raise PoseDataError(f"Subject {subject} is missing from the npz files in {root}.")
            for action, poses_world in world[subject].items():
                for index, raw in enumerate(positions_2d[subject].get(action, [])):
                    if raw is None:
                        continue
                    sequences.append(self._sequence(subject, index, poses_world, raw, metadata,
                                                    subject in unlabelled))
        if not sequences:
            raise PoseDataError(f"No 2D/3D sequence pairs for subjects {subjects} in {root}.")
        self.clips = ClipDataset(sequences, clip_length, stride)
        self.with_visibility_root = with_visibility_root

    def _sequence(
        self, subject: str, camera_index: int, poses_world: np.ndarray, raw: np.ndarray,
        metadata: dict[str, Any], unlabelled: bool,
    ) -> dict[str, np.ndarray]:
        frames = min(len(poses_world), len(raw))
        stored_confidence = raw[:frames, :, 2] if raw.shape[-1] == 3 else np.ones(raw.shape[1:2])
        confidence = np.broadcast_to(stored_confidence, raw[:frames, :, 0].shape)
        xy_px, confidence = map_to_joints16(raw[:frames, :, :2], metadata["layout_name"],
                                            confidence)
        camera = h36m_camera(subject, camera_index)
        keypoints, visibility_root = encode_lifter_input(xy_px, confidence, camera.f_px,
                                                         camera.c_px)
        self.visibility_roots.append(torch.from_numpy(visibility_root))
        sequence = {"pose2d": keypoints, "confidence": confidence}
        if not unlabelled:
            pose3d = np.asarray(camera.world_to_camera(poses_world[:frames]))
            sequence["pose3d"] = pose3d - pose3d[:, :1]
        return sequence

    def __len__(self) -> int:
        return len(self.clips)

    def __getitem__(self, index: int) -> dict[str, torch.Tensor]:
        clip = self.clips[index]
        item = {key: clip[key] for key in ("pose2d", "pose3d", "confidence", "has_3d")}
        if self.with_visibility_root:
            visibility_root = self.visibility_roots[int(clip["sequence"])]
            frames = (int(clip["start"]) + torch.arange(len(clip["pose2d"]))).clamp(
                max=len(visibility_root) - 1
            )
            item["visibility_root"] = visibility_root[frames]
        return item


@dataclass
class PoseStageOptions:
    #: Probability of dropping each 2D input joint during training (0 = off).
    mask_probability: float = 0.0


@dataclass
class VideoPose3DOptions(PoseStageOptions):
    #: 2D source: data_2d_h36m_<source_2d>.npz in data.root ("gt", or detections such as
    #: "cpn_ft_h36m_dbb").
    source_2d: str = "gt"
    #: Extra training subjects used without their 3D labels (2D-only, self-supervised terms).
    unlabelled_subjects: list[str] = field(default_factory=list)


class PoseLiftingTask(Task):
    """Keypoints (+ visibility_root) -> PoseMachine -> the paper's loss terms; MPJPE validation.

    Subclasses provide `train_dataset()` and `val_dataset()` (items as in the module
    docstring, without the batch axis) and may narrow `trainable_parameters`.
    """

    Options: ClassVar[type] = PoseStageOptions

    def build_model(self) -> nn.Module:
        return build_pose_machine(self.config.model)

    def val_dataset(self) -> Dataset:
        raise NotImplementedError

    def training_step(self, model: nn.Module, batch: Any) -> dict[str, torch.Tensor]:
        pose2d, visibility_root = batch["pose2d"], batch.get("visibility_root")
        probability = getattr(self.options, "mask_probability", 0.0)
        if probability > 0:
            pose2d, visibility_root = mask_joints(pose2d, visibility_root, probability)
        output = model(pose2d, visibility_root=visibility_root)
        return pose_machine_losses(output, batch, self.config.loss)

    @torch.no_grad()
    def validate(self, model: nn.Module, device: torch.device) -> dict[str, float]:
        """MPJPE (mm, root-relative) of the final and the intermediate 3D on labelled clips."""
        dataset = self.val_dataset()
        limit = self.config.data.val_max_samples
        size = len(cast(Sized, dataset))
        if 0 < limit < size:
            dataset = Subset(dataset, np.linspace(0, size - 1, limit).astype(int).tolist())
        loader = DataLoader(
            dataset, batch_size=self.config.optim.batch_size, collate_fn=self.collate,
            num_workers=self.config.data.num_workers,
        )
        sums = {"mpjpe_mm": 0.0, "intermediate_mpjpe_mm": 0.0}
        count = 0.0
        bare = unwrap_model(model)
        for batch in loader:
            batch = {k: v.to(device) for k, v in batch.items() if isinstance(v, torch.Tensor)}
            output = bare(batch["pose2d"], visibility_root=batch.get("visibility_root"))
            weights = batch["has_3d"].float()[:, None, None].expand(batch["pose3d"].shape[:-1])
            target = root_relative(torch.nan_to_num(batch["pose3d"].float()))
            for name, pred in (("mpjpe_mm", output.pose3d_mm),
                               ("intermediate_mpjpe_mm", output.intermediate3d_mm)):
                error = (root_relative(pred.float()) - target).norm(dim=-1)
                sums[name] += float((error * weights).sum())
            count += float(weights.sum())
        if count == 0:
            return {}
        return {name: value / count for name, value in sums.items()}


class VideoPose3DStageTask(PoseLiftingTask):
    """A pose-path stage on a VideoPose3D-layout Human3.6M folder (`data.root`)."""

    Options = VideoPose3DOptions

    def _clips(self, subjects: list[str], unlabelled: list[str]) -> VideoPose3DClips:
        data = self.config.data
        if not data.root:
            raise PoseInputError("Set data.root to the folder holding data_3d_h36m.npz.")
        if not subjects:
            raise PoseInputError("Name the subjects in data.train and data.val (e.g. S1,S5).")
        model = get_config(self.config.model.name, self.config.model.overrides)
        if model.upright_roll:
            raise PoseInputError("model upright_roll is trained on mocap views only "
                                 "(task lifter_mocap).")
        with_visibility_root = bool(model.visibility_root_dim)
        return VideoPose3DClips(
            Path(data.root), subjects, data.clip_length, data.clip_stride, with_visibility_root,
            self.options.source_2d, tuple(unlabelled),
        )

    def train_dataset(self) -> Dataset:
        return self._clips(self.config.data.train, self.options.unlabelled_subjects)

    def val_dataset(self) -> Dataset:
        return self._clips(self.config.data.val, [])


class TransformerStageTask(VideoPose3DStageTask):
    """Stage 2: train the 2D-to-3D transformer only."""

    def trainable_parameters(self, model: nn.Module) -> Iterable[nn.Parameter]:
        return cast(nn.Module, model.transformer).parameters()


class ProjectorStageTask(VideoPose3DStageTask):
    """Stage 3: train Psi_C and Psi_P only."""

    def trainable_parameters(self, model: nn.Module) -> Iterable[nn.Parameter]:
        return cast(nn.Module, model.projector).parameters()


class FinetuneStageTask(VideoPose3DStageTask):
    """Stage 4: train everything with every loss term."""


@dataclass
class MaskStageOptions(VideoPose3DOptions):
    mask_probability: float = 0.2


class MaskStageTask(VideoPose3DStageTask):
    """Stage 5: train everything with random joint dropout on the 2D input."""

    Options = MaskStageOptions
