"""Action labels on the shipped real clips agree with labels written down from watching them.

Each tests/fixtures/<clip>.action_labels.json names a clip of ../shared/data (or an excerpt of
it), what it shows, and spans of seconds with the action a person sees there (`label`) and the
labels also fair to give there (`accept`, e.g. stand while turning on the spot). The clip runs
through the whole default pipeline (`Estimator`: BlazePose 2D, lifter, correction) and
`analyze_result(actions=True)`; the labels must agree for more than MIN_AGREEMENT of the poses,
leaving out the first and last EDGE_S of the clip (a 2 s window there sees only half its span).
A file naming `people` (N > 1) is run with `Estimator(max_people=N)`, which must follow exactly
N people, and the labels hold for each of them.
Clips the shipped classifier still gets wrong are listed in KNOWN_MISSES with what it says
(strict xfail: the test fails once a clip is right, so that the list is kept true);
docs/actions.md has the table; `pytest tests/analysis/test_actions_real_clips.py -rP` prints
each clip's agreement and segments.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path

import cv2
import numpy as np
import pytest

from posemachines import Estimator
from posemachines.analysis.action_taxonomy import ACTION_CLASSES
from posemachines.analysis.report import analyze_result
from posemachines.inference.frames import FrameSource, open_frames
from posemachines.structures import PoseResult
from posemachines.structures.analysis import ActionsSection

FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
LABEL_FILES = sorted(FIXTURES.glob("*.action_labels.json"))
EDGE_S = 1.0
MIN_AGREEMENT = 0.5
#: Clip -> what the shipped actions.pt says instead (docs/actions.md, "Real clips").
KNOWN_MISSES: dict[str, str] = {
    "walk_reading_side_gmdcsa": "walk_turn 0-1.6 s, then climb and dance while he turns on the "
                                "spot facing the camera",
}


def _clip_params() -> list:
    """LABEL_FILES as test parameters, KNOWN_MISSES marked as expected failures."""
    return [pytest.param(path, id=path.name.split(".")[0], marks=[
        pytest.mark.xfail(strict=True, reason=KNOWN_MISSES[path.name.split(".")[0]])]
        if path.name.split(".")[0] in KNOWN_MISSES else []) for path in LABEL_FILES]


@dataclass(frozen=True)
class Span:
    start_s: float
    end_s: float
    labels: frozenset[str]


@dataclass(frozen=True)
class ClipLabels:
    """A clip (relative to the shared data), its excerpt (start, end) s or None, spans, and
    how many people it shows (each doing what the spans say)."""

    clip: str
    excerpt_s: tuple[float, float] | None
    spans: tuple[Span, ...]
    people: int = 1

    def accepted(self, time_s: float) -> frozenset[str]:
        """Labels fair at `time_s` (clip time)."""
        return next((s.labels for s in self.spans if s.start_s <= time_s < s.end_s),
                    frozenset())


def read_clip_labels(path: Path) -> ClipLabels:
    document = json.loads(path.read_text(encoding="utf-8"))
    spans = tuple(Span(float(s["start_s"]), float(s["end_s"]),
                       frozenset([s["label"], *s.get("accept", [])]))
                  for s in document["spans"])
    excerpt = document.get("excerpt_s")
    return ClipLabels(document["clip"], tuple(excerpt) if excerpt else None, spans,
                      int(document.get("people", 1)))


def excerpt_frames(video: Path, start_s: float, end_s: float, folder: Path) -> FrameSource:
    """Frames start_s..end_s of `video` as a numbered PNG folder at the video's rate."""
    capture = cv2.VideoCapture(str(video))
    fps = capture.get(cv2.CAP_PROP_FPS)
    capture.set(cv2.CAP_PROP_POS_FRAMES, round(start_s * fps))
    for index in range(round((end_s - start_s) * fps)):
        ok, bgr = capture.read()
        if not ok:
            break
        cv2.imwrite(str(folder / f"{index}.png"), bgr)
    capture.release()
    return open_frames(folder, fps=fps)


@pytest.mark.parametrize("path", LABEL_FILES, ids=lambda p: p.name.split(".")[0])
def test_label_files_cover_their_clip_with_known_classes(path: Path, shared_data: Path):
    labels = read_clip_labels(path)
    assert (shared_data / labels.clip).is_file()
    for span, after in zip(labels.spans, labels.spans[1:], strict=False):
        assert span.start_s < span.end_s == after.start_s
    assert all(span.labels <= set(ACTION_CLASSES) for span in labels.spans)


@pytest.fixture(scope="module")
def estimator() -> Estimator:
    return Estimator()


def agreement(labels: ClipLabels, result: PoseResult, offset_s: float) -> tuple[float, str]:
    """The share of `result`'s poses between the clip's first and last EDGE_S whose action
    label is accepted there, and the predicted segments as text (offset_s: excerpt start)."""
    actions = analyze_result(result, angles=False, falls=False, actions=True, strict=True).actions
    assert isinstance(actions, ActionsSection)
    predicted = np.full(result.num_frames, "", dtype=object)
    for segment in actions.segments:
        predicted[segment.start_row: segment.end_row + 1] = segment.label
    times = result.timestamps_s + offset_s
    first, last = labels.spans[0].start_s + EDGE_S, labels.spans[-1].end_s - EDGE_S
    scored = [(t, label) for t, label in zip(times, predicted, strict=True) if first <= t <= last]
    assert scored, "no pose between the clip's first and last second"
    summary = ", ".join(f"{s.start_s + offset_s:g}-{s.end_s + offset_s:g} s {s.label} "
                        f"{s.confidence:.2f}" for s in actions.segments)
    share = float(np.mean([label in labels.accepted(t) for t, label in scored]))
    return share, f"{share:.0%} of {len(scored)} poses agree; predicted: {summary}"


@pytest.mark.parametrize("path", _clip_params())
def test_actions_on_real_clips_agree_with_what_they_show(path: Path, shared_data: Path,
                                                         estimator: Estimator, tmp_path: Path):
    labels = read_clip_labels(path)
    video, offset_s = shared_data / labels.clip, 0.0
    source = open_frames(video)
    if labels.excerpt_s is not None:
        offset_s = labels.excerpt_s[0]
        source = excerpt_frames(video, *labels.excerpt_s, tmp_path)
    if labels.people == 1:
        results = [estimator.predict_video(source)]
    else:
        people = Estimator(max_people=labels.people).predict_people(source)
        assert len(people.ids) == labels.people
        results = [people[person] for person in people.ids]
    for person, result in enumerate(results, start=1):
        share, text = agreement(labels, result, offset_s)
        print(f"{path.name.split('.')[0]} (person {person}): {text}")  # `pytest -rP`
        assert share > MIN_AGREEMENT, f"person {person}: {text}"
