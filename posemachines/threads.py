"""One CPU thread for the small, latency-bound arrays of inference and correction.

Clip-sized work (an LSTM over one video, a per-video fit) is too small to gain from threads, and
on a busy 2-core CPU waiting for them made it 10-30x slower: torch's intra-op threads
(benchmarks/bench_models.py, bench_correction.py) and OpenBLAS's threads, woken for every
frame's small product in the numpy lifter and for every L-BFGS dot product over a long clip
(bench_lifter_runtime.py: B=4, T=100 took 974 ms threaded, 35 ms on one thread).

This module never imports torch: inference runs without it (issue 21). It limits torch's
threads only where torch is already in use.
"""

from __future__ import annotations

import sys
from collections.abc import Iterator
from contextlib import contextmanager
from functools import cache

from threadpoolctl import ThreadpoolController


@cache
def _blas_controller() -> ThreadpoolController:
    """The BLAS libraries loaded in this process (a scan of them, ~2 ms, done once)."""
    return ThreadpoolController()


@contextmanager
def single_thread() -> Iterator[None]:
    """Run numpy's BLAS, and torch if this process has imported it, on one thread; the previous
    thread counts are restored afterwards."""
    torch = sys.modules.get("torch")
    previous = torch.get_num_threads() if torch is not None else 0
    with _blas_controller().limit(limits=1, user_api="blas"):
        if torch is not None:
            torch.set_num_threads(1)
        try:
            yield
        finally:
            if torch is not None:
                torch.set_num_threads(previous)
