"""The pose-only lifter in numpy: `PoseMachine` of a "pose" config in eval mode, without torch.

Same maths as posemachines/models/pose_machine.py, transformer.py and projector.py: normalised
2D keypoints (B, T, K, 2) flattened, the visibility_root features (B, T, E) appended, embed
Linear + ReLU, `lstm_layers` LSTMs (gate order i, f, g, o; with `bidirectional` every second
layer runs over the time-reversed clip), head Linear -> intermediate 3D, Psi_C refiner (Linear,
ReLU, Linear, plus its input if `refiner_residual`) -> final 3D, both times output_scale_mm.
Psi_P (the 2D projection) is left out: inference does not use it.

Speed: each LSTM layer projects its input for many frames at once (one (B*T, In) x (In, 4H)
product per 256 frames); only h @ W_hh runs frame by frame, with one tanh over all four gates
(sigmoid(x) = (1 + tanh(x / 2)) / 2, stable for any x: the i, f, o rows of the weights are
halved at load).
Each call runs BLAS on one thread (`posemachines.threads.single_thread`): a clip is too small
to gain from threads, and OpenBLAS's threads woken for every frame's small product made a busy
2-core machine ~30x slower.
`benchmarks/bench_lifter_runtime.py` compares it with the torch model.
"""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, NoReturn

import numpy as np

from posemachines.errors import PoseInputError, PoseModelError
from posemachines.models.checkpoint_reader import read_checkpoint
from posemachines.models.configs import PoseMachineConfig, config_from_dict
from posemachines.threads import single_thread

#: Frames whose input projection is computed in one product: long clips need no
#: (T, B, 4H) buffer, and the chunk stays in cache while its frames run.
_CHUNK_FRAMES = 256
#: Up to this many clips, h @ W_hh runs as one matrix-vector product per clip: OpenBLAS's
#: matrix product copies (packs) W_hh on every call, which for 2 clips and H=256 took 2.3x the
#: time of two matrix-vector products (4 clips: about even; 8: the matrix product wins).
_GEMV_MAX_BATCH = 3
#: (h, c) of every LSTM layer, each (lstm_layers, B, lstm_hidden) float32.
NumpyLSTMState = tuple[np.ndarray, np.ndarray]


@dataclass
class LifterOutput:
    """One run of the lifter over B clips of T frames, K joints.

    pose3d_mm: (B, T, K, 3) float32 final 3D (Psi_C output), mm, camera frame, root-relative.
    intermediate3d_mm: (B, T, K, 3) float32 the transformer's 3D before Psi_C, mm.
    state: LSTM (h, c), each (lstm_layers, B, lstm_hidden) float32, to continue the clip.
    """

    pose3d_mm: np.ndarray
    intermediate3d_mm: np.ndarray
    state: NumpyLSTMState


@dataclass(frozen=True)
class _Linear:
    """y = x @ weight_t + bias; weight_t (In, Out) float32, bias (Out,)."""

    weight_t: np.ndarray
    bias: np.ndarray

    def __call__(self, x: np.ndarray) -> np.ndarray:
        return x @ self.weight_t + self.bias


@dataclass(frozen=True)
class _LSTMLayer:
    """One LSTM layer; columns in the order i, f, o, g, the i, f, o ones halved (see the
    module docstring), so that one tanh gives all four gates."""

    input_t: np.ndarray  # (In, 4H)
    hidden_t: np.ndarray  # (H, 4H)
    bias: np.ndarray  # (4H,) bias_ih + bias_hh

    @classmethod
    def from_torch(cls, weight_ih: np.ndarray, weight_hh: np.ndarray, bias_ih: np.ndarray,
                   bias_hh: np.ndarray) -> _LSTMLayer:
        """From nn.LSTM's weight_ih_l0 (4H, In), weight_hh_l0 (4H, H), biases (4H,), whose
        rows are the gates i, f, g, o."""
        hidden = weight_hh.shape[1]
        order = np.r_[0:2 * hidden, 3 * hidden:4 * hidden, 2 * hidden:3 * hidden]
        scale = np.ones(4 * hidden, dtype=np.float32)
        scale[:3 * hidden] = 0.5
        return cls(
            input_t=np.ascontiguousarray((weight_ih[order] * scale[:, None]).T),
            hidden_t=np.ascontiguousarray((weight_hh[order] * scale[:, None]).T),
            bias=(bias_ih + bias_hh)[order] * scale,
        )

    def run(self, x: np.ndarray, h: np.ndarray, c: np.ndarray
            ) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
        """x (T, B, In) time-major, h and c (B, H) -> outputs (T, B, H) and the last h, c."""
        frames, batch = x.shape[:2]
        hidden = self.hidden_t.shape[0]
        outputs = np.empty((frames, batch, hidden), dtype=np.float32)
        gates = np.empty((batch, 4 * hidden), dtype=np.float32)
        tanh_c = np.empty((batch, hidden), dtype=np.float32)
        c = c.copy()
        sigmoids = gates[:, :3 * hidden]
        in_gate, forget_gate = gates[:, :hidden], gates[:, hidden:2 * hidden]
        out_gate, cell_gate = gates[:, 2 * hidden:3 * hidden], gates[:, 3 * hidden:]
        for start in range(0, frames, _CHUNK_FRAMES):
            chunk = x[start:start + _CHUNK_FRAMES]
            projected = chunk.reshape(len(chunk) * batch, chunk.shape[-1]) @ self.input_t
            projected += self.bias
            projected = projected.reshape(len(chunk), batch, 4 * hidden)
            for t, frame_gates in enumerate(projected, start):
                if batch > _GEMV_MAX_BATCH:
                    np.matmul(h, self.hidden_t, out=gates)
                else:
                    for row in range(batch):
                        np.matmul(h[row], self.hidden_t, out=gates[row])
                gates += frame_gates
                np.tanh(gates, out=gates)
                sigmoids *= 0.5
                sigmoids += 0.5
                c *= forget_gate
                c += in_gate * cell_gate
                np.tanh(c, out=tanh_c)
                h = np.multiply(out_gate, tanh_c, out=outputs[t])
        return outputs, h.copy(), c


class NumpyLifter:
    """A pose-path `PoseMachine` (eval mode) in numpy: normalised keypoints -> 3D in mm.

    `NumpyLifter.load(path)` reads a checkpoint without torch; `NumpyLifter(config, weights)`
    builds one from a state_dict of numpy arrays (names as PoseMachine.state_dict()).
    """

    def __init__(self, config: PoseMachineConfig, weights: Mapping[str, np.ndarray],
                 extra: Mapping[str, Any] | None = None, *, source: str = "Weights") -> None:
        """config: a "pose" config; weights: name -> array; extra: the checkpoint's metadata;
        source: how errors name the weights (e.g. 'Checkpoint lifter.pt')."""
        if config.input_path != "pose":
            raise PoseModelError(f"{source}: the image model '{config.name}'; a lifter "
                                 "takes 2D keypoints (a pose-only checkpoint).")
        self.config = config
        self.extra: dict[str, Any] = dict(extra or {})
        get = _WeightReader(config, weights, source)
        joints3, embed, hidden = 3 * config.num_joints, config.embed_dim, config.lstm_hidden
        self.embed = get.linear("transformer.embed.0",
                                (embed, 2 * config.num_joints + config.visibility_root_dim))
        self.lstms = [
            _LSTMLayer.from_torch(*(get.array(f"transformer.lstms.{i}.{name}_l0", shape)
                                    for name, shape in (
                                        ("weight_ih", (4 * hidden, embed if i == 0 else hidden)),
                                        ("weight_hh", (4 * hidden, hidden)),
                                        ("bias_ih", (4 * hidden,)), ("bias_hh", (4 * hidden,)))))
            for i in range(config.lstm_layers)
        ]
        self.head = get.linear("transformer.head", (joints3, hidden))
        self.refiner_hidden = get.linear("projector.refiner.layers.0",
                                         (config.refiner_hidden, joints3))
        self.refiner_out = get.linear("projector.refiner.layers.3",
                                      (joints3, config.refiner_hidden))
        self.output_scale_mm = get.array("output_scale_mm", ())

    @classmethod
    def from_payload(cls, payload: Mapping[str, Any], source: str = "Weights") -> NumpyLifter:
        """From a checkpoint payload as `read_checkpoint` returns it."""
        return cls(config_from_dict(payload["config"]), payload["state_dict"],
                   payload.get("extra", {}), source=source)

    @classmethod
    def load(cls, path: str | Path) -> NumpyLifter:
        """Read the checkpoint `path` (written by `save_checkpoint`) without torch."""
        return cls.from_payload(read_checkpoint(path), source=f"Checkpoint {path}")

    def initial_state(self, batch_size: int) -> NumpyLSTMState:
        """Zero (h, c), each (lstm_layers, batch_size, lstm_hidden) float32."""
        shape = (self.config.lstm_layers, batch_size, self.config.lstm_hidden)
        return np.zeros(shape, dtype=np.float32), np.zeros(shape, dtype=np.float32)

    def __call__(self, keypoints: np.ndarray, state: NumpyLSTMState | None = None, *,
                 visibility_root: np.ndarray | None = None) -> LifterOutput:
        """Normalised keypoints (B, T, K, 2) (+ visibility_root (B, T, E) when the config has
        E > 0) -> `LifterOutput`. Pass the returned state back with the next frames of the same
        clips: a clip fed in pieces gives the result of the whole clip (not bidirectional)."""
        keypoints, visibility_root = self._check_inputs(keypoints, state, visibility_root)
        if state is not None:
            state = (np.asarray(state[0], dtype=np.float32),
                     np.asarray(state[1], dtype=np.float32))
        with single_thread():
            return self._run(keypoints, state, visibility_root)

    def _run(self, keypoints: np.ndarray, state: NumpyLSTMState | None,
             visibility_root: np.ndarray | None) -> LifterOutput:
        batch, frames = keypoints.shape[:2]
        x = keypoints.transpose(1, 0, 2, 3).reshape(frames, batch, 2 * self.config.num_joints)
        if visibility_root is not None:
            x = np.concatenate([x, visibility_root.transpose(1, 0, 2)], axis=-1)
        x = np.maximum(self.embed(x), 0.0)
        h0, c0 = state if state is not None else self.initial_state(batch)
        last_h, last_c = [], []
        for index, lstm in enumerate(self.lstms):
            reverse = self.config.bidirectional and index % 2 == 1
            x, h, c = lstm.run(x[::-1] if reverse else x, h0[index], c0[index])
            x = x[::-1] if reverse else x
            last_h.append(h)
            last_c.append(c)
        raw = self.head(x)
        refined = self.refiner_out(np.maximum(self.refiner_hidden(raw), 0.0))
        if self.config.refiner_residual:
            refined += raw
        shape = (batch, frames, self.config.num_joints, 3)
        return LifterOutput(
            pose3d_mm=_batch_major(refined * self.output_scale_mm, shape),
            intermediate3d_mm=_batch_major(raw * self.output_scale_mm, shape),
            state=(np.stack(last_h), np.stack(last_c)),
        )

    def _check_inputs(self, keypoints: np.ndarray, state: NumpyLSTMState | None,
                      visibility_root: np.ndarray | None
                      ) -> tuple[np.ndarray, np.ndarray | None]:
        """The inputs as float32 arrays, or PoseInputError/PoseModelError as PoseMachine."""
        config = self.config
        keypoints = np.asarray(keypoints)
        if (keypoints.ndim != 4 or keypoints.shape[2:] != (config.num_joints, 2)
                or not np.issubdtype(keypoints.dtype, np.floating)):
            raise PoseInputError(
                f"Model '{config.name}' expects float keypoints (B, T, {config.num_joints}, 2), "
                f"got {keypoints.dtype} {keypoints.shape}.")
        batch, frames = keypoints.shape[:2]
        if config.visibility_root_dim:
            wanted = (batch, frames, config.visibility_root_dim)
            got = None if visibility_root is None else np.shape(visibility_root)
            if got != wanted:
                raise PoseInputError(f"Model '{config.name}' expects visibility_root features "
                                     f"of shape {wanted}, got {got}.")
            visibility_root = np.asarray(visibility_root, dtype=np.float32)
        elif visibility_root is not None:
            raise PoseInputError(f"Model '{config.name}' takes no visibility_root features.")
        if state is not None:
            if config.bidirectional:
                raise PoseModelError("A bidirectional model needs the whole clip at once; it "
                                     "cannot continue from an LSTM state.")
            wanted = (config.lstm_layers, batch, config.lstm_hidden)
            shapes = [np.shape(part) for part in state]
            if len(state) != 2 or any(shape != wanted for shape in shapes):
                raise PoseInputError(
                    f"LSTM state must be two arrays of shape {wanted}, got {shapes}.")
        return keypoints.astype(np.float32, copy=False), visibility_root


def _batch_major(x: np.ndarray, shape: tuple[int, int, int, int]) -> np.ndarray:
    """Time-major (T, B, 3K) -> (B, T, K, 3) float32, C-contiguous."""
    return np.ascontiguousarray(x.transpose(1, 0, 2)).reshape(shape)


class _WeightReader:
    """Takes weights out of a state_dict as float32, checking each one's shape."""

    def __init__(self, config: PoseMachineConfig, weights: Mapping[str, np.ndarray],
                 source: str) -> None:
        self.config, self.weights, self.source = config, weights, source

    def array(self, name: str, shape: tuple[int, ...]) -> np.ndarray:
        if name not in self.weights:
            self._fail(f"missing {name}")
        value = np.asarray(self.weights[name])
        if value.shape != shape:
            self._fail(f"{name} has shape {value.shape}, the config's is {shape}")
        return value.astype(np.float32)

    def linear(self, prefix: str, shape: tuple[int, int]) -> _Linear:
        """nn.Linear `prefix` with weight (Out, In) `shape`."""
        weight = self.array(f"{prefix}.weight", shape)
        return _Linear(np.ascontiguousarray(weight.T), self.array(f"{prefix}.bias", shape[:1]))

    def _fail(self, problem: str) -> NoReturn:
        raise PoseModelError(
            f"{self.source} does not match its config '{self.config.name}': {problem}.")
