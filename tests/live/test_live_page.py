"""End to end: `posemachines live --serve` on the shipped clip, the page in headless Chromium
(receives frames over the WebSocket, the 3D canvas changes, the record button records), then
SIGTERM: the take is written as JSON and BVH that parse."""

from __future__ import annotations

import contextlib
import os
import signal
import subprocess
import sys
from collections.abc import Iterator
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


@contextlib.contextmanager
def live_server(out: Path) -> Iterator[tuple[subprocess.Popen, str]]:
    """`posemachines live --serve` on the shipped clip, looped in real time: (process, URL)."""
    server = subprocess.Popen(
        [sys.executable, "-m", "posemachines", "live", str(SAMPLE_CLIP), "--serve", "--port",
         "0", "--realtime", "--loop", "--out", str(out)],
        stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        env={**os.environ, "PYTHONPATH": str(REPO_ROOT)})
    try:
        line = server.stdout.readline()
        assert line.startswith("live page: http://127.0.0.1:"), line + server.stderr.read()
        yield server, line.split()[2]
    finally:
        if server.poll() is None:
            server.kill()


@contextlib.contextmanager
def browser_page(url: str) -> Iterator[object]:
    """The page in headless Chromium, two frames received."""
    with sync_api.sync_playwright() as playwright:
        browser = playwright.chromium.launch(executable_path=str(CHROMIUM), args=["--no-sandbox"])
        page = browser.new_page(viewport={"width": 1280, "height": 560})
        page.goto(url)
        wait_for_frames(page, 2)
        yield page
        browser.close()


def check_take(folder: Path, frames: int) -> None:
    take = read_json(folder / "poses3d.json")
    assert take.num_frames >= frames and take.fps == pytest.approx(SAMPLE_FPS)
    assert read_bvh(folder / "motion.bvh").channel_values.shape[0] >= frames


def test_live_page_shows_frames_records_and_writes_on_sigterm(tmp_path):
    out = tmp_path / "live_out"
    with live_server(out) as (server, url):
        with browser_page(url) as page:
            page.click("#record")
            view = page.locator("#view3d")
            before = view.screenshot()
            wait_for_frames(page, received(page) + 4)
            after = view.screenshot()
            page.screenshot(path=str(tmp_path / "live_page.png"))
            assert page.inner_text("#record").startswith("Stop rec")
            assert float(page.inner_text("#fps")) > 0
        assert before != after  # the skeleton moved between the two screenshots
        server.send_signal(signal.SIGTERM)
        _, errors = server.communicate(timeout=PATIENCE_S)
    assert server.returncode == 0, errors
    check_take(out / "take_001", 4)


def test_record_button_writes_a_take_and_stop_button_ends_the_session(tmp_path):
    out = tmp_path / "live_out"
    with live_server(out) as (server, url), browser_page(url) as page:
        page.click("#record")
        wait_for_frames(page, received(page) + 3)
        page.click("#record")  # the take ends: written at once
        page.wait_for_function("document.getElementById('status').textContent"
                               ".startsWith('saved')", timeout=PATIENCE_S * 1000)
        assert "take_001" in page.inner_text("#status")
        check_take(out / "take_001", 1)
        page.click("#record")
        wait_for_frames(page, received(page) + 2)
        page.click("#stop")  # ends the session: the second take is written, the server exits
        page.wait_for_function("document.getElementById('status').textContent"
                               ".startsWith('ended')", timeout=PATIENCE_S * 1000)
        assert "take_002" in page.inner_text("#status")
        _, errors = server.communicate(timeout=PATIENCE_S)
    assert server.returncode == 0, errors
    check_take(out / "take_002", 1)
