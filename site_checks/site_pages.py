"""The pages of the built site: found once, for the browser tests and the link check."""

from __future__ import annotations

import re
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
DEFAULT_SITE = ROOT / "docs" / "_build" / "html"
# Copies of sources, images, downloads and theme files are not pages.
SKIPPED_DIRECTORIES = frozenset({"_static", "_sources", "_images", "_downloads"})
#: Every gallery example page must show a figure.
EXAMPLE_PAGE = re.compile(r"auto_examples/(?:[^/]+/)*plot_[^/]*\.html")
#: The homework parts at the top of the gallery must also show their training log.
TRAINING_LOG_PAGE = re.compile(r"auto_examples/plot_[^/]*\.html")


def site_pages(site: Path) -> list[str]:
    """Return every HTML page of the site, relative and sorted.

    Parameters
    ----------
    site : Path
        The built site folder.

    Returns
    -------
    list of str
        POSIX paths relative to ``site``.
    """
    if not (site / "index.html").is_file():
        raise FileNotFoundError(f"no built site at {site}: build it with `nox -s docs`")
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] not in SKIPPED_DIRECTORIES
    )
