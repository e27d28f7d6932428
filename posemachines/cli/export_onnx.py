"""`posemachines export-onnx`: write a PoseMachine (pose-only or full image model) as ONNX."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "export-onnx",
        help="export the network to ONNX (LSTM state as explicit inputs/outputs)",
        description="Export a PoseMachine to ONNX. Without --weights the weights are random "
        "(useful to check the graph and runtimes only).",
    )
    parser.add_argument("out", type=Path, help="output .onnx file")
    parser.add_argument(
        "--config",
        default=None,
        help="model config name (default: lite, or the checkpoint's own config)",
    )
    parser.add_argument("--weights", type=Path, default=None, help="checkpoint (.pt) to export")
    parser.add_argument(
        "--full",
        action="store_true",
        help="export the full image model (CPM + transformer + projector) instead of the "
        "pose-only one",
    )
    parser.set_defaults(func=_run_export)


def _run_export(args: argparse.Namespace) -> int:
    from posemachines.errors import PoseModelError
    from posemachines.export.onnx import export_onnx, onnx_io_names
    from posemachines.models import PoseMachine, get_config, load_checkpoint
    from posemachines.models.configs import FULL_MODEL

    if args.weights is not None:
        model, _ = load_checkpoint(args.weights)
        if args.config is not None and args.config != model.config.name:
            raise PoseModelError(
                f"--config {args.config} does not match the checkpoint's config "
                f"'{model.config.name}'."
            )
        if args.full and model.config.input_path != "image":
            raise PoseModelError(
                f"--full needs an image-path checkpoint; {args.weights} holds the pose-only "
                f"model '{model.config.name}'."
            )
    else:
        name = args.config or "lite"
        get_config(name)  # unknown names fail here with the list of known ones
        model = PoseMachine(get_config(FULL_MODEL[name] if args.full else name))
        print("note: no --weights given, exporting random weights", file=sys.stderr)
    path = export_onnx(model, args.out)
    inputs, outputs = onnx_io_names(model)
    print(
        f"wrote {path} (model '{model.config.name}'; inputs: {', '.join(inputs)}; "
        f"outputs: {', '.join(outputs)})"
    )
    return 0
