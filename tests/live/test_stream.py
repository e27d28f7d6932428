"""The causal pipeline: one result per processed frame, in order; the streaming lifter equals
the clip lifter; live sources drop frames instead of queueing them; sources that stop."""

from __future__ import annotations

import itertools
import time

import cv2
import numpy as np
import pytest

from posemachines.errors import PoseInputError
from posemachines.inference.stream import FrameResult
from posemachines.inference.stream_sources import StreamSource, open_stream
from tests.live.conftest import SAMPLE_CLIP


def test_stream_yields_one_result_per_frame_in_order(estimator):
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    frames, fps = int(capture.get(cv2.CAP_PROP_FRAME_COUNT)), capture.get(cv2.CAP_PROP_FPS)
    size = (int(capture.get(cv2.CAP_PROP_FRAME_HEIGHT)), int(capture.get(cv2.CAP_PROP_FRAME_WIDTH)))
    stream = estimator.stream(SAMPLE_CLIP)
    results = list(stream)
    assert len(results) == stream.processed == frames > 0
    assert [r.frame_index for r in results] == list(range(frames))
    assert [r.timestamp_s for r in results] == pytest.approx(np.arange(frames) / fps)
    assert stream.dropped == 0 and stream.error is None
    for result in results:
        assert isinstance(result, FrameResult) and result.pose3d_mm is not None
        assert result.pose3d_mm.shape == (16, 3) and result.keypoints_px.shape == (16, 2)
        np.testing.assert_array_equal(result.pose3d_mm[0], 0.0)  # root-relative
        assert np.isfinite(result.root_translation_mm).all() and result.latency_s > 0
        assert result.rgb.shape == (*size, 3)


def test_streaming_lifter_equals_the_lift_of_the_whole_clip(estimator):
    """The LSTM state carried frame to frame gives the clip's forward lift (flip test on)."""
    from posemachines.inference.estimator import Estimator

    uncorrected = Estimator(detector=estimator.detector, correction="none", time_reversal=False)
    with uncorrected.stream(SAMPLE_CLIP) as stream:
        results = list(itertools.islice(stream, 20))
    xy = np.stack([r.keypoints_px for r in results])
    confidence = np.stack([r.confidence for r in results])
    clip = uncorrected.lift(xy, confidence, stream.image_size).pose3d_mm
    np.testing.assert_allclose(np.stack([r.pose3d_mm for r in results]),
                               clip - clip[:, :1], atol=1e-2)
    assert results[-1].root_translation_mm is None


def test_realtime_source_drops_frames_a_slow_consumer_misses(square_video):
    """60 frames at 30 fps taken every 0.1 s: the newest frame each time, the rest dropped."""
    source = open_stream(square_video, realtime=True)
    taken = []
    for frame in source:
        taken.append(frame.index)
        time.sleep(0.1)
    assert taken == sorted(set(taken)) and taken[-1] == 59
    assert source.dropped > 0 and len(taken) + source.dropped == 60
    assert source.error is None


def test_file_without_realtime_gives_every_frame(square_video):
    with open_stream(square_video) as source:
        indices = [frame.index for frame in source]
    assert indices == list(range(60)) and source.dropped == 0


def test_a_stream_that_stops_mid_way_ends_cleanly_with_its_reason(estimator, square_video):
    """A network stream whose frames stop (here: a file read as if it were one)."""
    capture = cv2.VideoCapture(str(square_video))
    ok, first = capture.read()
    assert ok
    source = StreamSource(capture, "url", "Stream rtsp://camera.local/live", first, 30.0,
                          live=True)
    stream = estimator.stream(source)
    results = list(stream)
    assert 0 < len(results) == stream.processed and stream.processed + stream.dropped == 60
    assert all(r.pose3d_mm is None for r in results)  # a square is nobody
    assert stream.error == "Stream rtsp://camera.local/live stopped sending frames after 60 frames."


@pytest.mark.parametrize("source, message", [
    (7, "Cannot open camera 7"),
    ("http://127.0.0.1:9/live.mp4", "Cannot read a video stream from http://127.0.0.1:9"),
])
def test_bad_sources_raise_one_sentence(source, message):
    with pytest.raises(PoseInputError, match=message):
        open_stream(source)


def test_not_a_video_raises(tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("not a video")
    with pytest.raises(PoseInputError, match="corrupt or has no decodable frames"):
        open_stream(fake)
    image = tmp_path / "still.png"
    cv2.imwrite(str(image), np.zeros((8, 8, 3), dtype=np.uint8))
    with pytest.raises(PoseInputError, match="is not a video"):
        open_stream(image)


def test_paper_correction_cannot_stream(estimator):
    from posemachines.inference.stream import open_pose_stream

    with pytest.raises(PoseInputError, match="needs the whole clip"):
        open_pose_stream(SAMPLE_CLIP, estimator.lifter, estimator.detector, correction="paper")
