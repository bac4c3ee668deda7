"""Tests for docs/_ext/gallery_hooks.py: repository links and the first notebook cell."""

from __future__ import annotations

import ast
import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_ext"))

import gallery_hooks


def write_pyproject(tmp_path: Path, urls: dict[str, str] | None) -> Path:
    lines = ["[project]", 'name = "x"']
    if urls is not None:
        lines.append("[project.urls]")
        lines += [f'{name} = "{value}"' for name, value in urls.items()]
    path = tmp_path / "pyproject.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        (
            {"Source": "https://github.com/course/mnist-tutorial"},
            "https://github.com/course/mnist-tutorial",
        ),
        (
            {"Source": "https://github.com/course/mnist-tutorial.git/"},
            "https://github.com/course/mnist-tutorial",
        ),
        ({"Homepage": "https://github.com/course/site"}, "https://github.com/course/site"),
        ({"Source": "", "Homepage": ""}, None),
        ({"Source": "https://github.com/OWNER/REPO"}, None),
        ({"Source": "https://github.com/your-name/mnist-tutorial"}, None),
        ({"Source": "https://example.com/course"}, None),
        ({"Source": "https://gitlab.com/course/site"}, None),
        (None, None),
    ],
)
def test_repository_url(tmp_path: Path, urls: dict[str, str] | None, expected: str | None) -> None:
    assert gallery_hooks.repository_url(write_pyproject(tmp_path, urls)) == expected


def test_example_links_from_a_configured_url() -> None:
    block = gallery_hooks.example_links(
        "plot_03_momentum.py", "https://github.com/course/mnist-tutorial"
    )
    assert block.startswith(".. container:: example-links\n")
    assert (
        "`View source on GitHub "
        "<https://github.com/course/mnist-tutorial/blob/main/examples/plot_03_momentum.py>`__"
    ) in block
    assert (
        "`Open in Colab <https://colab.research.google.com/github/course/mnist-tutorial/"
        "blob/gh-pages/notebooks/plot_03_momentum.ipynb>`__"
    ) in block


def test_no_links_without_a_url() -> None:
    assert gallery_hooks.example_links("plot_03_momentum.py", None) == ""


def test_example_links_reject_a_non_github_url() -> None:
    with pytest.raises(ValueError, match="repository must be"):
        gallery_hooks.example_links("plot_01.py", "https://example.org/x")


def python_of_cell(cell: str) -> str:
    # IPython's line magic is not Python; drop it to parse the rest.
    return "\n".join(line for line in cell.splitlines() if not line.startswith("%"))


def test_first_cell_installs_from_the_repository() -> None:
    cell = gallery_hooks.first_notebook_cell("https://github.com/course/mnist-tutorial")
    assert cell.splitlines()[1] == "%matplotlib inline"
    assert '"mnist-tutorial @ git+https://github.com/course/mnist-tutorial"' in cell
    assert "import mnist_tutorial" in cell
    ast.parse(python_of_cell(cell))


def test_first_cell_without_a_repository_explains_the_install() -> None:
    cell = gallery_hooks.first_notebook_cell(None)
    assert "%matplotlib inline" in cell
    assert "git+" not in cell
    assert "python -m pip install ." in cell
    ast.parse(python_of_cell(cell))
