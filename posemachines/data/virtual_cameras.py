"""Random virtual cameras around a mocap subject, for turning world poses into (2D, 3D) pairs.

Each camera stands on a circle around the target at a sampled height above the ground plane,
looks at the target, then gets a small pitch/yaw/roll aim jitter. The config is checked so
that the jitter can never push the target out of the image.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
from scipy.spatial.transform import Rotation

from posemachines.arrays import float_points, like
from posemachines.camera import Camera, look_at
from posemachines.errors import PoseDataError

_RANGE_FIELDS = ("height_mm", "distance_mm", "yaw_deg", "focal_over_width")


@dataclass(frozen=True)
class VirtualCameraConfig:
    """Sampling ranges (uniform); lengths in mm, angles in degrees, image sizes (w, h) px.

    height_mm: camera centre above the ground plane (world up coordinate 0).
    distance_mm: horizontal (ground-plane) distance from the camera centre to the target.
    yaw_deg: azimuth of the camera around the target, about the world up axis.
    pitch/yaw/roll_jitter_deg: +- aim jitter applied after looking exactly at the target.
    focal_over_width: focal length / image width (square pixels, fx = fy).
    image_sizes: (w, h) choices, drawn uniformly; landscape and portrait.
    principal_jitter_frac: principal point offset from the image centre, +- fraction of w, h.
    target_position_frac: the camera then turns so the target lands anywhere within this
        fraction of the image (centred), as people appear anywhere in real video; 0 = centred.
    """

    height_mm: tuple[float, float] = (500.0, 2200.0)
    distance_mm: tuple[float, float] = (2000.0, 8000.0)
    yaw_deg: tuple[float, float] = (0.0, 360.0)
    pitch_jitter_deg: float = 5.0
    yaw_jitter_deg: float = 5.0
    roll_jitter_deg: float = 3.0
    focal_over_width: tuple[float, float] = (0.8, 2.0)
    image_sizes: tuple[tuple[int, int], ...] = (
        (1920, 1080),
        (1280, 720),
        (1080, 1920),
        (720, 1280),
        (640, 480),
    )
    principal_jitter_frac: float = 0.02
    target_position_frac: float = 0.0

    def __post_init__(self) -> None:
        for name in _RANGE_FIELDS:
            low, high = (float(v) for v in getattr(self, name))
            if not low <= high:
                raise PoseDataError(f"VirtualCameraConfig.{name} must be (low, high), low <= high.")
            object.__setattr__(self, name, (low, high))
        sizes = tuple((int(w), int(h)) for w, h in self.image_sizes)
        if not sizes or min(min(size) for size in sizes) <= 0:
            raise PoseDataError("VirtualCameraConfig.image_sizes needs positive (w, h) pairs.")
        object.__setattr__(self, "image_sizes", sizes)
        if self.distance_mm[0] <= 0 or self.focal_over_width[0] <= 0:
            raise PoseDataError("VirtualCameraConfig distance_mm and focal_over_width must be > 0.")
        self._check_target_stays_in_view()

    def _check_target_stays_in_view(self) -> None:
        """The aimed target lands at c + f (tan(yaw)/cos(pitch), tan(pitch)); keep it inside."""
        jitters = (self.pitch_jitter_deg, self.yaw_jitter_deg, self.roll_jitter_deg)
        offset = self.principal_jitter_frac + self.target_position_frac / 2
        if not all(0 <= j < 45 for j in jitters) or not 0 <= offset < 0.5:
            raise PoseDataError(
                "VirtualCameraConfig jitters must be in [0, 45) degrees and "
                "principal_jitter_frac + target_position_frac / 2 in [0, 0.5)."
            )
        pitch, yaw = np.deg2rad(self.pitch_jitter_deg), np.deg2rad(self.yaw_jitter_deg)
        for width, height in self.image_sizes:
            focal = self.focal_over_width[1] * width
            margin = 0.5 - offset
            if (
                focal * np.tan(yaw) / np.cos(pitch) >= margin * width
                or focal * np.tan(pitch) >= margin * height
            ):
                raise PoseDataError(
                    f"VirtualCameraConfig aim jitter can push the target out of a {width}x{height} "
                    "image at the longest focal length; lower the jitter or focal_over_width."
                )


@dataclass(frozen=True, eq=False)
class CameraBatch:
    """n pinhole cameras as stacked arrays.

    R (n, 3, 3) world->camera; t_mm (n, 3); f_px (n, 2); c_px (n, 2); size_px (n, 2) int (w, h).
    """

    R: np.ndarray
    t_mm: np.ndarray
    f_px: np.ndarray
    c_px: np.ndarray
    size_px: np.ndarray

    def __len__(self) -> int:
        return int(self.R.shape[0])

    @property
    def center_mm(self) -> np.ndarray:
        """Camera centres (n, 3) in world coordinates, mm."""
        return -np.einsum("nji,nj->ni", self.R, self.t_mm)

    def _per_camera(self, param: np.ndarray, points: Any, name: str) -> Any:
        """`param` (n, *tail) reshaped to (n, 1, ..., *tail) to broadcast against `points`."""
        if points.ndim < 3 or points.shape[0] != len(self):
            raise PoseDataError(
                f"{name} must have shape ({len(self)}, ..., J, 3), got {tuple(points.shape)}."
            )
        tail = param.shape[1:]
        ones = (1,) * (points.ndim - 1 - len(tail))
        return like(param.reshape((len(self), *ones, *tail)), points)

    def world_to_camera(self, X_world: Any) -> Any:
        """World points (n, ..., J, 3) mm -> each camera's frame (n, ..., J, 3) mm."""
        X = float_points(X_world, 3, "X_world")
        R_transposed = self._per_camera(np.swapaxes(self.R, 1, 2), X, "X_world")
        return X @ R_transposed + self._per_camera(self.t_mm, X, "X_world")

    def project(self, X_cam: Any) -> Any:
        """Camera-frame points (n, ..., J, 3) mm -> pixels (n, ..., J, 2), pinhole."""
        X = float_points(X_cam, 3, "X_cam")
        xy = X[..., :2] / X[..., 2:3]
        return xy * self._per_camera(self.f_px, X, "X_cam") + self._per_camera(
            self.c_px, X, "X_cam"
        )

    def __getitem__(self, index: int) -> Camera:
        """Camera `index` as a distortion-free `Camera`."""
        width, height = (int(v) for v in self.size_px[index])
        return Camera(
            R=self.R[index],
            t_mm=self.t_mm[index],
            f_px=self.f_px[index],
            c_px=self.c_px[index],
            k=np.zeros(3),
            p=np.zeros(2),
            width=width,
            height=height,
            name=f"virtual{index % len(self)}",
        )


def _image_position_turn(
    rng: np.random.Generator, sizes: np.ndarray, focal: np.ndarray, fraction: float
) -> np.ndarray:
    """(n, 3, 3) camera-frame turns moving the optical axis' target to a random image offset
    within +- fraction / 2 of (w, h): the shortest-arc rotation from z to that pixel's ray."""
    offset = rng.uniform(-0.5, 0.5, size=(len(sizes), 2)) * fraction * sizes
    ray = np.concatenate([offset / focal[:, None], np.ones((len(sizes), 1))], axis=1)
    ray /= np.linalg.norm(ray, axis=1, keepdims=True)
    axis = np.stack([-ray[:, 1], ray[:, 0], np.zeros(len(ray))], axis=1)
    sine = np.linalg.norm(axis, axis=1, keepdims=True)
    angle = np.arctan2(sine, ray[:, 2:3])
    rotvec = np.divide(axis, sine, out=np.zeros_like(axis), where=sine > 0) * angle
    return Rotation.from_rotvec(rotvec).as_matrix()


def sample_virtual_cameras(
    rng: np.random.Generator,
    n: int,
    target_mm: np.ndarray,
    config: VirtualCameraConfig | None = None,
    up_axis: int = 1,
) -> CameraBatch:
    """n random cameras aimed at `target_mm` (3,) or (n, 3), a world point in mm (e.g. the root).

    The world's `up_axis` (1 = Y for our BVH mocap, 2 = Z for Human3.6M) points up and the
    ground plane is at coordinate 0 on that axis. Deterministic for a given `rng` state.
    """
    config = config or VirtualCameraConfig()
    if not isinstance(n, int | np.integer) or n < 1:
        raise PoseDataError(f"sample_virtual_cameras needs n >= 1 cameras, got {n!r}.")
    if up_axis not in (0, 1, 2):
        raise PoseDataError(f"up_axis must be 0, 1 or 2, got {up_axis!r}.")
    target = np.asarray(target_mm, dtype=np.float64)
    if target.shape not in ((3,), (n, 3)) or not np.all(np.isfinite(target)):
        raise PoseDataError(f"target_mm must be finite with shape (3,) or ({n}, 3).")
    target = np.broadcast_to(target, (n, 3))

    sizes = np.asarray(config.image_sizes)[rng.integers(len(config.image_sizes), size=n)]
    focal = rng.uniform(*config.focal_over_width, size=n) * sizes[:, 0]
    principal = sizes * (0.5 + config.principal_jitter_frac * rng.uniform(-1, 1, size=(n, 2)))
    height = rng.uniform(*config.height_mm, size=n)
    distance = rng.uniform(*config.distance_mm, size=n)
    azimuth = np.deg2rad(rng.uniform(*config.yaw_deg, size=n))
    aim_limits = (config.pitch_jitter_deg, config.yaw_jitter_deg, config.roll_jitter_deg)
    aim_jitter_deg = rng.uniform(-1, 1, size=(n, 3)) * np.asarray(aim_limits)

    first, second = (axis for axis in range(3) if axis != up_axis)
    eye = target.copy()
    eye[:, first] += distance * np.cos(azimuth)
    eye[:, second] += distance * np.sin(azimuth)
    eye[:, up_axis] = height
    # Rx(pitch) Ry(yaw) Rz(roll) in the camera frame; the centre stays where it is.
    aim = Rotation.from_euler("XYZ", aim_jitter_deg, degrees=True).as_matrix()
    R = _image_position_turn(rng, sizes, focal, config.target_position_frac) @ aim @ look_at(
        eye, target, np.eye(3)[up_axis]
    )
    return CameraBatch(
        R=R,
        t_mm=-np.einsum("nij,nj->ni", R, eye),
        f_px=np.stack([focal, focal], axis=-1),
        c_px=principal,
        size_px=sizes.astype(np.int64),
    )
