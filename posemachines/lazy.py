"""A package's public names loaded from their submodules on first use.

    __getattr__ = lazy_attributes(__name__, {"Estimator": "estimator", ...})

A module-level `__getattr__` (PEP 562): importing a light part of a package (the CLI's list of
correction methods, the numpy lifter) then does not import its heavy parts (torch, cv2).
"""

from __future__ import annotations

import importlib
from collections.abc import Callable, Mapping


def lazy_attributes(package: str, homes: Mapping[str, str]) -> Callable[[str], object]:
    """The `__getattr__` of `package`: name -> getattr(import of package.homes[name], name);
    AttributeError for a name not in `homes`."""

    def attribute(name: str) -> object:
        if name not in homes:
            raise AttributeError(f"module {package!r} has no attribute {name!r}")
        return getattr(importlib.import_module(f"{package}.{homes[name]}"), name)

    return attribute
