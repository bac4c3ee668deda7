"""What makes a run: every setting of a run's key, each tagged by its kind.

:data:`RUN_IDENTITY` is the one list of everything that enters a run's
identity (the settings of :func:`mnist_tutorial.records.run_key`, whose
sha256 is the key). Each setting has a kind:

``configuration``
    What the experiment is: the model, its compile settings, the epochs,
    the batch size and the data. Two runs with the same configuration
    settings are two runs of one configuration
    (:func:`configuration_settings`, which
    :func:`mnist_tutorial.published.configuration_id` digests).
``seed``
    What tells the runs of one configuration apart: the seed, and the
    initial weights it draws.
``machine``
    What the machine computes with: TensorFlow's thread counts, and the
    instruction set of its float32 kernels and whether they are oneDNN's
    (:func:`instruction_set`). Each changes the last digits of a run's
    numbers.
``library``
    The versions of TensorFlow, Keras and NumPy.
``code``
    The package's code on the training path, and how a run's fit calls
    ``model.fit`` and in how many steps per call.
``format``
    The version of the run cache's entry layout.

The identities built from it: a learning-rate range test's key is a run key
plus the test's parameters and code
(:func:`mnist_tutorial.lr_range.lr_range_test`); a published record is
compared with a reader's run by its configuration settings; and a page's
stamp, which decides whether the site re-runs the page, holds the
environment's share (:func:`environment_settings`), since the page's code
and the package's sources are stamped separately.
"""

from __future__ import annotations

import functools
import os
import platform
from collections.abc import Mapping
from pathlib import Path
from types import MappingProxyType
from typing import Any, NamedTuple

import mnist_tutorial
from mnist_tutorial import config

__all__ = [
    "KINDS",
    "RUN_IDENTITY",
    "Setting",
    "configuration_settings",
    "environment_settings",
    "instruction_set",
    "names_of",
    "onednn_on",
]

#: The kinds of setting, in the order the module docstring explains them.
KINDS = ("configuration", "seed", "machine", "library", "code", "format")


class Setting(NamedTuple):
    """One setting of a run's identity: its kind (one of :data:`KINDS`) and what it stands for."""

    kind: str
    meaning: str


#: Everything that enters a run's identity. Each setting of
#: :func:`mnist_tutorial.records.run_key` maps to its kind and meaning.
RUN_IDENTITY: Mapping[str, Setting] = MappingProxyType(
    {
        "architecture": Setting(
            "configuration", "the model's configuration, without the auto-numbered layer names"
        ),
        "compile": Setting(
            "configuration", "the optimizer and its settings, the loss and the metrics"
        ),
        "epochs": Setting("configuration", "the epochs trained"),
        "batch_size": Setting("configuration", "the mini-batch size"),
        "train_examples": Setting("configuration", "the number of training examples"),
        "validation_examples": Setting("configuration", "the number of validation (test) examples"),
        "data_fingerprint": Setting("configuration", "the sha256 of the data arrays"),
        "seed": Setting(
            "seed", "the seed of Python, NumPy and the backend (config.seeds() for pages)"
        ),
        "initial_weights_sha256": Setting(
            "seed", "the initial weights (the seed and the initializers)"
        ),
        "threads": Setting(
            "machine", "TensorFlow's intra-op and inter-op threads (config.training_threads())"
        ),
        "instruction_set": Setting(
            "machine",
            "the instruction set and kernels of the float32 arithmetic (identity.instruction_set())",
        ),
        "versions": Setting("library", "the TensorFlow, Keras and NumPy versions"),
        "trainer_sha256": Setting(
            "code", "the source of the package's fitting path (fitting.trainer_sha256)"
        ),
        "fit": Setting(
            "code", "what the fit passes to model.fit, data named by role (fitting.fit_call)"
        ),
        "steps_per_execution": Setting("code", "training steps per call into TensorFlow"),
        "format": Setting("format", "the version of the run cache's entry layout"),
    }
)


def names_of(kind: str) -> tuple[str, ...]:
    """Return the names of the settings of one kind, in :data:`RUN_IDENTITY`'s order.

    Raises
    ------
    ValueError
        If ``kind`` is not one of :data:`KINDS`.
    """
    if kind not in KINDS:
        raise ValueError(f"kind must be one of {KINDS}, got {kind!r}")
    return tuple(name for name, setting in RUN_IDENTITY.items() if setting.kind == kind)


def configuration_settings(settings: Mapping[str, Any]) -> dict[str, Any]:
    """Return the configuration settings of a run: what its seeds, machine and code leave alone.

    Parameters
    ----------
    settings : mapping
        A run's settings (:func:`mnist_tutorial.records.run_key`), or a
        published record's.
    """
    kept = names_of("configuration")
    return {name: value for name, value in settings.items() if name in kept}


# oneDNN's float32 kernel families, slowest first, with the CPU flags
# (/proc/cpuinfo) each needs. Within one family the float32 kernels are the
# same: capping a machine with AMX at AVX512_CORE changed no number, capping
# it at AVX2 did (the Reproducibility page).
_FAMILIES = (
    ("sse41", frozenset({"sse4_1"})),
    ("avx", frozenset({"avx"})),
    ("avx2", frozenset({"avx2", "fma"})),
    ("avx512_core", frozenset({"avx512f", "avx512bw", "avx512vl", "avx512dq"})),
)
# ONEDNN_MAX_CPU_ISA values, by the family they cap at.
_CAPS = {
    "SSE41": "sse41",
    "AVX": "avx",
    "AVX2": "avx2",
    "AVX2_VNNI": "avx2",
    "AVX2_VNNI_2": "avx2",
}


_CPUINFO = Path("/proc/cpuinfo")


@functools.cache
def _cpu_flags() -> frozenset[str] | None:
    """Return the flags of the first processor in ``/proc/cpuinfo``, or None where there is none."""
    if not _CPUINFO.is_file():
        return None
    for line in _CPUINFO.read_text(encoding="utf-8", errors="replace").splitlines():
        name, _, value = line.partition(":")
        if name.strip() == "flags":
            return frozenset(value.split())
    return None


# Processor flags with which TensorFlow turns its oneDNN kernels on by
# default on Linux (DefaultOneDnnPolicy in tensorflow/core/util/port.cc).
_ONEDNN_BY_DEFAULT = frozenset(
    {"avx512_vnni", "avx512_bf16", "avx_vnni", "amx_tile", "amx_int8", "amx_bf16"}
)


def _setting(value: str | None) -> bool | None:
    """Read TF_ENABLE_ONEDNN_OPTS as TensorFlow does: None for unset or unreadable."""
    text = (value or "").strip().lower()
    return True if text in {"1", "true"} else False if text in {"0", "false"} else None


def onednn_on(*, new_process: bool = False) -> bool | None:
    """Return whether this process's TensorFlow runs its oneDNN kernels; None where unknown.

    TensorFlow decides when it starts: ``TF_ENABLE_ONEDNN_OPTS`` (``1`` or
    ``true``, ``0`` or ``false``), else on for x86-64 Linux processors with
    AVX512-VNNI, AVX512-BF16, AVX-VNNI or AMX and off for others. Importing
    this package sets the variable to ``1`` where the reader has not set it
    (``mnist_tutorial/__init__.py``); where TensorFlow had started before
    that, the setting it started with counts. Elsewhere than x86-64 Linux,
    an unset variable gives None.

    Parameters
    ----------
    new_process : bool, default False
        Answer for a worker process that this process starts (it inherits
        this environment, and its TensorFlow starts after the package)
        rather than for this process.
    """
    if mnist_tutorial.TENSORFLOW_STARTED_FIRST and not new_process:
        chosen = _setting(mnist_tutorial.ONEDNN_SETTING_AT_START)
    else:
        chosen = _setting(os.environ.get(mnist_tutorial.ONEDNN_VARIABLE))
    if chosen is not None:
        return chosen
    flags = _cpu_flags()
    if flags is None or platform.machine() not in {"x86_64", "AMD64"}:
        return None
    return bool(flags & _ONEDNN_BY_DEFAULT)


def instruction_set(*, new_process: bool = False) -> str:
    """Return the instruction set and kernels of this process's TensorFlow float32 arithmetic.

    TensorFlow's oneDNN kernels order their floating-point sums by the
    widest vector instructions they use, and its own kernels order them
    otherwise again, so a run's last digits differ between a processor with
    AVX-512 and one with AVX2 only, and between oneDNN on and off. On
    x86-64 Linux this names oneDNN's kernel family for float32
    (``avx512_core``, ``avx2``, ``avx`` or ``sse41``), from the processor's
    flags and oneDNN's cap ``ONEDNN_MAX_CPU_ISA``, and whether the oneDNN
    kernels are on (:func:`onednn_on`): ``x86_64 avx2, oneDNN on``, say.
    Elsewhere it names the processor architecture and says the instruction
    set was not read, which keys runs by machine type, not more finely.

    Parameters
    ----------
    new_process : bool, default False
        Answer for a worker process that this process starts, as
        :func:`onednn_on` does.
    """
    machine = platform.machine() or "unknown"
    flags = _cpu_flags()
    if flags is None or machine not in {"x86_64", "AMD64"}:
        name = f"{machine} (instruction set not read)"
    else:
        family = "below sse41"
        for candidate, needs in _FAMILIES:
            if needs <= flags:
                family = candidate
        cap = os.environ.get("ONEDNN_MAX_CPU_ISA", "").strip().upper()
        capped = _CAPS.get(cap)
        order = [candidate for candidate, _ in _FAMILIES]
        if capped is not None and family in order and order.index(capped) < order.index(family):
            family = capped
        name = f"{machine} {family}"
    onednn = onednn_on(new_process=new_process)
    if onednn is not None:
        name += f", oneDNN {'on' if onednn else 'off'}"
    return name


def environment_settings() -> dict[str, str]:
    """Return this environment's share of every run's identity, as text.

    The seeds that pages train with (``MNIST_TUTORIAL_SEED_OFFSET``), the
    TensorFlow thread counts and the instruction set: the settings of
    :data:`RUN_IDENTITY` that come from where the build runs rather than
    from a page's code. The site stamps each page with them
    (``course_stamp_settings`` in ``docs/conf.py``), so that a build with
    other values re-runs every page.
    """
    return {
        "seeds": repr(config.seeds()),
        "threads": repr(config.training_threads()),
        "instruction_set": instruction_set(),
    }
