"""The HTML check on a one-page site: it finds an attribute that HTML does not have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import check_html
import pytest

CHECK_HTML = Path(__file__).with_name("check_html.py")
# A head with everything search engines read, so that only the body is in question.
HEAD = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>Part 1</title>'
    '<meta name="description" content="A baseline network.">'
    '<link rel="icon" href="_static/favicon.svg">'
    '<meta property="og:title" content="Part 1">'
    '<meta property="og:image" content="https://example.org/card.png">'
    "</head>"
)
PAGE = HEAD.replace("{", "{{").replace("}", "}}") + "<body>{body}</body></html>"


def check(site: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) if path is None else {**os.environ, "PATH": path}
    return subprocess.run(
        [sys.executable, str(CHECK_HTML), "--site", str(site)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [('<div class="x">fine</div>', 0), ('<div tooltip="not html">x</div>', 1)],
)
def test_an_invalid_page_fails_the_check(tmp_path: Path, body: str, errors: int) -> None:
    (tmp_path / "index.html").write_text(PAGE.format(body=body))
    result = check(tmp_path)
    assert result.returncode == int(bool(errors)), result.stdout + result.stderr
    assert f"Nu HTML checker: {errors} errors in 1 pages" in result.stdout
    if errors:
        assert "Attribute “tooltip” not allowed on element “div”" in result.stdout


def test_without_java_the_check_says_how_to_get_it(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE.format(body="x"))
    result = check(tmp_path, path=str(tmp_path))
    assert result.returncode == 2
    assert "there is no `java` on the PATH: install a Java runtime" in result.stderr


FULL_HEAD = HEAD + "<body><p>x</p></body></html>"


def test_a_page_with_everything_search_engines_read_has_no_head_problem() -> None:
    assert check_html.head_problems(FULL_HEAD) == []


@pytest.mark.parametrize(
    ("removed", "problem"),
    [
        (' lang="en"', "lacks a language (html lang)"),
        ("<title>Part 1</title>", "lacks a title"),
        ('<meta name="description" content="A baseline network.">', "lacks a meta description"),
        ('<link rel="icon" href="_static/favicon.svg">', "lacks a favicon (link rel=icon)"),
        (
            '<meta property="og:image" content="https://example.org/card.png">',
            "lacks a social card image (og:image)",
        ),
    ],
)
def test_each_missing_piece_of_the_head_is_named(removed: str, problem: str) -> None:
    assert check_html.head_problems(FULL_HEAD.replace(removed, "", 1)) == [problem]


def test_an_empty_description_counts_as_missing() -> None:
    page = FULL_HEAD.replace('content="A baseline network."', 'content=" "')
    assert check_html.head_problems(page) == ["lacks a meta description"]


def test_a_page_without_a_description_fails_the_check(tmp_path: Path) -> None:
    page = PAGE.format(body="<p>x</p>").replace(
        '<meta name="description" content="A baseline network.">', ""
    )
    (tmp_path / "index.html").write_text(page)
    result = check(tmp_path)
    assert result.returncode == 1, result.stdout + result.stderr
    assert "index.html: lacks a meta description" in result.stdout
    assert "Page heads: 1 of 1 pages lack what search engines read" in result.stdout


def test_pages_sphinx_generates_are_not_held_to_the_head_check(tmp_path: Path) -> None:
    bare = (
        '<!DOCTYPE html><html lang="en"><head><title>t</title></head><body><p>x</p></body></html>'
    )
    (tmp_path / "_modules").mkdir()
    (tmp_path / "_modules" / "a.html").write_text(bare)
    (tmp_path / "genindex.html").write_text(bare)
    (tmp_path / "index.html").write_text(PAGE.format(body="<p>x</p>"))
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "Page heads: 0 of 1 pages lack what search engines read (2 generated" in result.stdout
