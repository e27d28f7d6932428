"""Long absences of the one person the single-person path follows.

The single-person detector follows whoever is in view. When the person is out of view for more
than a second and someone comes back, one track holds both: seven people walk one by one
through `people_one_by_one_back_intel.mp4`, and their different lifted sizes move the floor,
so the camera reads as moving. The result then says when the person came back and how to follow
each person (`max_people`, `--max-people`).
"""

from __future__ import annotations

from dataclasses import replace

import numpy as np

from posemachines.structures import PoseResult

#: Out of view for longer than this (s), the person who comes back may be someone else.
LONG_ABSENCE_S = 1.0


def returns_after_absence_s(timestamps_s: np.ndarray,
                            long_absence_s: float = LONG_ABSENCE_S) -> np.ndarray:
    """Times (s) of the poses that come after more than `long_absence_s` without one:
    timestamps_s (T,) increasing, one per pose."""
    times = np.asarray(timestamps_s, dtype=np.float64)
    if len(times) < 2:
        return np.empty(0)
    return times[1:][np.diff(times) > long_absence_s]


def absence_warning(timestamps_s: np.ndarray, long_absence_s: float = LONG_ABSENCE_S
                    ) -> str | None:
    """One sentence naming when the person came back after a long absence, or None."""
    back = returns_after_absence_s(timestamps_s, long_absence_s)
    if not len(back):
        return None
    shown = ", ".join(f"{time:.1f}" for time in back[:5]) + (" ..." if len(back) > 5 else "")
    return (f"The person was out of view for more than {long_absence_s:g} s {len(back)} "
            f"time(s), back at {shown} s: if someone else came back, follow each person with "
            f"max_people (--max-people).")


def with_absence_warning(result: PoseResult) -> PoseResult:
    """`result` with `absence_warning` added to its world's warnings (unchanged without a
    world or an absence)."""
    warning = absence_warning(result.timestamps_s)
    if warning is None or result.world is None:
        return result
    return replace(result, world=replace(result.world,
                                         warnings=(*result.world.warnings, warning)))
