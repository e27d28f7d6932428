"""Per-action tables: literature order, exact Markdown/CSV layout, averages, JSON round trip."""

from __future__ import annotations

import json

import pytest

from posemachines.errors import PoseDataError
from posemachines.evaluation.report import (
    AVERAGE,
    H36M_ACTIONS,
    REFERENCE_ROWS,
    ActionTable,
    TableMetadata,
    canonical_action,
)

METADATA = TableMetadata(protocol="Human3.6M #1", weights="lifter.pt",
                         input_source="ground-truth 2D", correction=True)


def two_action_table() -> ActionTable:
    # Given out of order on purpose: Walking comes after Directions in the literature.
    return ActionTable.build(
        {"Walking": {"MPJPE": 50.0, "PA-MPJPE": 40.0},
         "Directions": {"MPJPE": 60.25, "PA-MPJPE": 45.0}},
        frame_counts={"Walking": 300, "Directions": 100},
        metadata=METADATA,
    )


def test_averages_are_over_actions_and_separately_over_frames():
    table = two_action_table()
    assert table.average() == {"MPJPE": 55.125, "PA-MPJPE": 42.5}
    # (100 * 60.25 + 300 * 50) / 400 = 52.5625; (100 * 45 + 300 * 40) / 400 = 41.25
    assert table.frame_weighted_average() == {"MPJPE": 52.5625, "PA-MPJPE": 41.25}


def test_markdown_columns_layout_is_the_literature_one():
    assert two_action_table().to_markdown() == (
        "| Metric | Dir. | Walk | Avg | Avg (frames) |\n"
        "| --- | ---: | ---: | ---: | ---: |\n"
        "| MPJPE | 60.2 | 50.0 | 55.1 | 52.6 |\n"
        "| PA-MPJPE | 45.0 | 40.0 | 42.5 | 41.2 |\n"
    )


def test_markdown_rows_layout():
    assert two_action_table().to_markdown(layout="rows", precision=2) == (
        "| Action | Frames | MPJPE | PA-MPJPE |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| Directions | 100 | 60.25 | 45.00 |\n"
        "| Walking | 300 | 50.00 | 40.00 |\n"
        "| Average | 400 | 55.12 | 42.50 |\n"
        "| Average (frame-weighted) | 400 | 52.56 | 41.25 |\n"
    )


def test_csv_layouts_write_full_names_and_unrounded_numbers():
    table = two_action_table()
    assert table.to_csv() == (
        "Action,Frames,MPJPE,PA-MPJPE\n"
        "Directions,100,60.25,45.0\n"
        "Walking,300,50.0,40.0\n"
        "Average,400,55.125,42.5\n"
        "Average (frame-weighted),400,52.5625,41.25\n"
    )
    assert table.to_csv(layout="columns") == (
        "Metric,Directions,Walking,Average,Average (frame-weighted)\n"
        "MPJPE,60.25,50.0,55.125,52.5625\n"
        "PA-MPJPE,45.0,40.0,42.5,41.25\n"
    )


def test_without_frame_counts_only_the_action_average_is_shown():
    table = ActionTable.build({"Eating": {"MPJPE": 10.0}, "Sitting": {"MPJPE": 20.0}})
    assert table.frame_weighted_average() is None
    assert table.to_markdown() == (
        "| Metric | Eat | Sit | Avg |\n"
        "| --- | ---: | ---: | ---: |\n"
        "| MPJPE | 10.0 | 20.0 | 15.0 |\n"
    )


def test_all_fifteen_actions_in_literature_order_with_unknown_ones_last():
    given = ["Jumping", *reversed(H36M_ACTIONS), "Cartwheel"]
    table = ActionTable.build({a: {"MPJPE": float(i)} for i, a in enumerate(given)})
    assert table.actions == (*H36M_ACTIONS, "Jumping", "Cartwheel")
    header = table.to_markdown().splitlines()[0]
    assert header.startswith("| Metric | Dir. | Disc. | Eat | Greet | Phone | Photo | Pose | "
                             "Purch. | Sit | SitD. | Smoke | Wait | WalkD. | Walk | WalkT. | "
                             "Jumping | Cartwheel | Avg |")
    assert table.average()["MPJPE"] == pytest.approx(sum(range(17)) / 17)


def test_missing_values_are_skipped_in_the_average_and_shown_as_a_dash():
    table = ActionTable.build({"Posing": {"MPJPE": 30.0, "PCK": 90.0},
                               "Waiting": {"MPJPE": 40.0}})
    assert table.average() == {"MPJPE": 35.0, "PCK": 90.0}
    assert "| PCK | 90.0 | - | 90.0 |" in table.to_markdown()
    assert "Waiting,40.0,\n" in table.to_csv()


def test_json_round_trip_keeps_numbers_counts_and_metadata():
    table = two_action_table()
    text = table.to_json()
    document = json.loads(text)
    assert document["metadata"] == {"protocol": "Human3.6M #1", "weights": "lifter.pt",
                                    "input_source": "ground-truth 2D", "correction": True}
    assert document["average"] == {"MPJPE": 55.125, "PA-MPJPE": 42.5}
    assert document["frame_weighted_average"] == {"MPJPE": 52.5625, "PA-MPJPE": 41.25}
    assert [row["action"] for row in document["actions"]] == ["Directions", "Walking"]
    assert ActionTable.from_json(text) == table


def test_canonical_action_names():
    assert canonical_action("TakingPhoto") == "Photo"
    assert canonical_action("WalkingDog 1") == "WalkDog"
    assert canonical_action("walk_together") == "WalkTogether"
    assert canonical_action("Directions 2") == "Directions"
    assert canonical_action(" Jumping ") == "Jumping"


def test_bad_tables_raise_one_clear_error():
    with pytest.raises(PoseDataError, match="twice"):
        ActionTable.build({"Photo": {"MPJPE": 1.0}, "TakingPhoto": {"MPJPE": 2.0}})
    with pytest.raises(PoseDataError, match="not finite"):
        ActionTable.build({"Photo": {"MPJPE": float("nan")}})
    with pytest.raises(PoseDataError, match="Frame counts"):
        ActionTable.build({"Photo": {"MPJPE": 1.0}}, frame_counts={"Eating": 3})
    with pytest.raises(PoseDataError, match="Average"):
        ActionTable.build({"Average": {"MPJPE": 1.0}})
    with pytest.raises(PoseDataError, match="not a posemachines"):
        ActionTable.from_json('{"format": "other"}')
    with pytest.raises(PoseDataError, match="malformed"):
        ActionTable.from_json("{not json")


def test_reference_rows_hold_only_the_published_average():
    (row,) = REFERENCE_ROWS.values()
    assert row == {AVERAGE: 63.7}
