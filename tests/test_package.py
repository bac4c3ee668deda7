"""Tests of the package as a whole: its modules' import graph."""

from __future__ import annotations

import ast
from pathlib import Path

import mnist_tutorial

PACKAGE = Path(mnist_tutorial.__file__).parent
NAME = "mnist_tutorial"


def imports_of(path: Path, modules: set[str]) -> set[str]:
    """The package's modules that ``path`` imports, at its top or inside a function."""
    found: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(), filename=str(path))):
        if isinstance(node, ast.Import):
            names = [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom) and node.level == 0 and node.module is not None:
            # `from mnist_tutorial import data` names a module; `from mnist_tutorial.data
            # import Dataset` imports from one.
            names = [node.module, *(f"{node.module}.{alias.name}" for alias in node.names)]
        elif isinstance(node, ast.ImportFrom):
            raise AssertionError(f"{path.name}: relative imports are not used in the package")
        else:
            continue
        found.update(name.split(".")[1] for name in names if name.startswith(f"{NAME}."))
    return found & modules


def import_graph() -> dict[str, set[str]]:
    modules = {path.stem for path in PACKAGE.glob("*.py") if path.stem != "__init__"}
    return {module: imports_of(PACKAGE / f"{module}.py", modules) for module in modules}


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """A path that comes back to its start, or None; depth-first search."""
    done: set[str] = set()

    def visit(module: str, path: list[str]) -> list[str] | None:
        if module in path:
            return [*path[path.index(module) :], module]
        if module in done:
            return None
        for imported in sorted(graph[module]):
            cycle = visit(imported, [*path, module])
            if cycle is not None:
                return cycle
        done.add(module)
        return None

    for module in sorted(graph):
        cycle = visit(module, [])
        if cycle is not None:
            return cycle
    return None


def test_the_cycle_finder_finds_a_circle_and_only_a_circle() -> None:
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_the_package_has_no_import_circle() -> None:
    graph = import_graph()
    # The parse sees the imports: data reads through its mirror, records key with data
    # and what makes a run, training hands runs to the runner.
    assert "_mirror" in graph["data"]
    assert {"config", "data", "identity", "fitting"} <= graph["records"]
    assert {"config", "data", "runner"} <= graph["training"]
    assert find_cycle(graph) is None, " -> ".join(find_cycle(graph) or [])
