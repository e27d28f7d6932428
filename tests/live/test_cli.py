"""`posemachines live` as a user runs it: bad sources give one error line and exit code 2; a
stream that breaks off mid-way writes what was recorded, then says so in one line."""

from __future__ import annotations

import functools
import http.server
import os
import re
import signal
import subprocess
import sys
import threading
from pathlib import Path

import cv2
import pytest

from posemachines.export.formats import read_json
from tests.conftest import REPO_ROOT
from tests.live.conftest import SAMPLE_CLIP


def run_live(*arguments: str) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "posemachines", "live", *arguments],
                          capture_output=True, text=True, timeout=300,
                          env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})


def error_lines(run: subprocess.CompletedProcess) -> list[str]:
    return [line for line in run.stderr.splitlines() if line.strip()]


@pytest.mark.parametrize("source, message", [
    ("7", "Cannot open camera 7: no such camera, or it is busy."),
    ("http://127.0.0.1:9/live.mp4", "Cannot read a video stream from http://127.0.0.1:9/live.mp4"),
    ("{not_a_video}", "is corrupt or has no decodable frames."),
])
def test_bad_source_is_one_error_line_and_exit_code_2(source, message, tmp_path):
    fake = tmp_path / "clip.mp4"
    fake.write_text("not a video")
    run = run_live(source.format(not_a_video=fake), "--out", str(tmp_path / "out"))
    assert run.returncode == 2
    lines = error_lines(run)
    assert len(lines) == 1 and lines[0].startswith("posemachines: error: ") and message in lines[0]
    assert not (tmp_path / "out").exists()


@pytest.fixture()
def half_a_stream(tmp_path) -> str:
    """The URL of the sample clip's first 40 frames as MJPEG, cut off half-way, over HTTP."""
    capture = cv2.VideoCapture(str(SAMPLE_CLIP))
    ok, frame = capture.read()
    writer = cv2.VideoWriter(str(tmp_path / "full.avi"), cv2.VideoWriter_fourcc(*"MJPG"), 30.0,
                             (frame.shape[1], frame.shape[0]))
    for _ in range(40):
        writer.write(frame)
        ok, frame = capture.read()
    writer.release()
    data = (tmp_path / "full.avi").read_bytes()
    (tmp_path / "half.avi").write_bytes(data[: len(data) // 2])

    class Quiet(http.server.SimpleHTTPRequestHandler):
        def log_message(self, *args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(
        ("127.0.0.1", 0), functools.partial(Quiet, directory=str(tmp_path)))
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}/half.avi"
    server.shutdown()


def test_a_stream_breaking_off_writes_the_take_then_says_so(half_a_stream, tmp_path):
    out = tmp_path / "out"
    run = run_live(half_a_stream, "--out", str(out))
    assert run.returncode == 2
    lines = error_lines(run)
    assert len(lines) == 1 and lines[0].startswith(
        f"posemachines: error: Stream {half_a_stream} stopped sending frames after "), lines
    assert lines[0].endswith(f"wrote {out / 'take_001'}.")
    take = read_json(Path(out / "take_001" / "poses3d.json"))
    processed = int(re.search(r"(\d+) frames processed", lines[0]).group(1))
    # A URL is live: frames the pipeline had no time for were dropped, not queued.
    assert take.num_frames == processed >= 1 and take.missing_frames == ()
    indices = list(take.frame_indices)
    assert indices == sorted(set(indices)) and indices[-1] < 40


@pytest.mark.parametrize("stop", [signal.SIGTERM, signal.SIGINT])
def test_sigterm_or_ctrl_c_writes_what_was_recorded(stop, tmp_path):
    out = tmp_path / "out"
    live = subprocess.Popen(
        [sys.executable, "-m", "posemachines", "live", str(SAMPLE_CLIP), "--realtime", "--loop",
         "--out", str(out)], stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    try:
        line = live.stdout.readline()  # printed once the first frame is processed
        assert line.startswith("live: processing Video "), line + live.stderr.read()
        live.send_signal(stop)
        output, errors = live.communicate(timeout=300)
    finally:
        if live.poll() is None:
            live.kill()
    assert live.returncode == 0, errors
    take = read_json(out / "take_001" / "poses3d.json")
    assert take.num_frames >= 1
    assert f"wrote {out / 'take_001'}" in output
