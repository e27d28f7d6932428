"""`posemachines data ...`: convert motion capture and dataset layouts."""

from __future__ import annotations

import argparse
from pathlib import Path


def register(subparsers: argparse._SubParsersAction) -> None:
    data = subparsers.add_parser("data", help="convert mocap and dataset layouts")
    commands = data.add_subparsers(dest="data_command", metavar="DATA_COMMAND", required=True)

    mocap = commands.add_parser("mocap", help="convert a BVH tree into 16-joint positions (mm)")
    mocap.add_argument("root", type=Path, help="folder searched recursively for .bvh files")
    mocap.add_argument("out", type=Path, help="output .npz")
    mocap.add_argument("--fps", type=float, default=30.0, help="output frame rate (default 30)")
    mocap.set_defaults(func=_run_mocap)

    convert = commands.add_parser(
        "convert", help="3d-pose-baseline h5 layout -> VideoPose3D npz layout"
    )
    convert.add_argument(
        "src", type=Path, help="root holding S*/MyPoses/3D_positions and cameras.h5"
    )
    convert.add_argument(
        "out_dir", type=Path, help="folder for data_3d_h36m.npz and data_2d_h36m_gt.npz"
    )
    convert.set_defaults(func=_run_convert)


def _run_mocap(args: argparse.Namespace) -> int:
    from posemachines.data.mocap import convert_mocap_tree

    summary = convert_mocap_tree(args.root, args.out, fps=args.fps, progress=True)
    for name, defects in summary.skipped.items():
        print(f"skipped {name}: {defects}")
    print(
        f"converted {summary.num_files} files: {summary.num_frames} frames "
        f"({summary.hours:.2f} h at {args.fps:g} fps) -> {args.out}"
        + (f"; skipped {len(summary.skipped)} with capture defects" if summary.skipped else "")
    )
    return 0


def _run_convert(args: argparse.Namespace) -> int:
    from posemachines.data.h36m_baseline import convert_to_videopose3d

    written = convert_to_videopose3d(args.src, args.out_dir)
    for path in written:
        print(f"wrote {path}")
    return 0
