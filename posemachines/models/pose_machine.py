"""PoseMachine: CPM 2D sub-network (image path) -> 2D-to-3D transformer -> 3D-to-2D projector.

Inputs are batched clips: frames (B, T, 3, H, W) float RGB in [0, 1] at the config's
image_size (image path), or keypoints (B, T, K, 2) already normalised by
`posemachines.data.normalization` (pose path; the model does not normalise), plus
visibility_root (B, T, E) per-frame features when config.visibility_root_dim = E > 0.

Streaming: pass the returned `state` back with the next frames; a clip fed frame by frame
gives the same result as the whole clip (unless the config is bidirectional).
"""

from __future__ import annotations

from dataclasses import dataclass

import torch
from torch import nn

from posemachines.errors import PoseInputError
from posemachines.models.configs import PoseMachineConfig
from posemachines.models.cpm import ConvolutionalPoseMachine
from posemachines.models.projector import PoseProjector
from posemachines.models.transformer import LSTMState, PoseTransformer


@dataclass
class PoseOutput:
    """What one forward pass returns; B clips of T frames, K joints.

    pose3d_mm: (B, T, K, 3) final 3D (Psi_C output), mm, camera frame, root-relative.
    intermediate3d_mm: (B, T, K, 3) the transformer's 3D before Psi_C, mm.
    projection2d_norm: (B, T, K, 2) Psi_P's 2D projection of pose3d, in the normalised 2D units
        of the model's keypoint input (root-centred, scale-normalised).
    state: LSTM (h, c), each (lstm_layers, B, lstm_hidden), to continue the clip.
    pose2d_px: (B, T, K, 2) CPM 2D joints, x, y in input-image pixels (image path, else None).
    beliefs: (B, T, S, K+1, H/8, W/8) every CPM stage's belief maps (image path, else None).
    """

    pose3d_mm: torch.Tensor
    intermediate3d_mm: torch.Tensor
    projection2d_norm: torch.Tensor
    state: LSTMState
    pose2d_px: torch.Tensor | None = None
    beliefs: torch.Tensor | None = None


class PoseMachine(nn.Module):
    """The whole network of Wang et al. (TPAMI 2020), configured by a `PoseMachineConfig`."""

    output_scale_mm: torch.Tensor

    def __init__(self, config: PoseMachineConfig) -> None:
        super().__init__()
        self.config = config
        feature_channels = 0
        self.cpm: ConvolutionalPoseMachine | None = None
        if config.input_path == "image":
            self.cpm = ConvolutionalPoseMachine(config)
            feature_channels = self.cpm.feature_channels
        self.transformer = PoseTransformer(config, feature_channels)
        self.projector = PoseProjector(config)
        #: Normalised network output x output_scale_mm = mm; saved with the weights.
        self.register_buffer("output_scale_mm", torch.tensor(float(config.output_scale_mm)))

    def initial_state(self, batch_size: int) -> LSTMState:
        """Zero LSTM state for `batch_size` clips."""
        return self.transformer.initial_state(batch_size, like=self.output_scale_mm)

    def forward(
        self,
        inputs: torch.Tensor,
        state: LSTMState | None = None,
        *,
        visibility_root: torch.Tensor | None = None,
    ) -> PoseOutput:
        """frames (B, T, 3, H, W) or normalised keypoints (B, T, K, 2) -> `PoseOutput`."""
        self._check_inputs(inputs, state, visibility_root)
        pose2d_px = beliefs = None
        if self.cpm is not None:
            batch, frames = inputs.shape[:2]
            cpm = self.cpm(inputs.flatten(0, 1))
            features = _split_clips(cpm.features, batch, frames)
            pose2d_px = _split_clips(cpm.coords_px, batch, frames)
            beliefs = _split_clips(cpm.beliefs, batch, frames)
            raw3d, state = self.transformer(features, visibility_root, state)
        else:
            raw3d, state = self.transformer(inputs, visibility_root, state)
        refined, projected = self.projector(raw3d)
        return PoseOutput(
            pose3d_mm=refined * self.output_scale_mm,
            intermediate3d_mm=raw3d * self.output_scale_mm,
            projection2d_norm=projected,
            state=state,
            pose2d_px=pose2d_px,
            beliefs=beliefs,
        )

    def _check_inputs(
        self, inputs: torch.Tensor, state: LSTMState | None, visibility_root: torch.Tensor | None
    ) -> None:
        config = self.config
        if config.input_path == "image":
            size = config.image_size
            expected = f"frames (B, T, 3, {size}, {size})"
            ok = inputs.ndim == 5 and tuple(inputs.shape[2:]) == (3, size, size)
        else:
            expected = f"keypoints (B, T, {config.num_joints}, 2)"
            ok = inputs.ndim == 4 and tuple(inputs.shape[2:]) == (config.num_joints, 2)
        if not ok or not inputs.is_floating_point():
            raise PoseInputError(
                f"Model '{config.name}' expects float {expected}, got {inputs.dtype} "
                f"{tuple(inputs.shape)}."
            )
        batch, frames = inputs.shape[:2]
        if config.visibility_root_dim:
            wanted = (batch, frames, config.visibility_root_dim)
            if visibility_root is None or tuple(visibility_root.shape) != wanted:
                got = None if visibility_root is None else tuple(visibility_root.shape)
                raise PoseInputError(
                    f"Model '{config.name}' expects visibility_root features of shape {wanted}, "
                    f"got {got}."
                )
        elif visibility_root is not None:
            raise PoseInputError(f"Model '{config.name}' takes no visibility_root features.")
        if state is not None:
            wanted = (config.lstm_layers, batch, config.lstm_hidden)
            shapes = [tuple(part.shape) for part in state]
            if len(state) != 2 or any(shape != wanted for shape in shapes):
                raise PoseInputError(
                    f"LSTM state must be two tensors of shape {wanted}, got {shapes}."
                )


def _split_clips(x: torch.Tensor, batch: int, frames: int) -> torch.Tensor:
    """(B*T, ...) -> (B, T, ...); a reshape, so ONNX tracing keeps B and T dynamic."""
    return x.reshape(batch, frames, *x.shape[1:])
