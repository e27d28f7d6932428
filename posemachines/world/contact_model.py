"""Foot-contact probability of lifted poses: a logistic model of height and speed, fitted on
lifted mocap.

Per frame and ankle (RFoot, LFoot), with lengths in leg lengths L (hip-knee-ankle) and speeds
in L/s, derivatives by Savitzky-Golay over `WINDOW_S`:

- height: (y - rest height) / L over the floor, clipped to [-0.1, 0.3]; height_squared:
  10 min(height, 0.15)^2 (the last centimetres above the floor count most);
- log_viewed_speed: log(v / L + 0.05) of `contacts.viewed_speed_mm_s` (depth discounted by
  the clip's own noise ratio, as the hand-set model uses it);
- log_across_speed, log_along_speed: the same of the speed across the viewing ray (what the
  image shows) and along it (the lifted depth, several times noisier), kept apart so that the
  fit weighs them;
- vertical_speed: |dy/dt| / L in the world;
- other_height, other_log_viewed_speed: the other ankle's (when one foot swings the other
  stands).

p = sigmoid(BIAS + WEIGHTS . features). `benchmarks/fit_contact_model.py` fits it (logistic
regression, L2 0.01 on standardised features) on the training takes of
`benchmarks/bench_world.py --clips training` (Bandai Namco, LAFAN1 and CMU walks and salsa
other than the held-out takes, two cameras each, 1 % 2D noise, the shipped lifter and
correction) against `contact_truth.mocap_contacts`, and prints the constants below. Leave-one-
take-out F1 there: 0.890 (hand-set height x speed product: 0.869, tuned on the same takes).
"""

from __future__ import annotations

import numpy as np
from scipy.special import expit

from posemachines.errors import PoseInputError
from posemachines.world.body import check_fps, velocity_mm_s
from posemachines.world.contacts import ray_speeds_mm_s, viewed_speed_mm_s

FEATURES = ("height", "height_squared", "log_viewed_speed", "log_across_speed",
            "log_along_speed", "vertical_speed", "other_height", "other_log_viewed_speed")
#: Derivative window (s; 7 frames at 30 fps): the salsa's contacts last 4 frames (median).
WINDOW_S = 0.23
#: `viewed_speed_mm_s`'s least weight of the speed along the ray and its quiet speed (L/s).
ALONG_RAY_WEIGHT, QUIET_LEG_PER_S = 0.3, 0.25
#: Speeds below this (L/s) look alike to the log features (noise of planted feet).
SPEED_FLOOR_LEG_PER_S = 0.05
#: Fitted by benchmarks/fit_contact_model.py (in the order of FEATURES).
WEIGHTS = np.array([-3.2516, -11.8615, -0.9828, -1.0365, -0.2113, -2.1549, 0.6092, 0.3899])
BIAS = -1.3041


def contact_features(
    ankles_world_mm: np.ndarray, ankles_cam_mm: np.ndarray, rest_height_mm: np.ndarray,
    leg_mm: float, fps: float,
) -> np.ndarray:
    """(T, 2, len(FEATURES)) features of the two ankles: world (T, 2, 3) mm (Y up, floor
    y = 0) and camera frame (T, 2, 3) mm of the same frames; rest_height_mm (2,) their rest
    heights above the floor; leg_mm: leg length."""
    fps = check_fps(fps)
    world = np.asarray(ankles_world_mm, dtype=np.float64)
    cam = np.asarray(ankles_cam_mm, dtype=np.float64)
    if world.shape != cam.shape or world.ndim != 3 or world.shape[1:] != (2, 3):
        raise PoseInputError(f"The contact model needs both ankles (T, 2, 3) in the world and "
                             f"the camera frame; got {world.shape} and {cam.shape}.")
    if not leg_mm > 0:
        raise PoseInputError(f"leg_mm must be positive, got {leg_mm}.")
    height = np.clip((world[..., 1] - np.asarray(rest_height_mm)) / leg_mm, -0.1, 0.3)
    viewed = viewed_speed_mm_s(cam, fps, WINDOW_S, ALONG_RAY_WEIGHT, QUIET_LEG_PER_S * leg_mm)
    across, along = ray_speeds_mm_s(cam, fps, WINDOW_S)
    vertical = np.abs(velocity_mm_s(world[..., 1:], fps, WINDOW_S)[..., 0])

    def log_speed(speed_mm_s: np.ndarray) -> np.ndarray:
        return np.log(np.abs(speed_mm_s) / leg_mm + SPEED_FLOOR_LEG_PER_S)

    log_viewed = log_speed(viewed)
    return np.stack([height, 10.0 * np.minimum(height, 0.15) ** 2, log_viewed,
                     log_speed(across), log_speed(along), vertical / leg_mm,
                     height[:, ::-1], log_viewed[:, ::-1]], axis=-1)


def learned_contact_probability(
    ankles_world_mm: np.ndarray, ankles_cam_mm: np.ndarray, rest_height_mm: np.ndarray,
    leg_mm: float, fps: float,
) -> np.ndarray:
    """(T, 2) contact probability of the two ankles (arguments as `contact_features`)."""
    features = contact_features(ankles_world_mm, ankles_cam_mm, rest_height_mm, leg_mm, fps)
    return expit(BIAS + features @ WEIGHTS)
