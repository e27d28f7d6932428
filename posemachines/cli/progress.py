"""A frame progress bar whose total follows the frames that actually arrive.

A container's frame count is an estimate (207 for a 185-frame clip is common): the bar grows its
total when more frames come, and settles on the true count when the video ends.
"""

from __future__ import annotations

import sys
from types import TracebackType

from tqdm import tqdm


class FrameProgress:
    """tqdm over frames: `update()` once per frame; the total is corrected as frames arrive."""

    def __init__(self, estimate: int, name: str) -> None:
        self.bar = tqdm(total=max(int(estimate), 0) or None, unit="frame", desc=name,
                        file=sys.stderr)

    def update(self) -> None:
        if self.bar.total is not None and self.bar.n + 1 > self.bar.total:
            self.bar.total = self.bar.n + 1
        self.bar.update()

    def __enter__(self) -> FrameProgress:
        return self

    def __exit__(self, kind: type[BaseException] | None, error: BaseException | None,
                 trace: TracebackType | None) -> None:
        if kind is None:
            self.bar.total = self.bar.n
            self.bar.refresh()
        self.bar.close()
