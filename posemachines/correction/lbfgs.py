"""torch's L-BFGS in numpy: `minimize_lbfgs`, the iterates of `torch.optim.LBFGS` without torch.

A port of torch 2.13's `torch/optim/lbfgs.py`, operation for operation: the two-loop recursion
with `history_size` pairs, the curvature test `y.s > 1e-10`, the first step scaled by
`min(1, 1 / |g|_1) * lr`, the strong-Wolfe line search (`_strong_wolfe`, from minFunc's lswolfe
via torch/optim's lua code) with its cubic interpolation, and torch's stopping tests in torch's
order. One `minimize_lbfgs` call is one `LBFGS.step(closure)` on a fresh optimiser: its iterates,
iteration count and evaluation count are torch's, up to float64 rounding (numpy's dot products
and sums round in another order than torch's, ~1e-16 relative per operation).

Why a port rather than scipy's L-BFGS-B: the geometric correction's results and tests were made
with torch's L-BFGS; scipy's (a different line search, a different stopping rule) would move
every corrected pose. Why not torch: importing torch costs ~1 s of a fresh `posemachines infer`
(issue 21) for an optimiser that needs nothing but a few vector operations.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import numpy as np

Objective = Callable[[np.ndarray], tuple[float, np.ndarray]]
"""objective(x) -> (value, gradient of the value with respect to x, x's shape)."""

_CURVATURE_MIN = 1e-10  # torch: a (y, s) pair enters the history only if y.s exceeds this
_WOLFE_C1 = 1e-4  # sufficient decrease (Armijo) constant of torch's strong-Wolfe search
_WOLFE_C2 = 0.9  # curvature constant of torch's strong-Wolfe search


@dataclass(frozen=True)
class LBFGSResult:
    """What `minimize_lbfgs` found.

    x: the minimiser, x0's shape, float64. value: the objective at x. iterations: iterations run
    (torch's `state['n_iter']`; 0 when the gradient at x0 already meets `tolerance_grad`).
    evaluations: calls of the objective (torch's `state['func_evals']`, plus, with
    line_search=None only, the one call torch skips after its last fixed step and that gives
    `value`).
    """

    x: np.ndarray
    value: float
    iterations: int
    evaluations: int


class _FlatObjective:
    """The objective on flat float64 vectors, counting its calls."""

    def __init__(self, objective: Objective, shape: tuple[int, ...]) -> None:
        self._objective = objective
        self._shape = shape
        self.calls = 0

    def __call__(self, x: np.ndarray) -> tuple[float, np.ndarray]:
        value, gradient = self._objective(x.reshape(self._shape))
        self.calls += 1
        gradient = np.array(gradient, dtype=np.float64)  # a copy: the caller may reuse its buffer
        if gradient.shape != self._shape:
            raise ValueError(f"the objective's gradient has shape {gradient.shape}, "
                             f"x has {self._shape}")
        return float(value), gradient.reshape(-1)


def _cubic_interpolate(x1: float, f1: float, g1: float, x2: float, f2: float, g2: float,
                       bounds: tuple[float, float] | None = None) -> float:
    """The minimiser of the cubic through (x1, f1, slope g1) and (x2, f2, slope g2), clamped.

    torch's `_cubic_interpolate`: clamped to `bounds` (default: between x1 and x2); the middle of
    the bounds where the cubic has no minimum. The slopes are numpy scalars, like torch's 0-d
    tensors, so that a degenerate step gives inf/nan rather than ZeroDivisionError.
    """
    if bounds is not None:
        xmin_bound, xmax_bound = bounds
    else:
        xmin_bound, xmax_bound = (x1, x2) if x1 <= x2 else (x2, x1)
    d1 = g1 + g2 - 3 * (f1 - f2) / (x1 - x2)
    d2_square = d1**2 - g1 * g2
    if d2_square >= 0:
        d2 = np.sqrt(d2_square)
        if x1 <= x2:
            min_pos = x2 - (x2 - x1) * ((g2 + d2 - d1) / (g2 - g1 + 2 * d2))
        else:
            min_pos = x1 - (x1 - x2) * ((g1 + d2 - d1) / (g1 - g2 + 2 * d2))
        return min(max(min_pos, xmin_bound), xmax_bound)
    return (xmin_bound + xmax_bound) / 2.0


def _strong_wolfe(objective: _FlatObjective, x: np.ndarray, t: float, d: np.ndarray, f: float,
                  g: np.ndarray, gtd: float, tolerance_change: float = 1e-9, max_ls: int = 25
                  ) -> tuple[float, np.ndarray, float, int]:
    """torch's `_strong_wolfe` line search from x along d, starting at step t.

    f, g, gtd: the value, gradient and directional derivative g.d at x. At most max_ls
    evaluations after the first. Returns (value, gradient, step, evaluations) at the step found.
    """
    d_norm = np.abs(d).max()
    f_new, g_new = objective(x + t * d)
    ls_func_evals = 1
    gtd_new = g_new.dot(d)

    # bracket an interval containing a point satisfying the Wolfe criteria
    t_prev, f_prev, g_prev, gtd_prev = 0.0, f, g, gtd
    done = False
    ls_iter = 0
    bracket: list[float] = []
    bracket_f: list[float] = []
    bracket_g: list[np.ndarray] = []
    bracket_gtd: list[float] = []
    while ls_iter < max_ls:
        if f_new > (f + _WOLFE_C1 * t * gtd) or (ls_iter > 1 and f_new >= f_prev):
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        if abs(gtd_new) <= -_WOLFE_C2 * gtd:
            bracket, bracket_f, bracket_g = [t], [f_new], [g_new]
            done = True
            break
        if gtd_new >= 0:
            bracket, bracket_f = [t_prev, t], [f_prev, f_new]
            bracket_g, bracket_gtd = [g_prev, g_new], [gtd_prev, gtd_new]
            break
        # extrapolate
        min_step = t + 0.01 * (t - t_prev)
        max_step = t * 10
        tmp = t
        t = _cubic_interpolate(t_prev, f_prev, gtd_prev, t, f_new, gtd_new,
                               bounds=(min_step, max_step))
        t_prev, f_prev, g_prev, gtd_prev = tmp, f_new, g_new, gtd_new
        f_new, g_new = objective(x + t * d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

    if ls_iter == max_ls:  # out of evaluations while bracketing
        bracket, bracket_f, bracket_g = [0.0, t], [f, f_new], [g, g_new]

    # zoom: shrink the bracket until a point meets the strong-Wolfe conditions
    insuf_progress = False
    low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[-1] else (1, 0)
    while not done and ls_iter < max_ls:
        if abs(bracket[1] - bracket[0]) * d_norm < tolerance_change:
            break
        t = _cubic_interpolate(bracket[0], bracket_f[0], bracket_gtd[0],
                               bracket[1], bracket_f[1], bracket_gtd[1])
        # a trial too close to an end of the bracket, twice or beyond it: move it 0.1 inside
        eps = 0.1 * (max(bracket) - min(bracket))
        if min(max(bracket) - t, t - min(bracket)) < eps:
            if insuf_progress or t >= max(bracket) or t <= min(bracket):
                if abs(t - max(bracket)) < abs(t - min(bracket)):
                    t = max(bracket) - eps
                else:
                    t = min(bracket) + eps
                insuf_progress = False
            else:
                insuf_progress = True
        else:
            insuf_progress = False

        f_new, g_new = objective(x + t * d)
        ls_func_evals += 1
        gtd_new = g_new.dot(d)
        ls_iter += 1

        if f_new > (f + _WOLFE_C1 * t * gtd) or f_new >= bracket_f[low_pos]:
            # Armijo condition not met or not lower than the lowest point: new high
            bracket[high_pos], bracket_f[high_pos] = t, f_new
            bracket_g[high_pos], bracket_gtd[high_pos] = g_new, gtd_new
            low_pos, high_pos = (0, 1) if bracket_f[0] <= bracket_f[1] else (1, 0)
        else:
            if abs(gtd_new) <= -_WOLFE_C2 * gtd:
                done = True
            elif gtd_new * (bracket[high_pos] - bracket[low_pos]) >= 0:
                # old high becomes new low
                bracket[high_pos], bracket_f[high_pos] = bracket[low_pos], bracket_f[low_pos]
                bracket_g[high_pos] = bracket_g[low_pos]
                bracket_gtd[high_pos] = bracket_gtd[low_pos]
            # new point becomes new low
            bracket[low_pos], bracket_f[low_pos] = t, f_new
            bracket_g[low_pos], bracket_gtd[low_pos] = g_new, gtd_new

    return bracket_f[low_pos], bracket_g[low_pos], bracket[low_pos], ls_func_evals


def _two_loop_direction(gradient: np.ndarray, old_dirs: list[np.ndarray],
                        old_stps: list[np.ndarray], ro: list[float], h_diag: float
                        ) -> np.ndarray:
    """-H g: the L-BFGS inverse-Hessian estimate (history y = old_dirs, s = old_stps) times -g."""
    al = [0.0] * len(old_dirs)
    q = -gradient
    for i in range(len(old_dirs) - 1, -1, -1):
        al[i] = old_stps[i].dot(q) * ro[i]
        q += -al[i] * old_dirs[i]
    r = q * h_diag
    for i in range(len(old_dirs)):
        be_i = old_dirs[i].dot(r) * ro[i]
        r += (al[i] - be_i) * old_stps[i]
    return r


def minimize_lbfgs(objective: Objective, x0: np.ndarray, *, max_iter: int = 20,
                   max_eval: int | None = None, history_size: int = 100,
                   tolerance_grad: float = 1e-7, tolerance_change: float = 1e-9,
                   line_search: str | None = "strong_wolfe", lr: float = 1.0) -> LBFGSResult:
    """Minimise objective from x0 with L-BFGS: one `torch.optim.LBFGS(...).step(closure)`.

    objective(x) -> (value, gradient), x and the gradient of x0's shape (any shape; flattened
    inside, float64). The options are torch's (`line_search` is its `line_search_fn`: None for a
    fixed step of lr, or "strong_wolfe"); max_eval defaults to max_iter * 5 // 4 as in torch.
    Stops after max_iter iterations or max_eval evaluations, when max |gradient| <=
    tolerance_grad, or when the step, the directional derivative or the change of the value
    falls below tolerance_change (torch's tests, in torch's order).
    """
    if line_search not in (None, "strong_wolfe"):
        raise ValueError(f"line_search must be None or 'strong_wolfe', not {line_search!r}")
    if not lr >= 0:
        raise ValueError(f"invalid learning rate lr={lr}")
    if max_eval is None:
        max_eval = max_iter * 5 // 4
    if max_eval < 1:
        raise ValueError(f"max_eval must be at least 1, not {max_eval}")

    shape = np.shape(x0)
    x = np.array(x0, dtype=np.float64).reshape(-1)
    flat_objective = _FlatObjective(objective, shape)
    loss, flat_grad = flat_objective(x)
    current_evals = 1
    opt_cond = np.abs(flat_grad).max(initial=0.0) <= tolerance_grad
    if opt_cond:
        return LBFGSResult(x.reshape(shape), loss, 0, flat_objective.calls)

    old_dirs: list[np.ndarray] = []
    old_stps: list[np.ndarray] = []
    ro: list[float] = []
    h_diag = 1.0
    t = lr  # the step length along d, set on every iteration before it is read
    prev_flat_grad = flat_grad
    loss_is_current = True  # loss is the objective at x (torch's fixed step skips the last one)
    n_iter = 0
    while n_iter < max_iter:
        n_iter += 1
        # direction: steepest descent first, then the two-loop recursion over the history
        if n_iter == 1:
            d = -flat_grad
        else:
            y = flat_grad - prev_flat_grad
            s = d * t
            ys = y.dot(s)
            if ys > _CURVATURE_MIN:
                if len(old_dirs) == history_size:
                    old_dirs.pop(0)
                    old_stps.pop(0)
                    ro.pop(0)
                old_dirs.append(y)
                old_stps.append(s)
                ro.append(1.0 / ys)
                h_diag = ys / y.dot(y)
            d = _two_loop_direction(flat_grad, old_dirs, old_stps, ro, h_diag)
        prev_flat_grad = flat_grad
        prev_loss = loss

        # step length: scaled by the gradient's L1 norm on the first iteration only
        t = min(1.0, 1.0 / np.abs(flat_grad).sum()) * lr if n_iter == 1 else lr
        gtd = flat_grad.dot(d)
        if gtd > -tolerance_change:
            break

        ls_func_evals = 0
        if line_search is not None:
            # torch leaves the search's own tolerance_change at its default (1e-9)
            loss, flat_grad, t, ls_func_evals = _strong_wolfe(
                flat_objective, x, t, d, loss, flat_grad, gtd, max_ls=max_eval - current_evals)
            x = x + t * d
            opt_cond = np.abs(flat_grad).max() <= tolerance_grad
        else:
            x = x + t * d
            if n_iter != max_iter:  # torch does not evaluate after its last fixed step
                loss, flat_grad = flat_objective(x)
                opt_cond = np.abs(flat_grad).max() <= tolerance_grad
                ls_func_evals = 1
            loss_is_current = n_iter != max_iter
        current_evals += ls_func_evals

        if n_iter == max_iter or current_evals >= max_eval or opt_cond:
            break
        if np.abs(d * t).max() <= tolerance_change:  # lack of progress
            break
        if abs(loss - prev_loss) < tolerance_change:
            break

    if not loss_is_current:
        loss, _ = flat_objective(x)
    return LBFGSResult(x.reshape(shape), float(loss), n_iter, flat_objective.calls)
