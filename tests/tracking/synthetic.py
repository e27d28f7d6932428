"""Synthetic 2D people for tracker tests: stick figures walking along lines, with occlusion.

A person is (T, 16, 2) px in JOINTS16 order; the nearer person (larger depth rank first in
`occlude`) hides the joints of the others that fall inside its box.
"""

from __future__ import annotations

import numpy as np

from posemachines.tracking import FramePeople, boxes_from_keypoints
from posemachines.tracking.similarity import corners

#: JOINTS16 template, person 1 tall, feet centre at (0, 0), image y down.
TEMPLATE = np.array([
    [0.0, -0.53], [-0.06, -0.53], [-0.07, -0.28], [-0.07, -0.02],    # Hip, RHip, RKnee, RFoot
    [0.06, -0.53], [0.07, -0.28], [0.07, -0.02],                     # LHip, LKnee, LFoot
    [0.0, -0.65], [0.0, -0.8], [0.0, -0.95],                          # Spine, Thorax, Head
    [0.11, -0.8], [0.13, -0.65], [0.14, -0.5],                        # LShoulder, LElbow, LWrist
    [-0.11, -0.8], [-0.13, -0.65], [-0.14, -0.5],                     # RShoulder, ...
])
_SWING = np.zeros((16, 2))
_SWING[[2, 3], 0] = [0.05, 0.12]
_SWING[[5, 6], 0] = [-0.05, -0.12]
_SWING[[11, 12], 0] = [-0.04, -0.08]
_SWING[[14, 15], 0] = [0.04, 0.08]


def walk(start_px: tuple[float, float], end_px: tuple[float, float], height_px: float,
         num_frames: int, steps_per_frame: float = 0.06) -> np.ndarray:
    """(T, 16, 2) px: a stick figure `height_px` tall whose feet move from start to end."""
    t = np.linspace(0.0, 1.0, num_frames)[:, None]
    feet = (1 - t) * np.asarray(start_px) + t * np.asarray(end_px)
    phase = np.sin(2 * np.pi * steps_per_frame * np.arange(num_frames))[:, None, None]
    shape = TEMPLATE[None] + phase * _SWING[None]
    return feet[:, None, :] + shape * height_px


def occlude(people_xy: np.ndarray, near_first: list[int], hidden_fraction: float = 0.6
            ) -> tuple[np.ndarray, np.ndarray]:
    """Confidence (P, T, 16) (0 = hidden by a nearer person) and presence (P, T) (False when
    more than `hidden_fraction` of the joints are hidden) of people (P, T, 16, 2) px;
    near_first: person indices from nearest to farthest."""
    num_people, num_frames = people_xy.shape[:2]
    confidence = np.full((num_people, num_frames, 16), 0.9)
    for rank, person in enumerate(near_first):
        for nearer in near_first[:rank]:
            for t in range(num_frames):
                box = corners(boxes_from_keypoints(people_xy[nearer, t][None],
                                                   np.ones((1, 16))))[0]
                xy = people_xy[person, t]
                inside = ((xy[:, 0] > box[0]) & (xy[:, 0] < box[2])
                          & (xy[:, 1] > box[1]) & (xy[:, 1] < box[3]))
                confidence[person, t, inside] = 0.0
    present = (confidence == 0).mean(axis=2) <= hidden_fraction
    return confidence, present


def frame_people(people_xy: np.ndarray, confidence: np.ndarray, present: np.ndarray,
                 rng: np.random.Generator, noise_px: float = 2.0
                 ) -> tuple[list[FramePeople], list[np.ndarray]]:
    """Per frame, the present people in shuffled order with pixel noise, and their true ids."""
    frames, truths = [], []
    for t in range(people_xy.shape[1]):
        ids = rng.permutation(np.flatnonzero(present[:, t]))
        xy = people_xy[ids, t] + rng.normal(0.0, noise_px, (len(ids), 16, 2))
        frames.append(FramePeople(xy, confidence[ids, t], np.full(len(ids), 0.9)))
        truths.append(ids)
    return frames, truths
