"""Tracks that are not people: things the landmark model bends into a lying pose.

BlazePose's detector and landmark model find "people" in some objects: a yellow cloth on the
lawn of the mall clip (opencv_vtest.avi), a bag on a bench. Such a track has a plausible
skeleton frame by frame (high pose presence, bone proportions near a person's), but it never
moves and lies flat, wider than tall, from its first frame to its last. A person who falls
was upright and moving before; one lying still for a whole video is dropped with the objects
(the one case this rule gets wrong).
"""

from __future__ import annotations

import numpy as np

from posemachines.errors import PoseDataError

#: A track is static when its hip centre stays within this fraction of its body's size
#: (the median extent of its joints, the larger of width and height) over its whole life: the
#: cloth moves 0.12 of its size, a flat skeleton laid along a barrier tape 0.43 (landmark
#: jitter along its long side), a walker many times their size.
STATIC_FRACTION = 0.5
#: ... and lies flat when the median width / height of its joints is above this: the cloth
#: measures 3.2, people standing or walking 0.2-0.35, sitting up to ~0.8.
FLAT_ASPECT = 1.2


def is_static_object(xy_px: np.ndarray) -> bool:
    """Whether a track of (T, 16, 2) px joints never moves and lies flat (see the module
    docstring)."""
    xy = np.asarray(xy_px, dtype=np.float64)
    if xy.ndim != 3 or xy.shape[1:] != (16, 2) or len(xy) == 0:
        raise PoseDataError(f"is_static_object needs (T, 16, 2) joints, got {xy.shape}.")
    extent = np.ptp(xy, axis=1)  # (T, 2) width, height
    size = float(np.median(extent.max(axis=1)))
    travel = float(np.ptp(xy[:, 0], axis=0).max())  # the hip centre's range, x or y
    aspect = float(np.median(extent[:, 0] / np.maximum(extent[:, 1], 1.0)))
    return travel < STATIC_FRACTION * size and aspect > FLAT_ASPECT
