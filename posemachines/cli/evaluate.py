"""`posemachines evaluate --protocol P --data PATH [...]`: score a lifter under a protocol.

Prints the table (Markdown) and writes OUT.md, OUT.csv and OUT.json (see docs/evaluation.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path

from posemachines.errors import PoseInputError


def register(subparsers: argparse._SubParsersAction) -> None:
    from posemachines.correction.methods import CORRECTION_METHODS
    from posemachines.evaluation.protocols import PROTOCOL_NAMES

    parser = subparsers.add_parser(
        "evaluate",
        help="score a lifter on Human3.6M / HumanEva-I protocols or our mocap protocols",
        description="Human3.6M #1 (MPJPE), #2 and #3 (PA-MPJPE) and HumanEva-I read a "
        "VideoPose3D-layout folder (or a 3d-pose-baseline tree); mocap-heldout, cross-mocap and "
        "lafan1-heldout read the npz of `posemachines data mocap`.",
    )
    parser.add_argument("--protocol", required=True, choices=PROTOCOL_NAMES)
    parser.add_argument("--data", type=Path, default=None,
                        help="dataset folder (Human3.6M / HumanEva-I) or mocap npz")
    parser.add_argument("--weights", default=None,
                        help="lifter: a shipped name, 'mocap' (default), 'lite' or 'cmu', or a "
                             "checkpoint path")
    parser.add_argument("--input", dest="input_source", default="gt",
                        help="2D source: gt, or the <source> of data_2d_<dataset>_<source>.npz")
    parser.add_argument("--correction", choices=CORRECTION_METHODS, default="none",
                        help="test-time correction (default none; geometric is inference's "
                             "default)")
    parser.add_argument("--stride", type=int, default=None,
                        help="score every N-th frame (default: the protocol's)")
    parser.add_argument("--camera-shift", action="store_true",
                        help="mocap protocols: cameras 2.2-3.5 m high, focal 2.0-3.0x width")
    parser.add_argument("--cameras-per-take", type=int, default=4,
                        help="mocap protocols: virtual cameras per take (default 4)")
    parser.add_argument("--seed", type=int, default=0, help="mocap protocols: camera/noise seed")
    parser.add_argument("--fixtures", type=Path, default=None,
                        help="cross-mocap: folder of the real Human3.6M / MPI-INF-3DHP fixture "
                             "frames (default: $POSEMACHINES_SHARED_DATA/fixtures, else "
                             "../shared/data/fixtures; skipped when absent)")
    parser.add_argument("--flip-test", action="store_true",
                        help="average every lift with that of the mirrored 2D (test-time "
                             "augmentation; twice the lifting time)")
    parser.add_argument("--time-reversal", action="store_true",
                        help="average every lift with that of the clip played backwards "
                             "(test-time augmentation; twice the lifting time)")
    parser.add_argument("--causal", action="store_true",
                        help="mocap protocols: the live (causal) pipeline against the offline "
                             "one, row by row (docs/live.md)")
    parser.add_argument("--out", type=Path, default=Path("report.md"),
                        help="report path; .md, .csv and .json are written (default report.md)")
    parser.add_argument("--device", default="cpu")
    parser.add_argument("--no-progress", dest="progress", action="store_false",
                        help="hide the progress bar")
    parser.set_defaults(func=_run)


def _run(args: argparse.Namespace) -> int:
    from posemachines.evaluation.options import EvaluationOptions
    from posemachines.evaluation.runner import evaluate, load_lifter
    from posemachines.models.shipped import resolve_lifter_weights

    if args.data is None:
        raise PoseInputError(f"--data is required: the dataset folder or mocap npz for "
                             f"protocol {args.protocol}.")
    if not args.data.exists():
        raise PoseInputError(f"--data {args.data} does not exist.")
    if args.stride is not None and args.stride < 1:
        raise PoseInputError(f"--stride must be at least 1, got {args.stride}.")
    weights = resolve_lifter_weights(args.weights)
    model = load_lifter(weights, args.device)
    options = EvaluationOptions(
        input_source=args.input_source, correction=args.correction, stride=args.stride,
        camera_shift=args.camera_shift, cameras_per_take=args.cameras_per_take, seed=args.seed,
        fixtures=args.fixtures, flip_test=args.flip_test, time_reversal=args.time_reversal,
        causal=args.causal,
        device=args.device, progress=args.progress, weights_label=str(weights),
    )
    report = evaluate(model, args.protocol, args.data, options)
    print(report.to_markdown())
    paths = report.write(args.out)
    print("wrote " + ", ".join(str(path) for path in paths))
    return 0
