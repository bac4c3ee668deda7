"""The HTML check on a one-page site: it finds an attribute that HTML does not have."""

from __future__ import annotations

import os
import subprocess
import sys
from pathlib import Path

import pytest

CHECK_HTML = Path(__file__).with_name("check_html.py")
PAGE = (
    '<!DOCTYPE html><html lang="en"><head><meta charset="utf-8"><title>t</title></head>'
    "<body>{body}</body></html>"
)


def check(site: Path, path: str | None = None) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ) if path is None else {**os.environ, "PATH": path}
    return subprocess.run(
        [sys.executable, str(CHECK_HTML), "--site", str(site)],
        capture_output=True,
        text=True,
        check=False,
        env=env,
    )


@pytest.mark.parametrize(
    ("body", "errors"),
    [('<div class="x">fine</div>', 0), ('<div tooltip="not html">x</div>', 1)],
)
def test_an_invalid_page_fails_the_check(tmp_path: Path, body: str, errors: int) -> None:
    (tmp_path / "index.html").write_text(PAGE.format(body=body))
    result = check(tmp_path)
    assert result.returncode == int(bool(errors)), result.stdout + result.stderr
    assert f"Nu HTML checker: {errors} errors in 1 pages" in result.stdout
    if errors:
        assert "Attribute “tooltip” not allowed on element “div”" in result.stdout


def test_without_java_the_check_says_how_to_get_it(tmp_path: Path) -> None:
    (tmp_path / "index.html").write_text(PAGE.format(body="x"))
    result = check(tmp_path, path=str(tmp_path))
    assert result.returncode == 2
    assert "there is no `java` on the PATH: install a Java runtime" in result.stderr
