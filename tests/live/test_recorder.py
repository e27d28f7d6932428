"""Recorded takes: frames -> PoseResult -> JSON/BVH that read back; a session writes what it
recorded when its source stops mid-way."""

from __future__ import annotations

import dataclasses
import gc
import weakref

import cv2
import numpy as np
import pytest

from posemachines.data.bvh import read_bvh
from posemachines.errors import PoseInputError
from posemachines.export.formats import read_json
from posemachines.inference.stream import FrameResult
from posemachines.inference.stream_sources import StreamSource
from posemachines.live.recorder import Recorder, check_formats, result_from_frames
from posemachines.live.session import LiveSession
from tests.live.conftest import SAMPLE_CLIP


def frame(index: int, posed: bool = True) -> FrameResult:
    rng = np.random.default_rng(index)
    pose = rng.normal(0.0, 200.0, (16, 3)).astype(np.float32)
    pose -= pose[0]
    return FrameResult(
        frame_index=index, timestamp_s=index / 25.0,
        keypoints_px=rng.uniform(0, 300, (16, 2)).astype(np.float32) if posed else None,
        confidence=np.full(16, 0.9, dtype=np.float32) if posed else None,
        pose3d_mm=pose if posed else None,
        root_translation_mm=np.array([10.0 * index, 0.0, 3000.0]) if posed else None,
        latency_s=0.01, rgb=np.zeros((4, 4, 3), dtype=np.uint8))


def test_result_from_frames_keeps_gaps_and_missing_frames():
    frames = [frame(0), frame(1), frame(2, posed=False), frame(5), frame(6)]  # 3, 4 dropped
    result = result_from_frames(frames, 25.0, (320, 240), "camera 0")
    assert result is not None
    assert result.frame_indices.tolist() == [0, 1, 5, 6] and result.missing_frames == (2,)
    np.testing.assert_array_equal(result.pose3d_mm[2], frames[3].pose3d_mm)
    np.testing.assert_allclose(result.root_translation_mm[:, 0], [0, 10, 50, 60])
    assert result_from_frames([frame(0, posed=False)], 25.0, (320, 240), "") is None


def test_recorder_writes_takes_that_read_back(tmp_path):
    recorder = Recorder(tmp_path, ("json", "bvh"), 25.0, (320, 240), "camera 0")
    recorder.add(frame(0))  # not recording: ignored
    recorder.start()
    for index in (1, 2, 4):
        recorder.add(frame(index))
    first = recorder.stop()
    recorder.start()
    latest = dataclasses.replace(frame(9), rgb=np.zeros((720, 1280, 3), dtype=np.uint8))
    image = weakref.ref(latest.rgb)
    recorder.add(latest)
    del latest
    gc.collect()
    assert recorder.frames == 1 and image() is None  # the take keeps no image
    second = recorder.stop()
    assert [p.relative_to(tmp_path).as_posix() for p in first + second] == [
        "take_001/poses3d.json", "take_001/motion.bvh",
        "take_002/poses3d.json", "take_002/motion.bvh"]
    take = read_json(first[0])
    assert take.frame_indices.tolist() == [1, 2, 4]
    np.testing.assert_allclose(take.pose3d_mm[2], frame(4).pose3d_mm, atol=0.05)
    motion = read_bvh(first[1])  # frames 1-4, the dropped 3 interpolated
    assert motion.channel_values.shape[0] == 4 and motion.frame_time_s == pytest.approx(0.04)
    assert recorder.stop() == []  # nothing being recorded


def test_unknown_live_format_is_an_input_error():
    assert check_formats(["json", "bvh", "json"]) == ("json", "bvh")
    with pytest.raises(PoseInputError, match="overlay"):
        check_formats(["overlay"])


def test_session_writes_the_take_when_the_source_stops_mid_way(estimator, tmp_path):
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    ok, first = capture.read()
    assert ok
    source = StreamSource(capture, "url", "Stream rtsp://camera.local/live", first, 30.0,
                          live=False)
    stream = estimator.stream(source)
    recorder = Recorder(tmp_path, ("json", "bvh"), 30.0, stream.image_size, source.description)
    recorder.start()
    session = LiveSession(stream, recorder)
    written = session.run()
    assert [p.name for p in written] == ["poses3d.json", "motion.bvh"]
    frames = int(cv2.VideoCapture(str(SAMPLE_CLIP)).get(cv2.CAP_PROP_FRAME_COUNT))
    assert read_json(written[0]).num_frames == stream.processed == frames
