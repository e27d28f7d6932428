"""Training pairs from motion capture: 16-joint world poses seen through virtual cameras.

Every batch is a pure function of a seed: clips are drawn from the takes, optionally given a new
adult body each (`posemachines.training.anthropometry`; off by default), with bent legs
(`posemachines.training.articulation`; off by default) and tilted away from upright
(`posemachines.training.orientation`; off by default), each clip gets its own
virtual camera (aimed at the clip's first root position, Y-up world, ground at y = 0), the joints
are projected to pixels, mirrored at random and given detector-like 2D noise, then encoded the
way inference encodes real detections (`posemachines.data.lifter_input`).
"""

from __future__ import annotations

from dataclasses import dataclass, field

import numpy as np

from posemachines.data.lifter_input import (
    encode_lifter_input,
    roll_detections,
    torso_roll_rad,
    unroll_pose,
)
from posemachines.data.virtual_cameras import VirtualCameraConfig, sample_virtual_cameras
from posemachines.errors import PoseDataError
from posemachines.training.anthropometry import AnthropometryConfig, augment_anthropometry
from posemachines.training.articulation import ArticulationConfig, articulate_clips
from posemachines.training.augment import (
    NO_NOISE,
    DetectorNoiseConfig,
    add_detector_noise,
    flip_clips,
)
from posemachines.training.orientation import OrientationConfig, tilt_clips


@dataclass(frozen=True)
class MocapViewConfig:
    """clip_length frames per clip; flip_prob chance to mirror a clip; noise: detector errors;
    anthropometry: new body proportions per clip (None = the takes' own, the default);
    articulation: extra hip and knee flexion per clip (None = off, the default);
    orientation: whole-clip tilts away from upright (None = off, the default);
    upright_roll: each frame rolled until its noisy 2D torso points up, as a lifter with
    `PoseMachineConfig.upright_roll` sees its input (the 3D target rolled with it)."""

    clip_length: int = 16
    flip_prob: float = 0.5
    camera: VirtualCameraConfig = field(default_factory=VirtualCameraConfig)
    noise: DetectorNoiseConfig = field(default_factory=DetectorNoiseConfig)
    anthropometry: AnthropometryConfig | None = None
    articulation: ArticulationConfig | None = None
    orientation: OrientationConfig | None = None
    upright_roll: bool = False


@dataclass(frozen=True)
class LifterBatch:
    """One batch of clips (arrays are float32 unless said).

    keypoints: (B, T, 16, 2) normalised 2D input; visibility_root: (B, T, E) visibility + root
    position.
    keypoints_clean: (B, T, 16, 2) normalised noise-free 2D (target of the projection loss).
    pose3d_mm: (B, T, 16, 3) mm, camera frame, root-relative. confidence: (B, T, 16).
    pose2d_px: (B, T, 16, 2) px, the noisy detections the input was encoded from.
    """

    keypoints: np.ndarray
    visibility_root: np.ndarray
    keypoints_clean: np.ndarray
    pose3d_mm: np.ndarray
    confidence: np.ndarray
    pose2d_px: np.ndarray


class MocapViews:
    """Samples `LifterBatch`es from takes of world poses.

    positions: (N, 16, 3) mm world, Y up; offsets: (num_takes + 1,) start index of each take;
    take_strides: (num_takes,) every k-th clip start of a take is kept (default all).
    """

    def __init__(
        self, positions: np.ndarray, offsets: np.ndarray, config: MocapViewConfig,
        take_strides: list[int] | None = None,
    ) -> None:
        self.positions = positions.astype(np.float32, copy=False)
        self.config = config
        length = config.clip_length
        strides = take_strides or [1] * (len(offsets) - 1)
        starts = [
            np.arange(begin, end - length + 1, stride)
            for begin, end, stride in zip(offsets[:-1], offsets[1:], strides, strict=True)
            if end - begin >= length
        ]
        if not starts:
            raise PoseDataError(f"No take has the {length} frames one training clip needs.")
        self.clip_starts = np.concatenate(starts)

    def sample(
        self, rng: np.random.Generator, batch_size: int, noisy: bool = True,
        starts: list[int] | None = None,
    ) -> LifterBatch:
        """Draw `batch_size` clips with their own cameras, flips and (optionally) noise.

        starts: indices into `clip_starts` to use (default: drawn from `rng`).
        """
        cfg = self.config
        chosen: np.ndarray
        if starts is None:
            chosen = rng.choice(self.clip_starts, size=batch_size)
        else:
            chosen = self.clip_starts[np.asarray(starts) % len(self.clip_starts)]
        index = chosen[:, None] + np.arange(cfg.clip_length)[None]
        world = self.positions[index]  # (B, T, 16, 3)
        if cfg.anthropometry is not None:
            world = augment_anthropometry(rng, world, cfg.anthropometry)
        if cfg.articulation is not None:
            world = articulate_clips(rng, world, cfg.articulation)
        if cfg.orientation is not None:
            world = tilt_clips(rng, world, cfg.orientation)
        cameras = sample_virtual_cameras(rng, batch_size, world[:, 0, 0], cfg.camera)
        cam = cameras.world_to_camera(world.astype(np.float64))
        xy = cameras.project(cam)
        pose3d = cam - cam[:, :, :1]
        conf = np.ones(xy.shape[:3], dtype=np.float32)
        width = cameras.size_px[:, 0].astype(np.float64)
        flip = rng.random(batch_size) < cfg.flip_prob
        xy, pose3d, conf = flip_clips(xy, pose3d, conf, width, flip)
        c_px = cameras.c_px.astype(np.float64).copy()
        c_px[flip, 0] = width[flip] - c_px[flip, 0]
        noise = cfg.noise if noisy else NO_NOISE
        noisy_xy, noisy_conf = add_detector_noise(xy, conf, rng, noise)
        if cfg.upright_roll:
            angle = torso_roll_rad(noisy_xy, noisy_conf)
            noisy_xy, xy = (roll_detections(points, c_px, angle) for points in (noisy_xy, xy))
            pose3d = unroll_pose(pose3d, -angle)
        keypoints, visibility_root = encode_lifter_input(noisy_xy, noisy_conf, cameras.f_px, c_px)
        clean, _ = encode_lifter_input(xy, conf, cameras.f_px, c_px)
        return LifterBatch(
            keypoints=keypoints.astype(np.float32),
            visibility_root=visibility_root.astype(np.float32),
            keypoints_clean=clean.astype(np.float32),
            pose3d_mm=pose3d.astype(np.float32),
            confidence=noisy_conf.astype(np.float32),
            pose2d_px=noisy_xy.astype(np.float32),
        )
