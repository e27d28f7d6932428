"""The frame progress bar ends on the frames that came, not the container's estimate."""

from __future__ import annotations

from posemachines.cli.progress import FrameProgress


def test_an_overestimate_settles_on_the_true_count() -> None:
    with FrameProgress(207, "clip") as progress:
        for _ in range(185):
            progress.update()
    assert (progress.bar.n, progress.bar.total) == (185, 185)


def test_an_underestimate_grows_as_frames_arrive() -> None:
    with FrameProgress(3, "clip") as progress:
        for _ in range(5):
            progress.update()
            assert progress.bar.total >= progress.bar.n
    assert (progress.bar.n, progress.bar.total) == (5, 5)


def test_an_unknown_count_still_counts() -> None:
    with FrameProgress(0, "clip") as progress:
        progress.update()
    assert progress.bar.n == 1
