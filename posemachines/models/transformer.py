"""The 2D-to-3D pose transformer: per-frame encoder, LSTMs over the clip, FC to 3K.

Two configurations of one module (config.input_path):
  "image": CPM features (B, T, C, h, w) -> two 5x5 stride-2 convs (adapter_channels, ReLU)
           -> 2x2 stride-2 max-pool -> flatten;
  "pose":  normalised 2D keypoints (B, T, K, 2) -> flatten.
Both then append the optional visibility_root features (B, T, E), apply FC -> embed_dim + ReLU (the
released prototxt had no ReLU here; it helps the pose path, whose input is raw coordinates),
run `lstm_layers` LSTMs and an FC to 3K: root-relative 3D in normalised units.

The convolutions use padding 2 (46 -> 23 -> 12 -> pool 6); the released prototxt used padding 1
and no pool. With `bidirectional`, every second LSTM layer runs over the time-reversed clip, as
the authors' released code did (InvertedOrder layers around lstm2).
"""

from __future__ import annotations

from typing import Any, cast

import torch
from torch import nn

from posemachines.errors import PoseModelError
from posemachines.models.configs import PoseMachineConfig

#: (h, c) of every LSTM layer, each (lstm_layers, B, lstm_hidden).
LSTMState = tuple[torch.Tensor, torch.Tensor]


def _halved(size: int) -> int:
    """Output side of a 5x5, stride-2, padding-2 convolution."""
    return (size - 1) // 2 + 1


def _tracing() -> bool:
    return torch.jit.is_tracing() or torch.compiler.is_compiling()


def lstm_step(lstm: nn.LSTM, x: torch.Tensor, h: torch.Tensor, c: torch.Tensor) -> LSTMState:
    """One time step of a single-layer `lstm`: x (B, In), h and c (B, H) -> new (h, c).

    Same maths as nn.LSTM (gate order i, f, g, o) without its per-call overhead, which on CPU
    costs several times the arithmetic of one step of a small LSTM.
    """
    weight_ih, weight_hh, bias_ih, bias_hh = (
        cast(torch.Tensor, getattr(lstm, name))
        for name in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")
    )
    gates = torch.addmm(bias_ih, x, weight_ih.t())
    gates = torch.addmm(gates, h, weight_hh.t()) + bias_hh
    in_gate, forget_gate, cell_gate, out_gate = gates.chunk(4, dim=1)
    c = torch.sigmoid(forget_gate) * c + torch.sigmoid(in_gate) * torch.tanh(cell_gate)
    h = torch.sigmoid(out_gate) * torch.tanh(c)
    return h, c


class PoseTransformer(nn.Module):
    """Image features or 2D keypoints (+ visibility_root) of a clip -> (B, T, K, 3) normalised
    3D."""

    def __init__(self, config: PoseMachineConfig, feature_channels: int = 0) -> None:
        super().__init__()
        self.num_joints = config.num_joints
        self.visibility_root_dim = config.visibility_root_dim
        self.bidirectional = config.bidirectional
        self.hidden_size = config.lstm_hidden
        if config.input_path == "image":
            channels = config.adapter_channels
            self.adapter: nn.Module | None = nn.Sequential(
                nn.Conv2d(feature_channels, channels, 5, stride=2, padding=2),
                nn.ReLU(inplace=True),
                nn.Conv2d(channels, channels, 5, stride=2, padding=2),
                nn.ReLU(inplace=True),
                nn.MaxPool2d(kernel_size=2, stride=2),
            )
            side = _halved(_halved(config.belief_size)) // 2
            in_dim = channels * side * side
        else:
            self.adapter = None
            in_dim = 2 * config.num_joints
        self.embed = nn.Sequential(
            nn.Linear(in_dim + config.visibility_root_dim, config.embed_dim), nn.ReLU(inplace=True)
        )
        self.lstms = nn.ModuleList(
            nn.LSTM(
                config.embed_dim if i == 0 else config.lstm_hidden,
                config.lstm_hidden,
                batch_first=True,
            )
            for i in range(config.lstm_layers)
        )
        self.head = nn.Linear(config.lstm_hidden, 3 * config.num_joints)

    def initial_state(self, batch_size: int, like: torch.Tensor | None = None) -> LSTMState:
        """Zero (h, c), each (lstm_layers, batch_size, lstm_hidden)."""
        shape = (len(self.lstms), batch_size, self.hidden_size)
        kwargs: dict[str, Any] = ({} if like is None
                                  else {"dtype": like.dtype, "device": like.device})
        return torch.zeros(shape, **kwargs), torch.zeros(shape, **kwargs)

    def forward(
        self,
        inputs: torch.Tensor,
        visibility_root: torch.Tensor | None = None,
        state: LSTMState | None = None,
    ) -> tuple[torch.Tensor, LSTMState]:
        """inputs: (B, T, C, h, w) features or (B, T, K, 2) keypoints; visibility_root (B, T, E).

        Returns (B, T, K, 3) normalised root-relative 3D and the LSTM state after frame T.
        """
        batch, frames = inputs.shape[:2]
        if self.adapter is not None:
            encoded = self.adapter(inputs.flatten(0, 1)).reshape(batch, frames, -1)
        else:
            encoded = inputs.reshape(batch, frames, -1)
        if self.visibility_root_dim:
            assert visibility_root is not None  # PoseMachine checks the inputs against the config
            encoded = torch.cat([encoded, visibility_root], dim=-1)
        hidden, state = self._run_lstms(self.embed(encoded), state)
        return self.head(hidden).reshape(batch, frames, self.num_joints, 3), state

    def _run_lstms(
        self, x: torch.Tensor, state: LSTMState | None
    ) -> tuple[torch.Tensor, LSTMState]:
        if state is not None and self.bidirectional:
            raise PoseModelError(
                "A bidirectional model needs the whole clip at once; it cannot continue "
                "from an LSTM state."
            )
        h0, c0 = state if state is not None else self.initial_state(x.shape[0], like=x)
        step_by_step = x.shape[1] == 1 and not _tracing()
        last_h, last_c = [], []
        for index, lstm in enumerate(self.lstms):
            reverse = self.bidirectional and index % 2 == 1
            if reverse:
                x = x.flip(1)
            if step_by_step:
                h, c = lstm_step(cast(nn.LSTM, lstm), x[:, 0], h0[index], c0[index])
                x = h[:, None]
            else:
                x, (h, c) = lstm(x, (h0[index : index + 1], c0[index : index + 1]))
                h, c = h[0], c[0]
            if reverse:
                x = x.flip(1)
            last_h.append(h)
            last_c.append(c)
        return x, (torch.stack(last_h), torch.stack(last_c))
