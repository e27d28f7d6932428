"""`correction.lbfgs.minimize_lbfgs`: torch.optim.LBFGS's iterates and counts, in numpy."""

import subprocess
import sys
from collections.abc import Callable
from typing import Any

import numpy as np
import pytest
import torch

from posemachines.correction.lbfgs import LBFGSResult, minimize_lbfgs

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
CORRECTION_TOLERANCES: dict[str, Any] = {"tolerance_grad": 1e-9, "tolerance_change": 1e-12}


def rosenbrock(x: np.ndarray) -> tuple[float, np.ndarray]:
    """The chained Rosenbrock valley sum 100 (x[i+1] - x[i]^2)^2 + (1 - x[i])^2; minimum at 1."""
    valley = x[1:] - x[:-1] ** 2
    value = float(np.sum(100 * valley**2 + (1 - x[:-1]) ** 2))
    gradient = np.zeros_like(x)
    gradient[:-1] = -400 * x[:-1] * valley - 2 * (1 - x[:-1])
    gradient[1:] += 200 * valley
    return value, gradient


def ill_conditioned_quadratic(size: int = 500, condition: float = 1e4) -> Objective:
    """0.5 x'Ax - b'x with A's eigenvalues spread log-uniformly over 1..condition."""
    rng = np.random.default_rng(0)
    rotation, _ = np.linalg.qr(rng.normal(size=(size, size)))
    matrix = (rotation * np.logspace(0, np.log10(condition), size)) @ rotation.T
    target = rng.normal(size=size)

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        product = matrix @ x
        return float(0.5 * x @ product - target @ x), product - target

    return objective


def soft_l1_least_squares(size: int = 300, residuals: int = 400) -> Objective:
    """sum 2 (sqrt(1 + r^2) - 1) of r = Jx - y, y with a tenth of gross outliers."""
    rng = np.random.default_rng(1)
    jacobian = rng.normal(size=(residuals, size)) / np.sqrt(size)
    observed = jacobian @ rng.normal(size=size) + 0.1 * rng.normal(size=residuals)
    observed[rng.choice(residuals, residuals // 10, replace=False)] += 20.0

    def objective(x: np.ndarray) -> tuple[float, np.ndarray]:
        residual = jacobian @ x - observed
        root = np.sqrt(1 + residual**2)
        return float(np.sum(2 * (root - 1))), jacobian.T @ (2 * residual / root)

    return objective


PROBLEMS: dict[str, tuple[Objective, np.ndarray]] = {
    "rosenbrock-2": (rosenbrock, np.array([-1.2, 1.0])),
    "rosenbrock-10": (rosenbrock, np.tile([-1.2, 1.0], 5)),
    "quadratic-500": (ill_conditioned_quadratic(), np.zeros(500)),
    "soft-l1-300": (soft_l1_least_squares(), np.zeros(300)),
}


def torch_lbfgs(objective: Objective, x0: np.ndarray, line_search: str | None = "strong_wolfe",
                **options: Any) -> tuple[np.ndarray, int, int]:
    """One torch.optim.LBFGS step on float64 x0: (x, state['n_iter'], state['func_evals'])."""
    point = torch.tensor(x0, dtype=torch.float64, requires_grad=True)
    optimiser = torch.optim.LBFGS([point], line_search_fn=line_search, **options)

    def closure() -> torch.Tensor:
        value, gradient = objective(point.detach().numpy().copy())
        point.grad = torch.from_numpy(gradient)
        return torch.tensor(value, dtype=torch.float64)

    optimiser.step(closure)
    state = optimiser.state[point]
    return point.detach().numpy().copy(), state["n_iter"], state["func_evals"]


def rounding_spread(objective: Objective, x0: np.ndarray, expected: np.ndarray,
                    line_search: str | None = "strong_wolfe", **options: Any) -> float:
    """How far torch's own answer moves, relative, when x0 moves by one float64 ulp.

    On Rosenbrock's valley L-BFGS amplifies rounding (~1e-8 after 60 iterations from a 1e-16
    change), so float64 rounding alone, the port's only difference, moves it that far.
    """
    nudged, _, _ = torch_lbfgs(objective, np.nextafter(x0, np.inf), line_search, **options)
    return float(np.linalg.norm(nudged - expected) / np.linalg.norm(expected))


def assert_same_point(found: LBFGSResult, expected: np.ndarray, objective: Objective,
                      spread: float = 0.0) -> None:
    """found.x is torch's x within 1e-8 relative (or 10x torch's own rounding spread).

    The value then agrees to first order: within |gradient| times that distance.
    """
    tolerance = max(1e-8, 10 * spread)
    distance = tolerance * np.linalg.norm(expected)
    assert np.linalg.norm(found.x - expected) <= distance
    value, gradient = objective(expected)
    assert found.value == pytest.approx(value, rel=tolerance,
                                        abs=1e-12 + np.linalg.norm(gradient) * distance)
    assert found.value == objective(found.x)[0]


@pytest.mark.parametrize("history_size", [5, 20])
@pytest.mark.parametrize("max_iter", [5, 20, 60])
@pytest.mark.parametrize("problem", list(PROBLEMS))
def test_strong_wolfe_matches_torch(problem: str, max_iter: int, history_size: int):
    objective, x0 = PROBLEMS[problem]
    options = {"max_iter": max_iter, "history_size": history_size, **CORRECTION_TOLERANCES}
    expected, iterations, evaluations = torch_lbfgs(objective, x0, **options)
    found = minimize_lbfgs(objective, x0, **options)
    assert (found.iterations, found.evaluations) == (iterations, evaluations)
    assert iterations > 0
    assert_same_point(found, expected, objective,
                      rounding_spread(objective, x0, expected, **options))


@pytest.mark.parametrize("problem", ["rosenbrock-2", "rosenbrock-10", "soft-l1-300"])
def test_default_tolerances_stop_where_torch_stops(problem: str):
    """torch's defaults with room to converge: a stopping test, not max_iter, ends both runs.

    (The 1e4-conditioned quadratic needs ~530 iterations, over which rounding alone changes the
    iteration where tolerance_change stops it; it is left out here.)
    """
    objective, x0 = PROBLEMS[problem]
    expected, iterations, evaluations = torch_lbfgs(objective, x0, max_iter=300, max_eval=1000)
    found = minimize_lbfgs(objective, x0, max_iter=300, max_eval=1000)
    assert (found.iterations, found.evaluations) == (iterations, evaluations)
    assert 0 < iterations < 300
    assert_same_point(found, expected, objective)


@pytest.mark.parametrize("max_iter", [5, 20, 60])
@pytest.mark.parametrize(("problem", "lr"), [("quadratic-500", 1.0), ("soft-l1-300", 1.0),
                                             ("rosenbrock-10", 0.2)])
def test_fixed_step_matches_torch(problem: str, lr: float, max_iter: int):
    objective, x0 = PROBLEMS[problem]
    options = {"max_iter": max_iter, "history_size": 20, "lr": lr, **CORRECTION_TOLERANCES}
    expected, iterations, evaluations = torch_lbfgs(objective, x0, line_search=None, **options)
    found = minimize_lbfgs(objective, x0, line_search=None, **options)
    assert found.iterations == iterations
    # torch does not evaluate after its last fixed step; the port does, for `value`
    assert found.evaluations == evaluations + (iterations == max_iter)
    assert_same_point(found, expected, objective)


def test_one_fixed_step_by_hand():
    """(x - 3)^2 from 0: g = -6, first step min(1, 1/6) * 6 = 1 lands on 1, where f = 4."""
    found = minimize_lbfgs(lambda x: (float((x[0] - 3) ** 2), 2 * (x - 3)), np.zeros(1),
                           max_iter=1, line_search=None)
    assert found == LBFGSResult(found.x, 4.0, 1, 2)
    assert found.x.tolist() == [1.0]


def test_gradient_already_small_returns_x0_after_no_iteration():
    """At Rosenbrock's minimum (1, 1, 1, 1), as a 2 x 2 array: torch's 0 iterations, 1 call."""
    x0 = np.ones((2, 2))

    def shaped(x: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = rosenbrock(x.ravel())
        return value, gradient.reshape(x.shape)

    found = minimize_lbfgs(shaped, x0)
    expected, iterations, evaluations = torch_lbfgs(rosenbrock, x0.ravel())
    assert (found.iterations, found.evaluations, found.value) == (0, 1, 0.0)
    assert (iterations, evaluations) == (0, 1)
    assert found.x.shape == (2, 2) and np.array_equal(found.x.ravel(), expected)


def test_shapes_are_kept_and_the_caller_may_reuse_its_gradient_buffer():
    """x of shape (T, 18, 3), a gradient written into one reused array: torch's iterates."""
    objective, _ = PROBLEMS["quadratic-500"]
    buffer = np.empty((5, 10, 10))

    def shaped(x: np.ndarray) -> tuple[float, np.ndarray]:
        assert x.shape == (5, 10, 10)
        value, gradient = objective(x.ravel())
        buffer[...] = gradient.reshape(x.shape)
        return value, buffer

    found = minimize_lbfgs(shaped, np.zeros((5, 10, 10)), max_iter=20)
    expected, iterations, _ = torch_lbfgs(objective, np.zeros(500), max_iter=20)
    assert found.x.shape == (5, 10, 10) and found.iterations == iterations
    assert np.linalg.norm(found.x.ravel() - expected) <= 1e-8 * np.linalg.norm(expected)


def test_bad_arguments_are_refused():
    with pytest.raises(ValueError, match="line_search"):
        minimize_lbfgs(rosenbrock, np.zeros(2), line_search="backtracking")
    with pytest.raises(ValueError, match="learning rate"):
        minimize_lbfgs(rosenbrock, np.zeros(2), lr=-1.0)
    with pytest.raises(ValueError, match="gradient has shape"):
        minimize_lbfgs(lambda x: (0.0, np.zeros(3)), np.zeros(2))


def test_importing_the_port_does_not_import_torch():
    code = "import sys, posemachines.correction.lbfgs; print('torch' in sys.modules)"
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=120)
    assert run.returncode == 0, run.stderr
    assert run.stdout.strip() == "False"
