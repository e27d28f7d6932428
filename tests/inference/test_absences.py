"""The single-person path names when the person came back after more than a second away."""

from __future__ import annotations

import dataclasses

import numpy as np

from posemachines.inference.absences import (
    absence_warning,
    returns_after_absence_s,
    with_absence_warning,
)
from tests.export.sample_poses import make_result


def test_returns_after_absences_longer_than_a_second() -> None:
    # Poses at 30 fps with 20 frames missing (0.70 s between poses), then 30 (1.03 s), then 50.
    frames = np.concatenate([np.arange(0, 60), np.arange(80, 120), np.arange(150, 200),
                             np.arange(250, 260)])
    times = frames / 30.0
    np.testing.assert_allclose(returns_after_absence_s(times), [5.0, 250 / 30.0])
    assert absence_warning(times) == (
        "The person was out of view for more than 1 s 2 time(s), back at 5.0, 8.3 s: if someone "
        "else came back, follow each person with max_people (--max-people).")
    assert absence_warning(np.arange(90) / 30.0) is None
    assert returns_after_absence_s(np.array([3.0])).size == 0


def test_only_the_first_five_returns_are_listed() -> None:
    times = 2.0 * np.arange(8)  # a pose every 2 s: 7 returns
    assert "back at 2.0, 4.0, 6.0, 8.0, 10.0 ... s" in absence_warning(times)
    assert "7 time(s)" in absence_warning(times)


def test_the_warning_joins_the_world_warnings_and_keeps_the_rest() -> None:
    result = make_result(6, with_scene=True)
    away = dataclasses.replace(result, timestamps_s=np.array([0.0, 0.04, 0.08, 2.0, 2.04, 2.08]))
    warned = with_absence_warning(away)
    assert warned.world.warnings[0] == "A test warning."
    assert warned.world.warnings[1].startswith("The person was out of view for more than 1 s "
                                               "1 time(s), back at 2.0 s")
    np.testing.assert_array_equal(warned.world.joints_mm, away.world.joints_mm)
    assert with_absence_warning(result) is result  # 25 fps, one frame missing: no warning
    no_world = make_result(6)
    assert with_absence_warning(dataclasses.replace(no_world, timestamps_s=away.timestamps_s)
                                ).world is None
