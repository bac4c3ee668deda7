"""Every page of the built site in headless Chromium: ``nox -s browser`` (after ``nox -s docs``).

Each page is opened in furo's light and dark themes. It must load from the
local server alone (any request to another host fails the test), decode
every image, log no console or script error, and show axe-core no serious or
critical accessibility violation (axe's ``color-contrast`` rule included).
Each gallery example must show a figure, and each homework part its training
log. A phone-sized pass (390 x 844) checks that no page body overflows
sideways and that the navigation drawer works. Screenshots of the home page
and of each example, light and dark, go to ``docs/_build/screenshots``.
"""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import TYPE_CHECKING, Any

import pytest
from axe_playwright_python.sync_playwright import Axe
from site_pages import EXAMPLE_PAGE, TRAINING_LOG_PAGE

if TYPE_CHECKING:
    from playwright.sync_api import ConsoleMessage, Page

THEMES = ("light", "dark")
PHONE = {"width": 390, "height": 844}
SERIOUS = frozenset({"serious", "critical"})
TRAINING_LOG_LINE = re.compile(r"^\s*Epoch 1/\d+", re.MULTILINE)
FIGURE_SELECTOR = "img.sphx-glr-single-img, img.sphx-glr-multi-img"
OUTPUT_SELECTOR = "div.sphx-glr-script-out"
IMAGE_TIMEOUT_MS = 15_000
AXE = Axe()

# furo reads localStorage.theme before it paints; the script runs first.
THEME_INIT_JS = "try {{ localStorage.setItem('theme', {theme}); }} catch {{}}"

IMAGES_JS = """
async (timeoutMs) => {
  const images = Array.from(document.images);
  for (const image of images) {
    if (image.loading === "lazy") image.loading = "eager";
  }
  const settled = Promise.all(images.map((image) => image.decode().catch(() => null)));
  await Promise.race([settled, new Promise((resolve) => setTimeout(resolve, timeoutMs))]);
  return images.map((image) => ({
    src: image.currentSrc || image.getAttribute("src") || image.outerHTML.slice(0, 120),
    width: image.naturalWidth,
    alt: image.getAttribute("alt"),
  }));
}
"""

# The page background, read back through a 1x1 canvas as 8-bit sRGB, so
# that any computed colour form compares.
BACKGROUND_JS = """
() => {
  const canvas = document.createElement("canvas");
  canvas.width = canvas.height = 1;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  context.fillStyle = getComputedStyle(document.body).backgroundColor;
  context.fillRect(0, 0, 1, 1);
  const [r, g, b] = context.getImageData(0, 0, 1, 1).data;
  return { theme: document.body.dataset.theme ?? null, rgb: [r, g, b] };
}
"""

# Elements that stick out of the viewport on the right, outside any element
# that scrolls sideways by itself (code blocks may scroll).
OVERFLOW_JS = """
() => {
  const width = document.documentElement.clientWidth;
  const scrolls = (element) => {
    for (let node = element.parentElement; node; node = node.parentElement) {
      const style = getComputedStyle(node);
      if (["auto", "scroll", "hidden", "clip"].includes(style.overflowX)) return true;
    }
    return false;
  };
  const offenders = [];
  for (const element of document.body.querySelectorAll("*")) {
    const box = element.getBoundingClientRect();
    if (box.width > 0 && box.right > width + 1 && !scrolls(element)) {
      offenders.push(`${element.tagName.toLowerCase()}.${element.className} (right edge ${Math.round(box.right)} px)`);
    }
  }
  return { width, scrollWidth: document.documentElement.scrollWidth, offenders: offenders.slice(0, 5) };
}
"""


def relative_luminance(rgb: list[int]) -> float:
    """Return the WCAG relative luminance of an 8-bit sRGB colour, 0 (black) to 1."""

    def linear(channel: int) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in rgb)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


class Problems:
    """What a page's console, scripts and local requests reported."""

    def __init__(self, page: Page, base_url: str) -> None:
        self.base_url = base_url
        self.found: list[str] = []
        page.on("console", self.on_console)
        page.on("pageerror", lambda error: self.found.append(f"script error: {error}"))
        page.on("requestfailed", self.on_request_failed)
        page.on("response", self.on_response)

    def on_console(self, message: ConsoleMessage) -> None:
        """Record a console error (a failed load is recorded with its URL below)."""
        if message.type == "error" and not message.text.startswith("Failed to load resource"):
            self.found.append(f"console error: {message.text}")

    def on_request_failed(self, request: Any) -> None:
        """Record a failed request to the local server."""
        if request.url.startswith(self.base_url):
            self.found.append(f"request failed: {request.url} ({request.failure})")

    def on_response(self, response: Any) -> None:
        """Record a local response with an error status."""
        if response.url.startswith(self.base_url) and response.status >= 400:
            self.found.append(f"HTTP {response.status} for {response.url}")


def open_page(page: Page, base_url: str, path: str, theme: str) -> Problems:
    """Open ``path`` in ``theme`` and wait for its fonts and images."""
    problems = Problems(page, base_url)
    page.add_init_script(THEME_INIT_JS.format(theme=json.dumps(theme)))
    page.emulate_media(color_scheme="dark" if theme == "dark" else "light")
    response = page.goto(f"{base_url}/{path}", wait_until="load")
    assert response is not None, f"{path}: no response"
    assert response.status == 200, f"{path}: HTTP {response.status}"
    page.evaluate("document.fonts.ready.then(() => true)")
    return problems


def serious_violations(page: Page) -> list[str]:
    """Return axe-core's serious and critical violations of the open page, one line each."""
    results = AXE.run(page, options={"resultTypes": ["violations"]}).response
    return [
        f"{violation['id']} ({violation['impact']}): {violation['help']} at "
        + "; ".join(" ".join(node["target"]) for node in violation["nodes"][:3])
        for violation in results["violations"]
        if violation["impact"] in SERIOUS
    ]


def screenshot_name(path: str, suffix: str) -> str | None:
    """Return the screenshot file name of a page, or None for a page that gets none."""
    if path == "index.html" or EXAMPLE_PAGE.fullmatch(path):
        return f"{Path(path).stem}-{suffix}.png"
    return None


@pytest.mark.parametrize("theme", THEMES)
def test_page(
    page: Page,
    base_url: str,
    path: str,
    theme: str,
    external_requests: list[str],
    screenshots: Path,
) -> None:
    problems = open_page(page, base_url, path, theme)

    background = page.evaluate(BACKGROUND_JS)
    assert background["theme"] == theme, f"furo did not apply the {theme} theme"
    luminance = relative_luminance(background["rgb"])
    assert (luminance < 0.1) if theme == "dark" else (luminance > 0.5), (
        f"the page background is not {theme} (luminance {luminance:.2f})"
    )

    images = page.evaluate(IMAGES_JS, IMAGE_TIMEOUT_MS)
    assert not [image["src"] for image in images if image["width"] <= 0], "images did not decode"
    if EXAMPLE_PAGE.fullmatch(path):
        figures = page.locator(FIGURE_SELECTOR)
        assert figures.count() >= 1, "an example page shows no figure"
        for alt in figures.evaluate_all("(images) => images.map((image) => image.alt)"):
            assert re.search(r"[A-Za-z]{3}", alt or ""), f"a figure has no meaningful alt: {alt!r}"
            assert not alt.startswith("plot "), f"a figure has the file name as alt: {alt!r}"
    if TRAINING_LOG_PAGE.fullmatch(path):
        outputs = page.locator(OUTPUT_SELECTOR).all_text_contents()
        assert any(TRAINING_LOG_LINE.search(text) for text in outputs), "no training log shown"

    assert serious_violations(page) == []
    name = screenshot_name(path, theme)
    if name is not None:
        page.screenshot(path=str(screenshots / name), full_page=True)
    assert problems.found == []
    assert external_requests == [], "the page asked another host"


def test_phone(
    page: Page, base_url: str, path: str, external_requests: list[str], screenshots: Path
) -> None:
    page.set_viewport_size(PHONE)
    problems = open_page(page, base_url, path, "light")
    overflow = page.evaluate(OVERFLOW_JS)
    assert overflow["offenders"] == [], f"the page is wider than the phone: {overflow}"
    assert overflow["scrollWidth"] <= overflow["width"], f"the page scrolls sideways: {overflow}"
    name = screenshot_name(path, "phone")
    if name is not None:
        page.screenshot(path=str(screenshots / name))
    assert problems.found == []
    assert external_requests == []


def test_phone_navigation(page: Page, base_url: str, external_requests: list[str]) -> None:
    page.set_viewport_size(PHONE)
    open_page(page, base_url, "index.html", "light")
    drawer = page.locator(".sidebar-drawer")
    assert drawer.bounding_box() is not None
    assert drawer.bounding_box()["x"] + drawer.bounding_box()["width"] <= 1, "drawer open at start"
    page.locator("label.nav-overlay-icon").click()
    page.wait_for_function(
        "() => document.querySelector('.sidebar-drawer').getBoundingClientRect().x >= 0"
    )
    link = drawer.get_by_role("link", name=re.compile("API", re.IGNORECASE)).first
    link.click()
    page.wait_for_url(re.compile(r"/api\.html"))
    assert page.locator("h1").first.is_visible()
    assert external_requests == []


def test_math_is_rendered_as_mathml(
    page: Page, base_url: str, external_requests: list[str]
) -> None:
    open_page(page, base_url, "auto_examples/plot_02_learning_rates.html", "light")
    # The formulas arrive as MathML (docs/_ext/mathml_math.py); no script renders them.
    assert page.locator("script[src*='mathjax'], script[src*='katex']").count() == 0
    formulas = page.locator("div.math math[display='block'], span.math math")
    assert formulas.count() >= 3
    # Drawn by the browser's own MathML layout: a fraction has height, and the
    # learning rate's symbol is shown, not the LaTeX source.
    fraction = page.locator("div.math math mfrac").first
    box = fraction.bounding_box()
    assert box is not None
    assert box["height"] > 20, box
    assert "\\eta" not in page.locator("article").inner_text()
    assert external_requests == []
