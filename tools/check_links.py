"""Check every internal link and anchor of the built site, offline.

Each HTML page of ``docs/_build/html`` is parsed with the standard library's
``html.parser``. Every relative URL in ``href``, ``src``, ``srcset``,
``action``, ``poster`` and ``data`` must name a file of the site, and every
``#fragment`` on an HTML page (the same page or another local one) must name
an element's ``id`` (or an ``<a name>``) there. Links to other sites
(``http``, ``https``, ``mailto`` and the like) are counted but not followed:
they cannot be reached offline.

Run with ``nox -s linkcheck`` (after ``nox -s docs``), or
``python tools/check_links.py [SITE]``.
"""

from __future__ import annotations

import argparse
import sys
import time
from dataclasses import dataclass, field
from html.parser import HTMLParser
from pathlib import Path
from typing import TYPE_CHECKING
from urllib.parse import unquote, urlsplit

if TYPE_CHECKING:
    from collections.abc import Iterable, Sequence

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SITE = ROOT / "docs" / "_build" / "html"
SKIPPED_DIRECTORIES = frozenset({"_static", "_sources", "_images", "_downloads"})
# Attributes that hold a URL, and the elements each one does so on.
URL_ATTRIBUTES = {
    "href": {"a", "area", "link"},
    "src": {"img", "script", "iframe", "source", "audio", "video", "track", "embed", "input"},
    "srcset": {"img", "source"},
    "action": {"form"},
    "poster": {"video"},
    "data": {"object"},
}
# Schemes that point off the site; any other scheme (such as file:) is broken.
EXTERNAL_SCHEMES = frozenset({"http", "https", "mailto", "tel", "ftp", "data", "javascript"})


@dataclass
class Link:
    """One URL found in a page.

    Attributes
    ----------
    page : Path
        The page it was found in.
    line : int
        Its line in that page.
    url : str
        The URL as written.
    """

    page: Path
    line: int
    url: str


@dataclass
class ParsedPage:
    """The anchors a page defines and the links it holds.

    Attributes
    ----------
    anchors : set of str
        Every ``id``, and every ``name`` of an ``<a>``.
    links : list of Link
        Every URL of the page, in order.
    base : bool
        Whether the page has a ``<base href>``, which this check does not follow.
    """

    anchors: set[str] = field(default_factory=set)
    links: list[Link] = field(default_factory=list)
    base: bool = False


class _PageParser(HTMLParser):
    def __init__(self, page: Path) -> None:
        super().__init__(convert_charrefs=True)
        self.page = page
        self.parsed = ParsedPage()

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        line = self.getpos()[0]
        for name, value in attrs:
            if value is None:
                continue
            if name == "id" or (name == "name" and tag == "a"):
                self.parsed.anchors.add(value)
            if tag == "base" and name == "href":
                self.parsed.base = True
            if tag not in URL_ATTRIBUTES.get(name, ()):
                continue
            urls = srcset_urls(value) if name == "srcset" else [value.strip()]
            self.parsed.links.extend(Link(self.page, line, url) for url in urls if url)

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)


def srcset_urls(srcset: str) -> list[str]:
    """Return the URLs of a ``srcset`` attribute.

    Parameters
    ----------
    srcset : str
        Comma-separated candidates, each a URL and an optional descriptor
        such as ``2x`` or ``480w``.

    Returns
    -------
    list of str
        The candidates' URLs, in order.
    """
    return [candidate.split()[0] for candidate in srcset.split(",") if candidate.strip()]


def parse_page(page: Path) -> ParsedPage:
    """Parse one HTML file.

    Parameters
    ----------
    page : Path
        The file.

    Returns
    -------
    ParsedPage
        Its anchors and links.
    """
    parser = _PageParser(page)
    parser.feed(page.read_text(encoding="utf-8", errors="replace"))
    parser.close()
    return parser.parsed


def site_pages(site: Path) -> list[Path]:
    """Return every HTML page of the site, sorted.

    Parameters
    ----------
    site : Path
        The built site folder.

    Returns
    -------
    list of Path
        The pages; the copied sources, images, downloads and theme files are
        left out.
    """
    return sorted(
        path
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] not in SKIPPED_DIRECTORIES
    )


@dataclass
class LinkReport:
    """The outcome of checking a site's links.

    Attributes
    ----------
    pages : int
        Pages parsed.
    local : int
        Links to the site itself that were checked.
    anchors : int
        Of those, links with a ``#fragment`` that was checked.
    external : int
        Links to other sites, not followed.
    broken : list of str
        One line per broken link: page, line, URL and why.
    """

    pages: int = 0
    local: int = 0
    anchors: int = 0
    external: int = 0
    broken: list[str] = field(default_factory=list)


class LinkChecker:
    """Check the links of the pages of one built site.

    Parameters
    ----------
    site : Path
        The built site folder.
    """

    def __init__(self, site: Path) -> None:
        self.site = site.resolve()
        self._parsed: dict[Path, ParsedPage] = {}

    def parsed(self, page: Path) -> ParsedPage:
        """Return ``page`` parsed, parsing it only once.

        Parameters
        ----------
        page : Path
            An HTML file of the site.

        Returns
        -------
        ParsedPage
            Its anchors and links.
        """
        if page not in self._parsed:
            self._parsed[page] = parse_page(page)
        return self._parsed[page]

    def problem(self, link: Link) -> str | None:
        """Return why ``link`` is broken, or None if it is fine.

        Parameters
        ----------
        link : Link
            A local link (the caller skips external ones).

        Returns
        -------
        str or None
            The reason, or None.
        """
        parts = urlsplit(link.url)
        path = unquote(parts.path)
        if not path:
            target = link.page
        elif path.startswith("/"):
            target = self.site / path.lstrip("/")
        else:
            target = link.page.parent / path
        target = target.resolve()
        if not target.is_relative_to(self.site):
            return "points outside the site"
        if target.is_dir():
            target /= "index.html"
        if not target.is_file():
            return f"no such file: {target.relative_to(self.site).as_posix()}"
        fragment = unquote(parts.fragment)
        if not fragment or target.suffix != ".html":
            return None
        if fragment in self.parsed(target).anchors or fragment == "top":
            return None  # HTML scrolls "#top" to the top even without such an id
        return f"no id {fragment!r} in {target.relative_to(self.site).as_posix()}"

    def check(self, pages: Iterable[Path]) -> LinkReport:
        """Check every link of ``pages``.

        Parameters
        ----------
        pages : iterable of Path
            HTML files of the site.

        Returns
        -------
        LinkReport
            What was checked and what is broken.
        """
        report = LinkReport()
        for page in pages:
            report.pages += 1
            parsed = self.parsed(page)
            name = page.relative_to(self.site).as_posix()
            if parsed.base:
                report.broken.append(f"{name}: has a <base href>, which this check cannot follow")
            for link in parsed.links:
                parts = urlsplit(link.url)
                if parts.scheme in EXTERNAL_SCHEMES or (not parts.scheme and parts.netloc):
                    report.external += 1
                    continue
                if parts.scheme:
                    report.broken.append(f"{name}:{link.line}: {link.url} -> not a web link")
                    continue
                report.local += 1
                report.anchors += bool(parts.fragment)
                reason = self.problem(link)
                if reason is not None:
                    report.broken.append(f"{name}:{link.line}: {link.url} -> {reason}")
        return report


def main(argv: Sequence[str] | None = None) -> int:
    """Check the site's links from the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 no broken link, 1 some, 2 no site.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "site",
        nargs="?",
        type=Path,
        default=DEFAULT_SITE,
        help="the built site folder (default: docs/_build/html)",
    )
    arguments = parser.parse_args(argv)
    site: Path = arguments.site.resolve()
    if not (site / "index.html").is_file():
        print(f"error: no built site at {site}; build it with `nox -s docs`.", file=sys.stderr)
        return 2
    started = time.perf_counter()
    report = LinkChecker(site).check(site_pages(site))
    print(
        f"Checked {report.pages} pages in {time.perf_counter() - started:.1f} s: "
        f"{report.local} local links ({report.anchors} with an anchor) checked, "
        f"{report.external} external links not followed."
    )
    if report.broken:
        print(f"\n{len(report.broken)} broken link(s):")
        for line in report.broken:
            print(f"  {line}")
        return 1
    print("No broken internal links.")
    return 0


if __name__ == "__main__":
    sys.exit(main())
