"""Geometry-aware per-video correction of a lifted 3D pose sequence.

What is really known about a video is used, instead of a projection network that learned one
skeleton (the paper's correction):
1. Perspective: each frame's pose is placed by a root translation (closed form + Gauss-Newton,
   `root_translation`) and must re-project onto the detected 2D through a pinhole camera with
   the principal point at the image centre and a focal length from the user, else `focal`'s
   default guess refined over the clip. Pixel residuals are weighted by detector confidence,
   scaled by the clip's measured 2D jitter (`keypoint_noise`; at least a fraction of the
   person's 2D size) and robust (soft-L1) against detector outliers.
2. One skeleton per video: bone lengths are estimated once from all frames (`skeleton_fit`; the
   trunk's, between keypoints no detector sees, stay the network's) and
   every frame is re-posed by forward kinematics with those lengths (only bone directions are
   free). `height_cm` sets the metric scale; without it the scale stays the network's, because
   from 2D alone a pose k times larger and k times farther away looks the same.
3. Temporal prior: squared joint acceleration (absolute positions, mm / frame^2, its scale set
   per second^2 through the clip's frame rate).
   Ankles that stay put in the image for a second stay put in 3D (`planted_feet`): a body
   squatting above still feet refolds its limbs rather than swinging in depth.
4. A prior keeps joints near the network's prediction, as tightly as the network proves right:
   per joint, how far its poses re-project from the 2D beyond the jitter (empirical Bayes);
   looser in depth, which is what the network adds. Safety: no joint moves more than
   `max_displacement_mm` from the (scaled) prediction (the frame's change is shrunk to fit),
   and a frame whose result is not finite or re-projects much worse than the prediction
   (`reprojection_slack` times its error, or the jitter) keeps the prediction.
All frames are optimised at once with L-BFGS (a loop over iterations, not frames) on the energy
of `clip_energy` and its hand-written gradient, in numpy float64: no torch on this path.
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posemachines.correction.clip_energy import ClipEnergy, ClipObjective
from posemachines.correction.focal import estimate_focal_px, refine_focal_px
from posemachines.correction.keypoint_noise import keypoint_noise_px
from posemachines.correction.lbfgs import minimize_lbfgs
from posemachines.correction.planted_feet import PlantedConfig, planted_pairs
from posemachines.correction.root_translation import (
    MIN_DEPTH_MM,
    project,
    solve_root_translation,
    weighted_pixel_error,
)
from posemachines.correction.skeleton_fit import (
    TRUNK_BONES,
    bone_vectors,
    estimate_bone_lengths,
    standing_height_mm,
)
from posemachines.correction.statistics import lower_median
from posemachines.errors import PoseInputError
from posemachines.structures import CorrectionInfo
from posemachines.threads import single_thread

#: Plausible body heights, cm; outside this `height_cm` is taken as a unit mistake.
HEIGHT_RANGE_CM = (50.0, 250.0)
#: Frame rate at which `accel_sigma_mm` is stated (our mocap's, and the bench's).
REFERENCE_FPS = 30.0


@dataclass(frozen=True)
class GeometricCorrectionConfig:
    """Weights and switches of the geometric correction (lengths in mm, px, frames).

    iterations / lbfgs_history: L-BFGS iterations over the whole clip and its memory.
    per_video_skeleton: re-pose with one set of bone lengths;
    symmetric_skeleton: left and right bones share a length; in_plane_quantile: which frames
    measure a bone (`skeleton_fit.estimate_bone_lengths`). temporal_weight: acceleration
    prior (0 = off) with accel_sigma_mm per frame^2 at REFERENCE_FPS (at another frame rate
    it scales by (REFERENCE_FPS / fps)^2: the same acceleration per second^2).
    keypoint_sigma_frac: least 2D error assumed, as a fraction of the person's 2D size (the
    jitter measured on the clip, see `keypoint_noise`, counts when larger). pose_sigma_xy_mm:
    trust in the network's joints across the viewing direction (None: per joint, from how far
    the network's poses re-project from the 2D beyond the 2D jitter, at least
    min_pose_sigma_mm); depth_sigma_ratio: along it, as a multiple. max_displacement_mm:
    safety bound per joint. reprojection_slack: a
    frame keeps the prediction when its result re-projects worse than this many times the
    prediction's error (or the jitter). trunk_from_network: the trunk bones keep the network's
    lengths (`skeleton_fit.TRUNK_BONES`); max_length_change: the clip's bone lengths stay within
    this fraction of the network's median lengths (a 2D estimate beyond it is a failure: a
    short clip, a person leaving the frame). refine_focal: search the focal length over the clip
    when the user gave none. planted: which ankles stay put in the image and how still their
    3D is held (`planted_feet`).
    """

    iterations: int = 60
    lbfgs_history: int = 20
    per_video_skeleton: bool = True
    symmetric_skeleton: bool = True
    in_plane_quantile: float = 0.5
    temporal_weight: float = 1.0
    accel_sigma_mm: float = 10.0
    keypoint_sigma_frac: float = 0.02
    pose_sigma_xy_mm: float | None = None
    min_pose_sigma_mm: float = 10.0
    depth_sigma_ratio: float = 2.5
    max_displacement_mm: float = 150.0
    reprojection_slack: float = 2.0
    trunk_from_network: bool = True
    max_length_change: float = 0.15
    refine_focal: bool = True
    gauss_newton_steps: int = 3
    planted: PlantedConfig = field(default_factory=PlantedConfig)


@dataclass(frozen=True)
class GeometricCorrectionResult:
    """pose3d_mm (T, 16, 3) mm camera frame, root-relative; root_translation_mm (T, 3) camera
    frame (root = translation, NaN where no joint was seen); focal_px used; bone_lengths_mm
    (15,) the clip's skeleton (`JOINTS16.bones` order); scale: factor applied to the network's
    pose (from height_cm, else 1); info: per-frame record (displacement from the scaled pose).
    """

    pose3d_mm: np.ndarray
    root_translation_mm: np.ndarray
    focal_px: float
    bone_lengths_mm: np.ndarray
    scale: float
    info: CorrectionInfo


def _checked_inputs(
    pose3d_mm: np.ndarray, keypoints_px: np.ndarray, confidence: np.ndarray,
    image_size: tuple[int, int], height_cm: float | None,
) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    pose = np.asarray(pose3d_mm, dtype=np.float64)
    uv = np.asarray(keypoints_px, dtype=np.float64)
    conf = np.asarray(confidence, dtype=np.float64)
    frames = pose.shape[0] if pose.ndim == 3 else -1
    if pose.shape != (frames, 16, 3) or uv.shape != (frames, 16, 2) or conf.shape != (frames, 16):
        raise PoseInputError(
            f"Geometric correction needs poses (T, 16, 3), keypoints (T, 16, 2) and confidence "
            f"(T, 16); got {pose.shape}, {uv.shape} and {conf.shape}."
        )
    if frames == 0 or not np.isfinite(pose).all():
        raise PoseInputError("Geometric correction needs at least one frame of finite 3D poses.")
    if float(lower_median(np.linalg.norm(bone_vectors(pose), axis=-1))) < 10.0:
        raise PoseInputError("The 3D poses look like metres; geometric correction needs mm.")
    if len(image_size) != 2 or min(image_size) <= 0:
        raise PoseInputError(f"image_size must be (width, height) px, got {image_size}.")
    if height_cm is not None and not HEIGHT_RANGE_CM[0] <= height_cm <= HEIGHT_RANGE_CM[1]:
        raise PoseInputError(f"height_cm must be a body height in centimetres "
                             f"({HEIGHT_RANGE_CM[0]:g}-{HEIGHT_RANGE_CM[1]:g}), got {height_cm}.")
    seen = np.isfinite(uv).all(-1) & np.isfinite(conf) & (conf > 0)
    # A lifter trained on root-relative losses need not put its root exactly at 0.
    pose = pose - pose[:, :1]
    return pose, np.where(seen[..., None], uv, 0.0), np.where(seen, np.clip(conf, 0.0, 1.0), 0.0)


def _fill_missing(translation: np.ndarray) -> np.ndarray:
    """Frames without a solved translation (NaN) get one interpolated over time."""
    valid = np.isfinite(translation).all(-1)
    if valid.all() or not valid.any():
        return np.nan_to_num(translation, nan=0.0)
    frames = np.arange(len(valid))
    filled = [np.interp(frames, frames[valid], translation[valid, k]) for k in range(3)]
    return np.stack(filled, axis=-1)


def _person_size_px(uv: np.ndarray, weights: np.ndarray) -> np.ndarray:
    """(T,) bounding-box diagonal of each frame's seen joints (at least 1 px)."""
    seen = (weights > 0)[..., None]
    high = np.where(seen, uv, -np.inf).max(-2)
    low = np.where(seen, uv, np.inf).min(-2)
    size = np.nan_to_num(np.linalg.norm(high - low, axis=-1), nan=1.0, posinf=1.0)
    return np.maximum(size, 1.0)


def _network_sigma_mm(
    pose: np.ndarray, translation: np.ndarray, uv: np.ndarray, weights: np.ndarray,
    f: np.ndarray, c: np.ndarray, noise_px: float, config: GeometricCorrectionConfig,
) -> np.ndarray:
    """(16,) how far off the network's joints are across the view, mm (empirical Bayes).

    The network's poses, placed by their root translations, miss the 2D by their own error plus
    the detector's jitter; per joint, a robust spread of that miss (for 2D Gaussian errors the
    median squared distance is 1.386 sigma^2) less the jitter, scaled by depth / focal.
    """
    if config.pose_sigma_xy_mm is not None:
        return np.full(16, float(config.pose_sigma_xy_mm))
    points = pose + translation[:, None]
    squared = ((project(points, f, c) - uv) ** 2).sum(-1)  # (T, 16) px^2
    mm_per_px = lower_median(np.maximum(points[..., 2], MIN_DEPTH_MM) / f.mean())
    seen = weights > 0
    spread = np.array([lower_median(squared[seen[:, joint], joint]) / 1.386
                       if seen[:, joint].any() else 0.0
                       for joint in range(16)])  # 16 joints: a loop over joints, not frames
    sigma = np.sqrt(np.maximum(spread - noise_px**2, 0.0)) * mm_per_px
    return np.maximum(np.nan_to_num(sigma, nan=config.min_pose_sigma_mm), config.min_pose_sigma_mm)


def _energy(reference: np.ndarray, uv: np.ndarray, weights: np.ndarray, f: np.ndarray,
            c: np.ndarray, noise_px: float, pose_sigma_mm: np.ndarray, planted: np.ndarray,
            config: GeometricCorrectionConfig, fps: float) -> ClipEnergy:
    """The clip's energy (`clip_energy`) with the weights the config and the clip set;
    planted (T - 1, 16): `planted_feet.planted_pairs`."""
    sigma_px = np.maximum(config.keypoint_sigma_frac * _person_size_px(uv, weights), noise_px)
    ratio = np.array([1.0, 1.0, config.depth_sigma_ratio])[:, None, None]
    accel_sigma = config.accel_sigma_mm * (REFERENCE_FPS / fps) ** 2  # mm / frame^2
    return ClipEnergy(reference, uv - c, 2.0 * weights, sigma_px, f, ratio * pose_sigma_mm,
                      config.max_displacement_mm, config.temporal_weight / accel_sigma**2,
                      planted)


def _optimise(
    energy: ClipEnergy, reference: np.ndarray, translation: np.ndarray,
    lengths: np.ndarray | None, config: GeometricCorrectionConfig,
) -> tuple[np.ndarray, np.ndarray, int]:
    """L-BFGS over the whole clip: bone vectors (with `lengths`, which fix their lengths) or
    joint positions, and root translations. Returns (T, 16, 3), (T, 3) and the iterations run.

    L-BFGS because the acceleration prior couples many frames and makes the problem
    ill-conditioned: first-order methods (Adam) needed ~10x more iterations here.
    """
    objective = ClipObjective(energy, reference, translation, lengths)
    if config.iterations <= 0:
        return (*objective.unpack(objective.start), 0)
    result = minimize_lbfgs(
        objective, objective.start, max_iter=config.iterations,
        history_size=config.lbfgs_history, tolerance_grad=1e-9, tolerance_change=1e-12,
        line_search="strong_wolfe", lr=1.0,
    )
    return (*objective.unpack(result.x), result.iterations)


def correct_geometric(
    pose3d_mm: np.ndarray, keypoints_px: np.ndarray, confidence: np.ndarray, *,
    image_size: tuple[int, int], focal_px: float | None = None, height_cm: float | None = None,
    fps: float | None = None, config: GeometricCorrectionConfig | None = None,
) -> GeometricCorrectionResult:
    """Correct a clip of lifted poses with perspective geometry, one skeleton and smoothness.

    pose3d_mm: (T, 16, 3) mm, camera frame (x right, y down, z forward), root-relative (the
    network's output; re-centred on its root here); keypoints_px: (T, 16, 2) the detections it
    was lifted from; confidence: (T, 16) in [0, 1] (0 = missing); image_size: (width, height) px;
    focal_px: the camera's focal length if known; height_cm: the person's height if known;
    fps: the clip's frame rate (None: REFERENCE_FPS), which scales the acceleration prior.
    """
    config = config or GeometricCorrectionConfig()
    if fps is not None and not (np.isfinite(fps) and fps > 0):
        raise PoseInputError(f"fps must be a positive frame rate, got {fps}.")
    with single_thread():
        problem = build_problem(pose3d_mm, keypoints_px, confidence, image_size, focal_px,
                                height_cm, fps or REFERENCE_FPS, config)
        return _correct(problem, config)


@dataclass(frozen=True)
class ClipProblem:
    """What the correction optimises for one clip, before optimising: the network's poses
    (scaled; `reference`, (T, 16, 3) mm), the 2D (`uv` (T, 16, 2) px, `weights` (T, 16)),
    the pinhole (`f`, `c` (2,) px), the solved root translations (T, 3) mm, the clip's bone
    lengths (15,) mm, the scale applied, the 2D jitter (px), the pose prior's sigma per joint
    across the view ((16,) mm, `_network_sigma_mm`), the planted ankles' weights ((T - 1, 16),
    `planted_feet.planted_pairs`) and the energy (`ClipEnergy`)."""

    reference: np.ndarray
    uv: np.ndarray
    weights: np.ndarray
    f: np.ndarray
    c: np.ndarray
    translation: np.ndarray
    lengths: np.ndarray
    scale: float
    noise_px: float
    pose_sigma_mm: np.ndarray
    planted_weight: np.ndarray
    energy: ClipEnergy

    @property
    def planted(self) -> np.ndarray:
        """(T,) bool: frames with an ankle held planted."""
        pairs = self.planted_weight.any(axis=-1)
        frames = np.zeros(len(self.reference), dtype=bool)
        frames[:-1] |= pairs
        frames[1:] |= pairs
        return frames

    def solve_translation(self, pose: np.ndarray, steps: int) -> np.ndarray:
        """(T, 3) mm root translations that best place `pose` (T, 16, 3) onto the 2D."""
        return solve_root_translation(pose, self.uv, self.weights, self.f, self.c, steps)


def build_problem(
    pose3d_mm: np.ndarray, keypoints_px: np.ndarray, confidence: np.ndarray,
    image_size: tuple[int, int], focal_px: float | None, height_cm: float | None, fps: float,
    config: GeometricCorrectionConfig,
) -> ClipProblem:
    """Checked inputs, focal length, root translations, bone lengths, scale and energy of a clip
    (arguments as `correct_geometric`'s; fps given)."""
    network, uv, weights = _checked_inputs(pose3d_mm, keypoints_px, confidence, image_size,
                                           height_cm)
    c = np.array([image_size[0] / 2.0, image_size[1] / 2.0])
    focal = estimate_focal_px((int(image_size[0]), int(image_size[1])), focal_px=focal_px)
    if focal_px is None and config.refine_focal:
        focal = refine_focal_px(network, uv, weights, focal, c)
    f = np.array([focal, focal])
    translation = _fill_missing(
        solve_root_translation(network, uv, weights, f, c, config.gauss_newton_steps))
    noise_px = keypoint_noise_px(uv, weights)
    lengths = estimate_bone_lengths(
        network, translation, uv, weights, f, c, noise_px=noise_px,
        in_plane_quantile=config.in_plane_quantile, symmetric=config.symmetric_skeleton,
        from_network=TRUNK_BONES if config.trunk_from_network else (),
        max_change=config.max_length_change,
    )
    scale = 1.0
    if height_cm is not None:
        scale = 10.0 * height_cm / standing_height_mm(lengths)
    # Scaling a pose and its translation about the camera centre leaves its image unchanged.
    reference, translation, lengths = scale * network, scale * translation, scale * lengths
    pose_sigma = _network_sigma_mm(reference, translation, uv, weights, f, c, noise_px, config)
    planted = planted_pairs(uv, weights, reference, translation, focal, fps, config.planted)
    energy = _energy(reference, uv, weights, f, c, noise_px, pose_sigma, planted, config, fps)
    return ClipProblem(reference, uv, weights, f, c, translation, lengths, float(scale),
                       noise_px, pose_sigma, planted, energy)


def _correct(problem: ClipProblem, config: GeometricCorrectionConfig
             ) -> GeometricCorrectionResult:
    reference = problem.reference
    skeleton = problem.lengths if config.per_video_skeleton else None
    pose, smooth_translation, iterations = _optimise(problem.energy, reference,
                                                     problem.translation, skeleton, config)

    delta = pose - reference
    largest = np.linalg.norm(delta, axis=-1).max(-1)
    shrink = np.minimum(config.max_displacement_mm / np.maximum(largest, 1e-9), 1.0)
    pose = reference + shrink[:, None, None] * delta

    def pixel_error(candidate: np.ndarray, translation: np.ndarray) -> np.ndarray:
        return weighted_pixel_error(candidate + translation[:, None], problem.uv,
                                    problem.weights, problem.f, problem.c)

    error_after = pixel_error(pose, problem.solve_translation(pose, config.gauss_newton_steps))
    reference_translation = problem.solve_translation(reference, config.gauss_newton_steps)
    error_before = pixel_error(reference, reference_translation)
    # Within `reprojection_slack` x the network's error, or x the detector's jitter (a smooth
    # pose with fixed bones need not chase the noise): 1.2533 sigma is the mean length of a 2D
    # Gaussian error of sigma per axis.
    # Frames holding a planted ankle trade some reprojection for a foot that stays put.
    slack = np.where(problem.planted, config.planted.reprojection_slack,
                     config.reprojection_slack)
    allowed = slack * np.maximum(error_before, 1.2533 * problem.noise_px)
    kept = np.isfinite(pose).reshape(len(pose), -1).all(-1) & (error_after < allowed)
    pose = np.where(kept[:, None, None], pose, reference)
    translation = np.where(kept[:, None], smooth_translation, reference_translation)
    info = CorrectionInfo(
        method="geometric",
        steps=np.full(len(pose), iterations, dtype=np.int64),
        kept=kept,
        displacement_mm=np.linalg.norm(pose - reference, axis=-1).max(-1),
    )
    return GeometricCorrectionResult(
        pose3d_mm=pose,
        root_translation_mm=translation,
        focal_px=float(problem.f[0]),
        bone_lengths_mm=problem.lengths,
        scale=problem.scale,
        info=info,
    )
