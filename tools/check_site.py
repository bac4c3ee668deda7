"""Check the built course site in a real headless browser.

The site in ``docs/_build/html`` is served on a free port of 127.0.0.1 by a
stdlib HTTP server in a thread, and every HTML page is opened in headless
Chromium (the system ``/usr/bin/chromium``, driven by Playwright for Python)
with furo's light theme and then its dark theme. A page passes when

* it loads with HTTP 200 and furo applied the requested theme,
* every ``<img>`` decoded (``naturalWidth > 0``),
* no request to the local server failed or answered with a status >= 400,
* the console showed no error and no script raised.

Each gallery example page (``auto_examples/**/plot_*.html``) must also show
at least one figure, and each homework part (``auto_examples/plot_*.html``)
its training log (an output block with an ``Epoch 1/`` line). On every page,
the text of each output block must contrast with its background by at least
4.5:1 (WCAG AA) in both themes. Full-page screenshots of the home page and of
each example page, light and dark, are written to the screenshot folder.

Requests to other hosts are never sent: the browser aborts them, and they are
listed at the end. A script error on a page whose external scripts were
blocked is reported as a warning, since it may come from the missing script
(``--strict-external`` makes it a failure).

Run with ``nox -s browser`` (after ``nox -s docs``), or
``python tools/check_site.py [SITE] [--screenshots DIR]``.
"""

from __future__ import annotations

import argparse
import contextlib
import functools
import http.server
import json
import re
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import TYPE_CHECKING, Any

try:
    from playwright.sync_api import Error as PlaywrightError
    from playwright.sync_api import sync_playwright
except ModuleNotFoundError as missing:
    raise SystemExit(
        "check_site.py needs Playwright for Python: run `nox -s browser`, "
        "or `pip install playwright` (its browser download is not needed)."
    ) from missing

if TYPE_CHECKING:
    from collections.abc import Iterator, Sequence

    from playwright.sync_api import BrowserContext, ConsoleMessage, Page, Request, Response

ROOT = Path(__file__).resolve().parent.parent
DEFAULT_SITE = ROOT / "docs" / "_build" / "html"
CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = [
    "--headless",
    "--no-sandbox",
    "--disable-gpu",
    "--no-first-run",
    "--disable-background-networking",
    "--disable-component-update",
    "--disable-sync",
]
THEMES = ("light", "dark")
VIEWPORT = {"width": 1280, "height": 900}
SKIPPED_DIRECTORIES = frozenset({"_static", "_sources", "_images", "_downloads"})
# Every gallery example page must show a figure; the homework parts at the
# top of the gallery must also show their training log.
EXAMPLE_PAGE = re.compile(r"auto_examples/(?:[^/]+/)*plot_[^/]*\.html")
TRAINING_LOG_PAGE = re.compile(r"auto_examples/plot_[^/]*\.html")
TRAINING_LOG_LINE = re.compile(r"^\s*Epoch 1/\d+", re.MULTILINE)
FIGURE_SELECTOR = "img.sphx-glr-single-img, img.sphx-glr-multi-img"
OUTPUT_SELECTOR = "div.sphx-glr-script-out"
MIN_CONTRAST = 4.5
# Relative luminance of the page background that each theme must stay on the
# right side of: a "dark" page that renders light did not switch.
DARK_MAX_LUMINANCE = 0.1
LIGHT_MIN_LUMINANCE = 0.5
# Milliseconds for one navigation or browser call, and for images to decode.
STEP_TIMEOUT_MS = 30_000
IMAGE_TIMEOUT_MS = 15_000

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
  }));
}
"""

EXAMPLE_JS = """
([outputSelector, figureSelector]) => ({
  outputs: Array.from(document.querySelectorAll(outputSelector), (block) => block.textContent),
  figures: document.querySelectorAll(figureSelector).length,
})
"""

# Colours are read back through a 1x1 canvas, so any computed form (rgb(),
# color(srgb ...), oklch(...)) arrives as 8-bit sRGB plus alpha. The
# background of an element is the stack of its own and its ancestors'
# background colours down to the first opaque one; Python composites it.
COLOURS_JS = """
(outputSelector) => {
  const canvas = document.createElement("canvas");
  canvas.width = 1;
  canvas.height = 1;
  const context = canvas.getContext("2d", { willReadFrequently: true });
  const rgba = (css) => {
    context.clearRect(0, 0, 1, 1);
    context.fillStyle = "rgba(0, 0, 0, 0)";
    context.fillStyle = css;
    context.fillRect(0, 0, 1, 1);
    const [r, g, b, a] = context.getImageData(0, 0, 1, 1).data;
    return [r, g, b, a / 255];
  };
  const backgrounds = (element) => {
    const layers = [];
    for (let node = element; node instanceof Element; node = node.parentElement) {
      const colour = rgba(getComputedStyle(node).backgroundColor);
      if (colour[3] > 0) layers.push(colour);
      if (colour[3] >= 1) break;
    }
    return layers;
  };
  const hasText = (element) => Array.from(element.childNodes).some(
    (node) => node.nodeType === Node.TEXT_NODE && node.textContent.trim() !== "",
  );
  const blocks = Array.from(document.querySelectorAll(outputSelector), (block) => {
    const pre = block.querySelector("pre");
    const elements = pre === null ? [] : [pre, ...pre.querySelectorAll("*")].filter(hasText);
    return {
      hasPre: pre !== null,
      samples: elements.map((element) => ({
        text: rgba(getComputedStyle(element).color),
        backgrounds: backgrounds(element),
      })),
    };
  });
  return {
    theme: document.body.dataset.theme ?? null,
    page: backgrounds(document.body),
    blocks,
  };
}
"""

Colour = tuple[float, float, float]


@dataclass
class PageResult:
    """What one page showed in one theme.

    Attributes
    ----------
    path : str
        The page, relative to the site folder.
    theme : str
        ``"light"`` or ``"dark"``.
    failures : list of str
        Everything that failed on this page.
    warnings : list of str
        Script errors that may come from a blocked external script.
    images : int
        How many ``<img>`` elements were checked.
    contrast : float or None
        The lowest contrast ratio of output-block text, or None without blocks.
    external : set of str
        External URLs the page requested (all blocked).
    seconds : float
        Time spent on the page.
    """

    path: str
    theme: str
    failures: list[str] = field(default_factory=list)
    warnings: list[str] = field(default_factory=list)
    images: int = 0
    contrast: float | None = None
    external: set[str] = field(default_factory=set)
    seconds: float = 0.0


class _QuietHandler(http.server.SimpleHTTPRequestHandler):
    """Serve files without logging each request to stderr."""

    def log_message(self, format: str, *args: Any) -> None:
        """Drop the access log line."""


@contextlib.contextmanager
def serve(site: Path, *, lifetime: float) -> Iterator[str]:
    """Serve ``site`` on a free port of 127.0.0.1 and yield its base URL.

    Parameters
    ----------
    site : Path
        The folder to serve.
    lifetime : float
        Seconds after which the server shuts itself down even if the caller
        is still running, so that a stuck check cannot leave it behind.

    Yields
    ------
    str
        The base URL, such as ``http://127.0.0.1:41234``, without a final slash.
    """
    handler = functools.partial(_QuietHandler, directory=str(site))
    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), handler)
    server.daemon_threads = True
    thread = threading.Thread(
        target=server.serve_forever, kwargs={"poll_interval": 0.1}, daemon=True
    )
    stopper = threading.Timer(lifetime, server.shutdown)
    stopper.daemon = True
    thread.start()
    stopper.start()
    try:
        yield f"http://127.0.0.1:{server.server_port}"
    finally:
        stopper.cancel()
        server.shutdown()
        server.server_close()
        thread.join(timeout=5)


def site_pages(site: Path) -> list[str]:
    """Return every HTML page of the site, relative and sorted.

    Parameters
    ----------
    site : Path
        The built site folder.

    Returns
    -------
    list of str
        POSIX paths relative to ``site``; the copied sources, images,
        downloads and theme files are left out.
    """
    return sorted(
        path.relative_to(site).as_posix()
        for path in site.rglob("*.html")
        if path.relative_to(site).parts[0] not in SKIPPED_DIRECTORIES
    )


def relative_luminance(colour: Colour) -> float:
    """Return the WCAG relative luminance of an 8-bit sRGB colour.

    Parameters
    ----------
    colour : tuple of float
        Red, green and blue, 0 to 255.

    Returns
    -------
    float
        0 for black to 1 for white.
    """

    def linear(channel: float) -> float:
        value = channel / 255
        return value / 12.92 if value <= 0.04045 else ((value + 0.055) / 1.055) ** 2.4

    red, green, blue = (linear(channel) for channel in colour)
    return 0.2126 * red + 0.7152 * green + 0.0722 * blue


def contrast_ratio(first: Colour, second: Colour) -> float:
    """Return the WCAG contrast ratio of two opaque colours, 1 to 21.

    Parameters
    ----------
    first, second : tuple of float
        Red, green and blue, 0 to 255.

    Returns
    -------
    float
        The lighter luminance plus 0.05 over the darker one plus 0.05.
    """
    lighter, darker = sorted((relative_luminance(first), relative_luminance(second)), reverse=True)
    return (lighter + 0.05) / (darker + 0.05)


def composite(layers: Sequence[Sequence[float]], base: Colour = (255.0, 255.0, 255.0)) -> Colour:
    """Blend RGBA layers, topmost first, over an opaque base colour.

    Parameters
    ----------
    layers : sequence of sequence of float
        ``[r, g, b, a]`` per layer, with channels 0 to 255 and alpha 0 to 1,
        the topmost layer first.
    base : tuple of float, optional
        What lies below every layer: the browser's white canvas by default.

    Returns
    -------
    tuple of float
        The resulting opaque colour.
    """
    red, green, blue = base
    for r, g, b, alpha in reversed(layers):
        red = alpha * r + (1 - alpha) * red
        green = alpha * g + (1 - alpha) * green
        blue = alpha * b + (1 - alpha) * blue
    return red, green, blue


def _text_contrast(sample: dict[str, Any]) -> float:
    background = composite(sample["backgrounds"])
    text = composite([sample["text"]], base=background)
    return contrast_ratio(text, background)


def _is_local(url: str, base: str) -> bool:
    return url == base or url.startswith(f"{base}/")


class _Listener:
    """Collect what one tab's console and network report into a result."""

    def __init__(self, result: PageResult, base: str) -> None:
        self.result = result
        self.base = base
        self.blocked_scripts: list[str] = []
        self.script_errors: list[str] = []
        self.answered_with_error: set[str] = set()

    def attach(self, page: Page) -> None:
        """Listen to ``page``'s console, script errors and requests."""
        page.on("console", self.on_console)
        page.on("pageerror", self.on_page_error)
        page.on("requestfailed", self.on_request_failed)
        page.on("response", self.on_response)

    def on_console(self, message: ConsoleMessage) -> None:
        """Record a console error."""
        if message.type != "error" or message.text.startswith("Failed to load resource"):
            return  # a failed load is reported by the request listeners, with its URL
        source = message.location.get("url", "")
        where = f" ({source}:{message.location.get('lineNumber', '?')})" if source else ""
        self.result.failures.append(f"console error: {message.text}{where}")

    def on_page_error(self, error: PlaywrightError) -> None:
        """Keep an uncaught script error for :meth:`finish` to classify."""
        self.script_errors.append(f"{error.name or 'Error'}: {error.message}")

    def on_request_failed(self, request: Request) -> None:
        """Record a failed local request; note a blocked external one."""
        if request.url in self.answered_with_error:
            return  # already reported with its HTTP status
        if _is_local(request.url, self.base):
            self.result.failures.append(f"request failed: {request.url} ({request.failure})")
        else:
            self.result.external.add(request.url)
            if request.resource_type == "script":
                self.blocked_scripts.append(request.url)

    def on_response(self, response: Response) -> None:
        """Record a local response with an error status."""
        if _is_local(response.url, self.base) and response.status >= 400:
            self.answered_with_error.add(response.url)
            self.result.failures.append(f"HTTP {response.status} for {response.url}")

    def finish(self) -> None:
        """File the script errors as failures, or as warnings when a blocked script may explain them."""
        for message in self.script_errors:
            if self.blocked_scripts and message.startswith("ReferenceError"):
                self.result.warnings.append(
                    f"script error after blocked external scripts "
                    f"({', '.join(self.blocked_scripts)}): {message}"
                )
            else:
                self.result.failures.append(f"script error: {message}")


def check_page(
    context: BrowserContext,
    base: str,
    path: str,
    theme: str,
    screenshot: Path | None,
) -> PageResult:
    """Open one page in one theme and check it.

    Parameters
    ----------
    context : BrowserContext
        The browser context to open a fresh tab in.
    base : str
        The local server's base URL.
    path : str
        The page, relative to the site folder.
    theme : str
        ``"light"`` or ``"dark"``.
    screenshot : Path or None
        Where to save a full-page screenshot, or None for none.

    Returns
    -------
    PageResult
        What the page showed.
    """
    result = PageResult(path=path, theme=theme)
    started = time.perf_counter()
    listener = _Listener(result, base)
    page = context.new_page()
    page.set_default_timeout(STEP_TIMEOUT_MS)
    listener.attach(page)
    page.add_init_script(THEME_INIT_JS.format(theme=json.dumps(theme)))
    page.emulate_media(color_scheme="dark" if theme == "dark" else "light")
    try:
        response = page.goto(f"{base}/{path}", wait_until="load")
        if response is None or response.status != 200:
            status = "no response" if response is None else f"HTTP {response.status}"
            result.failures.append(f"page did not load: {status}")
        else:
            page.evaluate("document.fonts.ready.then(() => true)")
            _check_images(page.evaluate(IMAGES_JS, IMAGE_TIMEOUT_MS), result)
            _check_colours(page.evaluate(COLOURS_JS, OUTPUT_SELECTOR), result)
            if EXAMPLE_PAGE.fullmatch(path):
                example = page.evaluate(EXAMPLE_JS, [OUTPUT_SELECTOR, FIGURE_SELECTOR])
                _check_example(
                    example, result, training_log=bool(TRAINING_LOG_PAGE.fullmatch(path))
                )
            if screenshot is not None:
                page.screenshot(path=str(screenshot), full_page=True)
    except PlaywrightError as error:
        result.failures.append(f"browser error: {error.message.splitlines()[0]}")
    finally:
        page.close()
        result.seconds = time.perf_counter() - started
    listener.finish()
    return result


def _check_images(images: list[dict[str, Any]], result: PageResult) -> None:
    result.images = len(images)
    result.failures.extend(
        f"image did not decode: {image['src']}" for image in images if image["width"] <= 0
    )


def _check_colours(colours: dict[str, Any], result: PageResult) -> None:
    if colours["theme"] != result.theme:
        result.failures.append(f"furo theme is {colours['theme']!r}, not {result.theme!r}")
    luminance = relative_luminance(composite(colours["page"]))
    if result.theme == "dark" and luminance > DARK_MAX_LUMINANCE:
        result.failures.append(f"page background is not dark (luminance {luminance:.2f})")
    if result.theme == "light" and luminance < LIGHT_MIN_LUMINANCE:
        result.failures.append(f"page background is not light (luminance {luminance:.2f})")
    ratios: list[float] = []
    for number, block in enumerate(colours["blocks"], start=1):
        if not block["hasPre"] or not block["samples"]:
            result.failures.append(f"output block {number} has no text in a <pre>")
            continue
        ratios.append(min(_text_contrast(sample) for sample in block["samples"]))
    result.contrast = min(ratios, default=None)
    low = [number for number, ratio in enumerate(ratios, start=1) if ratio < MIN_CONTRAST]
    if low and result.contrast is not None:
        result.failures.append(
            f"text of {len(low)} of {len(ratios)} output blocks (numbers "
            f"{', '.join(map(str, low))}) contrasts below {MIN_CONTRAST}:1 with its "
            f"background (lowest {result.contrast:.2f}:1)"
        )


def _check_example(example: dict[str, Any], result: PageResult, *, training_log: bool) -> None:
    if training_log and not any(TRAINING_LOG_LINE.search(text) for text in example["outputs"]):
        result.failures.append(
            f"no output block shows a training log ('Epoch 1/' line) "
            f"among {len(example['outputs'])} blocks"
        )
    if example["figures"] < 1:
        result.failures.append(f"no figure ({FIGURE_SELECTOR})")


def screenshot_name(path: str, theme: str) -> str | None:
    """Return the screenshot file name for a page, or None if it gets none.

    Parameters
    ----------
    path : str
        The page, relative to the site folder.
    theme : str
        ``"light"`` or ``"dark"``.

    Returns
    -------
    str or None
        ``index-light.png`` for the home page, ``plot_01_baseline-dark.png``
        for an example page, None for any other page.
    """
    if path == "index.html" or EXAMPLE_PAGE.fullmatch(path):
        return f"{Path(path).stem}-{theme}.png"
    return None


def run_checks(
    site: Path, screenshots: Path, *, chromium: Path, timeout: float
) -> tuple[list[PageResult], list[Path]]:
    """Check every page of ``site`` in both themes.

    Parameters
    ----------
    site : Path
        The built site folder.
    screenshots : Path
        The folder for the screenshots (created if needed).
    chromium : Path
        The Chromium executable.
    timeout : float
        Seconds for the whole run; pages not reached by then fail.

    Returns
    -------
    results : list of PageResult
        One per page and theme.
    written : list of Path
        The screenshots written.
    """
    pages = site_pages(site)
    screenshots.mkdir(parents=True, exist_ok=True)
    deadline = time.monotonic() + timeout
    results: list[PageResult] = []
    written: list[Path] = []
    with (
        serve(site, lifetime=timeout + 60) as base,
        tempfile.TemporaryDirectory(prefix="check-site-profile-") as profile,
        sync_playwright() as playwright,
    ):
        context = playwright.chromium.launch_persistent_context(
            profile,
            executable_path=str(chromium),
            headless=True,
            args=CHROMIUM_ARGS,
            viewport={"width": VIEWPORT["width"], "height": VIEWPORT["height"]},
            service_workers="block",
        )
        try:
            # Nothing leaves the machine: requests to other hosts are aborted.
            # (Routing also turns off the HTTP cache, so every load is fresh.)
            context.route(
                re.compile(rf"^(?!{re.escape(base)}/)"),
                lambda route: route.abort("blockedbyclient"),
            )
            for theme in THEMES:
                for path in pages:
                    if time.monotonic() > deadline:
                        results.append(
                            PageResult(
                                path, theme, failures=[f"not checked: {timeout:.0f} s run out"]
                            )
                        )
                        continue
                    name = screenshot_name(path, theme)
                    target = None if name is None else screenshots / name
                    if target is not None:
                        target.unlink(missing_ok=True)
                    result = check_page(context, base, path, theme, target)
                    if target is not None and target.exists():
                        written.append(target)
                    results.append(result)
                    _print_result(result)
        finally:
            context.close()
    return results, written


def _print_result(result: PageResult) -> None:
    status = "FAIL" if result.failures else ("warn" if result.warnings else "ok")
    contrast = "" if result.contrast is None else f", contrast {result.contrast:.2f}:1"
    print(
        f"{status:4}  {result.theme:5}  {result.path}  "
        f"({result.images} images{contrast}, {result.seconds:.1f} s)",
        flush=True,
    )


def summarise(
    results: Sequence[PageResult], written: Sequence[Path], *, strict_external: bool
) -> int:
    """Print the summary and return the exit status.

    Parameters
    ----------
    results : sequence of PageResult
        One per page and theme.
    written : sequence of Path
        The screenshots written.
    strict_external : bool
        Count warnings as failures.

    Returns
    -------
    int
        0 when every check passed, 1 otherwise.
    """
    pages = sorted({result.path for result in results})
    examples = [path for path in pages if EXAMPLE_PAGE.fullmatch(path)]
    failures = [
        f"{result.path} [{result.theme}]: {failure}"
        for result in results
        for failure in result.failures
    ]
    warnings = [
        f"{result.path} [{result.theme}]: {warning}"
        for result in results
        for warning in result.warnings
    ]
    if strict_external:
        failures += warnings
        warnings = []
    if not examples:
        failures.append("no example pages (auto_examples/**/plot_*.html) in the site")

    print()
    print(f"Pages checked:    {len(pages)} (x {len(THEMES)} themes: {', '.join(THEMES)})")
    for theme in THEMES:
        images = sum(result.images for result in results if result.theme == theme)
        print(f"Images checked:   {theme:5} {images}")
    parts = [path for path in examples if TRAINING_LOG_PAGE.fullmatch(path)]
    print(f"Example pages:    {len(examples)} ({len(parts)} with a training log checked)")
    for theme in THEMES:
        ratios = [
            (result.contrast, result.path)
            for result in results
            if result.theme == theme and result.contrast is not None
        ]
        if ratios:
            lowest, where = min(ratios)
            print(
                f"Output contrast:  {theme:5} min {lowest:.2f}:1 ({where}; needs {MIN_CONTRAST}:1)"
            )
        else:
            print(f"Output contrast:  {theme:5} no output blocks found")
    print(f"Screenshots:      {len(written)} written to {written[0].parent if written else '-'}")
    external = sorted({url for result in results for url in result.external})
    if external:
        print(f"External requests blocked (not checked offline): {len(external)}")
        for url in external:
            print(f"  {url}")
    print(f"Time:             {sum(result.seconds for result in results):.1f} s in pages")
    if warnings:
        print(f"\n{len(warnings)} warning(s):")
        for warning in warnings:
            print(f"  {warning}")
    if failures:
        print(f"\n{len(failures)} failure(s):")
        for failure in failures:
            print(f"  {failure}")
        return 1
    print("\nAll browser checks passed.")
    return 0


def main(argv: Sequence[str] | None = None) -> int:
    """Run the browser checks from the command line.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; ``sys.argv[1:]`` by default.

    Returns
    -------
    int
        The exit status: 0 passed, 1 a check failed, 2 cannot run.
    """
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "site",
        nargs="?",
        type=Path,
        default=DEFAULT_SITE,
        help="the built site folder (default: docs/_build/html)",
    )
    parser.add_argument(
        "--screenshots",
        type=Path,
        help="folder for the screenshots (default: SITE/../screenshots)",
    )
    parser.add_argument(
        "--chromium",
        type=Path,
        default=CHROMIUM,
        help=f"the Chromium executable (default: {CHROMIUM})",
    )
    parser.add_argument(
        "--timeout",
        type=float,
        default=900,
        help="seconds for the whole run (default: 900)",
    )
    parser.add_argument(
        "--strict-external",
        action="store_true",
        help="fail, not warn, on script errors of pages whose external scripts were blocked",
    )
    arguments = parser.parse_args(argv)
    site: Path = arguments.site.resolve()
    if not arguments.chromium.exists():
        print(
            f"error: {arguments.chromium} not found. Install Chromium with "
            "`apt-get install chromium` (Playwright's own browser download is not used).",
            file=sys.stderr,
        )
        return 2
    if not (site / "index.html").is_file():
        print(f"error: no built site at {site}; build it with `nox -s docs`.", file=sys.stderr)
        return 2
    screenshots = arguments.screenshots or site.parent / "screenshots"
    started = time.perf_counter()
    results, written = run_checks(
        site, screenshots.resolve(), chromium=arguments.chromium, timeout=arguments.timeout
    )
    status = summarise(results, written, strict_external=arguments.strict_external)
    print(f"Total time: {time.perf_counter() - started:.1f} s")
    return status


if __name__ == "__main__":
    sys.exit(main())
