"""Tests of mnist_tutorial.identity: what makes a run, by kind."""

from __future__ import annotations

import functools
import os
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

import mnist_tutorial
from mnist_tutorial import config, identity

AVX512 = "fpu sse4_1 sse4_2 avx avx2 fma avx512f avx512dq avx512bw avx512vl amx_tile"
AVX2 = "fpu sse4_1 sse4_2 avx avx2 fma"


@pytest.fixture
def cpu(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> Iterator[Callable[[str], None]]:
    """Make the machine an x86-64 Linux with the given /proc/cpuinfo flags."""

    def use(flags: str) -> None:
        cpuinfo = tmp_path / "cpuinfo"
        cpuinfo.write_text(f"processor\t: 0\nmodel name\t: a CPU\nflags\t\t: {flags}\n\n")
        monkeypatch.setattr(identity, "_CPUINFO", cpuinfo)
        monkeypatch.setattr(identity.platform, "machine", lambda: "x86_64")
        identity._cpu_flags.cache_clear()

    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA", raising=False)
    # As in a process where the package started before TensorFlow.
    monkeypatch.setattr(mnist_tutorial, "TENSORFLOW_STARTED_FIRST", False)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    yield use
    identity._cpu_flags.cache_clear()


def test_every_setting_has_a_known_kind_and_a_meaning() -> None:
    assert {setting.kind for setting in identity.RUN_IDENTITY.values()} == set(identity.KINDS)
    assert all(setting.meaning for setting in identity.RUN_IDENTITY.values())


def test_names_of_a_kind() -> None:
    assert identity.names_of("machine") == ("threads", "instruction_set")
    assert identity.names_of("seed") == ("seed", "initial_weights_sha256")
    with pytest.raises(ValueError, match=r"^kind must be one of \('configuration'"):
        identity.names_of("hardware")


def test_configuration_settings_keep_only_the_configuration() -> None:
    settings = {name: name.upper() for name in identity.RUN_IDENTITY}
    kept = identity.configuration_settings({**settings, "unknown": 1})
    assert kept == {name: name.upper() for name in identity.names_of("configuration")}
    assert "seed" not in kept
    assert "instruction_set" not in kept


def test_the_instruction_set_is_the_widest_float32_family(cpu: Callable[[str], None]) -> None:
    cpu(AVX512)
    assert identity.instruction_set() == "x86_64 avx512_core, oneDNN on"
    cpu(AVX2)
    assert identity.instruction_set() == "x86_64 avx2, oneDNN on"
    # AVX2 without FMA is not oneDNN's avx2 family.
    cpu("sse4_1 avx avx2")
    assert identity.instruction_set() == "x86_64 avx, oneDNN on"
    cpu("fpu sse2")
    assert identity.instruction_set() == "x86_64 below sse41, oneDNN on"


def test_onednn_settings_enter_the_instruction_set(
    cpu: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu(AVX512)
    # A cap below the machine's family lowers it; one at or above changes nothing.
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "avx2")
    assert identity.instruction_set() == "x86_64 avx2, oneDNN on"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    assert identity.instruction_set() == "x86_64 avx512_core, oneDNN on"
    cpu(AVX2)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")
    assert identity.instruction_set() == "x86_64 sse41, oneDNN on"
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "false")
    assert identity.instruction_set() == "x86_64 avx2, oneDNN off"


@pytest.mark.parametrize(
    ("flags", "expected"),
    [(AVX2, False), (AVX2 + " avx512_vnni", True), (AVX2 + " amx_bf16", True)],
)
@pytest.mark.parametrize("unset", ["", "yes"])
def test_onednn_follows_tensorflows_default_where_nothing_is_chosen(
    cpu: Callable[[str], None],
    monkeypatch: pytest.MonkeyPatch,
    flags: str,
    expected: bool,
    unset: str,
) -> None:
    # TensorFlow reads anything but 0, 1, false and true as unset.
    cpu(flags)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", unset)
    assert identity.onednn_on() is expected


def test_where_tensorflow_started_first_its_setting_at_start_counts(
    cpu: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu(AVX2)
    monkeypatch.setattr(mnist_tutorial, "TENSORFLOW_STARTED_FIRST", True)
    # Unset when TensorFlow started: its default for an AVX2 processor, off,
    # whatever the package set afterwards for the workers.
    monkeypatch.setattr(mnist_tutorial, "ONEDNN_SETTING_AT_START", None)
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "1")
    assert identity.instruction_set() == "x86_64 avx2, oneDNN off"
    # A worker this process starts reads the variable when its TensorFlow starts.
    assert identity.instruction_set(new_process=True) == "x86_64 avx2, oneDNN on"
    monkeypatch.setattr(mnist_tutorial, "ONEDNN_SETTING_AT_START", "1")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert identity.onednn_on() is True


def test_importing_the_package_asks_for_onednn_unless_the_reader_chose() -> None:
    code = (
        "import os, mnist_tutorial;"
        "print(os.environ['TF_ENABLE_ONEDNN_OPTS'], mnist_tutorial.TENSORFLOW_STARTED_FIRST)"
    )
    environment = {k: v for k, v in os.environ.items() if k != "TF_ENABLE_ONEDNN_OPTS"}
    run = functools.partial(
        subprocess.run, capture_output=True, text=True, check=True, env=environment
    )
    assert run([sys.executable, "-c", code]).stdout.split() == ["1", "False"]
    environment["TF_ENABLE_ONEDNN_OPTS"] = "0"
    assert run([sys.executable, "-c", code]).stdout.split() == ["0", "False"]


def test_without_cpuinfo_the_architecture_is_named(
    cpu: Callable[[str], None], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cpu(AVX2)
    monkeypatch.setattr(identity, "_CPUINFO", tmp_path / "absent")
    identity._cpu_flags.cache_clear()
    assert identity.instruction_set() == "x86_64 (instruction set not read), oneDNN on"
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "")
    assert identity.instruction_set() == "x86_64 (instruction set not read)"
    cpu(AVX2)
    monkeypatch.setattr(identity.platform, "machine", lambda: "arm64")
    assert identity.instruction_set() == "arm64 (instruction set not read)"


def test_environment_settings_hold_the_seeds_threads_and_instruction_set(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.delenv(config.ENV_SEED_OFFSET, raising=False)
    monkeypatch.delenv(config.ENV_THREADS, raising=False)
    monkeypatch.delenv(config.ENV_INTER_OP_THREADS, raising=False)
    assert identity.environment_settings() == {
        "seeds": repr(config.seeds()),
        "threads": repr(config.training_threads()),
        "instruction_set": identity.instruction_set(),
    }
    monkeypatch.setenv(config.ENV_SEED_OFFSET, "7")
    assert identity.environment_settings()["seeds"] == repr(config.seeds()) != "(0, 1, 2)"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")
    assert identity.environment_settings()["instruction_set"] == identity.instruction_set()
