"""Evaluation reports: exact Markdown/CSV of a condition table, JSON, quoted references, files."""

from __future__ import annotations

import json

import pytest

from posemachines.errors import PoseDataError, PoseInputError
from posemachines.evaluation.report import ActionTable
from posemachines.evaluation.summary import EvaluationReport, MetricTable


def conditions() -> MetricTable:
    return MetricTable(
        rows=("clean 2D, T=1", "noisy 2D, T=1"), columns=("MPJPE (mm)", "PA-MPJPE (mm)"),
        values={"clean 2D, T=1": {"MPJPE (mm)": 50.04, "PA-MPJPE (mm)": 40.0},
                "noisy 2D, T=1": {"MPJPE (mm)": 61.25, "PA-MPJPE (mm)": 48.5}},
        frame_counts={"clean 2D, T=1": 10, "noisy 2D, T=1": 10},
        details={"clean 2D, T=1": {"per_bone": {"Hip-RHip": 1.5}}},
    )


def test_a_condition_table_prints_rows_in_order_without_an_average():
    assert conditions().to_markdown() == (
        "| Condition | Frames | MPJPE (mm) | PA-MPJPE (mm) |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| clean 2D, T=1 | 10 | 50.0 | 40.0 |\n"
        "| noisy 2D, T=1 | 10 | 61.2 | 48.5 |\n"
    )
    assert conditions().to_csv().splitlines() == [
        "Condition,Frames,MPJPE (mm),PA-MPJPE (mm)",
        "\"clean 2D, T=1\",10,50.04,40.0", "\"noisy 2D, T=1\",10,61.25,48.5",
    ]


def test_a_condition_table_rejects_missing_or_non_finite_values():
    with pytest.raises(PoseDataError, match="PA-MPJPE \\(mm\\) of 'a' is missing"):
        MetricTable(("a",), ("MPJPE (mm)", "PA-MPJPE (mm)"), {"a": {"MPJPE (mm)": 1.0}},
                    {"a": 1})
    with pytest.raises(PoseDataError, match="not finite"):
        MetricTable(("a",), ("MPJPE (mm)",), {"a": {"MPJPE (mm)": float("nan")}}, {"a": 1})


def test_reports_keep_quoted_references_apart_and_write_three_files(tmp_path):
    table = ActionTable.build({"Walking": {"MPJPE (mm)": 50.0}}, {"Walking": 4})
    report = EvaluationReport("h36m-1", "Protocol #1", ("line one",), table,
                              {"Paper (quoted)": {"Average": 63.7}})
    markdown = report.to_markdown()
    assert markdown.startswith("# Protocol #1\n\n- line one\n")
    assert "| Paper (quoted) | 63.7 |" in markdown and "not measured here" in markdown
    paths = report.write(tmp_path / "out" / "report.md")
    assert [p.name for p in paths] == ["report.md", "report.csv", "report.json"]
    document = json.loads(paths[2].read_text())
    assert document["quoted_reference"] == {"Paper (quoted)": {"Average": 63.7}}
    assert document["table"]["average"] == {"MPJPE (mm)": 50.0}
    rows = json.loads(EvaluationReport("m", "M", (), conditions()).to_json())["table"]["rows"]
    assert rows[0]["per_bone"] == {"Hip-RHip": 1.5} and rows[1]["frames"] == 10


def test_an_unwritable_report_path_is_one_clear_error(tmp_path):
    blocker = tmp_path / "file"
    blocker.write_text("")
    report = EvaluationReport("m", "M", (), conditions())
    with pytest.raises(PoseInputError, match="Cannot write the report"):
        report.write(blocker / "report.md")
