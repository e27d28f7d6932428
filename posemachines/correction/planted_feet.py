"""Ankles that stay put in the image for a while: which consecutive frames must keep them still.

A foot that rests for a second on the floor keeps its detected ankle on one image point, and
then its 3D position is fixed too: its ray does not change and a planted foot does not slide
along it. The lifter does not know this. Whenever the body changes shape above still feet
(a squat, sitting down, bending to lift) its guess of how far the limbs point towards the
camera changes, the pose's image size with it, and the root translation that places the pose
on the 2D swings in depth: by about 1 m on the shipped squat clip, where the feet never move.
`planted_pairs` finds those ankles from the 2D alone, so that the correction can hold their 3D
position still (`clip_energy.ClipEnergy`'s planted term) and fold the limbs to fit instead.

Only long stillness counts (`PlantedConfig.hold_s`, 0.5 s each side): a walking stance lasts
0.3-0.6 s and is left to the world stage's contacts and foot lock. A ray can move along the
foot only if the foot moves exactly along it; over a second that does not happen by chance.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from posemachines.correction.root_translation import MIN_DEPTH_MM
from posemachines.skeleton import LEG_CHAINS, leg_lengths

#: The ankles (RFoot, LFoot) as JOINTS16 indices.
ANKLES = tuple(chain[2] for chain in LEG_CHAINS)
#: The spread of a window is this percentile of the ankle's distances from its median: a fifth
#: of the frames may jitter beyond the radius (the detector's outliers).
SPREAD_PERCENTILE = 80.0


@dataclass(frozen=True)
class PlantedConfig:
    """hold_s: the ankle stays within `radius_leg` leg lengths (in the image, at its depth) of
    its median position for this long before and after the frame (s; at the clip's ends its
    first or last frame stands in for the frames beyond); min_confidence: detections below
    it break a span; sigma_mm: how far a planted ankle may move per frame in the correction
    (mm; 0 turns the term off); reprojection_slack: a frame holding a planted ankle keeps
    its correction up to this many times the network's reprojection error
    (`GeometricCorrectionConfig`'s own slack elsewhere): the 2D alone cannot tell that the
    foot stays put."""

    hold_s: float = 0.5
    radius_leg: float = 0.05
    min_confidence: float = 0.3
    sigma_mm: float = 2.0
    reprojection_slack: float = 3.0


def planted_frames(
    keypoints_px: np.ndarray, confidence: np.ndarray, leg_px: np.ndarray, fps: float,
    config: PlantedConfig | None = None,
) -> np.ndarray:
    """(T, 2) bool: the ankle (RFoot, LFoot) is planted at that frame. keypoints_px (T, 16, 2)
    px and confidence (T, 16) the detections; leg_px (T, 2) each leg's length (hip-knee-ankle)
    in pixels at its depth; fps the frame rate."""
    config = config or PlantedConfig()
    ankles = np.asarray(keypoints_px, dtype=np.float64)[:, list(ANKLES)]
    trusted = ((np.asarray(confidence)[:, list(ANKLES)] >= config.min_confidence)
               & np.isfinite(ankles).all(-1))
    half = max(int(round(config.hold_s * fps)), 1)
    width = 2 * half + 1
    # Each frame's window [t - half, t + half]; past the clip's ends its first / last frame
    # stands in for the missing ones.
    edges = ((half, half), (0, 0))
    padded = np.pad(np.where(trusted[..., None], ankles, 0.0), edges + ((0, 0),), mode="edge")
    windows = np.lib.stride_tricks.sliding_window_view(padded, width, axis=0)  # (T, 2, 2, w)
    median = np.median(windows, axis=-1)
    spread = np.percentile(np.linalg.norm(windows - median[..., None], axis=-2),
                           SPREAD_PERCENTILE, axis=-1)  # (T, 2) px
    untrusted = np.lib.stride_tricks.sliding_window_view(
        np.pad(~trusted, edges, mode="edge"), width, axis=0).any(axis=-1)
    return ~untrusted & (spread < config.radius_leg * np.asarray(leg_px))


def planted_pairs(
    keypoints_px: np.ndarray, confidence: np.ndarray, pose_mm: np.ndarray,
    translation_mm: np.ndarray, focal_px: float, fps: float, config: PlantedConfig | None = None,
) -> np.ndarray:
    """(T - 1, 16) weights of the planted term, 1 / sigma_mm^2 on the ankles of frame pairs
    (t, t + 1) that are both planted, else 0. pose_mm (T, 16, 3) root-relative and
    translation_mm (T, 3) camera frame place the legs (their median length, in pixels at the
    ankle's depth)."""
    config = config or PlantedConfig()
    frames = len(pose_mm)
    weights = np.zeros((max(frames - 1, 0), 16))
    if frames < 2 or config.sigma_mm <= 0:
        return weights
    leg_mm = np.median(leg_lengths(pose_mm), axis=0)
    depth = np.maximum(pose_mm[:, list(ANKLES), 2] + translation_mm[:, None, 2], MIN_DEPTH_MM)
    planted = planted_frames(keypoints_px, confidence, leg_mm * focal_px / depth, fps, config)
    both = planted[1:] & planted[:-1]
    weights[:, list(ANKLES)] = both / config.sigma_mm**2
    return weights
