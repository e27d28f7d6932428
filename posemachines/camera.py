"""Cameras: world <-> camera transforms, projection with Human3.6M distortion, H36M calibrations.

Conventions: camera frame x right, y down, z forward (OpenCV), millimetres; pixels with the
origin at the top-left image corner. `X_cam = R @ X_world + t_mm`.

The free functions broadcast over leading batch axes and accept numpy arrays or torch tensors
(the result has the input's kind, dtype and device). Camera parameters broadcast against the
points' trailing axis: `f_px` (2,) for one camera, or e.g. (n, 1, 2) against points (n, J, 2).

Distortion is Human3.6M's model (as in its `ProjectPointRadial`): radial k1..k3 as OpenCV, but
its tangential term is `x * (p0 y + p1 x) + p1 r^2` (x), which differs from OpenCV's by a factor
of 2 on the cross terms, so cv2.projectPoints cannot be used; it is written out here.

Virtual cameras for training and the mocap protocols: `posemachines.data.virtual_cameras`.
"""

from __future__ import annotations

import functools
import json
from dataclasses import dataclass
from importlib import resources
from typing import Any

import numpy as np

from posemachines.arrays import concat_last, float_points, like
from posemachines.errors import PoseDataError

H36M_CAMERA_IDS = ("54138969", "55011271", "58860488", "60457274")
H36M_SUBJECTS = ("S1", "S5", "S6", "S7", "S8", "S9", "S11")
"""Subjects with public poses; the shipped calibrations also hold S2, S3 and S4."""

# --------------------------------------------------------------------------- projection


def distort_normalized(xy: Any, k: Any = None, p: Any = None) -> Any:
    """Apply Human3.6M radial `k` (3,) and tangential `p` (2,) distortion to (..., 2) x/z, y/z."""
    xy = float_points(xy, 2, "xy")
    k = like(np.zeros(3) if k is None else k, xy)
    p = like(np.zeros(2) if p is None else p, xy)
    x, y = xy[..., 0:1], xy[..., 1:2]
    r2 = x * x + y * y
    radial = 1 + k[..., 0:1] * r2 + k[..., 1:2] * r2**2 + k[..., 2:3] * r2**3
    tangential = p[..., 0:1] * y + p[..., 1:2] * x
    p_swapped = concat_last([p[..., 1:2], p[..., 0:1]])
    return xy * (radial + tangential) + r2 * p_swapped


def project_points(X_cam: Any, f_px: Any, c_px: Any, k: Any = None, p: Any = None) -> Any:
    """Camera-frame points (..., 3) mm -> pixels (..., 2); distorted when `k` or `p` is given.

    Points need positive depth z; others give meaningless pixels.
    """
    X = float_points(X_cam, 3, "X_cam")
    xy = X[..., :2] / X[..., 2:3]
    if k is not None or p is not None:
        xy = distort_normalized(xy, k, p)
    return xy * like(f_px, xy) + like(c_px, xy)


def backproject(uv_px: Any, depth_mm: Any, f_px: Any, c_px: Any) -> Any:
    """Undistorted pixels (..., 2) at camera depth `depth_mm` (...) -> camera frame (..., 3) mm."""
    uv = float_points(uv_px, 2, "uv_px")
    z = like(depth_mm, uv)
    if tuple(z.shape) != tuple(uv.shape[:-1]):
        raise PoseDataError(
            f"depth_mm must have shape {tuple(uv.shape[:-1])}, got {tuple(z.shape)}."
        )
    z = z[..., None]
    xy = (uv - like(c_px, uv)) / like(f_px, uv)
    return concat_last([xy * z, z])


def undistort_points(uv_px: Any, camera: Camera, iterations: int = 20) -> Any:
    """Distorted pixels (..., 2) -> the pixels (..., 2) a pinhole `camera` would see.

    Fixed-point inversion of the distortion (as OpenCV's undistortPoints); converges to well
    under 0.01 px inside the image for Human3.6M's lenses.
    """
    uv = float_points(uv_px, 2, "uv_px")
    f, c = like(camera.f_px, uv), like(camera.c_px, uv)
    k, p = like(camera.k, uv), like(camera.p, uv)
    distorted = (uv - c) / f
    p_swapped = concat_last([p[1:2], p[0:1]])
    xy = distorted
    for _ in range(iterations):
        x, y = xy[..., 0:1], xy[..., 1:2]
        r2 = x * x + y * y
        radial = 1 + k[0] * r2 + k[1] * r2**2 + k[2] * r2**3
        tangential = p[0] * y + p[1] * x
        xy = (distorted - r2 * p_swapped) / (radial + tangential)
    return xy * f + c


def look_at(eye_mm: Any, target_mm: Any, up: Any = (0.0, 1.0, 0.0)) -> np.ndarray:
    """World->camera rotations (..., 3, 3) for cameras at `eye_mm` (..., 3) facing `target_mm`.

    The camera's z axis points at the target and its y axis (image down) against world `up`,
    so the horizon stays level.
    """
    eye = np.asarray(eye_mm, dtype=np.float64)
    target = np.asarray(target_mm, dtype=np.float64)
    up = np.broadcast_to(
        np.asarray(up, dtype=np.float64), np.broadcast_shapes(eye.shape, target.shape)
    )
    forward = target - eye
    forward_norm = np.linalg.norm(forward, axis=-1, keepdims=True)
    right = np.cross(forward, up)
    right_norm = np.linalg.norm(right, axis=-1, keepdims=True)
    if np.any(forward_norm < 1e-9) or np.any(right_norm < 1e-9 * forward_norm):
        raise PoseDataError("look_at needs a target away from the eye and not straight up/down.")
    z_axis = forward / forward_norm
    x_axis = right / right_norm
    y_axis = np.cross(z_axis, x_axis)
    return np.stack([x_axis, y_axis, z_axis], axis=-2)


# --------------------------------------------------------------------------- Camera


def _checked_array(value: Any, shape: tuple[int, ...], name: str) -> np.ndarray:
    try:
        array = np.array(value, dtype=np.float64).reshape(shape)
    except (TypeError, ValueError):
        raise PoseDataError(
            f"Camera {name} must hold {int(np.prod(shape))} numbers {shape}."
        ) from None
    if not np.all(np.isfinite(array)):
        raise PoseDataError(f"Camera {name} holds NaN or infinite values.")
    array.setflags(write=False)
    return array


@dataclass(frozen=True, eq=False)
class Camera:
    """One calibrated camera; `X_cam = R @ X_world + t_mm` (mm), pixels with distortion k/p.

    R (3, 3) world->camera rotation; t_mm (3,); f_px, c_px (2,) focal lengths and principal
    point; k (3,) radial and p (2,) tangential Human3.6M distortion (zeros = pinhole);
    width, height in px.
    """

    R: np.ndarray
    t_mm: np.ndarray
    f_px: np.ndarray
    c_px: np.ndarray
    k: np.ndarray
    p: np.ndarray
    width: int
    height: int
    name: str = ""

    def __post_init__(self) -> None:
        shapes = {"R": (3, 3), "t_mm": (3,), "f_px": (2,), "c_px": (2,), "k": (3,), "p": (2,)}
        for field_name, shape in shapes.items():
            value = _checked_array(getattr(self, field_name), shape, field_name)
            object.__setattr__(self, field_name, value)
        R = self.R
        if np.abs(R @ R.T - np.eye(3)).max() > 1e-6 or np.linalg.det(R) < 0:
            raise PoseDataError("Camera R must be a rotation matrix (orthonormal, determinant +1).")
        if np.any(self.f_px <= 0):
            raise PoseDataError("Camera f_px must be positive.")
        if int(self.width) <= 0 or int(self.height) <= 0:
            raise PoseDataError("Camera width and height must be positive pixel counts.")
        object.__setattr__(self, "width", int(self.width))
        object.__setattr__(self, "height", int(self.height))

    @property
    def center_mm(self) -> np.ndarray:
        """Camera centre (3,) in world coordinates, mm."""
        return -self.R.T @ self.t_mm

    @property
    def intrinsic_matrix(self) -> np.ndarray:
        """K (3, 3) of the pinhole part."""
        return np.array(
            [[self.f_px[0], 0.0, self.c_px[0]], [0.0, self.f_px[1], self.c_px[1]], [0, 0, 1.0]]
        )

    @property
    def has_distortion(self) -> bool:
        return bool(np.any(self.k != 0) or np.any(self.p != 0))

    def world_to_camera(self, X_world: Any) -> Any:
        """World points (..., J, 3) mm -> camera frame (..., J, 3) mm."""
        X = float_points(X_world, 3, "X_world")
        return X @ like(self.R.T, X) + like(self.t_mm, X)

    def camera_to_world(self, X_cam: Any) -> Any:
        """Camera-frame points (..., J, 3) mm -> world (..., J, 3) mm."""
        X = float_points(X_cam, 3, "X_cam")
        return (X - like(self.t_mm, X)) @ like(self.R, X)

    def project(self, X_cam: Any) -> Any:
        """Camera-frame points (..., J, 3) mm -> pixels (..., J, 2), with this lens' distortion."""
        if self.has_distortion:
            return project_points(X_cam, self.f_px, self.c_px, self.k, self.p)
        return project_points(X_cam, self.f_px, self.c_px)


# --------------------------------------------------------------------------- Human3.6M


@functools.cache
def _h36m_calibrations() -> dict[str, Any]:
    asset = resources.files("posemachines").joinpath("assets/h36m_cameras.json")
    return json.loads(asset.read_text(encoding="utf-8"))


def h36m_camera(subject: str, camera: int | str) -> Camera:
    """Human3.6M calibration of `subject` ("S1".."S11") and `camera` (index 0-3 or id string).

    The shipped constants store R camera->world and the centre T in metres; this returns
    R world->camera and t in mm.
    """
    calibrations = _h36m_calibrations()
    subjects = [key for key in calibrations if not key.startswith("_")]
    if subject not in subjects:
        raise PoseDataError(f"Unknown Human3.6M subject {subject!r}; expected one of {subjects}.")
    if isinstance(camera, int | np.integer) and 0 <= camera < len(H36M_CAMERA_IDS):
        camera_id = H36M_CAMERA_IDS[int(camera)]
    elif isinstance(camera, str) and camera in H36M_CAMERA_IDS:
        camera_id = camera
    else:
        raise PoseDataError(
            f"Unknown Human3.6M camera {camera!r}; expected 0-3 or one of {list(H36M_CAMERA_IDS)}."
        )
    calib = calibrations[subject][camera_id]
    R_world_to_camera = np.asarray(calib["R"], dtype=np.float64).T
    center_mm = np.asarray(calib["T"], dtype=np.float64) * 1000.0
    return Camera(
        R=R_world_to_camera,
        t_mm=-R_world_to_camera @ center_mm,
        f_px=calib["f"],
        c_px=calib["c"],
        k=calib["k"],
        p=calib["p"],
        width=calib["w"],
        height=calib["h"],
        name=f"{subject}/{camera_id}",
    )
