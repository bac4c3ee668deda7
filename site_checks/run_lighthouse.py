"""Lighthouse's accessibility, best-practices and SEO audits of the built site.

Run through ``nox -s lighthouse`` (after ``nox -s docs``), which installs the
pinned Lighthouse of ``site_checks/lighthouse/package-lock.json`` with npm
first. Lighthouse is a Node program: it is the only check of the site that
needs Node, and the only one a reader building the site never needs.

The site is served from a free port of 127.0.0.1 and each page of a sample
is audited in headless Chromium with Lighthouse's desktop settings: one
page of each kind (the home page, a homework part, a page beyond the
homework, the gallery, the API reference, the claims ledger and the 404
page). Each category must score 100; every audit below its full score is
printed with its title, so that a failure says what to fix.
"""

from __future__ import annotations

import argparse
import json
import subprocess
import sys
from pathlib import Path
from typing import Any

from local_server import served
from site_pages import DEFAULT_SITE, ROOT

LIGHTHOUSE = ROOT / "site_checks" / "lighthouse" / "node_modules" / ".bin" / "lighthouse"
CATEGORIES = ("accessibility", "best-practices", "seo")
#: One page of each kind the site has.
SAMPLE = (
    "index.html",
    "auto_examples/plot_01_baseline.html",
    "auto_examples/beyond_the_homework/plot_06_error_analysis.html",
    "auto_examples/index.html",
    "api.html",
    "claims.html",
    "404.html",
)
CHROME_FLAGS = "--headless=new --no-sandbox --disable-gpu --disable-dev-shm-usage"


def audit(url: str, chromium: Path) -> dict[str, Any]:
    """Run Lighthouse on one page; return its JSON report."""
    command = [
        str(LIGHTHOUSE),
        url,
        "--quiet",
        "--preset=desktop",
        f"--only-categories={','.join(CATEGORIES)}",
        "--output=json",
        "--output-path=stdout",
        f"--chrome-path={chromium}",
        f"--chrome-flags={CHROME_FLAGS}",
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)
    if result.returncode != 0:
        raise RuntimeError(f"lighthouse failed on {url}:\n{result.stderr[-2000:]}")
    report: dict[str, Any] = json.loads(result.stdout)
    return report


def shortfalls(report: dict[str, Any]) -> list[str]:
    """Return each category below 100, with the audits that cost it points.

    An audit that is not applicable, informative or manual (score None) costs nothing.
    """
    problems = []
    for name in CATEGORIES:
        category = report["categories"][name]
        if category["score"] is not None and category["score"] >= 1:
            continue
        audits = [
            report["audits"][reference["id"]]
            for reference in category["auditRefs"]
            if reference["weight"] > 0
        ]
        failing = [
            f"{entry['id']} ({entry['title']})"
            for entry in audits
            if entry["score"] is not None and entry["score"] < 1
        ]
        score = "none" if category["score"] is None else round(100 * category["score"])
        problems.append(f"{name} {score}: {'; '.join(failing) or 'no weighted audit named'}")
    return problems


def main() -> int:
    """Audit the sample pages; return 1 if a category is below 100 on one of them."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--site", type=Path, default=DEFAULT_SITE, help="the built site")
    parser.add_argument(
        "--chromium", type=Path, default=Path("/usr/bin/chromium"), help="the Chromium executable"
    )
    parser.add_argument("pages", nargs="*", default=list(SAMPLE), help="pages, relative to --site")
    arguments = parser.parse_args()
    if not (arguments.site / "index.html").is_file():
        parser.error(f"no built site at {arguments.site}: build it with `nox -s docs`")
    if not LIGHTHOUSE.is_file():
        parser.error(f"no Lighthouse at {LIGHTHOUSE}: run it through `nox -s lighthouse`")
    missing = [page for page in arguments.pages if not (arguments.site / page).is_file()]
    if missing:
        parser.error(f"not pages of {arguments.site}: {', '.join(missing)}")
    failed = 0
    with served(arguments.site) as address:
        for page in arguments.pages:
            report = audit(f"{address}/{page}", arguments.chromium)
            scores = ", ".join(
                f"{name} {round(100 * report['categories'][name]['score'])}"
                for name in CATEGORIES
                if report["categories"][name]["score"] is not None
            )
            problems = shortfalls(report)
            print(f"{'FAILS' if problems else 'ok   '} {page}: {scores}")
            for problem in problems:
                print(f"      {problem}")
            failed += bool(problems)
    print(
        f"Lighthouse {report['lighthouseVersion']}: {len(arguments.pages) - failed} of "
        f"{len(arguments.pages)} pages score 100 in {', '.join(CATEGORIES)}"
    )
    return 1 if failed else 0


if __name__ == "__main__":
    sys.exit(main())
