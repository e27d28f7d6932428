"""Process groups, DDP wrapping and rank-sharded deterministic batches.

Under `torchrun --nproc_per_node=N` the environment carries RANK/WORLD_SIZE/LOCAL_RANK; the
trainer then joins a process group (NCCL on CUDA, gloo on CPU) and wraps the model in
DistributedDataParallel. Batches are a pure function of (seed, epoch, rank): every epoch has one
global permutation, cut into global batches of batch_size * world_size samples, and rank r takes
its slice of each. So the data position after `step` finished steps is just `step`, which is
what makes `--resume` exact.
"""

from __future__ import annotations

import os
from dataclasses import dataclass
from typing import Any

import numpy as np
import torch
import torch.distributed as dist
from torch import nn
from torch.nn.parallel import DistributedDataParallel

from posemachines.errors import PoseDataError


@dataclass(frozen=True)
class DistContext:
    """Where this process sits: rank 0 of 1 when not launched by torchrun."""

    rank: int = 0
    world_size: int = 1

    @property
    def is_main(self) -> bool:
        return self.rank == 0

    @property
    def enabled(self) -> bool:
        return self.world_size > 1


def init_distributed(device: torch.device) -> DistContext:
    """Join the torchrun process group if the environment asks for one (else a 1-process ctx)."""
    world_size = int(os.environ.get("WORLD_SIZE", "1"))
    if world_size <= 1:
        return DistContext()
    rank = int(os.environ["RANK"])
    if not dist.is_initialized():
        backend = "nccl" if device.type == "cuda" else "gloo"
        dist.init_process_group(backend=backend)
    return DistContext(rank=rank, world_size=world_size)


def shutdown_distributed(ctx: DistContext) -> None:
    if ctx.enabled and dist.is_initialized():
        dist.destroy_process_group()


def resolve_device(name: str, local_rank: int) -> torch.device:
    """'auto' -> this process's CUDA device (cuda:`local_rank`, torchrun's LOCAL_RANK) when
    available, else CPU."""
    if name == "auto":
        name = "cuda" if torch.cuda.is_available() else "cpu"
    device = torch.device(name)
    if device.type == "cuda" and device.index is None:
        device = torch.device("cuda", local_rank)
    if device.type == "cuda":
        torch.cuda.set_device(device)
    return device


def wrap_model(model: nn.Module, ctx: DistContext, device: torch.device) -> nn.Module:
    """DDP-wrap `model` when running distributed (unused parameters tolerated)."""
    if not ctx.enabled:
        return model
    device_ids = [device.index] if device.type == "cuda" else None
    return DistributedDataParallel(model, device_ids=device_ids, find_unused_parameters=True)


def unwrap_model(model: nn.Module) -> nn.Module:
    return model.module if isinstance(model, DistributedDataParallel) else model


def barrier(ctx: DistContext) -> None:
    if ctx.enabled:
        dist.barrier()


def gather_objects(obj: Any, ctx: DistContext) -> list[Any]:
    """Every rank's `obj`, in rank order (just [obj] without a process group)."""
    if not ctx.enabled:
        return [obj]
    gathered: list[Any] = [None] * ctx.world_size
    dist.all_gather_object(gathered, obj)
    return gathered


class EpochBatches:
    """Deterministic, rank-sharded index batches: `for_epoch(e)` is this rank's batch list."""

    def __init__(self, num_samples: int, batch_size: int, seed: int, ctx: DistContext) -> None:
        global_batch = batch_size * ctx.world_size
        if num_samples < global_batch:
            raise PoseDataError(
                f"The training set has {num_samples} samples, fewer than one batch "
                f"({batch_size} x {ctx.world_size} processes)."
            )
        self.num_samples = num_samples
        self.batch_size = batch_size
        self.seed = seed
        self.ctx = ctx
        #: Steps per epoch; the incomplete last global batch is dropped so ranks stay in step.
        self.per_epoch = num_samples // global_batch

    def for_epoch(self, epoch: int) -> list[list[int]]:
        order = np.random.default_rng([self.seed, epoch]).permutation(self.num_samples)
        batches = []
        for b in range(self.per_epoch):
            start = (b * self.ctx.world_size + self.ctx.rank) * self.batch_size
            batches.append(order[start : start + self.batch_size].tolist())
        return batches
