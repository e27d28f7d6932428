"""The local process pool for real: worker processes, a corrupt video, a SIGKILLed worker,
resume, and a read-only output folder."""

from __future__ import annotations

import csv
import json
import os
import shutil
import signal
import stat
import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

from posemachines.batch import STATUS_NAME, run_batch
from posemachines.batch.status import VideoRecord
from posemachines.cli import main
from tests.batch.conftest import FAST, FAST_ARGS, SAMPLE_FRAMES


def status_rows(out: Path) -> dict[str, dict[str, str]]:
    with (out / STATUS_NAME).open(newline="") as handle:
        return {row["name"]: row for row in csv.DictReader(handle)}


def hidden_folders(out: Path) -> list[str]:
    return [p.name for p in out.iterdir() if p.is_dir() and p.name.startswith(".")]


def json_frames(folder: Path) -> int:
    return len(json.loads((folder / "poses3d.json").read_text())["frames"])


@pytest.fixture(scope="module")
def mixed_batch(sample_clips, tmp_path_factory):
    """Two good clips and a truncated one in a CSV manifest (b with its own outputs and
    height), for the CLI with 2 workers."""
    inputs = tmp_path_factory.mktemp("mixed")
    (inputs / "broken.mp4").write_bytes((sample_clips / "a.mp4").read_bytes()[:2000])
    manifest = inputs / "videos.csv"
    manifest.write_text(f"path,formats,height_cm\n{sample_clips / 'a.mp4'},,\n"
                        f"{sample_clips / 'b.mp4'},npz;csv,181\nbroken.mp4,,\n")
    out = tmp_path_factory.mktemp("mixed_out") / "out"
    argv = ["batch", str(manifest), "--out", str(out), "--workers", "2", *FAST_ARGS]
    return argv, out


def test_corrupt_video_fails_alone_and_the_rest_complete(mixed_batch, capsys):
    argv, out = mixed_batch
    assert main(argv) == 1  # some video failed
    captured = capsys.readouterr()
    rows = status_rows(out)
    assert {name: row["status"] for name, row in rows.items()} == {
        "a": "done", "b": "done", "broken": "failed"}
    assert "corrupt or has no decodable frames" in rows["broken"]["error"]
    assert "\n" not in rows["broken"]["error"]
    assert rows["broken"]["error"] in captured.err
    assert "3 videos: 2 done, 1 failed" in captured.out
    for name in ("a", "b"):
        assert rows[name]["frames"] == str(SAMPLE_FRAMES) and rows[name]["attempts"] == "1"
        assert rows[name]["worker"].startswith("pid ")
    assert json_frames(out / "a") == int(rows["a"]["poses"]) > 0
    assert sorted(p.name for p in (out / "a").iterdir()) == ["poses3d.json"]
    assert sorted(p.name for p in (out / "b").iterdir()) == ["poses3d.csv", "poses3d.npz"]
    assert json.loads(rows["b"]["options"])["height_cm"] == 181.0
    with np.load(out / "b" / "poses3d.npz") as arrays:
        assert len(arrays["pose3d_mm"]) == int(rows["b"]["poses"]) > 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "a", "b", STATUS_NAME]
    assert hidden_folders(out) == []


def test_rerunning_the_same_batch_does_no_work(mixed_batch, capsys):
    argv, out = mixed_batch
    if not (out / STATUS_NAME).exists():
        main(argv)
    before = (out / STATUS_NAME).read_text()
    outputs = {p: p.stat().st_mtime_ns for p in out.glob("*/poses3d.*")}
    assert main(argv) == 1  # the corrupt video is still failed
    assert "this run 0 videos, 0 frames" in capsys.readouterr().out
    assert (out / STATUS_NAME).read_text() == before
    assert len(outputs) == 3
    assert {p: p.stat().st_mtime_ns for p in out.glob("*/poses3d.*")} == outputs


class KillFirstWorkerMidVideo:
    """A BatchProgress that SIGKILLs the worker named in the status manifest's `running` row
    when its first frames arrive: the worker is then certainly in the middle of the video."""

    def __init__(self, out: Path) -> None:
        self.out, self.killed_pid = out, 0
        self.records: list[VideoRecord] = []

    def begin(self, videos: int, skipped: int) -> None:
        pass

    def frames(self, count: int) -> None:
        if self.killed_pid:
            return
        (row,) = [r for r in status_rows(self.out).values() if r["status"] == "running"]
        self.killed_pid = int(row["worker"].removeprefix("pid "))
        os.kill(self.killed_pid, signal.SIGKILL)

    def video(self, record: VideoRecord) -> None:
        self.records.append(record)


def test_a_worker_killed_mid_video_is_retried_and_leaves_no_partial_folder(long_clip, tmp_path):
    out = tmp_path / "out"
    killer = KillFirstWorkerMidVideo(out)
    report = run_batch([long_clip], out, FAST, workers=1, max_retries=2, progress=killer)
    assert killer.killed_pid > 0
    (record,) = report.records
    assert (record.status, record.attempts, record.frames) == ("done", 2, 60)
    assert record.worker != f"pid {killer.killed_pid}"  # a fresh worker ran the retry
    assert killer.records == [record]  # one outcome, not one per attempt
    assert json_frames(out / "walk") == record.poses > 0
    assert hidden_folders(out) == []


def test_a_video_that_kills_every_worker_fails_after_the_retries(long_clip, tmp_path):
    class KillEveryWorker(KillFirstWorkerMidVideo):
        def frames(self, count: int) -> None:
            running = [r for r in status_rows(self.out).values() if r["status"] == "running"]
            pid = int(running[0]["worker"].removeprefix("pid "))
            if pid != self.killed_pid:
                self.killed_pid = pid
                os.kill(pid, signal.SIGKILL)

    out = tmp_path / "out"
    report = run_batch([long_clip], out, FAST, workers=1, max_retries=1,
                       progress=KillEveryWorker(out))
    (record,) = report.failed
    assert record.attempts == 2
    assert record.error == "worker process died (killed by SIGKILL) on each of 2 attempts"
    assert not (out / "walk").exists() and hidden_folders(out) == []


def _as_unprivileged() -> list[str]:
    """A command prefix under which permission bits bind: none for a normal user; for root,
    a new user namespace (root's files then belong to nobody it maps, so no override)."""
    if os.geteuid() != 0:
        return []
    if shutil.which("unshare") is None or subprocess.run(
            ["unshare", "-U", "true"], capture_output=True).returncode != 0:
        pytest.skip("running as root and `unshare -U` is unavailable: root ignores the "
                    "read-only permission bits this test relies on")
    return ["unshare", "-U"]


def test_read_only_output_folder_is_one_error_line_and_exit_2(sample_clips, tmp_path):
    out = tmp_path / "readonly"
    out.mkdir()
    out.chmod(stat.S_IRUSR | stat.S_IXUSR | stat.S_IRGRP | stat.S_IXGRP)
    try:
        done = subprocess.run(
            [*_as_unprivileged(), sys.executable, "-m", "posemachines", "batch",
             str(sample_clips / "a.mp4"), "--out", str(out), *FAST_ARGS],
            capture_output=True, text=True, timeout=600)
    finally:
        out.chmod(stat.S_IRWXU)
    assert done.returncode == 2
    assert done.stderr.splitlines() == [
        f"posemachines: error: Output folder {out} is not writable: Permission denied."]
    assert list(out.iterdir()) == []


def test_weights_take_shipped_names_and_an_unknown_name_is_one_error(sample_clips, tmp_path,
                                                                      capsys):
    frames = {}
    for weights in ("lite", None):
        report = run_batch([sample_clips / "a.mp4"], tmp_path / str(weights), FAST,
                           weights=weights)
        assert report.ran == 1 and not report.failed
        frames[weights] = json.loads((tmp_path / str(weights) / "a" / "poses3d.json")
                                     .read_text())["frames"]
    assert len(frames["lite"]) == len(frames[None]) == SAMPLE_FRAMES
    assert frames["lite"] != frames[None]  # another lifter, other poses
    code = main(["batch", str(sample_clips / "a.mp4"), "--out", str(tmp_path / "x"),
                 "--weights", "lite2", *FAST_ARGS])
    assert code == 2
    assert capsys.readouterr().err.strip() == (
        "posemachines: error: Weights 'lite2' are neither a shipped lifter (mocap, lite, cmu) "
        "nor an existing file.")
