"""Tests for mnist_tutorial.config."""

from __future__ import annotations

from pathlib import Path

import platformdirs
import pytest

from mnist_tutorial import config


@pytest.mark.parametrize("value", ["1", "true", "TRUE", "True", " yes ", "on", "ON"])
def test_draft_mode_true_values(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", value)
    assert config.draft_mode() is True


@pytest.mark.parametrize("value", [None, "", "  ", "0", "false", "False", "no", "off", " OFF"])
def test_draft_mode_false_values(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    else:
        monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", value)
    assert config.draft_mode() is False


@pytest.mark.parametrize("value", ["2", "maybe", "y", "t", "enabled", "-1"])
def test_draft_mode_invalid_value(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", value)
    with pytest.raises(ValueError, match="MNIST_TUTORIAL_DRAFT") as caught:
        config.draft_mode()
    assert value in str(caught.value)


def test_cache_dir_honours_environment(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    target = tmp_path / "somewhere" / "else"
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(target))
    assert config.cache_dir() == target
    assert not target.exists()  # not created


def test_cache_dir_expands_user(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", "~/mnist-cache")
    assert config.cache_dir() == tmp_path / "mnist-cache"


@pytest.mark.parametrize("value", [None, "", "   "])
def test_cache_dir_default(monkeypatch: pytest.MonkeyPatch, value: str | None) -> None:
    if value is None:
        monkeypatch.delenv("MNIST_TUTORIAL_CACHE", raising=False)
    else:
        monkeypatch.setenv("MNIST_TUTORIAL_CACHE", value)
    assert config.cache_dir() == platformdirs.user_cache_path("mnist-tutorial")


def test_subset_sizes_follow_draft_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "0")
    assert config.subset_sizes() == {}
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    assert config.subset_sizes() == {"n_train": 2000, "n_test": 500}
    sizes = config.subset_sizes()
    sizes["n_train"] = 1
    assert config.subset_sizes()["n_train"] == 2000  # a copy, not the module's dict
