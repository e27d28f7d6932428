"""Motion-capture clips as 16-joint world poses: load one BVH, convert a tree, read the npz.

Clips come from the shipped Bandai Namco (1 and 2) and LAFAN1 BVH files, mapped to our 16 joints
by `posemachines.data.mocap_mapping`: (T, 16, 3) float32 world millimetres, Y up as in the files.
Clips are resampled to the requested frame rate by linear interpolation of joint positions
(a source rate within 0.1% of the target, e.g. 30.0003 fps for 30, is taken as equal and kept
frame for frame).

File names give content, style and take:
- Bandai Namco `dataset-1_bow_active_001.bvh` -> source 'bandai-namco-1', content 'bow',
  style 'active', take '001' (content and style may hold hyphens, never underscores).
- LAFAN1 `fallAndGetUp1_subject1.bvh` -> source 'lafan1', content 'fallAndGetUp', style '',
  take '1_subject1' (take number and subject together, unique within a content).
"""

from __future__ import annotations

import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import numpy as np
from tqdm import tqdm

from posemachines.data.bvh import read_bvh
from posemachines.data.mocap_mapping import identify_skeleton, to_joints16_mm
from posemachines.errors import PoseDataError

_BANDAI_NAME = re.compile(r"^dataset-(\d+)_([^_]+)_([^_]+)_([^_]+)$")
_LAFAN_NAME = re.compile(r"^([A-Za-z]+)(\d+_subject\d+)$")
#: Relative difference under which a source frame rate counts as the requested one.
_SAME_RATE = 1e-3
_NPZ_KEYS = ("positions", "offsets", "names", "sources", "contents", "styles", "takes", "fps")


@dataclass(frozen=True, eq=False)
class MocapClip:
    """One take: joints_mm (T, 16, 3) float32 world mm, Y up; labels parsed from its file name.

    name: file stem, or the path relative to the converted root without extension.
    source: 'bandai-namco-1', 'bandai-namco-2' or 'lafan1'.
    """

    name: str
    source: str
    joints_mm: np.ndarray
    fps: float
    content: str
    style: str
    take: str

    @property
    def num_frames(self) -> int:
        return int(self.joints_mm.shape[0])


@dataclass(frozen=True)
class MocapSummary:
    """What `convert_mocap_tree` wrote: files, frames at the output rate, and hours."""

    num_files: int
    num_frames: int
    hours: float


def parse_clip_name(stem: str, skeleton: str) -> tuple[str, str, str, str]:
    """(source, content, style, take) from a file stem; skeleton from `identify_skeleton`."""
    if skeleton == "bandai-namco":
        match = _BANDAI_NAME.match(stem)
        if match is None:
            raise PoseDataError(
                f"Bandai Namco file '{stem}' is not named dataset-N_content_style_take."
            )
        number, content, style, take = match.groups()
        return f"bandai-namco-{number}", content, style, take
    match = _LAFAN_NAME.match(stem)
    if match is None:
        raise PoseDataError(f"LAFAN1 file '{stem}' is not named like fallAndGetUp1_subject1.")
    content, take = match.groups()
    return "lafan1", content, "", take


def resample(positions: np.ndarray, source_fps: float, fps: float) -> np.ndarray:
    """(F, J, D) at source_fps -> (T, J, D) at fps by linear interpolation over the same span."""
    if not (np.isfinite(fps) and fps > 0):
        raise PoseDataError(f"The output frame rate must be a positive number, got {fps}.")
    if abs(source_fps - fps) <= _SAME_RATE * fps or len(positions) < 2:
        return positions
    duration_s = (len(positions) - 1) / source_fps
    times = np.arange(int(np.floor(duration_s * fps + 1e-9)) + 1) / fps * source_fps
    before = np.minimum(np.floor(times).astype(np.int64), len(positions) - 1)
    after = np.minimum(before + 1, len(positions) - 1)
    weight = (times - before)[:, None, None]
    return (1.0 - weight) * positions[before] + weight * positions[after]


def _load_clip(path: Path, name: str, fps: float) -> MocapClip:
    motion = read_bvh(path)
    if motion.num_frames == 0:
        raise PoseDataError(f"BVH file {path} holds no frames.")
    skeleton = identify_skeleton(motion)
    source, content, style, take = parse_clip_name(path.stem, skeleton)
    joints = resample(to_joints16_mm(motion), motion.fps, fps)
    return MocapClip(name, source, joints.astype(np.float32), float(fps), content, style, take)


def load_mocap_clip(path: Path, fps: float = 30.0) -> MocapClip:
    """One BVH file as a 16-joint clip at `fps` (named by its file stem)."""
    path = Path(path)
    return _load_clip(path, path.stem, fps)


def find_bvh_files(root: Path) -> list[Path]:
    """Every *.bvh below `root` (any depth, suffix case-insensitive), sorted."""
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() == ".bvh" and p.is_file())


def convert_mocap_tree(
    root: Path, out: Path, fps: float = 30.0, progress: bool = True
) -> MocapSummary:
    """Convert every BVH below `root` into one npz at `out` (layout: `load_mocap_npz`)."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise PoseDataError(f"Mocap folder not found: {root}.")
    files = find_bvh_files(root)
    if not files:
        raise PoseDataError(f"No .bvh files found below {root}.")
    clips = [
        _load_clip(path, path.relative_to(root).with_suffix("").as_posix(), fps)
        for path in tqdm(files, desc="mocap", unit="file", disable=not progress)
    ]
    collection = MocapCollection.from_clips(clips, fps)
    collection.save(out)
    return MocapSummary(
        num_files=len(clips),
        num_frames=collection.num_frames,
        hours=collection.num_frames / fps / 3600.0,
    )


@dataclass(frozen=True, eq=False)
class MocapCollection:
    """Many clips stored end to end: positions (N, 16, 3) float32 world mm, Y up.

    offsets (num_clips + 1,) int64: clip i is positions[offsets[i]:offsets[i + 1]].
    names, sources, contents, styles, takes: (num_clips,) str. fps: frames per second.
    """

    positions: np.ndarray
    offsets: np.ndarray
    names: np.ndarray
    sources: np.ndarray
    contents: np.ndarray
    styles: np.ndarray
    takes: np.ndarray
    fps: float

    @classmethod
    def from_clips(cls, clips: list[MocapClip], fps: float) -> MocapCollection:
        lengths = [clip.num_frames for clip in clips]
        return cls(
            positions=np.concatenate([clip.joints_mm for clip in clips]).astype(np.float32),
            offsets=np.concatenate([[0], np.cumsum(lengths)]).astype(np.int64),
            names=np.array([clip.name for clip in clips], dtype=str),
            sources=np.array([clip.source for clip in clips], dtype=str),
            contents=np.array([clip.content for clip in clips], dtype=str),
            styles=np.array([clip.style for clip in clips], dtype=str),
            takes=np.array([clip.take for clip in clips], dtype=str),
            fps=float(fps),
        )

    @property
    def num_frames(self) -> int:
        return int(self.positions.shape[0])

    def __len__(self) -> int:
        return len(self.names)

    def __iter__(self) -> Iterator[MocapClip]:
        return iter(self.clips)

    @property
    def clips(self) -> list[MocapClip]:
        """Every clip; joints_mm are views into `positions`."""
        return [
            MocapClip(
                name=str(self.names[i]), source=str(self.sources[i]),
                joints_mm=self.positions[self.offsets[i]: self.offsets[i + 1]], fps=self.fps,
                content=str(self.contents[i]), style=str(self.styles[i]), take=str(self.takes[i]),
            )
            for i in range(len(self))
        ]

    def save(self, path: Path) -> None:
        """Write the npz exactly at `path` (no '.npz' is appended); creates parent folders."""
        path = Path(path)
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with path.open("wb") as handle:
                np.savez(handle, **{key: getattr(self, key) for key in _NPZ_KEYS})
        except OSError as error:
            raise PoseDataError(f"Cannot write {path}: {error.strerror}.") from None


def load_mocap_npz(path: Path) -> MocapCollection:
    """Read an npz written by `convert_mocap_tree`."""
    path = Path(path)
    if not path.is_file():
        raise PoseDataError(f"Mocap npz not found: {path}.")
    try:
        with np.load(path) as data:
            missing = [key for key in _NPZ_KEYS if key not in data]
            if missing:
                raise PoseDataError(f"{path} lacks the mocap arrays {', '.join(missing)}.")
            arrays = {key: data[key] for key in _NPZ_KEYS}
    except (OSError, ValueError) as error:
        raise PoseDataError(f"{path} is not a readable npz file ({error}).") from None
    positions, offsets = arrays["positions"], arrays["offsets"]
    num_clips = len(arrays["names"])
    if positions.ndim != 3 or positions.shape[1:] != (16, 3):
        raise PoseDataError(f"{path}: positions must be (N, 16, 3), got {positions.shape}.")
    if (offsets.shape != (num_clips + 1,) or offsets[0] != 0 or offsets[-1] != len(positions)
            or np.any(np.diff(offsets) < 0)):
        raise PoseDataError(f"{path}: offsets do not split positions into {num_clips} clips.")
    arrays["fps"] = float(arrays["fps"])
    return MocapCollection(**arrays)
