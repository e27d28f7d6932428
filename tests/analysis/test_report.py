"""The AnalysisReport of a PoseResult, analysis.json / analysis.png, and the overlay labels."""

from __future__ import annotations

import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest

from posemachines.analysis.report import analyze_result, frame_labels
from posemachines.analysis.report_json import JSON_NAME, report_to_json, write_analysis
from posemachines.errors import PoseDataError
from posemachines.skeleton import JOINTS16_NAMES
from posemachines.structures import PoseResult
from posemachines.structures.analysis import Skipped
from posemachines.viz.analysis_plots import ANALYSIS_PLOT_NAME, write_analysis_plots
from tests.analysis.synthetic import (
    BANDAI_1,
    make_result,
    mocap_world_mm,
    to_camera,
    topple_to_floor,
)

FPS = 30.0
PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


@pytest.fixture(scope="module")
def fall_result(shared_data: Path) -> PoseResult:
    """3 s of a real walk, a 0.6 s topple to the floor, 3 s lying; camera pitched 15 deg."""
    walk = mocap_world_mm(shared_data / BANDAI_1 / "dataset-1_walk_normal_001.bvh")[:90]
    world = np.concatenate([walk, topple_to_floor(walk[-1], 0.6, FPS, 45.0)])
    return make_result(to_camera(world, 15, 30), first_frame=100)


def test_document_has_one_key_per_analysis(fall_result, tmp_path):
    report = analyze_result(fall_result, reps="LKnee")
    assert write_analysis(report, tmp_path) == tmp_path / JSON_NAME
    analysis = json.loads((tmp_path / JSON_NAME).read_text())
    for key in ("format", "version", "fps", "num_frames", "frame_indices", "timestamps_s",
                "vertical", "angles", "falls", "reps"):
        assert key in analysis
    assert "actions" not in analysis and report.actions is None
    assert analysis["num_frames"] == fall_result.num_frames
    assert len(report.angles.series_deg["knee_flexion_L"]) == fall_result.num_frames
    assert analysis == json.loads(json.dumps(report_to_json(report)))
    assert write_analysis_plots(report, tmp_path) == [tmp_path / ANALYSIS_PLOT_NAME]
    assert (tmp_path / ANALYSIS_PLOT_NAME).read_bytes()[:8] == PNG_SIGNATURE


def test_fall_event_uses_source_frames_and_times(fall_result):
    report = analyze_result(fall_result, reps=None)
    (event,) = report.falls.events
    assert 89 <= event.start_row < event.end_row <= 90 + 18
    assert event.start_frame == 100 + event.start_row
    assert event.start_s == pytest.approx((100 + event.start_row) / FPS, abs=1e-3)
    assert event.down_until_row == fall_result.num_frames - 1
    assert event.confidence >= 0.8


def test_frame_labels_show_knees_reps_and_the_fall(fall_result):
    report = analyze_result(fall_result, reps="knee_flexion_L")
    labels = frame_labels(report, fall_result.num_frames)
    assert len(labels) == fall_result.num_frames
    knee_l = report.angles.series_deg["knee_flexion_L"][0]
    knee_r = report.angles.series_deg["knee_flexion_R"][0]
    assert labels[0].startswith(f"knee L {knee_l:.0f}° R {knee_r:.0f}° | reps 0")
    assert "FALL" not in labels[0]
    assert labels[-1].endswith("| FALL")
    start = report.falls.events[0].start_row
    assert "FALL" in labels[start] and "FALL" not in labels[start - 1]


def test_labels_mark_unseen_knees(fall_result):
    confidence = fall_result.confidence.copy()
    confidence[:5, JOINTS16_NAMES.index("LKnee")] = 0.0
    report = analyze_result(replace(fall_result, confidence=confidence), falls=False)
    labels = frame_labels(report, fall_result.num_frames)
    assert labels[0].startswith("knee L -- R ")
    assert "--" not in labels[5]


def test_labels_refuse_another_length(fall_result):
    report = analyze_result(fall_result, falls=False)
    with pytest.raises(PoseDataError, match="covers"):
        frame_labels(report, fall_result.num_frames + 1)


def test_joint_order_follows_the_names(fall_result):
    order = np.random.default_rng(0).permutation(16)
    shuffled = replace(
        fall_result, pose3d_mm=fall_result.pose3d_mm[:, order],
        confidence=fall_result.confidence[:, order],
        keypoints_px=fall_result.keypoints_px[:, order],
        joint_names=tuple(JOINTS16_NAMES[i] for i in order),
    )
    expected = analyze_result(fall_result, falls=False).angles
    assert analyze_result(shuffled, falls=False).angles == expected


def test_a_result_without_a_needed_joint_is_refused(fall_result):
    names = tuple("LAnkle" if n == "LFoot" else n for n in JOINTS16_NAMES)
    with pytest.raises(PoseDataError, match="lacks the joints LFoot"):
        analyze_result(replace(fall_result, joint_names=names))


def test_short_results_skip_falls_unless_strict(fall_result):
    short = make_result(fall_result.pose3d_mm[:10])
    report = analyze_result(short)
    assert isinstance(report.falls, Skipped) and "1 s of poses" in report.falls.reason
    assert len(report.angles.series_deg["knee_flexion_L"]) == 10
    with pytest.raises(PoseDataError, match="1 s of poses"):
        analyze_result(short, strict=True)


def test_unseen_feet_refuse_fall_detection(fall_result):
    confidence = fall_result.confidence.copy()
    confidence[:, [JOINTS16_NAMES.index("LFoot"), JOINTS16_NAMES.index("RFoot")]] = 0.0
    with pytest.raises(PoseDataError, match="needs RFoot, LFoot"):
        analyze_result(replace(fall_result, confidence=confidence), strict=True)


def test_an_empty_result_is_refused(fall_result):
    with pytest.raises(PoseDataError, match="no poses"):
        analyze_result(make_result(fall_result.pose3d_mm[:0]))


def test_plot_without_angles_still_draws(fall_result, tmp_path):
    report = analyze_result(fall_result, angles=False, falls=False, reps="RKnee")
    paths = write_analysis_plots(report, tmp_path)
    assert [p.name for p in paths] == [ANALYSIS_PLOT_NAME]
    assert paths[0].read_bytes()[:8] == PNG_SIGNATURE


def test_unwritable_folder_is_a_pose_data_error(fall_result, tmp_path):
    report = analyze_result(fall_result, falls=False)
    blocker = tmp_path / "file"
    blocker.write_text("")
    with pytest.raises(PoseDataError, match="Cannot write"):
        write_analysis(report, blocker)
    with pytest.raises(PoseDataError, match="Cannot write"):
        write_analysis_plots(report, blocker)
