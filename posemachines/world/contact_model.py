"""Foot-contact probability of lifted poses: a logistic model of height and speed, fitted on
lifted mocap, with the 2D detections' own ankle speed where the caller has them.

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
  stands);

and, given the 2D keypoints (`IMAGE_FEATURES`; `ankle_image_speed_mm_s`):

- log_image_speed: the same log of the detected ankle's image speed (px/s over `IMAGE_WINDOW`
  frames) back-projected at the lifted ankle's depth (mm/s). The lifter and its temporal
  smoothing round off a 4-frame dance step's stop; the detections keep it;
- max_near_log_image_speed: its larger value in the frames before and after (a foot that has
  just moved or is about to is not yet planted);
- other_log_image_speed: the other ankle's.

p = sigmoid(b + w . features): `LIFTED_MODEL` on the eight lifted features, `IMAGE_MODEL` on all
eleven where the ankles' 2D is trusted (`probability_from_features`).
`benchmarks/fit_contact_model.py` fits both (logistic regression, L2 0.01 on standardised
features) on the training takes of `benchmarks/bench_world.py --clips training` (Bandai Namco,
LAFAN1 and CMU walks and salsa other than the held-out takes, two cameras each, 1 % 2D noise,
the shipped lifter and correction) against `contact_truth.mocap_contacts`, and prints the
constants below. Leave-one-take-out F1 there: lifted model 0.890, with the image features
0.898 (hand-set height x speed product: 0.869, tuned on the same takes).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.special import expit

from posemachines.errors import PoseInputError
from posemachines.skeleton import JOINTS16
from posemachines.world.body import FOOT_JOINTS, check_fps, savgol_slope, velocity_mm_s
from posemachines.world.contacts import ray_speeds_mm_s, viewed_speed_mm_s

FEATURES = ("height", "height_squared", "log_viewed_speed", "log_across_speed",
            "log_along_speed", "vertical_speed", "other_height", "other_log_viewed_speed")
IMAGE_FEATURES = ("log_image_speed", "max_near_log_image_speed", "other_log_image_speed")
#: Derivative window (s; 7 frames at 30 fps): the salsa's contacts last 4 frames (median).
WINDOW_S = 0.23
#: Frames of the image speed's derivative (quadratic Savitzky-Golay; 3, 7 and 9 did no
#: better on the training takes, 3 worse: the detector's jitter).
IMAGE_WINDOW = 5
#: Keypoints below this confidence are not trusted (the overlay's dimming threshold).
MIN_KEYPOINT_CONFIDENCE = 0.3
#: `viewed_speed_mm_s`'s least weight of the speed along the ray and its quiet speed (L/s).
ALONG_RAY_WEIGHT, QUIET_LEG_PER_S = 0.3, 0.25
#: Speeds below this (L/s) look alike to the log features (noise of planted feet).
SPEED_FLOOR_LEG_PER_S = 0.05


@dataclass(frozen=True, eq=False)
class LogisticModel:
    """p = sigmoid(bias + weights . features); weights (K,) in the order of the features."""

    weights: np.ndarray
    bias: float

    def __call__(self, features: np.ndarray) -> np.ndarray:
        return expit(self.bias + features @ self.weights)


#: Fitted by benchmarks/fit_contact_model.py: FEATURES, then FEATURES + IMAGE_FEATURES.
LIFTED_MODEL = LogisticModel(
    np.array([-3.1896, -11.7974, -0.9826, -1.0370, -0.2111, -2.1464, 0.6548, 0.3900]), -1.3063)
IMAGE_MODEL = LogisticModel(
    np.array([-2.3785, -12.2222, -0.6409, -0.6113, -0.2125, -1.6596, -1.2484, 0.1342,
              -0.6703, -0.8957, 0.3127]), -1.6967)


def _trusted_tracks(keypoints_px: np.ndarray, confidence: np.ndarray
                    ) -> tuple[np.ndarray, np.ndarray]:
    """Ankles (T, 2, 2) px linear in time across untrusted frames, and (T, 2) bool trusted."""
    ankles = np.asarray(keypoints_px, dtype=np.float64)[:, list(FOOT_JOINTS)].copy()
    trusted = (np.asarray(confidence)[:, list(FOOT_JOINTS)] >= MIN_KEYPOINT_CONFIDENCE) \
        & np.isfinite(ankles).all(axis=-1)
    frames = np.arange(len(ankles))
    for foot in range(2):
        seen = trusted[:, foot]
        if seen.sum() < 2:
            trusted[:, foot] = False
            ankles[:, foot] = 0.0
            continue
        for axis in range(2):
            ankles[:, foot, axis] = np.interp(frames, frames[seen], ankles[seen, foot, axis])
    return ankles, trusted


def focal_estimate_px(keypoints_px: np.ndarray, confidence: np.ndarray,
                      joints_cam_mm: np.ndarray) -> float:
    """The focal length (px) that best relates the keypoints' spread (T, 16, 2) px to the
    camera-frame joints' (T, 16, 3) mm projected at unit focal: the median over frames of
    their ratio (trusted joints only; NaN without a frame of three trusted joints)."""
    cam = np.asarray(joints_cam_mm, dtype=np.float64)
    xy = np.asarray(keypoints_px, dtype=np.float64)
    weight = ((np.asarray(confidence) >= MIN_KEYPOINT_CONFIDENCE) & np.isfinite(xy).all(-1)
              & (cam[..., 2] > 0)).astype(np.float64)
    xy, unit = np.nan_to_num(xy), cam[..., :2] / np.maximum(cam[..., 2:], 1e-9)
    count = weight.sum(axis=1, keepdims=True)
    usable = count[:, 0] >= 3

    def spread(points: np.ndarray) -> np.ndarray:
        mean = (weight[..., None] * points).sum(axis=1) / np.maximum(count, 1.0)
        return (weight * np.sum((points - mean[:, None]) ** 2, axis=-1)).sum(axis=1)

    image, model = spread(xy)[usable], spread(unit)[usable]
    ratio = np.sqrt(image / np.maximum(model, 1e-12))
    return float(np.median(ratio)) if len(ratio) else float("nan")


def ankle_image_speed_mm_s(keypoints_px: np.ndarray, confidence: np.ndarray,
                           joints_cam_mm: np.ndarray, fps: float,
                           focal_px: float | None = None) -> np.ndarray:
    """(T, 2) speed of the detected ankles (RFoot, LFoot) in the image, mm/s at the lifted
    ankle's depth: keypoints (T, 16, 2) px and confidence (T, 16) of the frames of the
    camera-frame joints (T, 16, 3) mm; focal_px: the camera's (None: `focal_estimate_px`).
    NaN where the ankle is not trusted (confidence below `MIN_KEYPOINT_CONFIDENCE`, missing);
    the track is interpolated across such frames before the derivative (quadratic
    Savitzky-Golay over `IMAGE_WINDOW` frames)."""
    fps = check_fps(fps)
    cam = np.asarray(joints_cam_mm, dtype=np.float64)
    frames = len(cam)
    if (np.shape(keypoints_px) != (frames, JOINTS16.num_joints, 2)
            or np.shape(confidence) != (frames, JOINTS16.num_joints)):
        raise PoseInputError(f"Keypoints must be (T, 16, 2) px with confidence (T, 16) for "
                             f"the T = {frames} frames; got {np.shape(keypoints_px)} and "
                             f"{np.shape(confidence)}.")
    ankles, trusted = _trusted_tracks(keypoints_px, confidence)
    focal = (focal_estimate_px(keypoints_px, confidence, cam) if focal_px is None
             else float(focal_px))
    if frames < 2 or not np.isfinite(focal):
        return np.full((frames, 2), np.nan)
    slope = (savgol_slope(ankles, IMAGE_WINDOW) if frames >= IMAGE_WINDOW
             else np.gradient(ankles, axis=0))
    depth = np.maximum(cam[:, list(FOOT_JOINTS), 2], 1.0)
    speed = np.linalg.norm(slope, axis=-1) * fps * depth / focal
    return np.where(trusted, speed, np.nan)


def _log_speed(speed_mm_s: np.ndarray, leg_mm: float) -> np.ndarray:
    return np.log(np.abs(speed_mm_s) / leg_mm + SPEED_FLOOR_LEG_PER_S)


def contact_features(
    ankles_world_mm: np.ndarray, ankles_cam_mm: np.ndarray, rest_height_mm: np.ndarray,
    leg_mm: float, fps: float, image_speed_mm_s: np.ndarray | None = None,
) -> np.ndarray:
    """(T, 2, K) features of the two ankles: world (T, 2, 3) mm (Y up, floor y = 0) and camera
    frame (T, 2, 3) mm of the same frames; rest_height_mm (2,) their rest heights above the
    floor; leg_mm: leg length; image_speed_mm_s (T, 2): `ankle_image_speed_mm_s` (NaN where
    unknown). K = len(FEATURES), + len(IMAGE_FEATURES) with the image speed."""
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
    log_viewed = _log_speed(viewed, leg_mm)
    features = [height, 10.0 * np.minimum(height, 0.15) ** 2, log_viewed,
                _log_speed(across, leg_mm), _log_speed(along, leg_mm), vertical / leg_mm,
                height[:, ::-1], log_viewed[:, ::-1]]
    if image_speed_mm_s is not None:
        if np.shape(image_speed_mm_s) != height.shape:
            raise PoseInputError(f"image_speed_mm_s must have shape {height.shape}.")
        log_image = _log_speed(np.asarray(image_speed_mm_s, dtype=np.float64), leg_mm)
        before = np.concatenate([log_image[:1], log_image[:-1]])
        after = np.concatenate([log_image[1:], log_image[-1:]])
        features += [log_image, np.maximum(before, after), log_image[:, ::-1]]
    return np.stack(features, axis=-1)


def probability_from_features(features: np.ndarray, lifted: LogisticModel = LIFTED_MODEL,
                              image: LogisticModel = IMAGE_MODEL) -> np.ndarray:
    """(T, 2) probability from `contact_features` (T, 2, K): `image` where all the features
    are known, else `lifted` on the lifted features alone."""
    probability = lifted(features[..., :len(FEATURES)])
    if features.shape[-1] > len(FEATURES):
        seen = np.isfinite(features).all(axis=-1)
        probability[seen] = image(features[seen])
    return probability


def learned_contact_probability(
    ankles_world_mm: np.ndarray, ankles_cam_mm: np.ndarray, rest_height_mm: np.ndarray,
    leg_mm: float, fps: float, image_speed_mm_s: np.ndarray | None = None,
) -> np.ndarray:
    """(T, 2) contact probability of the two ankles (arguments as `contact_features`)."""
    return probability_from_features(contact_features(
        ankles_world_mm, ankles_cam_mm, rest_height_mm, leg_mm, fps, image_speed_mm_s))
