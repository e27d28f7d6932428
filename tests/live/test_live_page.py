"""End to end: `posemachines live --serve` on the shipped clip, the page in headless Chromium
(receives frames over the WebSocket, the 3D canvas changes, the record button records), then
SIGTERM: the take is written as JSON and BVH that parse."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
from pathlib import Path

import cv2
import pytest

from posemachines.data.bvh import read_bvh
from posemachines.export.formats import read_json
from tests.conftest import REPO_ROOT
from tests.live.conftest import SAMPLE_CLIP

CHROMIUM = Path("/usr/bin/chromium")
sync_api = pytest.importorskip("playwright.sync_api", reason="playwright not installed ([dev])")
pytest.importorskip("uvicorn", reason="the live extra is not installed")
pytestmark = pytest.mark.skipif(not CHROMIUM.exists(), reason="headless Chromium not installed "
                                "(apt-get install -y chromium); CI installs it")
SAMPLE_FPS = cv2.VideoCapture(str(SAMPLE_CLIP)).get(cv2.CAP_PROP_FPS)
#: Seconds to wait for the server's first line, the page's frames and the files.
PATIENCE_S = 180


def received(page) -> int:
    return int(page.inner_text("#frames-received"))


def wait_for_frames(page, count: int) -> None:
    page.wait_for_function(
        f"Number(document.getElementById('frames-received').textContent) >= {count}",
        timeout=PATIENCE_S * 1000)


def test_live_page_shows_frames_records_and_writes_on_sigterm(tmp_path):
    out = tmp_path / "live_out"
    server = subprocess.Popen(
        [sys.executable, "-m", "posemachines", "live", str(SAMPLE_CLIP), "--serve", "--port",
         "0", "--realtime", "--loop", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    try:
        line = server.stdout.readline()
        assert line.startswith("live page: http://127.0.0.1:"), line + server.stderr.read()
        url = line.split()[2]
        with sync_api.sync_playwright() as playwright:
            browser = playwright.chromium.launch(executable_path=str(CHROMIUM),
                                                 args=["--no-sandbox"])
            page = browser.new_page(viewport={"width": 1280, "height": 560})
            page.goto(url)
            wait_for_frames(page, 2)
            page.click("#record")
            view = page.locator("#view3d")
            before = view.screenshot()
            wait_for_frames(page, received(page) + 4)
            after = view.screenshot()
            page.screenshot(path=str(tmp_path / "live_page.png"))
            assert page.inner_text("#record").startswith("Stop rec")
            assert float(page.inner_text("#fps")) > 0
            browser.close()
        assert before != after  # the skeleton moved between the two screenshots
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=PATIENCE_S)
    finally:
        if server.poll() is None:
            server.kill()
    assert server.returncode == 0, errors
    take = read_json(out / "take_001" / "poses3d.json")
    assert take.num_frames >= 4 and take.fps == pytest.approx(SAMPLE_FPS)
    assert read_bvh(out / "take_001" / "motion.bvh").channel_values.shape[0] >= 4
