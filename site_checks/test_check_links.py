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


@pytest.mark.parametrize("prefix", ["/", "/mnist-tutorial/"])
def test_the_404_pages_absolute_links_are_checked_against_the_sites_files(
    tmp_path: Path, prefix: str
) -> None:
    (tmp_path / "index.html").write_text(
        '<!DOCTYPE html><html><body><a href="index.html">home</a></body></html>'
    )
    (tmp_path / "_static").mkdir()
    (tmp_path / "_static" / "site.css").write_text("")
    links = (
        f'<link rel="stylesheet" href="{prefix}_static/site.css?v=1">'
        f'<a href="{prefix}index.html">home</a><a href="https://example.org/">away</a>'
    )
    (tmp_path / "404.html").write_text(f"<!DOCTYPE html><html><body>{links}</body></html>")
    result = check(tmp_path)
    assert result.returncode == 0, result.stdout + result.stderr
    (tmp_path / "404.html").write_text(
        f'<!DOCTYPE html><html><body><a href="{prefix}gone.html">gone</a></body></html>'
    )
    result = check(tmp_path)
    assert result.returncode == 1
    assert f"404.html: {prefix}gone.html leads to no file of the site" in result.stdout
