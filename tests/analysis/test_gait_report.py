"""Analysis of a result in the world frame: up from the floor, gait from the contacts."""

from __future__ import annotations

import dataclasses

import numpy as np
import pytest

from posemachines.analysis.gait_report import FLOOR_METHOD, gait_section
from posemachines.analysis.report import analyze_result
from posemachines.analysis.report_json import report_from_json, report_to_json
from posemachines.errors import PoseDataError
from posemachines.structures import FootContacts, WorldPose
from posemachines.structures.analysis import Skipped
from tests.export.sample_poses import make_result, rest_pose, scene_camera

FPS = 30.0
#: RFoot down on frames [0, 10), [20, 30), [40, 50); LFoot on [10, 20), [30, 40), [50, 60).
RIGHT_SPANS, LEFT_SPANS = ((0, 0.0), (20, 600.0), (40, 1200.0)), ((10, 300.0), (30, 900.0),
                                                                    (50, 1500.0))


def walking_result(metric: bool = True):
    """60 frames at 30 fps: the root moves 30 mm a frame along world +Z; each footprint lies
    300 mm ahead of the previous one (the other foot's)."""
    frames = np.arange(60)
    world = np.tile(rest_pose() * [-1.0, -1.0, 1.0] + [0.0, 900.0, 0.0], (60, 1, 1))
    world[:, :, 2] += 30.0 * frames[:, None]
    flags = np.zeros((60, 2), dtype=bool)
    for column, (joint, spans) in enumerate(((3, RIGHT_SPANS), (6, LEFT_SPANS))):
        for start, z in spans:
            flags[start:start + 10, column] = True
            world[start:start + 10, joint, 2] = z
    contacts = FootContacts(joints=(3, 6), names=("RFoot", "LFoot"), in_contact=flags,
                            probability=flags.astype(float))
    base = make_result(60)
    return dataclasses.replace(
        base, pose3d_mm=np.tile(rest_pose(), (60, 1, 1)), frame_indices=frames,
        timestamps_s=frames / FPS, fps=FPS, missing_frames=(), correction=None,
        camera=scene_camera(), root_translation_mm=np.zeros((60, 3)),
        world=WorldPose(frame="world", joints_mm=world, contacts=contacts, metric=metric))


def test_gait_of_a_hand_built_walk():
    gait = gait_section(walking_result())
    # strikes (contact starts after frame 0) at 10, 20, 30, 40, 50: 4 steps in 40 frames
    assert gait.num_steps == 5
    assert gait.cadence_steps_per_min == pytest.approx(180.0)
    assert (gait.step_length, gait.stride_length, gait.length_unit) == (0.3, 0.6, "m")
    assert gait.walking_speed == pytest.approx(0.9)  # 0.6 m per 20 frames
    assert gait.stance_fraction == {"RFoot": 0.5, "LFoot": 0.5}


def test_gait_in_leg_lengths_without_the_scale():
    gait = gait_section(walking_result(metric=False))
    leg = np.hypot(440, 10) + np.hypot(430, 20)  # thigh + shin of the rest skeleton, mm
    assert gait.length_unit == "leg lengths"
    assert gait.step_length == pytest.approx(round(300 / leg, 3))


def test_report_uses_the_floor_for_up_and_round_trips_the_gait():
    result = walking_result()
    report = analyze_result(result, angles=False, falls=False)
    assert report.vertical.method == FLOOR_METHOD
    np.testing.assert_allclose(report.vertical.up_camera,
                               scene_camera().R @ [0.0, 1.0, 0.0], atol=1e-4)
    assert report_from_json(report_to_json(report)).gait == report.gait


def test_no_gait_without_a_world_and_a_reason_in_the_camera_frame():
    result = walking_result()
    assert analyze_result(dataclasses.replace(result, world=None), falls=False).gait is None
    moved = dataclasses.replace(result, world=dataclasses.replace(
        result.world, frame="camera", contacts=None))
    with pytest.raises(PoseDataError, match="world frame"):
        gait_section(moved)
    without_contacts = dataclasses.replace(result, world=dataclasses.replace(
        result.world, contacts=None))
    with pytest.raises(PoseDataError, match="needs foot contacts"):
        gait_section(without_contacts)


def test_a_camera_frame_world_skips_gait_without_failing_what_was_asked_for():
    result = walking_result()
    moved = dataclasses.replace(result, world=dataclasses.replace(
        result.world, frame="camera", contacts=None))
    report = analyze_result(moved, angles=True, falls=False, strict=True)
    assert isinstance(report.gait, Skipped) and "world frame" in report.gait.reason
    assert report.angles is not None and not isinstance(report.angles, Skipped)
