"""Check that a change left the pipeline's numbers alone: snapshot, then compare.

    python scripts/compare_outputs.py snapshot before/   # on the old code
    python scripts/compare_outputs.py snapshot after/    # on the new code
    python scripts/compare_outputs.py compare before/ after/

`snapshot` runs `posemachines demo` and `posemachines infer` on two shipped real clips (JSON,
NPZ, CSV and BVH); `compare` exits 1 naming the first difference between two snapshots (every
number must be identical; only the generator's version string and the folder of the source
file may differ).
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from pathlib import Path

import numpy as np

SHARED = (Path(os.environ["POSEMACHINES_SHARED_DATA"]) if "POSEMACHINES_SHARED_DATA" in os.environ
          else Path(__file__).resolve().parents[2] / "shared" / "data")
CLIPS = ("squat_sit_stand_front_gmdcsa.mp4", "walk_reading_side_gmdcsa.mp4")
FORMATS = "json,npz,csv,bvh"


def snapshot(out: Path) -> None:
    """Run the demo and `infer` on CLIPS into out/<name>/."""
    cli = [sys.executable, "-m", "posemachines"]
    commands = [[*cli, "demo", "--out", str(out / "demo"), "--format", FORMATS]]
    commands += [[*cli, "infer", str(SHARED / "media" / clip), "--out", str(out / Path(clip).stem),
                  "--format", FORMATS] for clip in CLIPS]
    for command in commands:
        subprocess.run(command, check=True)


def json_difference(a: object, b: object, where: str) -> str | None:
    """Where two JSON documents first differ (None if they are equal)."""
    if isinstance(a, dict) and isinstance(b, dict):
        if a.keys() != b.keys():
            return f"{where}: keys {sorted(a.keys() ^ b.keys())} differ"
        for key in a:
            x, y = a[key], b[key]
            if key == "generator":
                continue
            if key == "source":
                x, y = Path(x).name, Path(y).name
            if found := json_difference(x, y, f"{where}.{key}"):
                return found
        return None
    if isinstance(a, list) and isinstance(b, list):
        if len(a) != len(b):
            return f"{where}: {len(a)} vs {len(b)} items"
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            if found := json_difference(x, y, f"{where}[{index}]"):
                return found
        return None
    return None if a == b else f"{where}: {a!r} vs {b!r}"


def file_difference(a: Path, b: Path) -> str | None:
    if a.suffix == ".json":
        return json_difference(json.loads(a.read_text()), json.loads(b.read_text()), a.name)
    if a.suffix == ".npz":
        with np.load(a) as x, np.load(b) as y:
            if set(x.files) != set(y.files):
                return f"{a.name}: arrays {sorted(set(x.files) ^ set(y.files))} differ"
            for key in x.files:
                if key == "source":
                    same = Path(str(x[key])).name == Path(str(y[key])).name
                else:
                    same = np.array_equal(x[key], y[key])
                if not same:
                    return f"{a.name}: array {key} differs"
        return None
    return None if a.read_bytes() == b.read_bytes() else f"{a.name}: contents differ"


def compare(before: Path, after: Path) -> int:
    files = sorted(p.relative_to(before) for p in before.rglob("*") if p.is_file())
    if not files:
        print(f"{before} holds no snapshot", file=sys.stderr)
        return 1
    for relative in files:
        if not (after / relative).is_file():
            print(f"missing in {after}: {relative}", file=sys.stderr)
            return 1
        if found := file_difference(before / relative, after / relative):
            print(f"{relative.parent}: {found}", file=sys.stderr)
            return 1
    print(f"{len(files)} files identical")
    return 0


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    commands = parser.add_subparsers(dest="command", required=True)
    commands.add_parser("snapshot").add_argument("out", type=Path)
    pair = commands.add_parser("compare")
    pair.add_argument("before", type=Path)
    pair.add_argument("after", type=Path)
    args = parser.parse_args()
    if args.command == "snapshot":
        snapshot(args.out)
        return 0
    return compare(args.before, args.after)


if __name__ == "__main__":
    sys.exit(main())
