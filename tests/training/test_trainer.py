"""The trainer on the tiny synthetic task: convergence, files, freezing, resume after kill -9."""

from __future__ import annotations

import csv
import json
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest
import torch

from posemachines.models import load_checkpoint, save_checkpoint
from posemachines.training.checkpointing import (
    PreservedRng,
    atomic_save,
    capture_rng_state,
    restore_rng_state,
)
from posemachines.training.config import OptimSection, load_config
from posemachines.training.optim import build_optimizer, build_scheduler, learning_rate
from posemachines.training.tasks_pose import TransformerStageTask
from posemachines.training.tasks_synthetic import SyntheticLifterTask
from posemachines.training.trainer import train

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = REPO_ROOT / "configs" / "tiny_test.yaml"


class SlowSyntheticTask(SyntheticLifterTask):
    """The synthetic task, 50 ms slower per step, so a test can kill it mid-run."""

    def training_step(self, model, batch):
        time.sleep(0.05)
        return super().training_step(model, batch)


class SyntheticTransformerStage(SyntheticLifterTask):
    """Stage 2's freezing on the synthetic data."""

    trainable_parameters = TransformerStageTask.trainable_parameters


def _read(path: Path) -> str:
    return path.read_text() if path.exists() else ""


def _rows(run_dir: Path) -> list[dict[str, str]]:
    with open(run_dir / "log.csv", newline="") as handle:
        return list(csv.DictReader(handle))


def test_tiny_run_converges_and_writes_its_files(tmp_path):
    run = tmp_path / "run"
    config = load_config(TINY, [f"checkpoint.dir={run}", "optim.steps=60",
                                "log.val_every_n_steps=30"])
    result = train(config)
    assert result.steps == 60
    assert {p.name for p in run.iterdir()} >= {
        "config.yaml", "last.pt", "best.pt", "log.csv", "summary.json"
    }
    rows = _rows(run)
    train_rows = [r for r in rows if r["loss"]]
    assert [int(r["step"]) for r in train_rows] == list(range(5, 61, 5))
    assert float(train_rows[-1]["loss"]) < 0.3 * float(train_rows[0]["loss"])
    val = [float(r["val_mpjpe_mm"]) for r in rows if r["val_mpjpe_mm"]]
    assert len(val) == 2 and val[1] < val[0]
    assert float(train_rows[-1]["lr"]) == pytest.approx(3e-4)
    model, extra = load_checkpoint(run / "best.pt")
    assert extra["step"] == result.best_step and extra["value"] == pytest.approx(min(val), rel=1e-5)
    assert model.config.embed_dim == 32
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 60 and summary["final"]["loss"] == pytest.approx(
        result.final_terms["loss"]
    )


def test_resume_after_sigkill_matches_uninterrupted_run(tmp_path):
    run = tmp_path / "killed"
    command = [
        sys.executable, "-m", "posemachines", "train", str(TINY),
        "--set", f"checkpoint.dir={run}",
        "--set", f"task={__name__}:SlowSyntheticTask",
        "--set", "checkpoint.every_n_steps=7",
    ]
    child = subprocess.Popen(command, cwd=REPO_ROOT, stdout=subprocess.DEVNULL,
                             stderr=subprocess.PIPE)
    deadline = time.monotonic() + 120
    # Kill between checkpoints: after step 10 is logged, past the first checkpoint (step 7).
    while not ((run / "last.pt").exists() and "\n10," in _read(run / "log.csv")):
        assert child.poll() is None, child.stderr.read().decode()
        assert time.monotonic() < deadline, "no checkpoint within 120 s"
        time.sleep(0.01)
    child.send_signal(signal.SIGKILL)
    child.wait(timeout=30)
    assert child.returncode == -signal.SIGKILL
    assert not (run / "summary.json").exists()
    killed_at = torch.load(run / "last.pt", weights_only=True)["step"]
    assert killed_at in (7, 14, 21)

    resumed = subprocess.run(command + ["--resume"], cwd=REPO_ROOT, capture_output=True,
                             text=True, timeout=180)
    assert resumed.returncode == 0, resumed.stderr

    straight = tmp_path / "straight"
    baseline = train(load_config(TINY, [f"checkpoint.dir={straight}",
                                        "checkpoint.every_n_steps=7"]))
    summary = json.loads((run / "summary.json").read_text())
    assert summary["steps"] == 40
    for name, value in baseline.final_terms.items():
        assert summary["final"][name] == pytest.approx(value, abs=1e-6)
    assert summary["best_value"] == pytest.approx(baseline.best_value, abs=1e-6)
    weights = torch.load(run / "last.pt", weights_only=True)["model"]
    reference = torch.load(straight / "last.pt", weights_only=True)["model"]
    for key, tensor in reference.items():
        assert torch.allclose(weights[key], tensor, atol=1e-6, rtol=0), key
    steps = [int(r["step"]) for r in _rows(run) if r["loss"]]
    assert steps == sorted(set(steps)), "resumed log repeats steps"


def test_freezing_keeps_untrained_parts_fixed(tmp_path):
    initial = tmp_path / "initial.pt"
    config = load_config(TINY, [f"checkpoint.dir={tmp_path / 'run'}", "optim.steps=3",
                                f"task={__name__}:SyntheticTransformerStage",
                                f"model.init_from={initial}"])
    model = SyntheticTransformerStage(config).build_model()
    save_checkpoint(initial, model)
    train(config)
    trained = torch.load(tmp_path / "run" / "last.pt", weights_only=True)["model"]
    for name, before in model.state_dict().items():
        changed = not torch.equal(before, trained[name])
        if name.startswith("transformer.") and name.endswith("weight"):
            assert changed, name
        elif not name.startswith("transformer."):
            assert not changed, name


def test_learning_rate_schedules():
    step = OptimSection(lr=1e-4, lr_final=1e-5, schedule="step", decay_at=0.5)
    assert learning_rate(49, 100, step) == 1e-4
    assert learning_rate(50, 100, step) == 1e-5
    cosine = OptimSection(lr=1e-4, lr_final=1e-5, schedule="cosine")
    assert learning_rate(0, 101, cosine) == pytest.approx(1e-4)
    assert learning_rate(50, 101, cosine) == pytest.approx(5.5e-5)
    assert learning_rate(100, 101, cosine) == pytest.approx(1e-5)
    assert learning_rate(7, 100, OptimSection(schedule="constant", lr=2e-4)) == 2e-4


@pytest.mark.parametrize("total", [200, 3000])
def test_one_cycle_schedule_is_torchs_one_cycle_lr(total):
    optim = OptimSection(optimizer="adamw", lr=2e-3, lr_final=2e-3 / 25 / 1e4,
                         schedule="onecycle", warmup=0.1, weight_decay=1e-3)
    net = torch.nn.Linear(2, 2)
    reference = torch.optim.AdamW(net.parameters(), lr=optim.lr, weight_decay=1e-3)
    torch_schedule = torch.optim.lr_scheduler.OneCycleLR(reference, optim.lr, total_steps=total,
                                                         pct_start=0.1)
    ours = build_optimizer(net.parameters(), optim)
    assert isinstance(ours, torch.optim.AdamW) and ours.defaults["weight_decay"] == 1e-3
    schedule = build_scheduler(ours, total, optim)
    for _ in range(total):
        assert ours.param_groups[0]["lr"] == pytest.approx(reference.param_groups[0]["lr"],
                                                           rel=1e-9, abs=1e-15)
        reference.step()
        torch_schedule.step()
        ours.step()
        schedule.step()


def test_atomic_save_keeps_the_previous_file_when_a_write_fails(tmp_path):
    path = tmp_path / "last.pt"
    atomic_save({"step": 1}, path)
    with pytest.raises(Exception):  # noqa: B017 - whatever pickling raises
        atomic_save({"step": 2, "bad": lambda: None}, path)
    assert torch.load(path, weights_only=True) == {"step": 1}
    assert [p.name for p in tmp_path.iterdir()] == ["last.pt"]


def test_rng_state_round_trip_and_preserved_block():
    import random

    import numpy as np

    state = capture_rng_state()
    first = (random.random(), np.random.rand(), torch.rand(1).item())
    restore_rng_state(state)
    assert (random.random(), np.random.rand(), torch.rand(1).item()) == first
    restore_rng_state(state)
    with PreservedRng():
        torch.rand(100)
        np.random.rand(100)
    assert torch.rand(1).item() == first[2]
