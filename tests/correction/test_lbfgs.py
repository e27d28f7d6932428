"""`correction.lbfgs.LBFGS`: torch's L-BFGS, the same iterates, without importing torch._dynamo."""

import subprocess
import sys
from pathlib import Path

import torch

from posemachines.correction.lbfgs import LBFGS


def _minimise(optimiser_class: type[torch.optim.LBFGS]) -> tuple[torch.Tensor, int]:
    """Rosenbrock's valley from (-1.2, 1) with strong-Wolfe line search: (minimum, iterations)."""
    point = torch.tensor([-1.2, 1.0], dtype=torch.float64, requires_grad=True)
    optimiser = optimiser_class([point], max_iter=200, line_search_fn="strong_wolfe",
                                tolerance_grad=1e-12, tolerance_change=1e-14)

    def closure() -> torch.Tensor:
        optimiser.zero_grad(set_to_none=True)
        energy = (1 - point[0]) ** 2 + 100 * (point[1] - point[0] ** 2) ** 2
        energy.backward()
        return energy

    optimiser.step(closure)
    return point.detach(), int(optimiser.state[point]["n_iter"])


def test_the_same_iterates_as_torch_lbfgs():
    found, iterations = _minimise(LBFGS)
    expected, expected_iterations = _minimise(torch.optim.LBFGS)
    assert iterations == expected_iterations and iterations > 10
    assert torch.equal(found, expected)
    torch.testing.assert_close(found, torch.ones(2, dtype=torch.float64))


def test_the_geometric_correction_does_not_import_torch_dynamo():
    code = """
import sys
sys.path.insert(0, ".")
from synthetic_clip import FOCAL_PX, IMAGE_SIZE, project, walking_clip
import numpy as np
from posemachines.correction import correct_geometric
pose, root = walking_clip(40)
keypoints = project(pose, root)
result = correct_geometric(pose - pose[:, :1], keypoints, np.ones(keypoints.shape[:2]),
                           image_size=IMAGE_SIZE, focal_px=FOCAL_PX)
print(int(np.max(result.info.steps)) > 0, "torch._dynamo" in sys.modules)
"""
    run = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         timeout=300, cwd=Path(__file__).parent)
    assert run.returncode == 0, run.stderr
    assert run.stdout.split() == ["True", "False"]
