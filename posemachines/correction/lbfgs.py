"""torch's L-BFGS without its first-use import of torch._dynamo.

`torch.optim.Optimizer` guards its bookkeeping methods (`add_param_group`, called when an
optimiser is built, and `zero_grad`) against torch.compile with `torch._disable_dynamo`, which
imports torch._dynamo on their first call: ~1.5 s of CPU in every fresh `posemachines infer`
(issue 21), for a guard that matters only under torch.compile, which the correction never
uses. `LBFGS` here is `torch.optim.LBFGS` (the same algorithm and the same numbers) with those
two methods unguarded: the functions the guard wraps (`__wrapped__`, set by its
functools.wraps; a torch without it keeps the guarded method, correct but slower to start).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import torch
from torch.optim import Optimizer


def _unguarded(method: Callable[..., Any]) -> Callable[..., Any]:
    """The function `torch._disable_dynamo` wrapped into `method`, or `method` itself."""
    return getattr(method, "__wrapped__", method)


class LBFGS(torch.optim.LBFGS):
    """`torch.optim.LBFGS` that does not import torch._dynamo (module docstring)."""

    add_param_group = _unguarded(Optimizer.add_param_group)
    zero_grad = _unguarded(Optimizer.zero_grad)
