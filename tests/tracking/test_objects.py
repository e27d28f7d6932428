"""Tracks that are not people: static and flat (a cloth on a lawn) against people."""

from __future__ import annotations

import numpy as np
import pytest

from posemachines.errors import PoseDataError
from posemachines.tracking.objects import is_static_object
from tests.tracking.synthetic import walk


def lying(xy: np.ndarray) -> np.ndarray:
    """(T, 16, 2) px: the same poses turned 90 degrees about each frame's feet (lying flat)."""
    feet = xy[:, [3, 6]].mean(axis=1, keepdims=True)
    offset = xy - feet
    return feet + np.stack([-offset[..., 1], offset[..., 0]], axis=-1)


def test_a_flat_thing_that_never_moves_is_an_object() -> None:
    rng = np.random.default_rng(0)
    cloth = lying(walk((100, 500), (100, 500), 60, 90)) + rng.normal(0, 1.5, (90, 16, 2))
    assert is_static_object(cloth)


def test_people_are_not_objects() -> None:
    standing = walk((600, 700), (602, 700), 300, 90)           # still, but upright
    fallen = lying(walk((600, 700), (800, 700), 300, 90))      # flat, but crawling
    walker = walk((100, 700), (900, 700), 300, 90)
    assert not any(is_static_object(xy) for xy in (standing, fallen, walker))


def test_bad_shapes_are_refused() -> None:
    with pytest.raises(PoseDataError):
        is_static_object(np.zeros((0, 16, 2)))
    with pytest.raises(PoseDataError):
        is_static_object(np.zeros((5, 17, 2)))
