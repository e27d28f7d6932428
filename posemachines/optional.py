"""Optional dependencies: import one, or say which extra of posemachines installs it."""

from __future__ import annotations

import importlib
from types import ModuleType

from posemachines.errors import PoseMachinesError

#: Import name -> the extra that installs it (pyproject.toml [project.optional-dependencies]).
EXTRAS: dict[str, str] = {
    "onnx": "onnx",
    "onnxruntime": "onnx",
    "torch.utils.tensorboard": "train",
    "moderngl": "ar",
    "starlette": "live",
    "uvicorn": "live",
    "ray": "ray",
    "torch": "torch",
}


class MissingDependencyError(PoseMachinesError):
    """An optional package that a feature needs is not installed."""


def import_optional(module: str, purpose: str) -> ModuleType:
    """`module`, imported; MissingDependencyError naming the extra to install when it is absent.

    purpose: what needs it, for the message ("ONNX export").
    """
    try:
        return importlib.import_module(module)
    except ImportError:
        extra = EXTRAS.get(module) or EXTRAS.get(module.split(".")[0], "")
        install = f"pip install 'posemachines[{extra}]'" if extra else f"pip install {module}"
        raise MissingDependencyError(
            f"{purpose} needs the optional package '{module}': {install}."
        ) from None
