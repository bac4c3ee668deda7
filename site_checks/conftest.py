"""Fixtures of the browser tests: the built site on a local server, the system Chromium."""

from __future__ import annotations

import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from local_server import served
from site_pages import DEFAULT_SITE, site_pages

if TYPE_CHECKING:
    from collections.abc import Iterator

    from playwright.sync_api import BrowserContext, Route

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]


def pytest_addoption(parser: pytest.Parser) -> None:
    group = parser.getgroup("site", "the built course site")
    group.addoption("--site", type=Path, default=DEFAULT_SITE, help="the built site folder")
    group.addoption(
        "--screenshots",
        type=Path,
        default=None,
        help="folder for the screenshots (default: SITE/../screenshots)",
    )
    group.addoption("--chromium", type=Path, default=CHROMIUM, help="the Chromium executable")


def pytest_generate_tests(metafunc: pytest.Metafunc) -> None:
    """Parametrize ``path`` with every page of the site."""
    if "path" in metafunc.fixturenames:
        site = metafunc.config.getoption("--site").resolve()
        metafunc.parametrize("path", site_pages(site))


@pytest.fixture(scope="session")
def site(pytestconfig: pytest.Config) -> Path:
    """The built site folder."""
    return Path(pytestconfig.getoption("--site")).resolve()


@pytest.fixture(scope="session")
def screenshots(pytestconfig: pytest.Config, site: Path) -> Path:
    """The folder the screenshots are written to."""
    folder = pytestconfig.getoption("--screenshots") or site.parent / "screenshots"
    folder.mkdir(parents=True, exist_ok=True)
    return Path(folder)


@pytest.fixture(scope="session")
def base_url(site: Path) -> Iterator[str]:
    """Serve the site on a free port of 127.0.0.1 (pytest-playwright's ``base_url``)."""
    with served(site) as address:
        yield address


@pytest.fixture(scope="session")
def browser_type_launch_args(
    browser_type_launch_args: dict[str, Any], pytestconfig: pytest.Config
) -> dict[str, Any]:
    """Launch the system Chromium: Playwright's own browser download is not used."""
    chromium = Path(pytestconfig.getoption("--chromium"))
    if not chromium.is_file():
        pytest.exit(f"{chromium} not found: install it with `apt-get install chromium`", 2)
    return {**browser_type_launch_args, "executable_path": str(chromium), "args": CHROMIUM_ARGS}


@pytest.fixture(scope="session")
def browser_context_args(browser_context_args: dict[str, Any]) -> dict[str, Any]:
    """A desktop window; no service worker may answer in the site's place."""
    return {
        **browser_context_args,
        "viewport": {"width": 1280, "height": 900},
        "service_workers": "block",
    }


@pytest.fixture
def external_requests(context: BrowserContext, base_url: str) -> list[str]:
    """Abort every request to another host, and list it: a test fails on any."""
    requested: list[str] = []

    def block(route: Route) -> None:
        requested.append(route.request.url)
        route.abort("blockedbyclient")

    # Routing also turns off the HTTP cache, so every load is fresh.
    context.route(re.compile(rf"^(?!{re.escape(base_url)}/)"), block)
    return requested
