"""Shared pytest fixtures."""

from __future__ import annotations

from pathlib import Path

import pytest


@pytest.fixture
def mnist_isolated_env(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Point ``MNIST_TUTORIAL_CACHE`` at an empty per-test folder; clear the other variables.

    Returns the cache folder, which does not exist yet. ``MNIST_TUTORIAL_DATA`` and
    ``MNIST_TUTORIAL_DRAFT`` are unset, so that the user's own settings cannot leak in.
    """
    cache = tmp_path / "cache"
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(cache))
    monkeypatch.delenv("MNIST_TUTORIAL_DATA", raising=False)
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    return cache


@pytest.fixture(autouse=True)
def _in_process_training(monkeypatch: pytest.MonkeyPatch) -> None:
    """Train in the test process unless a test asks for workers.

    Worker processes would not see a test's monkeypatches; the tests of the
    parallel path set ``MNIST_TUTORIAL_WORKERS`` or ``n_jobs`` themselves.
    """
    monkeypatch.setenv("MNIST_TUTORIAL_WORKERS", "1")
