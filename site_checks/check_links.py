"""Check every internal link and anchor of the built site, offline: ``nox -s linkcheck``.

pytest-check-links reads each page that :func:`site_pages.site_pages`
finds. Links to other hosts cannot be reached offline and are skipped;
``nox -s docs -- --builder linkcheck`` checks them where there is a network.
``--site PATH`` checks another built site; other arguments (``-x``, ``-v``,
...) go to pytest.
"""

from __future__ import annotations

import argparse
import functools
import html.parser
import sys
import urllib.parse
from pathlib import Path
from typing import Any

import html5lib
import pytest
from site_pages import DEFAULT_SITE, site_pages

OPTIONS = (
    "-p",
    "no:cacheprovider",
    "--check-links",
    "--check-anchors",
    "--links-ext=html",
    "--check-links-ignore=^(https?|mailto|tel|data|javascript):",
    "-q",
)


def parse_each_page_once() -> None:
    """Make ``html5lib.parse`` of an open file parse each file once per run.

    pytest-check-links parses a linked page again for every link with an
    anchor to it: about 500 links into the API page (0.6 MB, 0.65 s a parse)
    took five of the check's six minutes. It only reads the tree it gets
    back, and the site does not change while it runs, so sharing one tree
    per file changes no result.
    """
    parse = html5lib.parse

    @functools.cache
    def parsed(path: str, options: tuple[tuple[str, Any], ...]) -> Any:
        with Path(path).open(encoding="utf-8") as page:
            return parse(page, **dict(options))

    def parse_once(document: Any, **options: Any) -> Any:
        name = getattr(document, "name", None)
        if not isinstance(name, str) or not Path(name).is_file():
            return parse(document, **options)
        return parsed(name, tuple(sorted(options.items())))

    html5lib.parse = parse_once


#: Served at every missing address, so its links are absolute (from the site's
#: root on the server): they are checked by :func:`not_found_page_problems`,
#: not as relative links.
NOT_FOUND_PAGE = "404.html"


class _Links(html.parser.HTMLParser):
    """The ``href`` and ``src`` values of a page."""

    def __init__(self) -> None:
        super().__init__()
        self.targets: list[str] = []

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        del tag
        self.targets += [value for name, value in attrs if name in {"href", "src"} and value]


def not_found_page_problems(site: Path) -> list[str]:
    """Return each absolute link of the 404 page that leads to no file of the site.

    A link such as ``/REPO/_static/x.css`` is looked up with its leading
    folders dropped one by one (the site's path on the server is unknown
    here); other hosts are skipped, as in the main check.
    """
    page = site / NOT_FOUND_PAGE
    if not page.is_file():
        return []
    links = _Links()
    links.feed(page.read_text(encoding="utf-8"))
    problems = []
    for target in links.targets:
        path = urllib.parse.urlsplit(target).path
        if not target.startswith("/") or target.startswith("//"):
            continue
        parts = [part for part in path.split("/") if part]
        candidates = [site.joinpath(*parts[start:]) for start in range(len(parts))]
        if not any(candidate.is_file() for candidate in candidates):
            problems.append(f"{NOT_FOUND_PAGE}: {target} leads to no file of the site")
    return problems


def main(arguments: list[str]) -> int:
    """Run pytest-check-links over the built site; return pytest's exit status."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE)
    known, pytest_arguments = parser.parse_known_args(arguments)
    try:
        pages = site_pages(known.site)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    problems = not_found_page_problems(known.site)
    for problem in problems:
        print(problem)
    pages = [page for page in pages if page != NOT_FOUND_PAGE]
    parse_each_page_once()
    status = pytest.main([*OPTIONS, *pytest_arguments, *(str(known.site / page) for page in pages)])
    return int(status) or int(bool(problems))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
