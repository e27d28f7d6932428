"""3D poses -> motion.bvh: our 16-joint hierarchy with rotations solved per frame.

Coordinates: the camera frame (x right, y down, z forward) becomes a Y-up BVH world by a 180°
turn about x: x_bvh = x, y_bvh = -y, z_bvh = -z. A subject facing the camera then faces +Z with
their left side at +X, as Blender's BVH importer expects. Lengths are written in centimetres by
default (`units`), as in most mocap BVH files; Blender imports the numbers as they are (scale 1).

Rest pose: every joint's frame is the world frame. Bone lengths are the subject's medians;
legs hang along -Y, spine, neck and head point up (+Y), arms stretch sideways (T-pose, ±X). The
pelvis (children RHip, LHip, Spine) and thorax (children Head, LShoulder, RShoulder) keep the
subject's median geometry, measured in a body frame built from their children, so that a rigid
fit of all their children matches every frame closely.

Per frame, a joint with several children gets the Kabsch (SVD) rotation that best aligns its
rest child offsets with the frame's child bones, which fixes its twist; a joint with one child
gets the shortest-arc (swing-only) rotation from where the bone would point without rotation to
where it points; leaves copy their parent's rotation. Local rotations go out as ZXY Euler angles.
Root: 6 channels (position, then rotation) at the pelvis; its position stays at standing height
unless a root trajectory is given. A result placed in the world (`PoseResult.world`, Y up, floor
at y = 0) is written with its root motion: the world turns 180° about Y into the BVH axes
(x_bvh = -X, y_bvh = Y, z_bvh = -Z), so the subject still faces +Z when facing the camera and
walks over the floor at y = 0. The solving is vectorised over frames in numpy (scipy's
Rotation.align_vectors fits one frame per call, ~100x slower on long videos).
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
from scipy.spatial.transform import Rotation

from posemachines.data.bvh import BvhEndSite, BvhJoint, BvhMotion, write_bvh
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES, JOINTS16_PARENTS
from posemachines.structures import PoseResult
from posemachines.structures.pose_checks import MM_PER_UNIT, check_pose_array

BVH_NAME = "motion.bvh"
ROTATION_CHANNELS = ("Zrotation", "Xrotation", "Yrotation")
ROOT_CHANNELS = ("Xposition", "Yposition", "Zposition", *ROTATION_CHANNELS)
#: Camera frame -> BVH world (180° about x); its own inverse.
CAMERA_TO_BVH = np.diag([1.0, -1.0, -1.0])
#: Our world frame (Y up, +Z away from the camera) -> BVH world (180° about Y); its own inverse.
WORLD_TO_BVH = np.diag([-1.0, 1.0, -1.0])

_J = {name: index for index, name in enumerate(JOINTS16_NAMES)}
_CHILDREN = {j: [c for c, p in enumerate(JOINTS16_PARENTS) if p == j] for j in range(16)}
#: Rest direction of single-child bones, indexed by the child joint.
_REST_DIRECTIONS = {
    "RKnee": (0, -1, 0), "RFoot": (0, -1, 0), "LKnee": (0, -1, 0), "LFoot": (0, -1, 0),
    "Thorax": (0, 1, 0), "LElbow": (1, 0, 0), "LWrist": (1, 0, 0),
    "RElbow": (-1, 0, 0), "RWrist": (-1, 0, 0),
}
#: Multi-child joints: (joint, left child, right child, upward child) for the body frame.
_BODY_FRAMES = (("Hip", "LHip", "RHip", "Spine"), ("Thorax", "LShoulder", "RShoulder", "Head"))
#: End Sites (leaf joint -> rest direction, length in mm): toes forward, head top, hand tips.
_END_SITES = {
    "RFoot": ((0, 0, 1), 100.0), "LFoot": ((0, 0, 1), 100.0), "Head": ((0, 1, 0), 100.0),
    "LWrist": ((1, 0, 0), 80.0), "RWrist": ((-1, 0, 0), 80.0),
}


def camera_to_bvh_world(points_mm: np.ndarray) -> np.ndarray:
    """(..., 3) camera frame -> (..., 3) Y-up BVH world, same unit (also the inverse map)."""
    return points_mm @ CAMERA_TO_BVH.T


def _unit(vectors: np.ndarray) -> np.ndarray:
    norm = np.linalg.norm(vectors, axis=-1, keepdims=True)
    return np.divide(vectors, norm, out=np.zeros_like(vectors), where=norm > 1e-9)


def _body_frames(poses: np.ndarray, joint: str, left: str, right: str, up: str) -> np.ndarray:
    """(T, 3, 3) rotations whose columns are the body's x (to the left), y (up), z (front)."""
    x_axis = _unit(poses[:, _J[left]] - poses[:, _J[right]])
    z_axis = _unit(np.cross(x_axis, poses[:, _J[up]] - poses[:, _J[joint]]))
    return np.stack([x_axis, np.cross(z_axis, x_axis), z_axis], axis=-1)


def rest_offsets(poses_world_mm: np.ndarray) -> np.ndarray:
    """(16, 3) mm offset of every joint from its parent in the rest pose (root row: zeros).

    poses_world_mm: (T, 16, 3) BVH world axes. Lengths are the per-bone medians over frames.
    """
    lengths = np.median(
        np.linalg.norm(poses_world_mm[:, 1:] - poses_world_mm[:, list(JOINTS16_PARENTS[1:])],
                       axis=-1), axis=0)
    offsets = np.zeros((16, 3))
    for name, direction in _REST_DIRECTIONS.items():
        offsets[_J[name]] = direction
    for joint, left, right, up in _BODY_FRAMES:
        frames = _body_frames(poses_world_mm, joint, left, right, up)
        for child in (left, right, up):
            bones = poses_world_mm[:, _J[child]] - poses_world_mm[:, _J[joint]]
            local = np.einsum("tji,tj->ti", frames, bones)
            offsets[_J[child]] = _unit(np.median(local, axis=0))
    offsets[1:] *= lengths[:, None]
    return offsets


def _kabsch(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(T, K, 3) -> (T, 3, 3) proper rotations R minimising sum |R s_k - t_k|^2."""
    covariance = np.einsum("tki,tkj->tij", sources, targets)
    u, _, vt = np.linalg.svd(covariance)
    v = np.swapaxes(vt, -1, -2)
    flip = np.sign(np.linalg.det(v @ np.swapaxes(u, -1, -2)))
    flip[flip == 0] = 1.0
    fix = np.tile(np.eye(3), (len(flip), 1, 1))
    fix[:, 2, 2] = flip
    return v @ fix @ np.swapaxes(u, -1, -2)


def _shortest_arc(sources: np.ndarray, targets: np.ndarray) -> np.ndarray:
    """(T, 3) -> (T, 3, 3) smallest rotations taking each source direction onto its target.

    A zero target gives the identity; opposite directions turn 180° about a perpendicular axis.
    """
    a, b = _unit(sources), _unit(targets)
    axis = np.cross(a, b)
    cosine = np.einsum("ti,ti->t", a, b)
    skew = np.zeros((len(a), 3, 3))
    skew[:, 0, 1], skew[:, 0, 2], skew[:, 1, 2] = -axis[:, 2], axis[:, 1], -axis[:, 0]
    skew -= np.swapaxes(skew, -1, -2)
    scale = 1.0 / np.maximum(1.0 + cosine, 1e-12)
    rotations = np.eye(3) + skew + skew @ skew * scale[:, None, None]
    opposite = cosine < -1.0 + 1e-9
    if opposite.any():
        helper = np.where(np.abs(a[opposite, :1]) < 0.9, [[1.0, 0, 0]], [[0, 1.0, 0]])
        normal = _unit(np.cross(a[opposite], helper))
        rotations[opposite] = 2 * np.einsum("ti,tj->tij", normal, normal) - np.eye(3)
    rotations[np.linalg.norm(b, axis=-1) == 0] = np.eye(3)
    return rotations


def solve_rotations(poses_world_mm: np.ndarray, offsets: np.ndarray) -> np.ndarray:
    """World rotation (T, 16, 3, 3) of every joint so that the rest offsets follow the poses."""
    count = poses_world_mm.shape[0]
    world = np.zeros((count, 16, 3, 3))
    for joint, parent in enumerate(JOINTS16_PARENTS):
        children = _CHILDREN[joint]
        parent_rotation = world[:, parent] if parent >= 0 else np.tile(np.eye(3), (count, 1, 1))
        bones = poses_world_mm[:, children] - poses_world_mm[:, [joint]]
        if len(children) > 1:
            rest = np.broadcast_to(offsets[children], bones.shape)
            targets = _unit(bones) * np.linalg.norm(offsets[children], axis=-1)[:, None]
            world[:, joint] = _kabsch(rest, targets)
        elif len(children) == 1:
            unrotated = parent_rotation @ offsets[children[0]]
            world[:, joint] = _shortest_arc(unrotated, bones[:, 0]) @ parent_rotation
        else:
            world[:, joint] = parent_rotation
    return world


def poses_to_motion(
    poses_mm: np.ndarray,
    fps: float,
    *,
    units: str = "cm",
    root_trajectory_mm: np.ndarray | None = None,
    to_bvh: np.ndarray = CAMERA_TO_BVH,
) -> BvhMotion:
    """(T, 16, 3) mm root-relative poses -> a BvhMotion in `units` at `fps`.

    root_trajectory_mm: optional (T, 3) pelvis positions; without it the root stays at the rest
    pose's standing height above the origin. to_bvh (3, 3): the rotation from the poses' frame
    to the BVH axes (`CAMERA_TO_BVH` for camera-frame poses, `WORLD_TO_BVH` for world ones).
    """
    poses = check_pose_array(poses_mm, name="poses_mm", dims=3, num_joints=16)
    if poses.ndim != 3 or poses.shape[0] == 0:
        raise PoseDataError(f"BVH export needs (T >= 1, 16, 3) poses, got {poses.shape}.")
    if units not in MM_PER_UNIT:
        raise PoseDataError(f"BVH units must be one of {sorted(MM_PER_UNIT)}, got '{units}'.")
    world = (poses - poses[:, :1]) @ to_bvh.T
    offsets = rest_offsets(world)
    rotations = solve_rotations(world, offsets)
    parents = np.array([max(p, 0) for p in JOINTS16_PARENTS])
    local = np.swapaxes(rotations[:, parents], -1, -2) @ rotations
    local[:, 0] = rotations[:, 0]
    euler = Rotation.from_matrix(local.reshape(-1, 3, 3)).as_euler("ZXY", degrees=True)
    euler = euler.reshape(len(world), 16, 3)
    if root_trajectory_mm is None:
        rest_heights = np.zeros(16)
        for joint, parent in enumerate(JOINTS16_PARENTS[1:], start=1):
            rest_heights[joint] = rest_heights[parent] + offsets[joint, 1]
        root = np.tile([0.0, -rest_heights.min(), 0.0], (len(world), 1))
    else:
        trajectory = np.asarray(root_trajectory_mm, dtype=np.float64)
        if trajectory.shape != (len(world), 3) or not np.isfinite(trajectory).all():
            raise PoseDataError(f"root_trajectory_mm must be ({len(world)}, 3) finite mm, got "
                                f"shape {trajectory.shape}.")
        root = trajectory @ to_bvh.T
    scale = 1.0 / MM_PER_UNIT[units]
    values = np.concatenate([root * scale, euler.reshape(len(world), 48)], axis=1)
    joints = tuple(
        BvhJoint(name, parent, offsets[j] * scale,
                 ROOT_CHANNELS if parent < 0 else ROTATION_CHANNELS)
        for j, (name, parent) in enumerate(zip(JOINTS16_NAMES, JOINTS16_PARENTS, strict=True))
    )
    end_sites = tuple(BvhEndSite(_J[name], np.array(direction) * length * scale)
                      for name, (direction, length) in _END_SITES.items())
    return BvhMotion(joints, end_sites, 1.0 / fps, values)


def fill_missing_frames(result: PoseResult, poses_mm: np.ndarray | None = None) -> np.ndarray:
    """(F, 16, 3) mm poses for every source frame from the first to the last pose.

    poses_mm: (T, 16, 3) per pose of `result` (default its pose3d_mm). Frames without a person
    are linearly interpolated between their neighbours.
    """
    indices = np.asarray(result.frame_indices, dtype=np.int64)
    order = np.argsort(indices)
    source = result.pose3d_mm if poses_mm is None else poses_mm
    indices, poses = indices[order], np.asarray(source, dtype=np.float64)[order]
    every = np.arange(indices[0], indices[-1] + 1)
    flat = poses.reshape(len(indices), -1)
    filled = np.stack([np.interp(every, indices, column) for column in flat.T], axis=1)
    return filled.reshape(len(every), 16, 3)


def result_motion(result: PoseResult, units: str = "cm",
                  root_trajectory_mm: np.ndarray | None = None) -> BvhMotion:
    """The motion of `result` as one frame per source frame (gaps interpolated), 1/fps apart.

    A result in the world frame (`result.world.frame == 'world'`) moves through the world: its
    root follows the world trajectory over the floor at y = 0. Otherwise the root stays in
    place unless root_trajectory_mm, (F, 3) camera-frame pelvis positions one per frame, is
    given. Also the source of the glTF export (`gltf_export`).
    """
    if result.num_frames == 0:
        raise PoseDataError("Cannot export motion: the result holds no poses.")
    if result.world is not None and result.world.frame == "world" and root_trajectory_mm is None:
        joints = fill_missing_frames(result, result.world.joints_mm)
        return poses_to_motion(joints, result.fps, units=units, root_trajectory_mm=joints[:, 0],
                               to_bvh=WORLD_TO_BVH)
    return poses_to_motion(fill_missing_frames(result), result.fps, units=units,
                           root_trajectory_mm=root_trajectory_mm)


def write_motion_bvh(
    result: PoseResult,
    path: Path | str,
    *,
    units: str = "cm",
    root_trajectory_mm: np.ndarray | None = None,
) -> Path:
    """Write motion.bvh (`result_motion`): with root motion over the floor for a result in the
    world frame."""
    if result.num_frames == 0:
        raise PoseDataError("Cannot write a BVH file: the result holds no poses.")
    write_bvh(result_motion(result, units, root_trajectory_mm), path)
    return Path(path)
