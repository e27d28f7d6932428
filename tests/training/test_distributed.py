"""Rank-sharded batches, and two gloo processes under torchrun ending with identical weights."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest
import torch

from posemachines.errors import PoseDataError
from posemachines.training.checkpointing import seed_everything
from posemachines.training.config import load_config
from posemachines.training.distributed import DistContext, EpochBatches
from posemachines.training.tasks_synthetic import SyntheticLifterTask

REPO_ROOT = Path(__file__).resolve().parents[2]
TINY = REPO_ROOT / "configs" / "tiny_test.yaml"


def test_epoch_batches_shard_one_permutation_across_ranks():
    ranks = [EpochBatches(103, 5, seed=3, ctx=DistContext(rank=r, world_size=2)) for r in range(2)]
    assert ranks[0].per_epoch == 103 // 10
    epoch0 = [r.for_epoch(0) for r in ranks]
    seen = [i for batches in epoch0 for batch in batches for i in batch]
    assert len(seen) == len(set(seen)) == 100  # disjoint, 3 leftovers dropped
    assert all(len(b) == 5 for batches in epoch0 for b in batches)
    assert ranks[0].for_epoch(0) == epoch0[0]  # a pure function of (seed, epoch, rank)
    assert ranks[0].for_epoch(1) != epoch0[0]
    single = EpochBatches(103, 10, seed=3, ctx=DistContext()).for_epoch(0)
    assert [sorted(a + b) for a, b in zip(*epoch0, strict=True)] == [sorted(b) for b in single]


def test_epoch_batches_refuse_a_dataset_smaller_than_one_batch():
    with pytest.raises(PoseDataError, match="fewer than one batch"):
        EpochBatches(7, 4, seed=0, ctx=DistContext(rank=0, world_size=2))


def test_torchrun_two_gloo_processes_keep_identical_weights(tmp_path):
    run = tmp_path / "ddp"
    command = [
        sys.executable, "-m", "torch.distributed.run", "--standalone", "--nproc_per_node=2",
        "-m", "posemachines", "train", str(TINY),
        "--set", f"checkpoint.dir={run}", "--set", "optim.steps=4",
        "--set", "log.every_n_steps=2", "--set", "log.val_every_n_steps=2",
        "--set", "checkpoint.save_rank_weights=true",
    ]
    env = {**os.environ, "OMP_NUM_THREADS": "1"}
    done = subprocess.run(command, cwd=REPO_ROOT, capture_output=True, text=True, timeout=300,
                          env=env)
    assert done.returncode == 0, done.stderr[-3000:]
    rank0 = torch.load(run / "weights_rank0.pt", weights_only=True)
    rank1 = torch.load(run / "weights_rank1.pt", weights_only=True)
    assert rank0.keys() == rank1.keys()
    for key in rank0:
        assert torch.equal(rank0[key], rank1[key]), key
    seed_everything(0)
    initial = SyntheticLifterTask(load_config(TINY)).build_model().state_dict()
    assert any(not torch.equal(initial[key], rank0[key]) for key in rank0)  # it did train
    summary = json.loads((run / "summary.json").read_text())
    assert summary["world_size"] == 2 and summary["steps"] == 4
    log_steps = (run / "log.csv").read_text().splitlines()[1:]
    assert [line.split(",")[0] for line in log_steps] == ["2", "2", "4", "4"]  # rank 0 only
    state = torch.load(run / "last.pt", weights_only=True)
    assert len(state["rng"]) == 2
    assert not torch.equal(state["rng"][0]["torch"], state["rng"][1]["torch"])
