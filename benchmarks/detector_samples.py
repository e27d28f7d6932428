"""Every real annotated person in the shared fixtures, as 16-joint 2D ground truth, and the 2D
scores `bench_detector.py` reports.

Sources (under <shared>/fixtures): COCO (test_coco.json, COCO-17 keypoints), MPII
(test_mpii.json, 16 joints), Human3.6M (test_h36m_body3d.npz `part`) and MPI-INF-3DHP
(test_3dhp_*.npz `part`), all mapped into posemachines' 16 joints by `skeleton.to_joints16`
(a mapped joint counts as annotated when all its source joints are). A person is used when its
torso (Thorax and Hip) and at least `MIN_JOINTS` joints are annotated. Each person is cut out of
its image as a square around its annotated joints (`CROP_MARGIN` of their extent on every side,
clipped to the image), so that the single-person detector sees that person in multi-person
images too; the detector then runs its whole pipeline (person detector, ROI, landmarks) on it.

Scores: PCK@0.5 of the torso size (a joint is right when it lies within half the annotated
Thorax-Hip distance of its annotation), mean pixel error over annotated joints in the original
image's px, and the mean and median error over the torso size (the median is blind to a
person mistaken for a neighbour). A person the detector misses scores every joint wrong for
PCK and is left out of the errors (counted under "missed"). The datasets place some joints
differently from BlazePose (head top, hip centres), which costs every model alike.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from posemachines.data.mmpose_fixture import load_mmpose_3dhp_fixture, load_mmpose_h36m_fixture
from posemachines.inference.frames import read_image
from posemachines.skeleton import JOINTS16_NAMES, to_joints16

THORAX, HIP = JOINTS16_NAMES.index("Thorax"), JOINTS16_NAMES.index("Hip")
MIN_JOINTS = 8
CROP_MARGIN = 0.3
PCK_THRESHOLD = 0.5


@dataclass(frozen=True)
class AnnotatedPerson:
    """One annotated person: (16, 2) px in the crop, (16,) bool annotated, the crop
    (H, W, 3) uint8 RGB, and the torso size (px)."""

    dataset: str
    name: str
    crop_rgb: np.ndarray
    joints16_px: np.ndarray
    annotated: np.ndarray

    @property
    def torso_px(self) -> float:
        return float(np.linalg.norm(self.joints16_px[THORAX] - self.joints16_px[HIP]))


def _cut_out(dataset: str, name: str, image: np.ndarray, joints: np.ndarray,
             annotated: np.ndarray) -> AnnotatedPerson | None:
    if annotated.sum() < MIN_JOINTS or not (annotated[THORAX] and annotated[HIP]):
        return None
    low, high = joints[annotated].min(axis=0), joints[annotated].max(axis=0)
    half = (high - low).max() * (0.5 + CROP_MARGIN)
    centre = (low + high) / 2.0
    height, width = image.shape[:2]
    x0, y0 = np.maximum(np.floor(centre - half), 0).astype(int)
    x1, y1 = np.minimum(np.ceil(centre + half), [width, height]).astype(int)
    return AnnotatedPerson(dataset, name, np.ascontiguousarray(image[y0:y1, x0:x1]),
                           joints - [x0, y0], annotated)


def _coco(fixtures: Path) -> list[AnnotatedPerson]:
    data = json.loads((fixtures / "coco/test_coco.json").read_text())
    files = {image["id"]: image["file_name"] for image in data["images"]}
    people = []
    for ann in data["annotations"]:
        keypoints = np.asarray(ann["keypoints"], float).reshape(17, 3)
        joints, annotated = to_joints16(keypoints[:, :2], "coco17", (keypoints[:, 2] > 0) * 1.0)
        image = read_image(fixtures / "coco" / files[ann["image_id"]])
        person = _cut_out("COCO", f"{files[ann['image_id']]}#{ann['id']}", image, joints,
                          annotated > 0)
        if person is not None:
            people.append(person)
    return people


def _mpii(fixtures: Path) -> list[AnnotatedPerson]:
    people = []
    for ann in json.loads((fixtures / "mpii/test_mpii.json").read_text()):
        vis = np.asarray(ann["joints_vis"], float)
        joints, annotated = to_joints16(np.asarray(ann["joints"], float), "mpii16", vis)
        image = read_image(fixtures / "mpii" / ann["image"])
        person = _cut_out("MPII", ann["image"], image, joints, annotated > 0)
        if person is not None:
            people.append(person)
    return people


def _lab(fixtures: Path, dataset: str, folder: str, files: tuple[str, ...],
         loader) -> list[AnnotatedPerson]:  # noqa: ANN001 - one of the two mmpose loaders
    people = []
    for file in files:
        samples = loader(fixtures / folder / file)
        for name, joints, vis in zip(samples.image_names, samples.joints2d_px,
                                     samples.visibility, strict=True):
            image = read_image(fixtures / folder / name)
            person = _cut_out(dataset, Path(name).name, image, joints, vis > 0)
            if person is not None:
                people.append(person)
    return people


def load_annotated_people(fixtures: Path) -> list[AnnotatedPerson]:
    """Every usable annotated person of the four fixture sets, in a fixed order."""
    return (
        _coco(fixtures)
        + _mpii(fixtures)
        + _lab(fixtures, "Human3.6M", "h36m", ("test_h36m_body3d.npz",), load_mmpose_h36m_fixture)
        + _lab(fixtures, "MPI-INF-3DHP", "mpi_inf_3dhp",
               ("test_3dhp_test.npz", "test_3dhp_train.npz"), load_mmpose_3dhp_fixture)
    )


@dataclass
class Scores2D:
    """Pooled scores over people: joint counts, right joints, summed px and torso-relative
    errors over found people's annotated joints, people missed."""

    joints: int = 0
    correct: int = 0
    found_joints: int = 0
    error_px: float = 0.0
    errors_torso: list[float] = field(default_factory=list)
    people: int = 0
    missed: int = 0

    def add(self, person: AnnotatedPerson, predicted_px: np.ndarray | None) -> None:
        """Score (16, 2) px predicted in the person's crop, or None for a miss."""
        count = int(person.annotated.sum())
        self.people += 1
        self.joints += count
        if predicted_px is None:
            self.missed += 1
            return
        distance = np.linalg.norm(predicted_px - person.joints16_px, axis=1)[person.annotated]
        self.correct += int((distance <= PCK_THRESHOLD * person.torso_px).sum())
        self.found_joints += count
        self.error_px += float(distance.sum())
        self.errors_torso += (distance / person.torso_px).tolist()

    @property
    def pck(self) -> float:
        """PCK@0.5 of the torso size, % of annotated joints (missed people count wrong)."""
        return 100.0 * self.correct / max(self.joints, 1)

    def pck_at(self, threshold: float) -> float:
        """PCK at `threshold` times the torso size, %."""
        within = int((np.asarray(self.errors_torso) <= threshold).sum())
        return 100.0 * within / max(self.joints, 1)

    @property
    def mean_px(self) -> float:
        return self.error_px / max(self.found_joints, 1)

    @property
    def mean_torso_percent(self) -> float:
        return 100.0 * float(np.mean(self.errors_torso)) if self.errors_torso else 0.0

    @property
    def median_torso_percent(self) -> float:
        return 100.0 * float(np.median(self.errors_torso)) if self.errors_torso else 0.0
