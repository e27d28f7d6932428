"""Motion-capture clips as 16-joint world poses: load one BVH, convert a tree, read the npz.

Clips come from the shipped Bandai Namco (1 and 2), LAFAN1 and CMU BVH files, mapped to our 16
joints by `posemachines.data.mocap_mapping`: (T, 16, 3) float32 world millimetres, Y up as in the
files. The CMU Daz-rig files open with the converter's T-pose, which is dropped
(`Rig.reference_frames`). Clips are resampled to the requested frame rate by linear
interpolation of joint positions (a source rate within 0.1% of the target, e.g. 30.0003 fps for
30, is taken as equal and kept frame for frame). `convert_mocap_tree` skips takes with capture
defects (`mocap_quality.take_defects`) and lists them in its summary.

File names give content, style and take:
- Bandai Namco `dataset-1_bow_active_001.bvh` -> source 'bandai-namco-1', content 'bow',
  style 'active', take '001' (content and style may hold hyphens, never underscores).
- LAFAN1 `fallAndGetUp1_subject1.bvh` -> source 'lafan1', content 'fallAndGetUp', style '',
  take '1_subject1' (take number and subject together, unique within a content).
- CMU (any of its rigs) -> source 'cmu', style '', take = the file's path below the folder of the
  nearest MANIFEST.csv (up to three folders up) that lists it, without '.bvh': '01/01_01',
  'acrnn_dance/salsa/01', '_mb_skeleton/02_01' (unique per file; the same CMU trial in two rigs
  keeps its rig folder). A file no manifest lists is named '<folder>/<stem>'. Content: for a
  file in an acRNN dance style folder (salsa, indian, martial), '<style>-dance'; otherwise the
  first clause of CMU's description in the manifest (before ' - ' or ','), lower case, words
  joined by '-': 'playground - climb, sit' -> 'playground', 'run/jog' -> 'run-jog',
  'Start Walk Stop' -> 'start-walk-stop'; '' when no manifest lists the file.
"""

from __future__ import annotations

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
from tqdm import tqdm

from posemachines.data.bvh import read_bvh
from posemachines.data.mocap_mapping import SKELETONS, identify_skeleton, to_joints16_mm
from posemachines.data.mocap_quality import take_defects
from posemachines.errors import PoseDataError

_BANDAI_NAME = re.compile(r"^dataset-(\d+)_([^_]+)_([^_]+)_([^_]+)$")
_LAFAN_NAME = re.compile(r"^([A-Za-z]+)(\d+_subject\d+)$")
#: A CMU file stem: subject_trial ('01_01') or a number inside a dance folder ('01').
_CMU_STEM = re.compile(r"^\d+(_\d+)?$")
#: acRNN dance style folders of the CMU set; their files are numbered, not described.
CMU_DANCE_STYLES: tuple[str, ...] = ("salsa", "indian", "martial")
#: The CMU set's file list with CMU's descriptions (columns `file`, `cmu_description`).
MANIFEST_NAME = "MANIFEST.csv"
#: How many folders up from a CMU file its MANIFEST.csv is looked for.
MANIFEST_LEVELS = 3
#: Relative difference under which a source frame rate counts as the requested one.
_SAME_RATE = 1e-3
_NPZ_KEYS = ("positions", "offsets", "names", "sources", "contents", "styles", "takes", "fps")


@dataclass(frozen=True, eq=False)
class MocapClip:
    """One take: joints_mm (T, 16, 3) float32 world mm, Y up; labels parsed from its file name.

    name: file stem (CMU: its take), or the path relative to the converted root without
    extension. source: 'bandai-namco-1', 'bandai-namco-2', 'lafan1' or 'cmu'.
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
    """What `convert_mocap_tree` wrote: files, frames at the output rate, and hours;
    skipped: name -> defects of each take left out (`mocap_quality.take_defects`)."""

    num_files: int
    num_frames: int
    hours: float
    skipped: dict[str, str] = field(default_factory=dict)


def parse_clip_name(name: str, dataset: str, description: str = "") -> tuple[str, str, str, str]:
    """(source, content, style, take) of a file of `dataset` ('bandai-namco', 'lafan1', 'cmu').

    name: the file stem; for CMU the take name (module docstring) and CMU's `description`.
    """
    if dataset == "bandai-namco":
        match = _BANDAI_NAME.match(name)
        if match is None:
            raise PoseDataError(
                f"Bandai Namco file '{name}' is not named dataset-N_content_style_take."
            )
        number, content, style, take = match.groups()
        return f"bandai-namco-{number}", content, style, take
    if dataset == "lafan1":
        match = _LAFAN_NAME.match(name)
        if match is None:
            raise PoseDataError(f"LAFAN1 file '{name}' is not named like fallAndGetUp1_subject1.")
        content, take = match.groups()
        return "lafan1", content, "", take
    if dataset == "cmu":
        if _CMU_STEM.match(name.rsplit("/", 1)[-1]) is None:
            raise PoseDataError(f"CMU file '{name}' is not named like 01/01_01 or salsa/01.")
        return "cmu", cmu_content(name, description), "", name
    raise PoseDataError(f"Unknown mocap dataset '{dataset}' (bandai-namco, lafan1 or cmu).")


def cmu_content(take: str, description: str) -> str:
    """Short content label of a CMU take from its name and CMU's description (module docs)."""
    folders = take.split("/")[:-1]
    if folders and folders[-1] in CMU_DANCE_STYLES:
        return f"{folders[-1]}-dance"
    clause = re.split(r" - |,", description, maxsplit=1)[0]
    return "-".join(clause.lower().replace("/", " ").split())


def cmu_manifest_entry(path: Path) -> tuple[str, str] | None:
    """(take, CMU description) of a BVH file from the nearest MANIFEST.csv listing it, or None."""
    path = Path(path).absolute()
    for folder in path.parents[:MANIFEST_LEVELS]:
        manifest = folder / MANIFEST_NAME
        if not manifest.is_file():
            continue
        relative = path.relative_to(folder).as_posix()
        try:
            with manifest.open(newline="", encoding="utf-8") as handle:
                rows = {row["file"]: row.get("cmu_description") or ""
                        for row in csv.DictReader(handle)}
        except (OSError, KeyError, csv.Error) as error:
            raise PoseDataError(f"{manifest} is not a readable file list ({error}).") from None
        if relative in rows:
            return relative.removesuffix(path.suffix), rows[relative]
    return None


def clip_labels(path: Path, dataset: str) -> tuple[str, str, str, str]:
    """(source, content, style, take) of a BVH file of `dataset`, from its name (and, for CMU,
    the nearest MANIFEST.csv listing it)."""
    path = Path(path)
    if dataset != "cmu":
        return parse_clip_name(path.stem, dataset)
    take, description = cmu_manifest_entry(path) or (f"{path.parent.name}/{path.stem}", "")
    return parse_clip_name(take, dataset, description)


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


def _load_clip(path: Path, name: str | None, fps: float) -> tuple[MocapClip, list[str]]:
    """The clip (named `name`, else by its stem or CMU take) and its capture defects."""
    motion = read_bvh(path)
    rig = SKELETONS[identify_skeleton(motion)]
    if motion.num_frames <= rig.reference_frames:
        raise PoseDataError(f"BVH file {path} holds no frames.")
    source, content, style, take = clip_labels(path, rig.dataset)
    joints = to_joints16_mm(motion)[rig.reference_frames:]
    defects = take_defects(joints, motion.fps)
    joints = resample(joints, motion.fps, fps).astype(np.float32)
    name = name or (take if source == "cmu" else path.stem)
    return MocapClip(name, source, joints, float(fps), content, style, take), defects


def load_mocap_clip(path: Path, fps: float = 30.0) -> MocapClip:
    """One BVH file as a 16-joint clip at `fps` (named by its file stem; CMU: by its take)."""
    return _load_clip(Path(path), None, fps)[0]


def find_bvh_files(root: Path) -> list[Path]:
    """Every *.bvh below `root` (any depth, suffix case-insensitive), sorted."""
    return sorted(p for p in Path(root).rglob("*") if p.suffix.lower() == ".bvh" and p.is_file())


def convert_mocap_tree(
    root: Path, out: Path, fps: float = 30.0, progress: bool = True
) -> MocapSummary:
    """Convert every BVH below `root` into one npz at `out` (layout: `load_mocap_npz`), except
    takes with capture defects, which the summary lists."""
    root, out = Path(root), Path(out)
    if not root.is_dir():
        raise PoseDataError(f"Mocap folder not found: {root}.")
    files = find_bvh_files(root)
    if not files:
        raise PoseDataError(f"No .bvh files found below {root}.")
    clips, skipped = [], {}
    for path in tqdm(files, desc="mocap", unit="file", disable=not progress):
        clip, defects = _load_clip(path, path.relative_to(root).with_suffix("").as_posix(), fps)
        if defects:
            skipped[clip.name] = "; ".join(defects)
        else:
            clips.append(clip)
    if not clips:
        raise PoseDataError(f"Every .bvh file below {root} has capture defects.")
    collection = MocapCollection.from_clips(clips, fps)
    collection.save(out)
    return MocapSummary(
        num_files=len(clips),
        num_frames=collection.num_frames,
        hours=collection.num_frames / fps / 3600.0,
        skipped=skipped,
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
