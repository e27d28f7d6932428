"""motion.glb: the motion as a glTF 2.0 skinned, animated skeleton (game engines, the web).

The skeleton and its animation are the BVH export's (`bvh_export.result_motion`): the same rest
pose (T-pose, median bone lengths), the same per-joint local rotations, the same root path (over
the floor for a result in the world frame). glTF's axes are the BVH's: +Y up, metres, a subject
facing the camera faces +Z. Each joint is a node (translation = its rest offset) with a rotation
channel; the root also has a translation channel. A low-poly body (one box per bone, each box
bound to the bone's parent joint, coloured like the overlay: subject's left blue, right orange,
centre green) is skinned to the joints so that viewers show a figure, not only empties.

Written with pygltflib (a maintained glTF reader/writer: the container, JSON schema and binary
chunk layout are its job); the geometry and the animation data are ours.
"""

from __future__ import annotations

from pathlib import Path

import numpy as np
import pygltflib as g
from scipy.spatial.transform import Rotation

from posemachines.data.bvh import BvhMotion
from posemachines.data.mocap_mapping import rest_positions
from posemachines.errors import PoseDataError
from posemachines.export.bvh_export import result_motion
from posemachines.structures import PoseResult
from posemachines.viz.drawing import joint_colours

GLB_NAME = "motion.glb"
#: Half the width of a bone's box, m; thicker for the trunk.
BONE_HALF_WIDTH_M = 0.025
TRUNK_HALF_WIDTH_M = 0.06
_FLOAT, _UNSIGNED_SHORT, _UNSIGNED_INT = 5126, 5123, 5125
_ARRAY_BUFFER, _ELEMENT_ARRAY_BUFFER = 34962, 34963
#: The 12 triangles of a box whose 8 corners are ordered (x, y, z) bits: 0..7 = 0bxyz.
_BOX_TRIANGLES = np.array([
    [0, 1, 3], [0, 3, 2], [4, 6, 7], [4, 7, 5], [0, 4, 5], [0, 5, 1],
    [2, 3, 7], [2, 7, 6], [0, 2, 6], [0, 6, 4], [1, 5, 7], [1, 7, 3],
], dtype=np.uint32)


def local_rotations(motion: BvhMotion) -> np.ndarray:
    """(F, J, 4) local rotation quaternions (x, y, z, w) from the ZXY Euler channels."""
    values = motion.channel_values
    quaternions = np.zeros((len(values), len(motion.joints), 4))
    column = 0
    for index, joint in enumerate(motion.joints):
        column += len(joint.channels) - 3  # position channels come first (root only)
        euler = values[:, column:column + 3]
        quaternions[:, index] = Rotation.from_euler("ZXY", euler, degrees=True).as_quat()
        column += 3
    return quaternions


def _box(start: np.ndarray, end: np.ndarray, half_width: float) -> np.ndarray:
    """(8, 3) corners of a box around the segment start -> end, ordered as _BOX_TRIANGLES."""
    axis = end - start
    length = float(np.linalg.norm(axis))
    direction = axis / length if length > 1e-9 else np.array([0.0, 1.0, 0.0])
    helper = np.array([0.0, 0.0, 1.0]) if abs(direction[2]) < 0.9 else np.array([1.0, 0, 0])
    side = np.cross(direction, helper)
    side /= np.linalg.norm(side)
    up = np.cross(side, direction)
    corners = []
    for bits in range(8):
        along = end if bits & 4 else start
        offset = (1 if bits & 2 else -1) * side + (1 if bits & 1 else -1) * up
        corners.append(along + half_width * offset)
    return np.array(corners)


def body_mesh(motion: BvhMotion) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Boxes along the bones and to the End Sites at rest: positions (V, 3) m, joint of each
    vertex (V,), colours (V, 3) in [0, 1], triangle indices (N, 3)."""
    rest = rest_positions(motion)
    colours = np.array(joint_colours(), dtype=np.float64) / 255.0
    segments: list[tuple[np.ndarray, np.ndarray, int, int]] = []
    for index, joint in enumerate(motion.joints):
        if joint.parent >= 0:  # the bone parent -> joint turns with the parent joint
            segments.append((rest[joint.parent], rest[index], joint.parent, index))
    for site in motion.end_sites:
        segments.append((rest[site.parent], rest[site.parent] + site.offset, site.parent,
                         site.parent))
    positions, joints, vertex_colours, triangles = [], [], [], []
    for number, (start, end, bound_to, coloured_as) in enumerate(segments):
        trunk = motion.joints[bound_to].parent < 0 or motion.joints[bound_to].name == "Spine"
        positions.append(_box(start, end, TRUNK_HALF_WIDTH_M if trunk else BONE_HALF_WIDTH_M))
        joints.append(np.full(8, bound_to))
        vertex_colours.append(np.tile(colours[coloured_as], (8, 1)))
        triangles.append(_BOX_TRIANGLES + 8 * number)
    return (np.concatenate(positions), np.concatenate(joints), np.concatenate(vertex_colours),
            np.concatenate(triangles))


class _Blob:
    """The binary chunk: bufferViews and accessors appended one array at a time."""

    def __init__(self) -> None:
        self.data = bytearray()
        self.views: list[g.BufferView] = []
        self.accessors: list[g.Accessor] = []

    def add(self, array: np.ndarray, kind: str, component: int, target: int | None = None,
            bounds: bool = False) -> int:
        """Append `array` (count, ...) as one accessor of `kind` ('SCALAR', 'VEC3', 'MAT4', ..)
        and return its index."""
        raw = np.ascontiguousarray(array).tobytes()
        while len(self.data) % 4:
            self.data.append(0)
        self.views.append(g.BufferView(buffer=0, byteOffset=len(self.data),
                                       byteLength=len(raw), target=target))
        self.data.extend(raw)
        flat = np.asarray(array).reshape(len(array), -1)
        accessor = g.Accessor(
            bufferView=len(self.views) - 1, componentType=component, count=len(array), type=kind,
            min=flat.min(axis=0).tolist() if bounds else None,
            max=flat.max(axis=0).tolist() if bounds else None)
        self.accessors.append(accessor)
        return len(self.accessors) - 1


def result_to_gltf(result: PoseResult) -> g.GLTF2:
    """A pygltflib.GLTF2 holding the skinned skeleton and its animation (see module docstring)."""
    motion = result_motion(result, units="m")
    rest = rest_positions(motion)
    blob = _Blob()
    positions, vertex_joints, colours, triangles = body_mesh(motion)
    num_vertices = len(positions)
    weights = np.zeros((num_vertices, 4), np.float32)
    weights[:, 0] = 1.0
    joint_slots = np.zeros((num_vertices, 4), np.uint16)
    joint_slots[:, 0] = vertex_joints
    attributes = g.Attributes(
        POSITION=blob.add(positions.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER, True),
        COLOR_0=blob.add(colours.astype(np.float32), "VEC3", _FLOAT, _ARRAY_BUFFER),
        JOINTS_0=blob.add(joint_slots, "VEC4", _UNSIGNED_SHORT, _ARRAY_BUFFER),
        WEIGHTS_0=blob.add(weights, "VEC4", _FLOAT, _ARRAY_BUFFER))
    indices = blob.add(triangles.reshape(-1).astype(np.uint32), "SCALAR", _UNSIGNED_INT,
                       _ELEMENT_ARRAY_BUFFER)
    # Inverse bind matrices: the rest pose only translates, so each is a translation by -rest.
    inverse_bind = np.tile(np.eye(4, dtype=np.float32), (len(rest), 1, 1))
    inverse_bind[:, :3, 3] = -rest
    bind = blob.add(np.swapaxes(inverse_bind, 1, 2).copy(), "MAT4", _FLOAT)  # column-major

    frames = len(motion.channel_values)
    times = blob.add((np.arange(frames) * motion.frame_time_s).astype(np.float32), "SCALAR",
                     _FLOAT, bounds=True)
    rotations = local_rotations(motion).astype(np.float32)
    samplers, channels = [], []
    for index in range(len(motion.joints)):
        samplers.append(g.AnimationSampler(
            input=times, output=blob.add(rotations[:, index].copy(), "VEC4", _FLOAT),
            interpolation="LINEAR"))
        channels.append(g.AnimationChannel(
            sampler=len(samplers) - 1, target=g.AnimationChannelTarget(node=index,
                                                                       path="rotation")))
    root_path = motion.channel_values[:, :3].astype(np.float32)
    samplers.append(g.AnimationSampler(input=times, output=blob.add(root_path, "VEC3", _FLOAT),
                                       interpolation="LINEAR"))
    channels.append(g.AnimationChannel(
        sampler=len(samplers) - 1, target=g.AnimationChannelTarget(node=0, path="translation")))

    children: dict[int, list[int]] = {index: [] for index in range(len(motion.joints))}
    for index, joint in enumerate(motion.joints):
        if joint.parent >= 0:
            children[joint.parent].append(index)
    nodes = [g.Node(name=joint.name, translation=joint.offset.tolist() if index else
                    root_path[0].tolist(), children=children[index] or None)
             for index, joint in enumerate(motion.joints)]
    mesh_node = len(nodes)
    nodes.append(g.Node(name="Body", mesh=0, skin=0))
    gltf = g.GLTF2(
        asset=g.Asset(generator="posemachines", version="2.0"),
        scene=0, scenes=[g.Scene(name=Path(result.source).stem or "motion",
                                 nodes=[0, mesh_node])],
        nodes=nodes,
        meshes=[g.Mesh(name="Body", primitives=[g.Primitive(attributes=attributes,
                                                              indices=indices, material=0)])],
        materials=[g.Material(name="Body", pbrMetallicRoughness=g.PbrMetallicRoughness(
            baseColorFactor=[1.0, 1.0, 1.0, 1.0], metallicFactor=0.0, roughnessFactor=0.8))],
        skins=[g.Skin(name="Skeleton", joints=list(range(len(motion.joints))), skeleton=0,
                      inverseBindMatrices=bind)],
        animations=[g.Animation(name="motion", samplers=samplers, channels=channels)],
        accessors=blob.accessors, bufferViews=blob.views,
        buffers=[g.Buffer(byteLength=len(blob.data))],
    )
    gltf.set_binary_blob(bytes(blob.data))
    return gltf


def write_glb(result: PoseResult, path: Path | str) -> Path:
    """Write motion.glb (binary glTF 2.0) and return its path."""
    if result.num_frames == 0:
        raise PoseDataError("Cannot write a glTF file: the result holds no poses.")
    gltf = result_to_gltf(result)
    path = Path(path)
    try:
        gltf.save_binary(str(path))
    except OSError as error:
        raise PoseDataError(f"Cannot write glTF file {path}: {error.strerror}.") from None
    return path
