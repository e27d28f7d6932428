"""BVH (Biovision Hierarchy) motion files: read, write, and forward kinematics to positions.

Our own parser rather than a PyPI one (bvh, bvhio, bvhsdk, pybvh were considered): we need the
MOTION block parsed in one numpy call (606 files, ~160,000 frames), forward kinematics over all
frames at once, every rotation order and position channels on any joint (Bandai Namco puts six
channels on every joint), and a writer; that is a few hundred lines and no new dependency.

Conventions (those of the format and of Blender's importer):
- A joint's local transform is translation, then rotation R = product of its rotation channels
  in the listed order, e.g. `Zrotation Xrotation Yrotation` gives R = Rz @ Rx @ Ry acting on
  column vectors; angles in degrees. World = parent world @ local.
- Position channels replace the matching OFFSET component (Bandai Namco repeats every joint's
  OFFSET in its position channels; LAFAN1's root OFFSET equals its first frame's position).
- Lengths stay in the file's unit (centimetres in Bandai Namco and LAFAN1).
"""

from __future__ import annotations

import re
import warnings
from dataclasses import dataclass
from pathlib import Path

import numpy as np

from posemachines.errors import PoseDataError

_AXES = {"x": 0, "y": 1, "z": 2}
_CHANNEL = re.compile(r"^([XYZxyz])(position|rotation)$", re.IGNORECASE)
_MOTION_HEADER = re.compile(r"\s*Frames:\s*(\S+)\s+Frame\s+Time:\s*(\S+)")
#: Significant digits of written values: exact for 6-decimal files with |x| < 1000, and under
#: 1e-6 relative error otherwise (0.01 mm round trips need ~1e-5 degree and 1e-3 cm).
_DIGITS = 9
#: A file may hold one whole frame fewer than its `Frames:` line says: LAFAN1's
#: fallAndGetUp1_subject1.bvh declares 5047 and holds 5046 complete frames. Anything else that
#: disagrees (a partial row, more frames missing) is a truncated or corrupt file.
_MISSING_FRAMES_ACCEPTED = 1


@dataclass(frozen=True, eq=False)
class BvhJoint:
    """One joint: parent index (-1 for a root), OFFSET (3,) in file units, channel names."""

    name: str
    parent: int
    offset: np.ndarray
    channels: tuple[str, ...]


@dataclass(frozen=True, eq=False)
class BvhEndSite:
    """An End Site: the point at OFFSET (3,) in its parent joint's frame (e.g. a toe tip)."""

    parent: int
    offset: np.ndarray


@dataclass(frozen=True, eq=False)
class BvhMotion:
    """A whole BVH file; joints are ordered parents first, as their channels are stored.

    channel_values: (F, C) with C = total channel count, in joint order then channel order;
    positions in file units, rotations in degrees.
    """

    joints: tuple[BvhJoint, ...]
    end_sites: tuple[BvhEndSite, ...]
    frame_time_s: float
    channel_values: np.ndarray

    def __post_init__(self) -> None:
        if not self.joints:
            raise PoseDataError("A BVH motion needs at least one joint.")
        for index, joint in enumerate(self.joints):
            if not -1 <= joint.parent < index:
                raise PoseDataError(f"BVH joint '{joint.name}' must come after its parent.")
            for channel in joint.channels:
                if not _CHANNEL.match(channel):
                    raise PoseDataError(f"BVH joint '{joint.name}' has unknown channel {channel}.")
        if any(not 0 <= site.parent < len(self.joints) for site in self.end_sites):
            raise PoseDataError("A BVH End Site refers to a joint that does not exist.")
        values = self.channel_values
        if values.ndim != 2 or values.shape[1] != self.num_channels:
            raise PoseDataError(
                f"BVH channel values must be (frames, {self.num_channels}), got {values.shape}."
            )
        if not self.frame_time_s > 0:
            raise PoseDataError(f"BVH frame time must be positive, got {self.frame_time_s}.")

    @property
    def num_frames(self) -> int:
        return int(self.channel_values.shape[0])

    @property
    def num_channels(self) -> int:
        return sum(len(joint.channels) for joint in self.joints)

    @property
    def fps(self) -> float:
        return 1.0 / self.frame_time_s

    @property
    def joint_names(self) -> tuple[str, ...]:
        return tuple(joint.name for joint in self.joints)

    @property
    def channel_starts(self) -> tuple[int, ...]:
        """Column of each joint's first channel in `channel_values`."""
        sizes = [len(joint.channels) for joint in self.joints]
        return tuple(int(s) for s in np.cumsum([0, *sizes[:-1]]))

    def joint_index(self, name: str) -> int:
        try:
            return self.joint_names.index(name)
        except ValueError:
            raise PoseDataError(f"The BVH skeleton has no joint named '{name}'.") from None


@dataclass(frozen=True, eq=False)
class BvhPositions:
    """World positions in file units: joints (F, J, 3) and end sites (F, E, 3)."""

    joints: np.ndarray
    end_sites: np.ndarray


# ---------------------------------------------------------------------------------------------
# Reading
# ---------------------------------------------------------------------------------------------
class _Tokens:
    """The HIERARCHY block as whitespace-separated tokens, read front to back."""

    def __init__(self, text: str) -> None:
        self._tokens = text.split()
        self._next = 0

    def __bool__(self) -> bool:
        return self._next < len(self._tokens)

    def take(self) -> str:
        if self._next >= len(self._tokens):
            raise ValueError("the HIERARCHY block ends inside a joint")
        self._next += 1
        return self._tokens[self._next - 1]

    def expect(self, word: str) -> None:
        token = self.take()
        if token != word:
            raise ValueError(f"expected '{word}' but found '{token}'")

    def floats(self, count: int) -> np.ndarray:
        return np.array([float(self.take()) for _ in range(count)])


def _parse_hierarchy(text: str) -> tuple[tuple[BvhJoint, ...], tuple[BvhEndSite, ...]]:
    tokens = _Tokens(text)
    tokens.expect("HIERARCHY")
    joints: list[dict] = []
    end_sites: list[BvhEndSite] = []
    open_joints: list[int] = []
    while tokens:
        token = tokens.take()
        if token in ("ROOT", "JOINT"):
            if (token == "ROOT") != (not open_joints):
                raise ValueError(f"{token} {tokens.take()} is at the wrong nesting level")
            parent = open_joints[-1] if open_joints else -1
            joints.append({"name": tokens.take(), "parent": parent, "offset": None,
                           "channels": ()})
            tokens.expect("{")
            open_joints.append(len(joints) - 1)
        elif token == "OFFSET" and open_joints:
            joints[open_joints[-1]]["offset"] = tokens.floats(3)
        elif token == "CHANNELS" and open_joints:
            count = int(tokens.take())
            joints[open_joints[-1]]["channels"] = tuple(tokens.take() for _ in range(count))
        elif token == "End" and open_joints:
            for word in ("Site", "{", "OFFSET"):
                tokens.expect(word)
            end_sites.append(BvhEndSite(open_joints[-1], tokens.floats(3)))
            tokens.expect("}")
        elif token == "}" and open_joints:
            open_joints.pop()
        else:
            raise ValueError(f"unexpected '{token}' in the HIERARCHY block")
    if open_joints or not joints:
        raise ValueError("the HIERARCHY block is incomplete")
    for joint in joints:
        if joint["offset"] is None:
            raise ValueError(f"joint {joint['name']} has no OFFSET")
    return tuple(BvhJoint(**joint) for joint in joints), tuple(end_sites)


def _parse_numbers(text: str) -> np.ndarray:
    """All whitespace-separated numbers of `text` in one C-level pass (fast for 10^6 values)."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        values = np.fromstring(text, dtype=np.float64, sep=" ")
    if caught:
        raise ValueError("the MOTION block holds a value that is not a number")
    if not np.isfinite(values).all():
        raise ValueError("the MOTION block holds NaN or infinite values")
    return values


def _parse(text: str) -> BvhMotion:
    motion_at = re.search(r"^\s*MOTION\b", text, re.MULTILINE)
    if motion_at is None:
        raise ValueError("it has no MOTION block")
    joints, end_sites = _parse_hierarchy(text[: motion_at.start()])
    body = text[motion_at.end():]
    header = _MOTION_HEADER.match(body)
    if header is None:
        raise ValueError("the MOTION block lacks 'Frames:' and 'Frame Time:'")
    num_frames, frame_time_s = int(header.group(1)), float(header.group(2))
    data = body[header.end():]
    values = _parse_numbers(data)
    num_channels = sum(len(joint.channels) for joint in joints)
    num_lines = sum(1 for line in data.splitlines() if line.strip())
    whole_rows = values.size == num_lines * num_channels
    if not whole_rows or num_lines not in (num_frames, num_frames - _MISSING_FRAMES_ACCEPTED):
        raise ValueError(
            f"it declares {num_frames} frames of {num_channels} channels but holds "
            f"{values.size} values on {num_lines} lines (truncated or corrupt)"
        )
    channel_values = values.reshape(num_lines, num_channels)
    return BvhMotion(joints, end_sites, frame_time_s, channel_values)


def read_bvh(path: Path | str) -> BvhMotion:
    """Read a BVH file (any rotation order, position channels on any joint)."""
    path = Path(path)
    try:
        text = path.read_text(encoding="utf-8", errors="replace")
    except FileNotFoundError:
        raise PoseDataError(f"BVH file not found: {path}.") from None
    except OSError as error:
        raise PoseDataError(f"Cannot read BVH file {path}: {error.strerror}.") from None
    try:
        return _parse(text)
    except (ValueError, PoseDataError) as error:
        reason = str(error).rstrip(".")
        raise PoseDataError(f"{path} is not a valid BVH file: {reason}.") from None


# ---------------------------------------------------------------------------------------------
# Writing
# ---------------------------------------------------------------------------------------------
def _number(value: float) -> str:
    return f"{value:.{_DIGITS}g}"


def _hierarchy_lines(motion: BvhMotion) -> tuple[list[str], list[int]]:
    """HIERARCHY block lines, and the joint indices in the (depth-first) order written."""
    children: dict[int, list[int]] = {}
    for index, joint in enumerate(motion.joints):
        children.setdefault(joint.parent, []).append(index)
    lines, order = ["HIERARCHY"], []

    def add_joint(index: int, depth: int) -> None:
        joint, pad = motion.joints[index], "\t" * depth
        order.append(index)
        lines.extend([
            f"{pad}{'ROOT' if joint.parent < 0 else 'JOINT'} {joint.name}",
            pad + "{",
            f"{pad}\tOFFSET {' '.join(_number(v) for v in joint.offset)}",
            f"{pad}\tCHANNELS {len(joint.channels)} {' '.join(joint.channels)}".rstrip(),
        ])
        for child in children.get(index, []):
            add_joint(child, depth + 1)
        for site in motion.end_sites:
            if site.parent == index:
                offset = " ".join(_number(v) for v in site.offset)
                lines.extend([f"{pad}\tEnd Site", f"{pad}\t{{", f"{pad}\t\tOFFSET {offset}",
                              f"{pad}\t}}"])
        lines.append(pad + "}")

    for root in children.get(-1, []):
        add_joint(root, 0)
    return lines, order


def write_bvh(motion: BvhMotion, path: Path | str) -> None:
    """Write `motion` as a BVH file (tab-indented; 9 significant digits per value)."""
    lines, order = _hierarchy_lines(motion)
    # Channels go in the order the joints are written (depth first), whatever the stored order.
    starts = motion.channel_starts
    columns = [starts[j] + k for j in order for k in range(len(motion.joints[j].channels))]
    values = motion.channel_values[:, columns]
    row_format = " ".join([f"%.{_DIGITS}g"] * values.shape[1])
    lines += ["MOTION", f"Frames: {motion.num_frames}",
              f"Frame Time: {_number(motion.frame_time_s)}"]
    lines += [row_format % tuple(row) for row in values.tolist()]
    try:
        Path(path).write_text("\n".join(lines) + "\n", encoding="utf-8")
    except OSError as error:
        raise PoseDataError(f"Cannot write BVH file {path}: {error.strerror}.") from None


# ---------------------------------------------------------------------------------------------
# Forward kinematics
# ---------------------------------------------------------------------------------------------
def _axis_rotation(angles_deg: np.ndarray, axis: int) -> np.ndarray:
    """(F,) degrees about x/y/z (0/1/2) -> (F, 3, 3) right-handed rotation matrices."""
    radians = np.radians(angles_deg)
    cos, sin = np.cos(radians), np.sin(radians)
    j, k = (axis + 1) % 3, (axis + 2) % 3
    matrices = np.zeros((angles_deg.shape[0], 3, 3))
    matrices[:, axis, axis] = 1.0
    matrices[:, j, j] = cos
    matrices[:, k, k] = cos
    matrices[:, j, k] = -sin
    matrices[:, k, j] = sin
    return matrices


def _local_transform(
    joint: BvhJoint, values: np.ndarray
) -> tuple[np.ndarray, np.ndarray]:
    """values (F, n) of this joint's channels -> rotation (F, 3, 3), translation (F, 3)."""
    num_frames = values.shape[0]
    rotation = np.broadcast_to(np.eye(3), (num_frames, 3, 3))
    translation = np.tile(joint.offset.astype(np.float64), (num_frames, 1))
    for column, channel in enumerate(joint.channels):
        axis = _AXES[channel[0].lower()]
        if channel[1:].lower() == "position":
            translation[:, axis] = values[:, column]
        else:
            rotation = rotation @ _axis_rotation(values[:, column], axis)
    return rotation, translation


def world_transforms(motion: BvhMotion) -> tuple[np.ndarray, np.ndarray]:
    """World rotation (F, J, 3, 3) and position (F, J, 3, file units) of every joint."""
    num_frames, num_joints = motion.num_frames, len(motion.joints)
    rotations = np.empty((num_frames, num_joints, 3, 3))
    positions = np.empty((num_frames, num_joints, 3))
    for index, (joint, start) in enumerate(zip(motion.joints, motion.channel_starts, strict=True)):
        values = motion.channel_values[:, start: start + len(joint.channels)]
        rotation, translation = _local_transform(joint, values)
        if joint.parent < 0:
            rotations[:, index], positions[:, index] = rotation, translation
            continue
        parent_rotation = rotations[:, joint.parent]
        rotations[:, index] = parent_rotation @ rotation
        positions[:, index] = positions[:, joint.parent] + np.einsum(
            "fij,fj->fi", parent_rotation, translation
        )
    return rotations, positions


def forward_kinematics(motion: BvhMotion) -> BvhPositions:
    """World positions of every joint (F, J, 3) and End Site (F, E, 3), in file units."""
    rotations, positions = world_transforms(motion)
    sites = [
        positions[:, site.parent] + rotations[:, site.parent] @ site.offset
        for site in motion.end_sites
    ]
    end_sites = np.stack(sites, axis=1) if sites else np.zeros((motion.num_frames, 0, 3))
    return BvhPositions(joints=positions, end_sites=end_sites)
