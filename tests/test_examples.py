"""Static checks of the gallery scripts, as readers download them."""

from __future__ import annotations

import ast
import builtins
import re
from collections.abc import Callable
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


def _hidden_lines(source: str) -> list[range]:
    """The line numbers of each hidden block."""
    return [
        range(source.count("\n", 0, match.start()) + 1, source.count("\n", 0, match.end()) + 2)
        for match in HIDDEN.finditer(source)
    ]


def stray_output(source: str) -> list[int]:
    """Lines where a hidden block would put a value on the page.

    sphinx-gallery shows the value of a code block's last statement when it
    is a bare expression; in a hidden block, only ``claims.check`` (which
    returns None) may end a block that way. A hidden ``print`` always shows.
    """
    tree = ast.parse(source)
    hidden = _hidden_lines(source)
    lines = source.splitlines()
    starts = [number for number, line in enumerate(lines, 1) if line.startswith("# %%")]
    bounds = list(zip([1, *starts], [*starts, len(lines) + 1], strict=True))
    stray = []
    for start, end in bounds:
        statements = [node for node in tree.body if start <= node.lineno < end]
        if not statements:
            continue
        last = statements[-1]
        in_hidden = any(last.lineno in block for block in hidden)
        is_check = (
            isinstance(last, ast.Expr)
            and isinstance(last.value, ast.Call)
            and ast.unparse(last.value.func) == "claims.check"
        )
        if in_hidden and isinstance(last, ast.Expr) and not is_check:
            stray.append(last.lineno)
    for node in ast.walk(tree):
        is_print = isinstance(node, ast.Call) and ast.unparse(node.func) == "print"
        if is_print and any(node.lineno in block for block in hidden):
            stray.append(node.lineno)
    return stray


def test_the_stray_output_check_finds_a_hidden_value_and_a_hidden_print() -> None:
    hidden_value = (
        "x = 1\n# sphinx_gallery_start_ignore\nclaims.at_least(x, 0, 'c')\n"
        "# sphinx_gallery_end_ignore\n"
    )
    assert stray_output(hidden_value) == [3]
    assert stray_output(hidden_value.replace("claims.at_least(x, 0, 'c')", "_ = 1")) == []
    assert stray_output(hidden_value.replace("at_least(x, 0, 'c')", "check(x, 'c')")) == []
    # Followed by visible code in the same block: nothing of the hidden part is shown.
    assert stray_output(hidden_value + "y = 2\n") == []
    hidden_print = "# sphinx_gallery_start_ignore\nprint(1)\n# sphinx_gallery_end_ignore\ny = 2\n"
    assert stray_output(hidden_print) == [2]


@pytest.mark.parametrize("example", EXAMPLES, ids=lambda path: path.name)
def test_a_hidden_block_puts_nothing_on_the_page(example: Path) -> None:
    assert stray_output(example.read_text()) == []


#: The homework's Parts: each shows the Keras a student writes for it.
PARTS = [example for example in EXAMPLES if example.parent.name == "examples"]


def test_the_parts_are_the_homeworks_four() -> None:
    assert [part.name[:7] for part in PARTS] == ["plot_01", "plot_02", "plot_03", "plot_04"]


@pytest.mark.parametrize("example", PARTS, ids=lambda path: path.name)
def test_each_part_shows_its_network_and_its_fit_call(example: Path) -> None:
    visible = HIDDEN.sub("", example.read_text())
    for code in ("keras.Sequential(", "layers.Conv2D(", "model.compile(", "model.fit("):
        assert code in visible, f"{example.name} shows no {code}"


@pytest.mark.docs
@pytest.mark.training
@pytest.mark.real_data
@pytest.mark.parametrize("example", PARTS, ids=lambda path: path.name)
def test_a_students_copy_of_the_visible_code_runs(
    example: Path, run_visible_code: Callable[[str, Path], None], tmp_path: Path
) -> None:
    # A notebook or a copy of the page keeps only the visible code.
    run_visible_code(HIDDEN.sub("", example.read_text()), tmp_path / example.name)
