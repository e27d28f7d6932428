"""Export a `PoseMachine` to ONNX, with the LSTM state as explicit inputs and outputs.

Graph inputs: "keypoints" (B, T, K, 2) normalised 2D or "frames" (B, T, 3, S, S) RGB in [0, 1];
"visibility_root" (B, T, E) when the config takes it (per-joint visibility and root position);
"h0", "c0" (L, B, H) LSTM state (zeros to start a clip). Outputs: "pose3d_mm",
"intermediate3d_mm" (B, T, K, 3), "projection2d_norm" (B, T, K, 2), "h1", "c1" (state after
the last frame), and on the image path "pose2d_px" (B, T, K, 2) and "beliefs" (B, T, stages,
K+1, S/8, S/8). B and T are dynamic, so one file serves whole clips and frame-by-frame
streaming. A bidirectional model has no state inputs/outputs.

Uses the TorchScript-based exporter (`dynamo=False`, deprecated in torch 2.13 but working): it
maps each nn.LSTM onto one ONNX LSTM op and exports in about a second. The torch.export-based
exporter (torch 2.13, onnxscript 0.7.2) produced LSTM nodes whose initial state shape was tied
to the wrong dimension, failing in onnxruntime for a batch other than the traced one.
The config and joint names are stored in the file's metadata. A config with `upright_roll`
expects each frame's 2D rolled upright before encoding and its output rolled back
(`posemachines.data.lifter_input`); the graph itself does not roll.
"""

from __future__ import annotations

import json
import warnings
from pathlib import Path

import torch
from torch import nn

from posemachines.errors import PoseModelError
from posemachines.models.complexity import example_inputs
from posemachines.models.pose_machine import PoseMachine
from posemachines.optional import import_optional
from posemachines.skeleton import JOINTS16_NAMES

DEFAULT_OPSET = 17


def onnx_io_names(model: PoseMachine) -> tuple[list[str], list[str]]:
    """Graph input and output names for `model`, in order."""
    config = model.config
    inputs = ["frames" if config.input_path == "image" else "keypoints"]
    if config.visibility_root_dim:
        inputs.append("visibility_root")
    outputs = ["pose3d_mm", "intermediate3d_mm", "projection2d_norm"]
    if not config.bidirectional:
        inputs += ["h0", "c0"]
        outputs += ["h1", "c1"]
    if config.input_path == "image":
        outputs += ["pose2d_px", "beliefs"]
    return inputs, outputs


class _TupleModel(nn.Module):
    """Positional tensors in the order of `onnx_io_names` in, a tuple of tensors out."""

    def __init__(self, model: PoseMachine) -> None:
        super().__init__()
        self.model = model
        self.input_names = onnx_io_names(model)[0]

    def forward(self, *tensors: torch.Tensor) -> tuple[torch.Tensor, ...]:
        named = dict(zip(self.input_names, tensors, strict=True))
        state = (named["h0"], named["c0"]) if "h0" in named else None
        out = self.model(named[self.input_names[0]], state,
                         visibility_root=named.get("visibility_root"))
        result = [out.pose3d_mm, out.intermediate3d_mm, out.projection2d_norm]
        if state is not None:
            result += list(out.state)
        if out.pose2d_px is not None:
            result += [out.pose2d_px, out.beliefs]
        return tuple(result)


def _example(model: PoseMachine, batch: int, frames: int) -> tuple[torch.Tensor, ...]:
    inputs, visibility_root = example_inputs(model.config, batch, frames)
    tensors = [inputs] + ([visibility_root] if visibility_root is not None else [])
    if not model.config.bidirectional:
        tensors += list(model.initial_state(batch))
    return tuple(tensors)


def _dynamic_axes(names: list[str]) -> dict[str, dict[int, str]]:
    axes = {}
    for name in names:
        axes[name] = {1: "batch"} if name in ("h0", "c0", "h1", "c1") else {0: "batch", 1: "time"}
    return axes


def export_onnx(
    model: PoseMachine,
    path: str | Path,
    *,
    opset: int = DEFAULT_OPSET,
) -> Path:
    """Write `model` (exported in eval mode) to `path` as ONNX; returns the path."""
    import_optional("onnx", "ONNX export")  # fail before the export, not after
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    input_names, output_names = onnx_io_names(model)
    wrapper = _TupleModel(model)
    was_training = model.training
    model.eval()
    try:
        with torch.no_grad(), warnings.catch_warnings(), torch.random.fork_rng(devices=[]):
            # Batch 2 and 2 frames keep both axes from being specialised to 1 while tracing.
            example = _example(model, batch=2, frames=2)
            warnings.simplefilter("ignore")
            torch.onnx.export(
                wrapper,
                example,
                str(path),
                dynamo=False,
                opset_version=opset,
                input_names=input_names,
                output_names=output_names,
                dynamic_axes=_dynamic_axes(input_names + output_names),
            )
    except Exception as error:  # the exporters raise many types; report one sentence
        raise PoseModelError(
            f"ONNX export of model '{model.config.name}' failed: {type(error).__name__}: "
            f"{str(error).splitlines()[0] if str(error) else ''}"
        ) from error
    finally:
        model.train(was_training)
    _add_metadata(path, model)
    return path


def _add_metadata(path: Path, model: PoseMachine) -> None:
    onnx = import_optional("onnx", "ONNX export")
    proto = onnx.load(str(path))
    metadata = {
        "posemachines_config": json.dumps(model.config.to_dict()),
        "joint_names": ",".join(JOINTS16_NAMES),
        "output_scale_mm": f"{float(model.output_scale_mm):g}",
    }
    for key, value in metadata.items():
        entry = proto.metadata_props.add()
        entry.key, entry.value = key, value
    onnx.save(proto, str(path))
