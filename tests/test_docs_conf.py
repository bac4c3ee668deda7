"""Tests for docs/conf.py's settings, read by running the file (no Sphinx needed)."""

from __future__ import annotations

import runpy
import sys
from pathlib import Path

import pytest

from mnist_tutorial import config

CONF = Path(__file__).resolve().parent.parent / "docs" / "conf.py"

# The settings that change a run's results, and so every page built from them.
RESULT_SETTINGS = (config.ENV_SEED_OFFSET, config.ENV_THREADS, config.ENV_INTER_OP_THREADS)


def stamp_settings(monkeypatch: pytest.MonkeyPatch, **environment: str) -> dict[str, object]:
    """Run conf.py with ``environment`` set; return its ``course_stamp_settings``."""
    with monkeypatch.context() as patch:
        # conf.py puts docs/_ext on sys.path and turns strict claims on; both are undone.
        patch.setattr(sys, "path", list(sys.path))
        patch.setenv(config.ENV_STRICT_CLAIMS, "0")
        for name in RESULT_SETTINGS:
            patch.delenv(name, raising=False)
        for name, value in environment.items():
            patch.setenv(name, value)
        namespace = runpy.run_path(str(CONF))
    return dict(namespace["course_stamp_settings"])


@pytest.mark.parametrize(
    ("variable", "value"),
    [
        (config.ENV_SEED_OFFSET, "100"),
        (config.ENV_THREADS, "2"),
        (config.ENV_INTER_OP_THREADS, "1"),
    ],
)
def test_a_setting_that_changes_the_results_changes_the_page_stamp(
    monkeypatch: pytest.MonkeyPatch, variable: str, value: str
) -> None:
    # The site extension re-runs every page whose stamp changed; a build with
    # other seeds or thread counts must re-run them all (docs/_ext tests the stamp).
    default = stamp_settings(monkeypatch)
    assert stamp_settings(monkeypatch) == default
    assert stamp_settings(monkeypatch, **{variable: value}) != default
