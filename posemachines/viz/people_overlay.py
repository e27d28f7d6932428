"""overlay.mp4 for several people: each person's 2D skeleton in its own colour, with its id.

Bones take the person's colour (joints under the confidence threshold dimmed, as in the
single-person overlay); the id is written above the head in that colour; the top-left label
counts the people in the frame.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator, Mapping, Sequence
from pathlib import Path

import cv2
import numpy as np

from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16
from posemachines.structures.people import PeopleResult
from posemachines.viz.drawing import MIN_CONFIDENCE, Colour, dimmed, draw_label
from posemachines.viz.overlay import FrameItem, indexed_frames
from posemachines.viz.video import write_video

#: Distinct, saturated RGB colours (Tableau 10 without its grey), cycled by person id.
PERSON_COLOURS: tuple[Colour, ...] = (
    (31, 119, 180), (255, 127, 14), (44, 160, 44), (214, 39, 40), (148, 103, 189),
    (140, 86, 75), (227, 119, 194), (188, 189, 34), (23, 190, 207),
)


def person_colour(person_id: int) -> Colour:
    """The RGB colour of person `person_id` (ids from 1)."""
    return PERSON_COLOURS[(person_id - 1) % len(PERSON_COLOURS)]


def draw_person(image: np.ndarray, person_id: int, points_px: np.ndarray,
                confidence: np.ndarray, label: str = "", *,
                min_confidence: float = MIN_CONFIDENCE, thickness: int = 2, radius: int = 3,
                font_scale: float = 0.6, bone_order: np.ndarray | None = None) -> np.ndarray:
    """Draw one person's (16, 2) px skeleton and id (followed by `label`, e.g. the analysis
    of that frame) in place on an (H, W, 3) RGB image; bone_order: indices into the bones
    giving the drawing order (e.g. far to near in a 3D view)."""
    colour = person_colour(person_id)
    confident = np.asarray(confidence) >= min_confidence
    finite = np.isfinite(points_px).all(axis=1)
    pixels = np.round(np.where(finite[:, None], points_px, 0.0)).astype(np.int32)
    for index in range(len(JOINTS16.bones)) if bone_order is None else bone_order:
        parent, child = JOINTS16.bones[index]
        if finite[parent] and finite[child]:
            shade = colour if confident[parent] and confident[child] else dimmed(colour)
            cv2.line(image, tuple(pixels[parent]), tuple(pixels[child]), shade, thickness,
                     cv2.LINE_AA)
    for joint in np.flatnonzero(finite):
        shade = colour if confident[joint] else dimmed(colour)
        cv2.circle(image, tuple(pixels[joint]), radius, shade, -1, cv2.LINE_AA)
    if finite.any():
        text = f"{person_id} {label}" if label else str(person_id)
        font, weight = cv2.FONT_HERSHEY_SIMPLEX, max(1, round(font_scale * 2))
        (width, height), baseline = cv2.getTextSize(text, font, font_scale, weight)
        top = pixels[finite]
        x = int(top[:, 0].mean() - width / 2)
        y = int(top[:, 1].min() - 2 * radius - height - baseline)
        y = max(y, 0)
        cv2.rectangle(image, (x - 3, y), (x + width + 3, y + height + baseline + 4), (0, 0, 0), -1)
        cv2.putText(image, text, (x, y + height + 2), font, font_scale, colour, weight,
                    cv2.LINE_AA)
    return image


PeopleLabels = Mapping[int, Sequence[str]]


def check_people_labels(people: PeopleResult, labels: PeopleLabels | None) -> None:
    """PoseDataError unless each person's labels hold one text per pose of that person."""
    for person_id, texts in (labels or {}).items():
        if len(texts) != people[person_id].num_frames:
            raise PoseDataError(f"labels of person {person_id} must hold one text per pose "
                                f"({people[person_id].num_frames}), got {len(texts)}.")


def people_rows(people: PeopleResult) -> dict[int, list[tuple[int, int]]]:
    """Source frame index -> [(id, row of that person's arrays)] of the people found in it."""
    rows: dict[int, list[tuple[int, int]]] = {}
    for person_id, person in people:
        for row, index in enumerate(np.asarray(person.frame_indices)):
            rows.setdefault(int(index), []).append((person_id, row))
    return rows


def people_overlay_frame(frame: np.ndarray, people: PeopleResult,
                         here: Sequence[tuple[int, int]], labels: PeopleLabels | None = None, *,
                         min_confidence: float = MIN_CONFIDENCE) -> np.ndarray:
    """A copy of one RGB frame with the people `here` ((id, row) pairs) drawn and counted."""
    image = np.array(frame, dtype=np.uint8, copy=True)
    scale = max(image.shape[:2]) / 720.0
    for person_id, row in here:
        person = people[person_id]
        label = labels[person_id][row] if labels and person_id in labels else ""
        draw_person(image, person_id, person.keypoints_px[row], person.confidence[row],
                    label, min_confidence=min_confidence, thickness=max(1, round(3 * scale)),
                    radius=max(2, round(4 * scale)), font_scale=max(0.4, 0.7 * scale))
    count = len(here)
    draw_label(image, f"{count} {'person' if count == 1 else 'people'}",
               scale=max(0.4, 0.6 * scale))
    return image


def people_overlay_frames(frames: Iterable[FrameItem], people: PeopleResult,
                          labels: PeopleLabels | None = None, *,
                          min_confidence: float = MIN_CONFIDENCE) -> Iterator[np.ndarray]:
    """Yield every frame with everyone found in it drawn; labels: optional {id: one text per
    pose row of that person}."""
    check_people_labels(people, labels)
    rows = people_rows(people)
    for index, frame in indexed_frames(frames):
        yield people_overlay_frame(frame, people, rows.get(index, []), labels,
                                   min_confidence=min_confidence)


def write_people_overlay(frames: Iterable[FrameItem], people: PeopleResult, path: Path | str,
                         labels: PeopleLabels | None = None, *,
                         min_confidence: float = MIN_CONFIDENCE) -> Path:
    """Write the several-people overlay.mp4 (H.264, the video's fps); return its path.
    labels: optional {id: one text per pose row of that person}, drawn after the id."""
    write_video(people_overlay_frames(frames, people, labels, min_confidence=min_confidence),
                path, people.fps)
    return Path(path)
