"""Tests of mnist_tutorial.identity: what makes a run, by kind."""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

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
    monkeypatch.delenv("TF_ENABLE_ONEDNN_OPTS", raising=False)
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
    assert identity.instruction_set() == "x86_64 avx512_core"
    cpu(AVX2)
    assert identity.instruction_set() == "x86_64 avx2"
    # AVX2 without FMA is not oneDNN's avx2 family.
    cpu("sse4_1 avx avx2")
    assert identity.instruction_set() == "x86_64 avx"
    cpu("fpu sse2")
    assert identity.instruction_set() == "x86_64 below sse41"


def test_onednn_settings_enter_the_instruction_set(
    cpu: Callable[[str], None], monkeypatch: pytest.MonkeyPatch
) -> None:
    cpu(AVX512)
    # A cap below the machine's family lowers it; one at or above changes nothing.
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "avx2")
    assert identity.instruction_set() == "x86_64 avx2"
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "AVX512_CORE_BF16")
    assert identity.instruction_set() == "x86_64 avx512_core"
    cpu(AVX2)
    monkeypatch.setenv("ONEDNN_MAX_CPU_ISA", "SSE41")
    assert identity.instruction_set() == "x86_64 sse41"
    monkeypatch.delenv("ONEDNN_MAX_CPU_ISA")
    monkeypatch.setenv("TF_ENABLE_ONEDNN_OPTS", "0")
    assert identity.instruction_set() == "x86_64 avx2, oneDNN off"


def test_without_cpuinfo_the_architecture_is_named(
    cpu: Callable[[str], None], monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    cpu(AVX2)
    monkeypatch.setattr(identity, "_CPUINFO", tmp_path / "absent")
    identity._cpu_flags.cache_clear()
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
