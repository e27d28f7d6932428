"""The geometric correction's energy of a whole clip and its analytic gradient (numpy, float64).

Terms (`geometric`'s module docstring has their reasons), summed over frames and joints, then
divided by the frame count:
- reprojection: 2 w (sqrt(1 + r^2 / sigma^2) - 1) (soft-L1) of the pixel residual r through the
  pinhole, the depth clamped at MIN_DEPTH_MM (no gradient through a clamped depth);
- prior: (p - p_net)^2 / sigma_pose^2 per coordinate, sigma looser along the depth;
- displacement hinge: ((|p - p_net|_eps - max_displacement) / (0.05 max_displacement))^2 where
  positive, |d|_eps = sqrt(|d|^2 + 1e-6) (finite gradient at 0);
- acceleration: weight x |x[t+1] - 2 x[t] + x[t-1]|^2 of the absolute joint positions;
- planted: weight[t, j] x |x[t+1] - x[t]|^2 of the absolute positions of the joints (ankles)
  that stay put in the image (`planted_feet`).

L-BFGS sees one flat vector (`ClipObjective`): either the bone vectors (3, T, 15), whose lengths
a fixed skeleton replaces (joints = ancestry @ (v / |v| x length)), or the joints themselves
(3, T, 15, the root stays), followed by the root translations (3, T). The gradient is written
out by hand (chain rule through the same steps); tests/correction/test_geometric_gradient.py
checks it against central differences.
"""

from __future__ import annotations

import numpy as np

from posemachines.correction.root_translation import MIN_DEPTH_MM
from posemachines.correction.skeleton_fit import BONE_CHILDREN, BONE_PARENTS, ancestry_matrix

#: Bone vectors shorter than this (mm) are not normalised further (their length is clamped).
MIN_BONE_NORM_MM = 1e-9


class ClipEnergy:
    """Energy of a candidate clip and its gradient; see the module docstring.

    Works in a coordinate-first layout, poses (3, T, 16) and translations (3, T), so that every
    operation runs on contiguous (T, 16) blocks. reference (T, 16, 3) mm, the network's poses;
    centred_px (T, 16, 2) the 2D less the principal point; data_weight (T, 16) 2 x confidence;
    sigma_px (T,) the pixel error scale per frame; f_px (2,); pose_sigma_mm (3, 1, 16) the prior's
    sigma per coordinate and joint; max_displacement_mm; accel_weight per (mm / frame^2)^2;
    planted_weight (T - 1, 16) per (mm / frame)^2 of each joint's motion from frame t to t + 1
    (None: no such term).
    """

    def __init__(self, reference: np.ndarray, centred_px: np.ndarray, data_weight: np.ndarray,
                 sigma_px: np.ndarray, f_px: np.ndarray, pose_sigma_mm: np.ndarray,
                 max_displacement_mm: float, accel_weight: float,
                 planted_weight: np.ndarray | None = None) -> None:
        self.reference = np.ascontiguousarray(reference.transpose(2, 0, 1))
        self.u = np.ascontiguousarray(centred_px[..., 0])
        self.v = np.ascontiguousarray(centred_px[..., 1])
        self.data_weight = np.ascontiguousarray(data_weight)
        self.inv_var_px = (1.0 / sigma_px**2)[:, None]
        self.f = np.asarray(f_px, dtype=np.float64)
        self.inv_var_pose = pose_sigma_mm ** -2.0
        self.max_displacement_mm = float(max_displacement_mm)
        self.accel_weight = float(accel_weight)
        self.planted_weight = (None if planted_weight is None or not np.any(planted_weight)
                               else np.ascontiguousarray(planted_weight, dtype=np.float64))

    def __call__(self, pose: np.ndarray, translation: np.ndarray
                 ) -> tuple[float, np.ndarray, np.ndarray]:
        """pose (3, T, 16) mm root-relative, translation (3, T) mm -> mean energy per frame and
        its gradients with respect to pose (3, T, 16) and translation (3, T)."""
        frames = pose.shape[1]
        points = pose + translation[..., None]
        x, y, z = points
        fx, fy = self.f
        inverse_depth = 1.0 / np.maximum(z, MIN_DEPTH_MM)
        du = fx * x * inverse_depth - self.u
        dv = fy * y * inverse_depth - self.v
        robust = np.sqrt(1.0 + (du * du + dv * dv) * self.inv_var_px)
        energy = float((self.data_weight * (robust - 1.0)).sum())
        # d/d(du) of w (sqrt(1 + du^2 / s^2) - 1) is w du / (s^2 sqrt(...)).
        scaled = self.data_weight * self.inv_var_px / robust
        grad_u, grad_v = scaled * du * fx * inverse_depth, scaled * dv * fy * inverse_depth
        grad_points = np.empty_like(points)
        grad_points[0] = grad_u
        grad_points[1] = grad_v
        grad_points[2] = np.where(z >= MIN_DEPTH_MM,
                                  -(grad_u * x + grad_v * y) * inverse_depth, 0.0)

        delta = pose - self.reference
        delta_squared = delta * delta
        energy += float((delta_squared * self.inv_var_pose).sum())
        grad_pose = 2.0 * self.inv_var_pose * delta
        distance = np.sqrt(delta_squared.sum(0) + 1e-6)
        scale = 0.05 * self.max_displacement_mm
        excess = np.maximum(distance - self.max_displacement_mm, 0.0)
        energy += float(((excess / scale) ** 2).sum())
        grad_pose += (2.0 * excess / scale**2 / distance) * delta

        if self.accel_weight > 0 and frames > 2:
            accel = points[:, 2:] - 2.0 * points[:, 1:-1] + points[:, :-2]
            energy += self.accel_weight * float((accel * accel).sum())
            grad_accel = 2.0 * self.accel_weight * accel
            grad_points[:, 2:] += grad_accel
            grad_points[:, 1:-1] -= 2.0 * grad_accel
            grad_points[:, :-2] += grad_accel
        if self.planted_weight is not None and frames > 1:
            step = points[:, 1:] - points[:, :-1]
            energy += float((self.planted_weight * step * step).sum())
            grad_step = 2.0 * self.planted_weight * step
            grad_points[:, 1:] += grad_step
            grad_points[:, :-1] -= grad_step
        grad_pose += grad_points
        return energy / frames, grad_pose / frames, grad_points.sum(-1) / frames


class ClipObjective:
    """The energy as L-BFGS sees it: a function of one flat vector (module docstring).

    reference (T, 16, 3) mm root-relative and translation (T, 3) mm give the start; lengths
    (15,) mm fix the bone lengths (None: the joints are free).
    """

    def __init__(self, energy: ClipEnergy, reference: np.ndarray, translation: np.ndarray,
                 lengths: np.ndarray | None) -> None:
        self.energy = energy
        self.lengths = lengths
        layout = reference.transpose(2, 0, 1)  # (3, T, 16)
        self.root = layout[..., :1]
        self.ancestry = ancestry_matrix()  # (16, 15)
        self.ancestry_t = np.ascontiguousarray(self.ancestry.T)
        if lengths is not None:
            free = layout[..., BONE_CHILDREN] - layout[..., BONE_PARENTS]
        else:
            free = layout[..., 1:]
        self.free_shape = free.shape  # (3, T, 15)
        self.start = np.concatenate([free.ravel(), translation.T.ravel()])

    def unpack(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        """Flat variables -> poses (T, 16, 3) mm root-relative and translations (T, 3) mm."""
        free, shift = self._split(x)
        if self.lengths is None:
            pose = self._joints(free)
        else:
            pose = (free * (self.lengths / self._bone_norms(free))) @ self.ancestry_t
        return pose.transpose(1, 2, 0), shift.T.copy()

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        """Energy and its gradient (the shape of x) at the flat variables x."""
        free, shift = self._split(x)
        if self.lengths is None:
            energy, grad_pose, grad_shift = self.energy(self._joints(free), shift)
            grad_free = grad_pose[..., 1:]
        else:
            # joints = (v * length / |v|) @ A^T; |v| clamped below at MIN_BONE_NORM_MM.
            norm = self._bone_norms(free)
            scale = self.lengths / norm
            energy, grad_pose, grad_shift = self.energy((free * scale) @ self.ancestry_t, shift)
            grad_scaled = grad_pose @ self.ancestry  # (3, T, 15)
            radial = np.where(norm > MIN_BONE_NORM_MM,
                              (grad_scaled * free).sum(0) * scale / norm**2, 0.0)
            grad_free = grad_scaled * scale - free * radial
        return energy, np.concatenate([grad_free.ravel(), grad_shift.ravel()])

    def _split(self, x: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
        size = int(np.prod(self.free_shape))
        return x[:size].reshape(self.free_shape), x[size:].reshape(3, -1)

    def _joints(self, free: np.ndarray) -> np.ndarray:
        """(3, T, 16) joints: the root's and the free ones (3, T, 15)."""
        return np.concatenate([self.root, free], axis=-1)

    @staticmethod
    def _bone_norms(free: np.ndarray) -> np.ndarray:
        """(T, 15) lengths of bone vectors (3, T, 15), at least MIN_BONE_NORM_MM."""
        return np.maximum(np.sqrt((free * free).sum(0)), MIN_BONE_NORM_MM)
