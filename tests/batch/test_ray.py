"""The Ray backend for real: a local Ray (num_cpus=2) runs two clips through the actor pool.

Needs the `ray` extra (`pip install 'posemachines[ray]'`, part of `dev`, so CI runs it);
skipped without it.
"""

from __future__ import annotations

import json
import os

import pytest

from posemachines.batch import run_batch
from tests.batch.conftest import FAST, SAMPLE_FRAMES

ray = pytest.importorskip("ray", reason="the Ray backend needs the ray extra: "
                                        "pip install 'posemachines[ray]'")


def test_local_ray_actor_pool_runs_two_clips(sample_clips, tmp_path):
    out = tmp_path / "out"
    report = run_batch([sample_clips], out, FAST, backend="ray", workers=2, threads=1)
    assert not ray.is_initialized()  # the Ray this batch started is shut down again
    assert [(r.name, r.status, r.frames, r.attempts) for r in report.records] == [
        ("a", "done", SAMPLE_FRAMES, 1), ("b", "done", SAMPLE_FRAMES, 1)]
    for record in report.records:
        assert " pid " in record.worker and record.worker != f"pid {os.getpid()}"
        frames = json.loads((out / record.name / "poses3d.json").read_text())["frames"]
        assert len(frames) == record.poses > 0
    assert sorted(p.name for p in out.iterdir() if not p.name.startswith(".")) == [
        "a", "b", "batch_status.csv"]
    assert not [p for p in out.iterdir() if p.is_dir() and p.name.startswith(".")]
    again = run_batch([sample_clips], out, FAST, backend="ray", workers=2, threads=1)
    assert (again.ran, again.skipped) == (0, 2)  # nothing to do: Ray is not even started
