"""The numpy L-BFGS port's own time per iteration against torch.optim.LBFGS's, same problem.

A clip-sized problem like the geometric correction's (x: 100 frames x 18 x 3 = 5400 unknowns,
a soft-L1 data term plus a second-difference temporal prior), the correction's settings
(strong Wolfe, history 20, max_iter 60, tolerances 1e-9 / 1e-12). Both optimisers call the same
numpy objective; its time is measured and subtracted, leaving each optimiser's overhead.

    OMP_NUM_THREADS=1 nice python benchmarks/bench_lbfgs.py [--repeats 5]
"""

from __future__ import annotations

import argparse
import time
from collections.abc import Callable
from typing import Any

import numpy as np
import torch

from posemachines.correction.lbfgs import minimize_lbfgs

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
OPTIONS: dict[str, Any] = {"max_iter": 60, "history_size": 20, "tolerance_grad": 1e-9,
                           "tolerance_change": 1e-12}


def clip_energy(frames: int = 100) -> tuple[Objective, np.ndarray]:
    """Soft-L1 pull to noisy targets + 10 x squared second differences over time; x (T, 18, 3)."""
    rng = np.random.default_rng(0)
    target = np.cumsum(rng.normal(size=(frames, 18, 3)), axis=0) + rng.normal(size=(frames, 18, 3))

    def energy(x: np.ndarray) -> tuple[float, np.ndarray]:
        residual = x - target
        root = np.sqrt(1 + residual**2)
        acceleration = x[2:] - 2 * x[1:-1] + x[:-2]
        gradient = 2 * residual / root
        gradient[2:] += 20 * acceleration
        gradient[1:-1] -= 40 * acceleration
        gradient[:-2] += 20 * acceleration
        return float(np.sum(2 * (root - 1)) + 10 * np.sum(acceleration**2)), gradient

    return energy, np.zeros_like(target)


class Timed:
    """The objective, with the seconds spent inside it."""

    def __init__(self, objective: Objective) -> None:
        self.objective, self.seconds = objective, 0.0

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        start = time.perf_counter()
        result = self.objective(x)
        self.seconds += time.perf_counter() - start
        return result


def run_numpy(objective: Objective, x0: np.ndarray, line_search: str | None
              ) -> tuple[float, float, int, int]:
    """(total s, objective s, iterations, evaluations) of one minimize_lbfgs."""
    timed = Timed(objective)
    start = time.perf_counter()
    result = minimize_lbfgs(timed, x0, line_search=line_search, **OPTIONS)
    return time.perf_counter() - start, timed.seconds, result.iterations, result.evaluations


def run_torch(objective: Objective, x0: np.ndarray, line_search: str | None
              ) -> tuple[float, float, int, int]:
    """(total s, objective s, iterations, evaluations) of one torch.optim.LBFGS step."""
    timed = Timed(objective)
    point = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([point], line_search_fn=line_search, **OPTIONS)

    def closure() -> torch.Tensor:
        value, gradient = timed(point.detach().numpy())
        point.grad = torch.from_numpy(gradient)
        return torch.tensor(value, dtype=torch.float64)

    start = time.perf_counter()
    optimiser.step(closure)
    state = optimiser.state[point]
    return time.perf_counter() - start, timed.seconds, state["n_iter"], state["func_evals"]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--repeats", type=int, default=5, help="runs per row; the fastest counts")
    parser.add_argument("--frames", type=int, default=100, help="clip length T (x is T x 18 x 3)")
    args = parser.parse_args()
    objective, x0 = clip_energy(args.frames)
    print(f"x: {x0.shape} = {x0.size} unknowns, torch {torch.__version__}, "
          f"{torch.get_num_threads()} torch thread(s)")
    print(f"{'optimiser':<26} {'iters':>5} {'evals':>5} {'total ms':>9} {'objective ms':>12} "
          f"{'overhead us/iter':>16} {'vs torch':>8}")
    for line_search in ("strong_wolfe", None):
        overheads = {}
        for name, run in (("torch.optim.LBFGS", run_torch), ("minimize_lbfgs", run_numpy)):
            runs = [run(objective, x0, line_search) for _ in range(args.repeats)]
            total, inside, iterations, evaluations = min(runs, key=lambda r: r[0] - r[1])
            overheads[name] = (total - inside) / iterations
            ratio = overheads[name] / overheads["torch.optim.LBFGS"]
            label = f"{name} ({'wolfe' if line_search else 'fixed'})"
            print(f"{label:<26} {iterations:>5} {evaluations:>5} {1e3 * total:>9.1f} "
                  f"{1e3 * inside:>12.1f} {1e6 * overheads[name]:>16.0f} {ratio:>7.2f}x")


if __name__ == "__main__":
    main()
