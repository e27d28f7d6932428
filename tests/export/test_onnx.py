"""ONNX export: onnxruntime matches PyTorch for clips and frame-by-frame streaming; the CLI."""

from __future__ import annotations

import json

import numpy as np
import onnx
import onnxruntime as ort
import pytest
import torch

from posemachines.cli import main
from posemachines.export.onnx import export_onnx, onnx_io_names
from posemachines.models import PoseMachine, get_config, save_checkpoint
from posemachines.models.complexity import example_inputs

MM_OUTPUTS = ("pose3d_mm", "intermediate3d_mm")


def _session(path) -> ort.InferenceSession:
    options = ort.SessionOptions()
    options.intra_op_num_threads = 1
    return ort.InferenceSession(str(path), options, providers=["CPUExecutionProvider"])


def _torch_outputs(model: PoseMachine, inputs, visibility_root, state=None
                   ) -> dict[str, np.ndarray]:
    with torch.no_grad():
        out = model(inputs, state, visibility_root=visibility_root)
    result = {
        "pose3d_mm": out.pose3d_mm,
        "intermediate3d_mm": out.intermediate3d_mm,
        "projection2d_norm": out.projection2d_norm,
        "h1": out.state[0],
        "c1": out.state[1],
        "pose2d_px": out.pose2d_px,
        "beliefs": out.beliefs,
    }
    return {k: v.numpy() for k, v in result.items() if v is not None}


def _assert_match(onnx_out: dict, torch_out: dict, scale_mm: float) -> None:
    for name, value in onnx_out.items():
        reference = torch_out[name]
        if name in MM_OUTPUTS:  # compare in the network's normalised units
            value, reference = value / scale_mm, reference / scale_mm
        np.testing.assert_allclose(value, reference, rtol=1e-4, atol=1e-4, err_msg=name)


@pytest.fixture(scope="module", params=["lite", "lite-image"])
def exported(request, tmp_path_factory):
    torch.manual_seed(0)
    overrides = {"image_size": 48} if request.param == "lite-image" else None
    model = PoseMachine(get_config(request.param, overrides)).eval()
    path = export_onnx(model, tmp_path_factory.mktemp("onnx") / f"{request.param}.onnx")
    return model, path


def test_graph_names_and_metadata(exported):
    model, path = exported
    proto = onnx.load(str(path))
    inputs, outputs = onnx_io_names(model)
    assert [i.name for i in proto.graph.input] == inputs
    assert [o.name for o in proto.graph.output] == outputs
    assert "LSTM" in {node.op_type for node in proto.graph.node}
    metadata = {p.key: p.value for p in proto.metadata_props}
    assert json.loads(metadata["posemachines_config"]) == model.config.to_dict()
    assert metadata["joint_names"].split(",")[:2] == ["Hip", "RHip"]
    assert float(metadata["output_scale_mm"]) == 1000.0


def test_onnxruntime_matches_pytorch_on_a_clip_of_another_batch_size(exported):
    model, path = exported
    inputs, visibility_root = example_inputs(model.config, batch=3, frames=4)
    h0, c0 = (0.1 * torch.randn_like(s) for s in model.initial_state(3))
    feeds = {
        "frames" if model.config.input_path == "image" else "keypoints": inputs.numpy(),
        "h0": h0.numpy(),
        "c0": c0.numpy(),
    }
    if visibility_root is not None:
        feeds["visibility_root"] = visibility_root.numpy()
    session = _session(path)
    names = [o.name for o in session.get_outputs()]
    onnx_out = dict(zip(names, session.run(None, feeds), strict=True))
    _assert_match(onnx_out, _torch_outputs(model, inputs, visibility_root, (h0, c0)), 1000.0)


def test_streaming_through_onnxruntime_equals_the_pytorch_clip(exported):
    model, path = exported
    inputs, visibility_root = example_inputs(model.config, batch=1, frames=4)
    whole = _torch_outputs(model, inputs, visibility_root)
    session = _session(path)
    input_name = session.get_inputs()[0].name
    h, c = (s.numpy() for s in model.initial_state(1))
    poses = []
    for t in range(4):
        feeds = {input_name: inputs[:, t : t + 1].numpy(), "h0": h, "c0": c}
        if visibility_root is not None:
            feeds["visibility_root"] = visibility_root[:, t : t + 1].numpy()
        pose, _, _, h, c = session.run(
            ["pose3d_mm", "intermediate3d_mm", "projection2d_norm", "h1", "c1"], feeds
        )
        poses.append(pose)
    np.testing.assert_allclose(
        np.concatenate(poses, axis=1) / 1000, whole["pose3d_mm"] / 1000, rtol=1e-4, atol=1e-4
    )
    np.testing.assert_allclose(c, whole["c1"], rtol=1e-4, atol=1e-4)


def test_bidirectional_model_exports_without_state(tmp_path):
    torch.manual_seed(0)
    model = PoseMachine(get_config("lite", {"bidirectional": True,
                                             "visibility_root_dim": 0})).eval()
    path = export_onnx(model, tmp_path / "bi.onnx")
    inputs, _ = example_inputs(model.config, batch=2, frames=5)
    (pose,) = _session(path).run(["pose3d_mm"], {"keypoints": inputs.numpy()})
    reference = _torch_outputs(model, inputs, None)["pose3d_mm"]
    np.testing.assert_allclose(pose / 1000, reference / 1000, rtol=1e-4, atol=1e-4)


def test_cli_exports_a_checkpoint(tmp_path, capsys):
    torch.manual_seed(0)
    model = PoseMachine(get_config("lite")).eval()
    weights = save_checkpoint(tmp_path / "lite.pt", model)
    out = tmp_path / "lite.onnx"
    assert main(["export-onnx", str(out), "--weights", str(weights)]) == 0
    assert "keypoints, visibility_root, h0, c0" in capsys.readouterr().out
    inputs, visibility_root = example_inputs(model.config, batch=1, frames=2)
    h0, c0 = (s.numpy() for s in model.initial_state(1))
    (pose,) = _session(out).run(
        ["pose3d_mm"], {"keypoints": inputs.numpy(), "visibility_root": visibility_root.numpy(),
                        "h0": h0, "c0": c0}
    )
    reference = _torch_outputs(model, inputs, visibility_root)["pose3d_mm"]
    np.testing.assert_allclose(pose / 1000, reference / 1000, rtol=1e-4, atol=1e-4)


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["--config", "nope"], "Unknown model config 'nope'"),
        (["--full", "--weights", "{weights}"], "--full needs an image-path checkpoint"),
        (["--config", "paper", "--weights", "{weights}"], "does not match the checkpoint"),
        (["--weights", "{missing}"], "does not exist"),
    ],
)
def test_cli_errors_are_one_line_and_exit_2(tmp_path, capsys, args, message):
    weights = save_checkpoint(tmp_path / "lite.pt", PoseMachine(get_config("lite")))
    args = [a.format(weights=weights, missing=tmp_path / "missing.pt") for a in args]
    assert main(["export-onnx", str(tmp_path / "out.onnx"), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and "\n" not in err
    assert not (tmp_path / "out.onnx").exists()


def test_cli_full_exports_the_image_model_of_a_pose_config(tmp_path, capsys):
    out = tmp_path / "full.onnx"
    assert main(["export-onnx", str(out), "--config", "lite", "--full"]) == 0
    captured = capsys.readouterr()
    assert "model 'lite-image'" in captured.out and "random weights" in captured.err
    session = _session(out)
    assert [i.name for i in session.get_inputs()] == ["frames", "h0", "c0"]
    assert session.get_inputs()[0].shape[2:] == [3, 256, 256]
