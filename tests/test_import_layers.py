"""The package's imports point one way: no cycle, and each package imports only the layers below
it (docs/ARCHITECTURE.md, "Layers"). Imports inside functions count as much as those at the top.
"""

from __future__ import annotations

import ast
from graphlib import CycleError, TopologicalSorter
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "posemachines"

#: The bottom layer: shared types and geometry, importable from anywhere.
FOUNDATION = frozenset({
    "errors", "version", "threads", "staging", "optional", "lazy", "arrays", "skeleton", "camera",
    "structures",
})
#: What each top-level module or package of posemachines may import besides itself.
ALLOWED: dict[str, frozenset[str]] = {
    "errors": frozenset(),
    "version": frozenset(),
    "optional": frozenset({"errors"}),
    "threads": frozenset(),
    "staging": frozenset(),
    "lazy": frozenset(),
    "arrays": frozenset({"errors"}),
    "skeleton": frozenset({"errors"}),
    "camera": frozenset({"errors", "arrays"}),
    "structures": frozenset({"errors", "skeleton", "arrays", "camera"}),
    "data": FOUNDATION,
    "models": FOUNDATION,
    "training": FOUNDATION | {"data", "models"},
    "correction": FOUNDATION | {"data", "models", "training"},
    "world": FOUNDATION,
    "tracking": FOUNDATION,
    "inference": FOUNDATION | {"data", "models", "correction", "world", "tracking"},
    "evaluation": FOUNDATION | {"data", "models", "training", "correction", "world"},
    "viz": FOUNDATION | {"world"},
    "export": FOUNDATION | {"data", "models", "world", "viz"},
    "analysis": FOUNDATION | {"data", "models", "training", "world", "inference"},
    "ar": FOUNDATION | {"data", "models", "correction", "world", "inference", "viz"},
    "batch": FOUNDATION | {"data", "models", "correction", "world", "tracking", "inference",
                           "viz", "export", "analysis"},
    "live": FOUNDATION | {"data", "models", "correction", "world", "tracking", "inference",
                          "viz", "export", "analysis"},
    "cli": FOUNDATION | {"data", "models", "training", "correction", "world", "tracking",
                         "inference", "evaluation", "viz", "export", "analysis", "ar", "batch",
                         "live"},
    "__init__": frozenset({"errors", "version", "lazy", "inference"}),
    "__main__": frozenset({"cli"}),
}


def module_name(path: Path) -> str:
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_modules(source: str, name: str, is_package: bool, modules: set[str]) -> set[str]:
    """Which of `modules` the module `name` (its `source`) imports anywhere in its body,
    functions included; relative imports resolved."""
    package = name if is_package else name.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            targets = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                anchor = package.split(".")[: len(package.split(".")) - node.level + 1]
                base = ".".join(anchor + ([node.module] if node.module else []))
            targets = [base] + [f"{base}.{alias.name}" for alias in node.names]
        else:
            continue
        found |= {target for target in targets if target in modules and target != name}
    return found


def import_graph() -> dict[str, set[str]]:
    paths = {module_name(path): path for path in PACKAGE_ROOT.rglob("*.py")}
    return {
        name: imported_modules(path.read_text(encoding="utf-8"), name,
                               path.name == "__init__.py", set(paths))
        for name, path in paths.items()
    }


def layer_of(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def test_the_walk_sees_imports_inside_functions_and_relative_ones() -> None:
    source = ("import numpy\n"
              "def f():\n    from posemachines.camera import look_at\n\n"
              "class A:\n    def g(self):\n        import posemachines.errors\n"
              "from . import geometric\nfrom ..data import npz\n")
    modules = {"posemachines.camera", "posemachines.errors", "posemachines.correction.geometric",
               "posemachines.data.npz", "posemachines.data", "posemachines.skeleton"}
    assert imported_modules(source, "posemachines.correction.paper", False, modules) == {
        "posemachines.camera", "posemachines.errors", "posemachines.correction.geometric",
        "posemachines.data", "posemachines.data.npz"}


def test_no_import_cycle() -> None:
    try:
        tuple(TopologicalSorter(import_graph()).static_order())
    except CycleError as error:
        pytest.fail(f"import cycle: {' -> '.join(error.args[1])}")


def test_every_package_has_a_layer() -> None:
    assert {layer_of(name) for name in import_graph()} <= set(ALLOWED)


def test_imports_only_point_down() -> None:
    wrong = sorted(
        f"{name} imports {target}"
        for name, targets in import_graph().items()
        for target in targets
        if layer_of(target) != layer_of(name) and layer_of(target) not in ALLOWED[layer_of(name)]
    )
    assert not wrong, "\n".join(wrong)
