"""Check every internal link and anchor of the built site, offline: ``nox -s linkcheck``.

pytest-check-links reads each page that :func:`site_pages.site_pages`
finds. Links to other hosts cannot be reached offline and are skipped;
``nox -s docs -- --builder linkcheck`` checks them where there is a network.
Arguments (``-x``, ``-v``, ...) go to pytest.
"""

from __future__ import annotations

import sys

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


def main(arguments: list[str]) -> int:
    """Run pytest-check-links over the built site; return pytest's exit status."""
    try:
        pages = site_pages(DEFAULT_SITE)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    return int(pytest.main([*OPTIONS, *arguments, *(str(DEFAULT_SITE / page) for page in pages)]))


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
