"""analysis.json pinned byte for byte on synthetic squats and a fall (tests/fixtures/analysis_*).

The expected documents were written by the dict-based report before it became dataclasses;
regenerate them only on a deliberate format change: `python -m tests.analysis.test_analysis_json`.
"""

from __future__ import annotations

import json
import tempfile
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.report import analyze_result, frame_labels
from posemachines.analysis.report_json import (
    JSON_NAME,
    read_analysis,
    report_from_json,
    report_to_json,
    write_analysis,
)
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures import PoseResult
from posemachines.version import __version__
from tests.analysis.synthetic import make_result, standing_pose_mm, to_camera, topple_to_floor

FPS = 30.0
FIXTURES = Path(__file__).resolve().parents[1] / "fixtures"
#: Stands in for the version in the pinned documents' "generator".
GENERATOR = "posemachines VERSION"
#: Fixture name -> (how to build the result, analyze_result keyword arguments).
CASES = {
    "analysis_squats_fall": {"reps": "LKnee", "actions": True},
    "analysis_short_skipped": {"reps": "RElbow", "actions": True},
}
SEGMENT_MM = 450.0


def squat_pose_mm(depth: float) -> np.ndarray:
    """(16, 3) world mm (Y up) of `standing_pose_mm` squatting: knee flexion 100 x depth deg.

    The feet stay put, shins lean forward and thighs back by half the flexion each, and the
    upper body moves down with the hips and leans forward by 20 x depth degrees.
    """
    pose = standing_pose_mm()
    half = np.radians(50.0 * depth)
    shin = SEGMENT_MM * np.array([0.0, np.cos(half), np.sin(half)])
    thigh = SEGMENT_MM * np.array([0.0, np.cos(half), -np.sin(half)])
    for hip, knee, foot in ((1, 2, 3), (4, 5, 6)):
        pose[knee] = pose[foot] + shin
        pose[hip] = pose[knee] + thigh
    pelvis = pose[[1, 4]].mean(axis=0)
    lean = np.radians(20.0 * depth)
    rotation = np.array([[1, 0, 0], [0, np.cos(lean), np.sin(lean)],
                         [0, -np.sin(lean), np.cos(lean)]])
    upper = [0, *range(7, 16)]
    pose[upper] = (standing_pose_mm()[upper] - [0, 1000, 0]) @ rotation.T + pelvis
    return pose


def squat_then_fall() -> PoseResult:
    """0.5 s standing, 3 squats of 1.1 s, a 0.6 s topple and 2 s lying; LKnee unseen 5 frames."""
    t = np.arange(int(round(3 * 1.1 * FPS))) / FPS
    depths = np.concatenate([np.zeros(15), (1 - np.cos(2 * np.pi * t / 1.1)) / 2])
    world = np.stack([squat_pose_mm(d) for d in depths])
    world = np.concatenate([world, topple_to_floor(world[-1], 0.6, FPS, 45.0, lying_s=2.0)])
    result = make_result(to_camera(world, 15, 30), first_frame=40)
    confidence = result.confidence.copy()
    confidence[20:25, JOINTS16_NAMES.index("LKnee")] = 0.0
    return replace(result, confidence=confidence)


def short_result() -> PoseResult:
    """10 frames of standing, LElbow never seen: falls, reps and actions are skipped."""
    world = np.repeat(standing_pose_mm()[None], 10, axis=0)
    result = make_result(to_camera(world, 10, -20))
    confidence = result.confidence.copy()
    confidence[:, JOINTS16_NAMES.index("LElbow")] = 0.0
    return replace(result, confidence=confidence)


BUILDERS = {"analysis_squats_fall": squat_then_fall, "analysis_short_skipped": short_result}


def written_document(name: str, out_dir: Path) -> tuple[str, list[str]]:
    """analysis.json text (version replaced by GENERATOR) and the overlay labels of a case."""
    result = BUILDERS[name]()
    report = analyze_result(result, **CASES[name])
    write_analysis(report, out_dir)
    text = (out_dir / JSON_NAME).read_text(encoding="utf-8")
    text = text.replace(f'"posemachines {__version__}"', f'"{GENERATOR}"', 1)
    return text, frame_labels(report, result.num_frames)


def expected(name: str) -> tuple[str, list[str]]:
    labels = (FIXTURES / f"{name}.labels.json").read_text(encoding="utf-8")
    return (FIXTURES / f"{name}.json").read_text(encoding="utf-8"), json.loads(labels)


def test_squats_and_fall_document_is_unchanged(tmp_path):
    text, labels = written_document("analysis_squats_fall", tmp_path)
    expected_text, expected_labels = expected("analysis_squats_fall")
    assert text == expected_text
    assert labels == expected_labels
    document = json.loads(text)
    assert document["reps"]["count"] == 3 and len(document["falls"]["events"]) == 1
    assert None in document["angles"]["series"]["knee_flexion_L"]
    assert "segments" in document["actions"]


def test_skipped_sections_document_is_unchanged(tmp_path):
    text, labels = written_document("analysis_short_skipped", tmp_path)
    expected_text, expected_labels = expected("analysis_short_skipped")
    assert text == expected_text
    assert labels == expected_labels
    document = json.loads(text)
    assert "skipped" in document["falls"] and "skipped" in document["actions"]
    assert document["angles"]["summary"]["elbow_flexion_L"] is None


@pytest.mark.parametrize("name", sorted(CASES))
def test_documents_read_back_into_the_same_report(name, tmp_path):
    report = analyze_result(BUILDERS[name](), **CASES[name])
    assert report_from_json(json.loads(json.dumps(report_to_json(report)))) == report
    assert read_analysis(write_analysis(report, tmp_path).parent) == report


def test_other_documents_are_refused(tmp_path):
    with pytest.raises(PoseDataError, match="not a posemachines.analysis document"):
        report_from_json({"format": "posemachines.poses3d"})
    with pytest.raises(PoseDataError, match="missing field 'vertical'"):
        report_from_json({"format": "posemachines.analysis", "generator": "", "source": "",
                          "fps": 30.0, "num_frames": 0, "frame_indices": [],
                          "timestamps_s": []})
    (tmp_path / JSON_NAME).write_text("{", encoding="utf-8")
    with pytest.raises(PoseDataError, match="is not JSON"):
        read_analysis(tmp_path)


def regenerate() -> None:
    """Write the expected documents from the current code (a deliberate format change only)."""
    for name in CASES:
        with tempfile.TemporaryDirectory() as out_dir:
            text, labels = written_document(name, Path(out_dir))
        (FIXTURES / f"{name}.json").write_text(text, encoding="utf-8")
        (FIXTURES / f"{name}.labels.json").write_text(
            json.dumps(labels, ensure_ascii=False, indent=0) + "\n", encoding="utf-8")


if __name__ == "__main__":
    regenerate()
