"""The `posemachines` command: a thin argparse layer over the Python API.

Every module in this package that defines `register(subparsers)` adds its subcommand(s); the
handler it sets as `func` returns an exit code. Library errors become one line on stderr and
exit code 2, never a traceback.
"""

from __future__ import annotations

import argparse
import importlib
import pkgutil
import sys

from posemachines.errors import PoseMachinesError
from posemachines.version import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="posemachines",
        description="3D human pose from images, videos and 2D keypoints (3D Pose Machines).",
    )
    parser.add_argument("--version", action="version", version=f"posemachines {__version__}")
    subparsers = parser.add_subparsers(dest="command", metavar="COMMAND")
    for info in sorted(pkgutil.iter_modules(__path__), key=lambda m: m.name):
        module = importlib.import_module(f"{__name__}.{info.name}")
        register = getattr(module, "register", None)
        if register is not None:
            register(subparsers)
    return parser


def main(argv: list[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    if getattr(args, "func", None) is None:
        parser.print_help()
        return 0 if args.command is None else 2
    try:
        return int(args.func(args) or 0)
    except PoseMachinesError as error:
        print(f"posemachines: error: {error}", file=sys.stderr)
        return 2
    except KeyboardInterrupt:
        print("posemachines: interrupted", file=sys.stderr)
        return 130


if __name__ == "__main__":
    sys.exit(main())
