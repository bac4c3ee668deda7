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
import sys
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


def main(arguments: list[str]) -> int:
    """Run pytest-check-links over the built site; return pytest's exit status."""
    parser = argparse.ArgumentParser(add_help=False)
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE)
    known, pytest_arguments = parser.parse_known_args(arguments)
    try:
        pages = site_pages(known.site)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    parse_each_page_once()
    return int(
        pytest.main([*OPTIONS, *pytest_arguments, *(str(known.site / page) for page in pages)])
    )


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
