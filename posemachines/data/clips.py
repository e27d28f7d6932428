"""Fixed-length clips of pose sequences as a torch Dataset (the paper trains its LSTM on clips).

Clip starts are 0, stride, 2*stride, ... per sequence. With pad=None a clip must fit inside
its sequence (shorter sequences give no clip). With pad='edge' the starts run until a clip
reaches the sequence end, so every frame is covered; frames past the end repeat the last
frame and are marked invalid in `valid`.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

import numpy as np
import torch
from torch.utils.data import Dataset

from posemachines.errors import PoseDataError
from posemachines.skeleton import NUM_JOINTS
from posemachines.structures.pose_checks import check_pose_array


class ClipDataset(Dataset):
    """Clips of (N, 16, 2) px 2D poses, with optional (N, 16, 3) mm 3D labels and confidences.

    sequences: mappings with 'pose2d' and optionally 'pose3d' and 'confidence' (N, 16), or bare
    (N, 16, 2) arrays. Sequences without 'pose3d' are 2D-only (the paper's self-supervised
    samples): their clips carry zeros and has_3d False. Missing confidence means 1 everywhere.

    Each item is a dict: pose2d (T, 16, 2), pose3d (T, 16, 3), confidence (T, 16) float32
    tensors; valid (T,) bool (False on padding); has_3d bool; sequence and start (int64).
    """

    def __init__(
        self,
        sequences: Sequence[Mapping[str, Any] | np.ndarray],
        clip_length: int,
        stride: int = 1,
        pad: Literal["edge"] | None = None,
    ) -> None:
        if clip_length < 1 or stride < 1:
            raise PoseDataError(
                f"clip_length and stride must be positive, got {clip_length} and {stride}."
            )
        if pad not in (None, "edge"):
            raise PoseDataError(f"pad must be 'edge' or None, got {pad!r}.")
        self.clip_length, self.stride, self.pad = clip_length, stride, pad
        self._sequences = [_tensors(seq, index) for index, seq in enumerate(sequences)]
        self._index = [
            (seq_index, start)
            for seq_index, seq in enumerate(self._sequences)
            for start in self._starts(len(seq["pose2d"]))
        ]
        if not self._index:
            raise PoseDataError(
                f"No clip of {clip_length} frames fits the {len(self._sequences)} sequence(s) "
                f"without padding."
            )

    def _starts(self, num_frames: int) -> range:
        if self.pad is None:
            return range(0, num_frames - self.clip_length + 1, self.stride)
        if num_frames == 0:
            return range(0)
        # Up to the first start whose clip reaches the last frame (and never past the end).
        steps = max(0, -(-(num_frames - self.clip_length) // self.stride))
        return range(0, min(steps * self.stride, num_frames - 1) + 1, self.stride)

    def __len__(self) -> int:
        return len(self._index)

    def __getitem__(self, item: int) -> dict[str, torch.Tensor]:
        seq_index, start = self._index[item]
        seq = self._sequences[seq_index]
        num_frames = len(seq["pose2d"])
        frames = torch.arange(start, start + self.clip_length)
        valid = frames < num_frames
        frames = frames.clamp(max=num_frames - 1)
        return {
            "pose2d": seq["pose2d"][frames],
            "pose3d": seq["pose3d"][frames],
            "confidence": seq["confidence"][frames],
            "valid": valid,
            "has_3d": seq["has_3d"],
            "sequence": torch.tensor(seq_index),
            "start": torch.tensor(start),
        }


def _tensors(sequence: Mapping[str, Any] | np.ndarray, index: int) -> dict[str, torch.Tensor]:
    """Check one sequence and turn it into float32 tensors."""
    fields = sequence if isinstance(sequence, Mapping) else {"pose2d": sequence}
    if "pose2d" not in fields:
        raise PoseDataError(f"Sequence {index} has no 'pose2d'.")
    name = f"sequence {index}"
    pose2d = check_pose_array(fields["pose2d"], name=f"{name} pose2d", dims=2,
                              num_joints=NUM_JOINTS, unit=None)
    if pose2d.ndim != 3:
        raise PoseDataError(f"{name}: pose2d must be (N, 16, 2), got {pose2d.shape}.")
    frames = len(pose2d)
    has_3d = fields.get("pose3d") is not None
    if has_3d:
        pose3d = check_pose_array(fields["pose3d"], name=f"{name} pose3d", dims=3,
                                  num_joints=NUM_JOINTS, unit="mm")
        if pose3d.shape != (frames, NUM_JOINTS, 3):
            raise PoseDataError(
                f"{name}: pose3d has shape {pose3d.shape} but pose2d has {frames} frames."
            )
    else:
        pose3d = np.zeros((frames, NUM_JOINTS, 3))
    confidence = fields.get("confidence")
    confidence = np.ones((frames, NUM_JOINTS)) if confidence is None else np.asarray(confidence)
    if confidence.shape != (frames, NUM_JOINTS) or not np.all(np.isfinite(confidence)):
        raise PoseDataError(
            f"{name}: confidence must be finite with shape {(frames, NUM_JOINTS)}, "
            f"got {confidence.shape}."
        )
    return {
        "pose2d": torch.as_tensor(pose2d, dtype=torch.float32),
        "pose3d": torch.as_tensor(pose3d, dtype=torch.float32),
        "confidence": torch.as_tensor(confidence, dtype=torch.float32),
        "has_3d": torch.tensor(has_3d),
    }
