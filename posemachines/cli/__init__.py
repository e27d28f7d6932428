"""The `posemachines` command: a thin argparse layer over the Python API.

`COMMANDS` names every subcommand, the module of this package that implements it (its
`register(subparsers)` adds the command's parser, whose `func` returns an exit code) and its
one-line help. Library errors become one line on stderr and exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import signal
import sys
import threading
from collections.abc import Sequence
from types import FrameType

from posemachines.errors import PoseMachinesError
from posemachines.version import __version__

#: Subcommand -> (module in posemachines.cli, one-line help), in the order `--help` lists them.
#: Only the module of the command being run is imported, when it runs: the commands' stacks
#: (torch, scipy, cv2, matplotlib: seconds) are a start-up cost that `posemachines --help` and
#: every other command must not pay (issue 21). tests/cli/test_main.py keeps this table and
#: the modules' own parsers in step.
COMMANDS: dict[str, tuple[str, str]] = {
    "analyze": ("analyze", "joint angles, fall events, repetition counts and actions from a "
                           "3D pose result"),
    "ar": ("ar", "AR: 3D props attached to the person (crown, cape, flames ...) -> ar.mp4"),
    "batch": ("batch", "many videos: folders, globs or a CSV/JSONL manifest, resumable"),
    "data": ("data", "convert mocap and dataset layouts"),
    "evaluate": ("evaluate", "score a lifter on Human3.6M / HumanEva-I protocols or our mocap "
                             "protocols"),
    "export-onnx": ("export_onnx", "export the network to ONNX (LSTM state as explicit "
                                   "inputs/outputs)"),
    "infer": ("infer", "3D poses from a video, image, folder or keypoints"),
    "demo": ("infer", "run `infer` on the shipped sample video (a man squatting, 3 s)"),
    "live": ("live", "3D pose live from a camera, stream URL or video (optionally in a page)"),
    "train": ("train", "train a model from a stage config (configs/*.yaml)"),
}


def command_of(argv: Sequence[str]) -> str | None:
    """The subcommand named in `argv` (the first argument that is not an option), if any: the
    top-level parser has only options without values (--help, --version) before it."""
    return next((arg for arg in argv if not arg.startswith("-")), None)


def build_parser(command: str | None = None) -> argparse.ArgumentParser:
    """The parser with every subcommand listed; `command`'s own parser (its arguments, its
    `func`) comes from its module, imported here; the other commands stay one-line stubs."""
    parser = argparse.ArgumentParser(
        prog="posemachines",
        description="3D human pose from images, videos and 2D keypoints (3D Pose Machines).",
    )
    parser.add_argument("--version", action="version", version=f"posemachines {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    loaded = COMMANDS[command][0] if command in COMMANDS else None
    for name, (module, text) in COMMANDS.items():
        if module != loaded:
            subparsers.add_parser(name, help=text, add_help=False)
        elif name == command:  # the module adds all of its commands (infer adds demo too)
            importlib.import_module(f"{__name__}.{module}").register(subparsers)
    return parser


#: The one line for a command that needs torch where it is not installed (it is optional:
#: 3D poses run without it).
TORCH_MISSING = (
    "this needs torch (training, evaluation, ONNX export, actions, --correction paper, "
    "--device cuda), which is not installed: pip install 'posemachines[torch]' (the CPU build: "
    "pip install torch --index-url https://download.pytorch.org/whl/cpu). 3D poses (infer, "
    "demo, batch, live) run without it."
)


class Terminated(KeyboardInterrupt):
    """SIGTERM as an exception, so that a stop by the system or a job runner unwinds like
    Ctrl-C: partial files are deleted (`posemachines.staging`), workers are stopped."""


def _raise_terminated(signum: int, frame: FrameType | None) -> None:
    raise Terminated


def main(argv: list[str] | None = None) -> int:
    arguments = sys.argv[1:] if argv is None else argv
    # Handlers can only be set from the main thread; a SIGTERM someone else handles or ignores
    # (as a parent may for its jobs) is left to them.
    if (threading.current_thread() is not threading.main_thread()
            or signal.getsignal(signal.SIGTERM) != signal.SIG_DFL):
        return _run(arguments)
    previous = signal.signal(signal.SIGTERM, _raise_terminated)
    try:
        return _run(arguments)
    finally:
        signal.signal(signal.SIGTERM, previous)


def _run(arguments: list[str]) -> int:
    """Parse and run one command; errors and stops become one line and an exit code."""
    try:
        parser = build_parser(command_of(arguments))
        args = parser.parse_args(arguments)
        if getattr(args, "func", None) is None:
            parser.print_help()
            return 0 if args.command is None else 2
        return int(args.func(args) or 0)
    except PoseMachinesError as error:
        print(f"posemachines: error: {error}", file=sys.stderr)
        return 2
    except ModuleNotFoundError as error:
        if error.name is None or error.name.split(".")[0] != "torch":
            raise
        print(f"posemachines: error: {TORCH_MISSING}", file=sys.stderr)
        return 2
    # A stop can cut a progress bar's line short, so the stop's own line starts afresh.
    except Terminated:
        print("\nposemachines: terminated", file=sys.stderr)
        return 128 + signal.SIGTERM
    except KeyboardInterrupt:
        print("\nposemachines: interrupted", file=sys.stderr)
        return 128 + signal.SIGINT


if __name__ == "__main__":
    sys.exit(main())
