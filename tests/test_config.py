"""Tests for mnist_tutorial.config."""

from __future__ import annotations

import re
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


def test_seeds_and_their_offset(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_SEED_OFFSET", raising=False)
    assert config.seeds() == (0, 1, 2)
    assert config.seeds(5) == (0, 1, 2, 3, 4)
    monkeypatch.setenv("MNIST_TUTORIAL_SEED_OFFSET", "100")
    assert config.seeds() == (100, 101, 102)
    assert config.seeds(1) == (100,)  # one seed is the smallest count


@pytest.mark.parametrize("value", ["-1", "1.5", "ten"])
def test_bad_seed_offset(monkeypatch: pytest.MonkeyPatch, value: str) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_SEED_OFFSET", value)
    with pytest.raises(ValueError, match="MNIST_TUTORIAL_SEED_OFFSET"):
        config.seeds()


@pytest.mark.parametrize("count", [0, -2, 2.0, True])
def test_bad_seed_count(count: object) -> None:
    with pytest.raises(ValueError, match="count"):
        config.seeds(count)  # type: ignore[arg-type]


def test_training_threads(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_THREADS", raising=False)
    monkeypatch.delenv("MNIST_TUTORIAL_INTER_OP_THREADS", raising=False)
    assert config.training_threads() == (1, 2)
    monkeypatch.setenv("MNIST_TUTORIAL_THREADS", "4")
    monkeypatch.setenv("MNIST_TUTORIAL_INTER_OP_THREADS", "3")
    assert config.training_threads() == (4, 3)
    monkeypatch.setenv("MNIST_TUTORIAL_THREADS", "1")
    monkeypatch.setenv("MNIST_TUTORIAL_INTER_OP_THREADS", "1")
    assert config.training_threads() == (1, 1)  # one thread is the smallest count


@pytest.mark.parametrize("name", ["MNIST_TUTORIAL_THREADS", "MNIST_TUTORIAL_WORKERS"])
@pytest.mark.parametrize("value", ["0", "-1", "two", "1.5"])
def test_counts_must_be_positive_whole_numbers(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    with pytest.raises(ValueError, match=name):
        config.training_threads() if "THREADS" in name else config.workers()


def test_workers_default_to_usable_cores(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_WORKERS", raising=False)
    assert config.workers() == config.usable_cores() >= 1
    monkeypatch.setenv("MNIST_TUTORIAL_WORKERS", "3")
    assert config.workers() == 3


@pytest.mark.parametrize(("value", "expected"), [(None, True), ("0", False), ("yes", True)])
def test_progress_flag(monkeypatch: pytest.MonkeyPatch, value: str | None, expected: bool) -> None:
    if value is None:
        monkeypatch.delenv("MNIST_TUTORIAL_PROGRESS", raising=False)
    else:
        monkeypatch.setenv("MNIST_TUTORIAL_PROGRESS", value)
    assert config.progress() is expected


def test_strict_claims_flag(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
    assert config.strict_claims() is False
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    assert config.strict_claims() is True
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "sometimes")
    with pytest.raises(ValueError, match="MNIST_TUTORIAL_STRICT_CLAIMS"):
        config.strict_claims()


@pytest.mark.parametrize("value", [None, "", "   "])
def test_no_claims_ledger_outside_a_site_build(
    monkeypatch: pytest.MonkeyPatch, value: str | None
) -> None:
    if value is None:
        monkeypatch.delenv("MNIST_TUTORIAL_CLAIMS_LEDGER", raising=False)
    else:
        monkeypatch.setenv("MNIST_TUTORIAL_CLAIMS_LEDGER", value)
    assert config.ENV_CLAIMS_LEDGER == "MNIST_TUTORIAL_CLAIMS_LEDGER"
    assert config.claims_ledger_file() is None


def test_claims_ledger_file_is_the_setting(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_CLAIMS_LEDGER", f" {tmp_path / 'plot_01.json'} ")
    assert config.claims_ledger_file() == tmp_path / "plot_01.json"


def test_run_cache_dir_settings(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(tmp_path))
    monkeypatch.delenv("MNIST_TUTORIAL_RUN_CACHE", raising=False)
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    assert config.run_cache_dir() == tmp_path / "runs"
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    assert config.run_cache_dir() == tmp_path / "runs-draft"
    for off in ("off", "0", "none", "False"):
        monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", off)
        assert config.run_cache_dir() is None
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", str(tmp_path / "elsewhere"))
    assert config.run_cache_dir() == tmp_path / "elsewhere"


def test_run_cache_can_be_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", f" {tmp_path / 'elsewhere'} ")
    assert config.run_cache_dir() == tmp_path / "elsewhere"
    monkeypatch.setenv("HOME", str(tmp_path))
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", "~/runs")
    assert config.run_cache_dir() == tmp_path / "runs"


def test_usable_cores_are_this_process_cpus(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(config.os, "sched_getaffinity", lambda pid: {0, 3, 5}, raising=False)
    assert config.usable_cores() == 3


@pytest.mark.parametrize(("count", "expected"), [(6, 6), (None, 1)])
def test_usable_cores_without_affinity(
    monkeypatch: pytest.MonkeyPatch, count: int | None, expected: int
) -> None:
    monkeypatch.delattr(config.os, "sched_getaffinity", raising=False)
    monkeypatch.setattr(config.os, "cpu_count", lambda: count)
    assert config.usable_cores() == expected


@pytest.mark.parametrize(
    "name", ["MNIST_TUTORIAL_WORKERS", "MNIST_TUTORIAL_THREADS", "MNIST_TUTORIAL_INTER_OP_THREADS"]
)
@pytest.mark.parametrize("value", ["0", "-2", "two", "1.5", "2x"])
def test_count_errors_name_the_setting_and_the_value(
    monkeypatch: pytest.MonkeyPatch, name: str, value: str
) -> None:
    monkeypatch.setenv(name, value)
    expected = f"{name} must be a whole number >= 1, got {value!r}"
    with pytest.raises(ValueError, match=f"^{re.escape(expected)}$"):
        config.workers() if name.endswith("WORKERS") else config.training_threads()


def test_progress_rejects_other_values(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_PROGRESS", "loud")
    with pytest.raises(ValueError, match=r"^MNIST_TUTORIAL_PROGRESS must be one of"):
        config.progress()
