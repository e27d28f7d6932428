"""`posemachines analyze RESULT`: joint angles, falls, repetitions and actions from an `infer`
result."""

from __future__ import annotations

import argparse
from pathlib import Path

from posemachines.structures.analysis import (
    ActionsSection,
    AnalysisReport,
    AnglesSection,
    FallsSection,
    RepsSection,
    Skipped,
)


def register(subparsers: argparse._SubParsersAction) -> None:
    parser = subparsers.add_parser(
        "analyze",
        help="joint angles, fall events, repetition counts and actions from a 3D pose result",
        description="Reads poses3d.npz/poses3d.json (or a folder holding one) and writes "
                    "analysis.json and analysis.png (and actions.png with --actions). Without "
                    "--angles/--falls/--reps/--actions it runs angles and falls, skipping what "
                    "the result is too short for.",
    )
    parser.add_argument("result", type=Path, help="result folder, poses3d.npz or poses3d.json")
    parser.add_argument("--angles", action="store_true", help="per-frame joint angles")
    parser.add_argument("--falls", action="store_true", help="fall events")
    parser.add_argument("--reps", metavar="JOINT", default=None,
                        help="count repetitions of this angle or joint (e.g. knee_flexion_L, "
                             "LKnee, RShoulder)")
    parser.add_argument("--actions", action="store_true",
                        help="recognise actions (walk, run, wave, bow, fall ...) over time")
    parser.add_argument("--action-weights", type=Path, default=None,
                        help="action classifier weights (default: the shipped actions.pt)")
    parser.add_argument("--min-fall-confidence", type=float, default=0.5,
                        help="report falls at or above this confidence (default 0.5)")
    parser.add_argument("--out", type=Path, default=None,
                        help="output folder (default: the result's folder)")
    parser.add_argument("--no-plot", action="store_true",
                        help="skip analysis.png and actions.png")
    parser.set_defaults(func=run_analyze)


def run_analyze(args: argparse.Namespace) -> int:
    # On use, not at import: the analysis and plotting stack (scipy.signal, matplotlib) would
    # add about a second to every `posemachines` command, --help included.
    from posemachines.analysis.report import analyze_result
    from posemachines.analysis.report_json import write_analysis
    from posemachines.export.formats import load_result
    from posemachines.viz.analysis_plots import write_analysis_plots

    result = load_result(args.result)
    chosen = args.angles or args.falls or args.reps is not None or args.actions
    out_dir = args.out or (args.result if args.result.is_dir() else args.result.parent)
    report = analyze_result(
        result,
        angles=args.angles or not chosen,
        falls=args.falls or not chosen,
        reps=args.reps,
        min_fall_confidence=args.min_fall_confidence,
        actions=args.actions,
        action_weights=args.action_weights,
        strict=chosen,
    )
    write_analysis(report, out_dir)
    if not args.no_plot:
        write_analysis_plots(report, out_dir)
    print(summary_line(report, out_dir))
    return 0


def summary_line(report: AnalysisReport, out_dir: Path) -> str:
    """One line: what was found and where it was written."""
    parts = [f"{report.num_frames} poses"]
    sections = (("angles", report.angles), ("falls", report.falls), ("reps", report.reps),
                ("actions", report.actions))
    for key, section in sections:
        if isinstance(section, Skipped):
            parts.append(f"{key} skipped ({section.reason})")
        elif isinstance(section, AnglesSection):
            parts.append(f"{len(section.names)} angles")
        elif isinstance(section, FallsSection):
            parts.append(f"{len(section.events)} fall(s)")
        elif isinstance(section, ActionsSection):
            labels = dict.fromkeys(s.label for s in section.segments)
            parts.append(f"{len(section.segments)} action segment(s) ({', '.join(labels)})")
        elif isinstance(section, RepsSection):
            parts.append(f"{section.count} repetition(s) of {section.angle}")
    return f"{', '.join(parts)} -> {out_dir}"
