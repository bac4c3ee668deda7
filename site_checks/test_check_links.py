"""The link check on a two-page site: it still finds a missing anchor among repeated links."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

CHECK_LINKS = Path(__file__).with_name("check_links.py")


def check(site: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, str(CHECK_LINKS), "--site", str(site)],
        capture_output=True,
        text=True,
        check=False,
    )


@pytest.mark.parametrize("missing", [[], ["absent"]])
def test_every_link_to_a_page_is_checked_against_its_anchors(
    tmp_path: Path, missing: list[str]
) -> None:
    anchors = ["first", "second", "first", *missing, "second"]
    links = "".join(f'<a href="api.html#{anchor}">{anchor}</a>' for anchor in anchors)
    (tmp_path / "index.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>")
    (tmp_path / "api.html").write_text(
        '<!DOCTYPE html><html><body><p id="first">1</p><p id="second">2</p></body></html>'
    )
    result = check(tmp_path)
    output = result.stdout + result.stderr
    if missing:
        assert result.returncode == 1, output
        assert "Missing anchor: absent" in output
        assert "1 failed, 4 passed" in output
    else:
        assert result.returncode == 0, output
        assert "4 passed" in output
