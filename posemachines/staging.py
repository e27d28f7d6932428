"""Outputs appear whole or not at all.

Each file is written under a hidden name beside its own (`PARTIAL_PREFIX` + name, the same
suffix, so writers that pick a container by extension behave alike) and renamed onto its name
(`os.replace`, atomic within one file system) only once it is complete. A stop mid-write —
Ctrl-C, SIGTERM (which the CLI turns into the same exception), an error — deletes the partial
file, so no truncated video or JSON is ever left looking finished; a SIGKILL can leave only the
hidden partial file. Used by `write_outputs`, `write_people_outputs` and the several-people
viewer; every video by its encoder (`viz.video.VideoEncoder`); batch output folders use the
same prefix (`posemachines.batch.video`).
"""

from __future__ import annotations

import os
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path

PARTIAL_PREFIX = ".partial-"


def partial_path(path: Path) -> Path:
    """The hidden name `path` is written under until it is complete."""
    return path.with_name(f"{PARTIAL_PREFIX}{path.name}")


@contextmanager
def staged(*paths: Path) -> Iterator[tuple[Path, ...]]:
    """Yield the partial path of each of `paths` to write to; when the block ends normally,
    rename each partial file that exists onto its path, and when it raises (KeyboardInterrupt
    included), delete them all and re-raise."""
    partials = tuple(partial_path(Path(path)) for path in paths)
    try:
        yield partials
    except BaseException:
        for partial in partials:
            partial.unlink(missing_ok=True)
        raise
    for partial, path in zip(partials, paths, strict=True):
        if partial.exists():
            os.replace(partial, path)


def write_staged(path: Path, write: Callable[[Path], object]) -> Path:
    """Call `write(partial path)` and publish the file under `path` (`staged`); `path`."""
    with staged(path) as (partial,):
        write(partial)
    return path
