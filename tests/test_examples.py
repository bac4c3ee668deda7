"""Static checks of the gallery scripts, as readers download them."""

from __future__ import annotations

import ast
import builtins
import re
from pathlib import Path

import pytest

EXAMPLES = sorted((Path(__file__).parent.parent / "examples").rglob("plot_*.py"))
HIDDEN = re.compile(r"# sphinx_gallery_start_ignore.*?# sphinx_gallery_end_ignore", re.DOTALL)


def undefined_names(source: str) -> set[str]:
    """Names a script loads but never imports, assigns or defines."""
    tree = ast.parse(source)
    defined = set(dir(builtins))
    for node in ast.walk(tree):
        if isinstance(node, ast.Import | ast.ImportFrom):
            defined |= {(alias.asname or alias.name).split(".")[0] for alias in node.names}
        elif isinstance(node, ast.Name) and isinstance(node.ctx, ast.Store):
            defined.add(node.id)
        elif isinstance(node, ast.FunctionDef):
            defined.add(node.name)
        elif isinstance(node, ast.arg):
            defined.add(node.arg)
    loaded = {
        node.id
        for node in ast.walk(tree)
        if isinstance(node, ast.Name) and isinstance(node.ctx, ast.Load)
    }
    return loaded - defined


def test_the_check_finds_a_name_defined_only_in_a_hidden_cell() -> None:
    script = (
        "# sphinx_gallery_start_ignore\nimport itertools\n# sphinx_gallery_end_ignore\n"
        "pairs = list(itertools.pairwise([1, 2, 3]))\n"
    )
    assert undefined_names(HIDDEN.sub("", script)) == {"itertools"}
    assert undefined_names(script) == set()


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_visible_code_runs_without_the_hidden_cells(example: Path) -> None:
    # Notebooks and the HTML page drop the hidden cells: the rest must stand alone.
    assert EXAMPLES, "no gallery scripts found"
    visible = HIDDEN.sub("", example.read_text())
    assert undefined_names(visible) == set()
