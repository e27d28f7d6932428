"""A small hand-made PeopleResult for the several-people writer tests."""

from __future__ import annotations

import numpy as np

from posemachines.structures import PoseResult
from posemachines.structures.people import PeopleResult

FPS, SIZE, NUM_FRAMES = 25.0, (320, 240), 12


def person(frames: list[int], offset_px: float, seed: int) -> PoseResult:
    """A person found in `frames` (source frame numbers), drawn `offset_px` to the right."""
    rng = np.random.default_rng(seed)
    count = len(frames)
    pose = rng.normal(0.0, 200.0, (count, 16, 3)).astype(np.float32)
    pose -= pose[:, :1]
    xy = (rng.uniform(20, 100, (count, 16, 2)) + [offset_px, 40]).astype(np.float32)
    return PoseResult(
        pose3d_mm=pose, keypoints_px=xy,
        confidence=rng.uniform(0.2, 1.0, (count, 16)).astype(np.float32),
        frame_indices=np.array(frames, dtype=np.int64),
        timestamps_s=np.array(frames, dtype=np.float64) / FPS, fps=FPS, image_size=SIZE,
        source="crowd.mp4",
        missing_frames=tuple(i for i in range(frames[0], frames[-1]) if i not in frames),
        root_translation_mm=np.tile([0.0, 0.0, 3000.0], (count, 1)) + np.arange(count)[:, None],
    )


def sample_people() -> PeopleResult:
    """Person 1 in frames 0-9, person 3 in frames 3, 4, 5, 8, 9, 10 (hidden in 6 and 7)."""
    return PeopleResult({3: person([3, 4, 5, 8, 9, 10], 180.0, 1),
                         1: person(list(range(10)), 0.0, 0)},
                        NUM_FRAMES, FPS, SIZE, "crowd.mp4")
