"""Torch thread control for the small, latency-bound tensors of inference and correction."""

from __future__ import annotations

from collections.abc import Iterator
from contextlib import contextmanager

import torch


@contextmanager
def single_thread() -> Iterator[None]:
    """Run torch on one intra-op thread, restoring the previous count afterwards.

    Clip-sized work (an LSTM over one video, a per-video fit) is too small to gain from
    intra-op threads, and on a busy 2-core CPU waiting for them made it 10-20x slower
    (measured with benchmarks/bench_models.py and benchmarks/bench_correction.py).
    """
    previous = torch.get_num_threads()
    torch.set_num_threads(1)
    try:
        yield
    finally:
        torch.set_num_threads(previous)
