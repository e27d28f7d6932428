"""The geometric correction run causally, frame by frame, for live use.

The offline correction (`geometric`) optimises a whole clip at once: its skeleton, focal length
and temporal prior all see the future. Here every frame is corrected as it arrives, from the
past only, with a few small numpy solves (no optimiser per frame):
1. The person's model, refitted every `refit_every` frames from the last `history_frames`
   frames (`geometric.build_problem` on that history, the same estimators as offline): focal
   length (refined when not given), one skeleton (bone lengths, scaled by `height_cm`), the 2D
   jitter and, per joint, how far the network's poses miss the 2D (the pose prior's sigma).
   Until the first fit (`first_fit` frames) frames keep the network's bone lengths.
2. Each new frame is re-posed with that skeleton (bone directions kept), placed by its root
   translation (`root_translation`), then its joints are solved against the offline energy
   restricted to a sliding window of three frames: soft-L1 reprojection error through the
   pinhole, the prior around the network's joints (looser in depth), and the acceleration
   prior against the two frames already output (which stay as they were output: causal).
   Gauss-Newton on the linearised projection (per joint a 3x3 solve, IRLS weights for the
   soft-L1), then re-posed with the skeleton again.
3. The offline safety rules: no joint moves more than `max_displacement_mm`, and a frame that
   re-projects worse than `reprojection_slack` times the network's error keeps the network's.
Defaults differ from offline where the causal version measured worse (docs/live.md): the
skeleton is the network's median bone lengths over the history (`max_length_change=0`; the
lengths measured from the 2D cost 3 mm MPJPE here), and the acceleration prior is off (without
the future it can only extrapolate the last two frames: +2 to +7 mm).
"""

from __future__ import annotations

import functools
from collections import deque
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field

import numpy as np

from posemachines.correction.focal import estimate_focal_px
from posemachines.correction.geometric import (
    REFERENCE_FPS,
    GeometricCorrectionConfig,
    build_problem,
)
from posemachines.correction.root_translation import MIN_DEPTH_MM, MIN_VISIBLE_JOINTS
from posemachines.correction.skeleton_fit import BONE_CHILDREN, BONE_PARENTS, ancestry_matrix
from posemachines.errors import PoseInputError

#: (16, 15): joint j = sum of the bone vectors on its path from the root.
_ANCESTRY = ancestry_matrix()


@dataclass(frozen=True)
class CausalCorrectionConfig:
    """history_frames: frames the person's model is fitted on; refit_every: frames between
    fits; first_fit: frames before the first fit; gauss_newton_steps per frame; geometric: the
    energy's weights and safety rules as the offline correction takes them (defaults: no
    acceleration prior, the network's bone lengths; module doc); background_refit: run the
    refits after the first in a worker thread, the frames meanwhile corrected with the previous
    fit (live: the refit's ~20-80 ms stay off the frame path; which frame a fit lands on then
    depends on timing, so evaluation keeps it off)."""

    history_frames: int = 300
    refit_every: int = 30
    first_fit: int = 10
    gauss_newton_steps: int = 2
    background_refit: bool = False
    geometric: GeometricCorrectionConfig = field(default_factory=lambda: GeometricCorrectionConfig(
        temporal_weight=0.0, max_length_change=0.0))


@dataclass(frozen=True)
class _Fit:
    """One refit's results (see `CausalGeometricCorrector._fit`)."""

    focal_px: float
    bone_lengths_mm: np.ndarray
    scale: float
    noise_px: float
    pose_sigma_mm: np.ndarray


@functools.cache
def _worker() -> ThreadPoolExecutor:
    """The one thread background refits run on (a daemon pool, made on first use)."""
    return ThreadPoolExecutor(max_workers=1, thread_name_prefix="causal-refit")


@dataclass(frozen=True)
class CausalFrame:
    """One corrected frame: pose3d_mm (16, 3) mm camera frame, root-relative;
    root_translation_mm (3,) camera frame (NaN when fewer than two joints were seen); kept:
    False where the network's pose was kept; displacement_mm: largest joint move from it."""

    pose3d_mm: np.ndarray
    root_translation_mm: np.ndarray
    kept: bool
    displacement_mm: float


def repose(pose_mm: np.ndarray, lengths_mm: np.ndarray) -> np.ndarray:
    """(..., 16, 3) root-relative poses with their bone directions and `lengths_mm` (15,)."""
    vectors = pose_mm[..., BONE_CHILDREN, :] - pose_mm[..., BONE_PARENTS, :]
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True).clip(min=1e-9)
    return _ANCESTRY @ (vectors / norm * lengths_mm[:, None])


class CausalGeometricCorrector:
    """Corrects one person's poses frame by frame (module doc); `update` per frame with a person,
    `break_motion` after a gap (no person, dropped frames are fine), `reset` for a new person.

    image_size: (width, height) px; focal_px / height_cm: as `correct_geometric`'s; fps: the
    source's nominal frame rate (the acceleration prior is per second^2 through it).
    """

    def __init__(self, image_size: tuple[int, int], focal_px: float | None = None,
                 height_cm: float | None = None, fps: float | None = None,
                 config: CausalCorrectionConfig | None = None) -> None:
        if fps is not None and not (np.isfinite(fps) and fps > 0):
            raise PoseInputError(f"fps must be a positive frame rate, got {fps}.")
        self.config = config or CausalCorrectionConfig()
        self.image_size = (int(image_size[0]), int(image_size[1]))
        self.user_focal_px = focal_px
        self.height_cm = height_cm
        self.fps = float(fps or REFERENCE_FPS)
        self.centre_px = np.array(self.image_size, dtype=np.float64) / 2.0
        self.reset()

    def reset(self) -> None:
        """Forget the person: history, skeleton, focal refinement and motion."""
        self._history: deque[tuple[np.ndarray, np.ndarray, np.ndarray]] = deque(
            maxlen=self.config.history_frames)
        self.focal_px = estimate_focal_px(self.image_size, focal_px=self.user_focal_px)
        self.bone_lengths_mm: np.ndarray | None = None
        self.scale = 1.0
        self.noise_px = 0.0
        self.pose_sigma_mm = np.full(16, self.config.geometric.min_pose_sigma_mm)
        self._since_fit = 0
        self._pending: Future[_Fit | None] | None = None  # a background refit's result
        self.break_motion()

    def break_motion(self) -> None:
        """The next frame does not continue the last ones (the acceleration prior restarts)."""
        self._recent: deque[tuple[float, np.ndarray]] = deque(maxlen=2)

    def update(self, pose3d_mm: np.ndarray, keypoints_px: np.ndarray, confidence: np.ndarray,
               timestamp_s: float) -> CausalFrame:
        """Correct one frame: the network's pose (16, 3) mm, the 2D it came from (16, 2) px and
        its confidence (16,); timestamp_s orders the frames (gaps from dropped frames allowed)."""
        network = np.asarray(pose3d_mm, dtype=np.float64)
        network = network - network[:1]
        uv = np.asarray(keypoints_px, dtype=np.float64)
        seen = np.isfinite(uv).all(-1) & (np.asarray(confidence) > 0)
        weights = np.where(seen, np.clip(confidence, 0.0, 1.0), 0.0)
        uv = np.where(seen[:, None], uv, 0.0)
        self._history.append((network, uv, weights))
        self._since_fit += 1
        if self._pending is not None and self._pending.done():
            self._apply(self._pending.result())
            self._pending = None
        first = self.bone_lengths_mm is None and len(self._history) >= self.config.first_fit
        if first or (self._since_fit >= self.config.refit_every and self._pending is None):
            history = list(self._history)
            if self.config.background_refit and not first:
                self._pending = _worker().submit(self._fit, history)
                self._since_fit = 0
            else:
                self._apply(self._fit(history))
        return self._correct(network, uv, weights, float(timestamp_s))

    def settle(self) -> None:
        """Wait for a background refit still running and take its result."""
        if self._pending is not None:
            self._apply(self._pending.result())
            self._pending = None

    def _fit(self, history: list[tuple[np.ndarray, np.ndarray, np.ndarray]]) -> _Fit | None:
        """Focal length, skeleton, scale, jitter and pose sigma from `history` (None when too
        little was seen); reads only settings fixed at construction, so it may run in a
        worker thread."""
        poses, uv, weights = (np.stack(column) for column in zip(*history, strict=True))
        visible = weights > 0
        if visible.sum(-1).max(initial=0) < 2:
            return None
        problem = build_problem(poses, uv, weights, self.image_size, self.user_focal_px,
                                self.height_cm, self.fps, self.config.geometric)
        return _Fit(float(problem.f[0]), problem.lengths, problem.scale, problem.noise_px,
                    problem.pose_sigma_mm)

    def _apply(self, fit: _Fit | None) -> None:
        if fit is None:
            return
        self.focal_px, self.bone_lengths_mm, self.scale = fit.focal_px, fit.bone_lengths_mm, \
            fit.scale
        self.noise_px, self.pose_sigma_mm = fit.noise_px, fit.pose_sigma_mm
        self._since_fit = 0

    def _correct(self, network: np.ndarray, uv: np.ndarray, weights: np.ndarray,
                 time_s: float) -> CausalFrame:
        config = self.config.geometric
        reference = self.scale * network
        if self.bone_lengths_mm is not None and config.per_video_skeleton:
            reference = repose(reference, self.bone_lengths_mm)
        f = np.array([self.focal_px, self.focal_px])
        translation = place_root(reference, uv - self.centre_px, weights, f,
                                 config.gauss_newton_steps)
        if not np.isfinite(translation).all():
            self.break_motion()
            return CausalFrame(reference.astype(np.float32), translation, False, 0.0)
        anchor = reference + translation
        points = self._solve(anchor, translation, uv, weights, f, time_s)
        pose = points - points[:1]
        if self.bone_lengths_mm is not None and config.per_video_skeleton:
            pose = repose(pose, self.bone_lengths_mm)
        delta = pose - reference
        largest = float(np.linalg.norm(delta, axis=-1).max())
        if largest > config.max_displacement_mm:
            pose = reference + delta * (config.max_displacement_mm / largest)
        placed = place_root(pose, uv - self.centre_px, weights, f, config.gauss_newton_steps)
        error_after = _pixel_error(pose + placed, uv, weights, f, self.centre_px)
        error_before = _pixel_error(anchor, uv, weights, f, self.centre_px)
        allowed = config.reprojection_slack * max(error_before, 1.2533 * self.noise_px)
        kept = bool(np.isfinite(pose).all() and error_after < allowed)
        if not kept:
            pose, placed = reference, translation
        self._recent.append((time_s, pose))
        return CausalFrame(pose.astype(np.float32), placed,
                           kept, float(np.linalg.norm(pose - reference, axis=-1).max()))

    def _solve(self, anchor: np.ndarray, translation: np.ndarray, uv: np.ndarray,
               weights: np.ndarray, f: np.ndarray, time_s: float) -> np.ndarray:
        """Joints (16, 3) mm, camera frame, minimising the window's energy (module doc); the
        acceleration prior acts on the root-relative pose placed at this frame's `translation`
        (the root's own depth jitters from frame to frame, which is not the body's motion)."""
        config = self.config.geometric
        seen = weights > 0
        size = np.linalg.norm(np.ptp(uv[seen], axis=0)) if seen.sum() > 1 else 1.0
        sigma_px = max(config.keypoint_sigma_frac * max(float(size), 1.0), self.noise_px)
        ratio = np.array([1.0, 1.0, config.depth_sigma_ratio])
        inv_var_pose = (ratio[None] * self.pose_sigma_mm[:, None]) ** -2.0  # (16, 3)
        prediction, accel_weight = self._prediction(time_s)
        if prediction is not None:
            prediction = prediction + translation
        points = anchor.copy()
        centred = uv - self.centre_px
        for _ in range(self.config.gauss_newton_steps):
            depth = points[:, 2].clip(min=MIN_DEPTH_MM)
            residual = f * points[:, :2] / depth[:, None] - centred  # (16, 2) px
            squared = (residual**2).sum(-1) / sigma_px**2
            irls = weights / np.sqrt(1.0 + squared) / sigma_px**2  # soft-L1 as reweighted L2
            jac = np.zeros((16, 2, 3))
            jac[:, 0, 0] = f[0] / depth
            jac[:, 1, 1] = f[1] / depth
            jac[:, :, 2] = -f * points[:, :2] / depth[:, None] ** 2
            normal = irls[:, None, None] * jac.transpose(0, 2, 1) @ jac
            gradient = irls[:, None] * (jac.transpose(0, 2, 1) @ residual[..., None])[..., 0]
            normal = normal + inv_var_pose[:, :, None] * np.eye(3)
            gradient = gradient + inv_var_pose * (points - anchor)
            if prediction is not None:
                normal = normal + accel_weight * np.eye(3)
                gradient = gradient + accel_weight * (points - prediction)
            points = points - np.linalg.solve(normal, gradient[..., None])[..., 0]
        return points

    def _prediction(self, time_s: float) -> tuple[np.ndarray | None, float]:
        """Where the last two outputs' motion puts the root-relative joints at time_s, and the
        acceleration prior's weight (its sigma, per second^2 as offline, over the frame gaps)."""
        config = self.config.geometric
        if len(self._recent) < 2 or config.temporal_weight <= 0:
            return None, 0.0
        (t2, x2), (t1, x1) = self._recent
        gap1, gap2 = time_s - t1, t1 - t2
        if gap1 <= 0 or gap2 <= 0:
            return None, 0.0
        accel_sigma = config.accel_sigma_mm * REFERENCE_FPS**2  # mm / s^2
        sigma = accel_sigma * gap1 * (gap1 + gap2) / 2.0  # mm: deviation from the prediction
        return x1 + (x1 - x2) * (gap1 / gap2), config.temporal_weight / sigma**2


def place_root(pose_mm: np.ndarray, centred_px: np.ndarray, weights: np.ndarray, f_px: np.ndarray,
               steps: int) -> np.ndarray:
    """Root translation (3,) mm of one root-relative pose (16, 3) onto 2D (16, 2) px relative to
    the principal point, with weights (16,): `root_translation`'s closed form and Gauss-Newton
    steps for one frame (no batch axis to carry). NaN with fewer than MIN_VISIBLE_JOINTS joints
    seen."""
    if (weights > 0).sum() < MIN_VISIBLE_JOINTS:
        return np.full(3, np.nan)
    w = np.concatenate([weights, weights])
    zeros, u, v = np.zeros(16), centred_px[:, 0], centred_px[:, 1]
    design = np.concatenate([np.stack([np.full(16, f_px[0]), zeros, -u], -1),
                             np.stack([zeros, np.full(16, f_px[1]), -v], -1)])
    rhs = np.concatenate([u * pose_mm[:, 2] - f_px[0] * pose_mm[:, 0],
                          v * pose_mm[:, 2] - f_px[1] * pose_mm[:, 1]])
    normal = design.T @ (w[:, None] * design)
    translation = np.linalg.solve(normal + 1e-9 * np.trace(normal) * np.eye(3),
                                  design.T @ (w * rhs))
    for _ in range(steps):
        points = pose_mm + translation
        depth = points[:, 2].clip(min=MIN_DEPTH_MM)
        residual = np.concatenate([f_px[0] * points[:, 0] / depth - u,
                                   f_px[1] * points[:, 1] / depth - v])
        jac = np.concatenate([
            np.stack([f_px[0] / depth, zeros, -f_px[0] * points[:, 0] / depth**2], -1),
            np.stack([zeros, f_px[1] / depth, -f_px[1] * points[:, 1] / depth**2], -1)])
        normal = jac.T @ (w[:, None] * jac)
        translation = translation + np.linalg.solve(
            normal + 1e-6 * np.trace(normal) * np.eye(3), -(jac.T @ (w * residual)))
    return translation


def _pixel_error(points: np.ndarray, uv: np.ndarray, weights: np.ndarray, f: np.ndarray,
                 c: np.ndarray) -> float:
    """Weighted mean pixel distance of points (16, 3) mm from uv (16, 2) px."""
    projected = f * points[:, :2] / points[:, 2:].clip(min=MIN_DEPTH_MM) + c
    distance = np.linalg.norm(projected - uv, axis=-1)
    total = weights.sum()
    return float((distance * weights).sum() / total) if total > 0 else float("nan")

