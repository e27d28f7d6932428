"""The 3D-to-2D pose projector: Psi_C refines the 3D pose, Psi_P projects it to 2D.

Psi_C (`refiner`): 3K -> refiner_hidden (ReLU, dropout) -> 3K; its output is the final 3D pose.
With `refiner_residual` it predicts a correction added to its input and its last layer starts
at zero, so an untrained Psi_C is the identity (the released TF code regressed the pose
directly). Psi_P (`projection`): 3K -> H -> H -> H (ReLU, dropout each) with the first hidden
layer added to the third (the released code's residual block), -> 2K.

All poses are in normalised units: 3D root-relative / output scale, 2D as the model's input.
`functional` runs the projector with an explicit parameter dict (torch.func.functional_call),
so test-time correction can adapt per-frame copies of Psi_C / Psi_P, e.g. with
torch.func.vmap + grad over stacked copies, without touching the shared weights.
"""

from __future__ import annotations

from collections.abc import Mapping

import torch
from torch import nn
from torch.func import functional_call

from posemachines.models.configs import PoseMachineConfig


class PoseRefiner(nn.Module):
    """Psi_C: (..., K, 3) normalised 3D -> (..., K, 3) refined normalised 3D."""

    def __init__(self, num_joints: int, hidden: int, dropout: float, residual: bool) -> None:
        super().__init__()
        self.residual = residual
        self.layers = nn.Sequential(
            nn.Linear(3 * num_joints, hidden),
            nn.ReLU(),
            nn.Dropout(dropout),
            nn.Linear(hidden, 3 * num_joints),
        )
        if residual:
            last = self.layers[-1]
            assert isinstance(last, nn.Linear)
            nn.init.zeros_(last.weight)
            nn.init.zeros_(last.bias)

    def forward(self, pose3d: torch.Tensor) -> torch.Tensor:
        flat = pose3d.flatten(-2)
        out = flat + self.layers(flat) if self.residual else self.layers(flat)
        return out.unflatten(-1, pose3d.shape[-2:])


class PoseProjection(nn.Module):
    """Psi_P: (..., K, 3) normalised 3D -> (..., K, 2) normalised 2D."""

    def __init__(self, num_joints: int, hidden: int, dropout: float) -> None:
        super().__init__()
        self.num_joints = num_joints
        self.hidden1 = nn.Linear(3 * num_joints, hidden)
        self.hidden2 = nn.Linear(hidden, hidden)
        self.hidden3 = nn.Linear(hidden, hidden)
        self.out = nn.Linear(hidden, 2 * num_joints)
        self.dropout = nn.Dropout(dropout)

    def forward(self, pose3d: torch.Tensor) -> torch.Tensor:
        first = self.dropout(torch.relu(self.hidden1(pose3d.flatten(-2))))
        second = self.dropout(torch.relu(self.hidden2(first)))
        third = self.dropout(torch.relu(self.hidden3(second))) + first
        return self.out(third).unflatten(-1, (self.num_joints, 2))


class PoseProjector(nn.Module):
    """Psi_C then Psi_P: (..., K, 3) -> refined (..., K, 3) and its projection (..., K, 2)."""

    def __init__(self, config: PoseMachineConfig) -> None:
        super().__init__()
        self.refiner = PoseRefiner(
            config.num_joints, config.refiner_hidden, config.dropout, config.refiner_residual
        )
        self.projection = PoseProjection(config.num_joints, config.projector_hidden, config.dropout)

    def forward(self, pose3d: torch.Tensor) -> tuple[torch.Tensor, torch.Tensor]:
        refined = self.refiner(pose3d)
        return refined, self.projection(refined)

    def functional(
        self, params: Mapping[str, torch.Tensor], pose3d: torch.Tensor
    ) -> tuple[torch.Tensor, torch.Tensor]:
        """`forward` with `params` (names as in `named_parameters()`, e.g. "refiner.layers.0.
        weight") replacing the module's own; names left out keep the shared weights.

        Works under torch.func.vmap/grad over a batch of parameter dicts in eval mode (dropout
        off); in train mode vmap needs randomness="different" or "same".
        """
        return functional_call(self, dict(params), (pose3d,))
