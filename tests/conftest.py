"""Shared pytest fixtures."""

from __future__ import annotations

import dataclasses
import datetime as dt
import hashlib
import json
import os
import re
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import TYPE_CHECKING, Any

import numpy as np
import pytest
from hypothesis import settings

from mnist_tutorial import cache_maintenance, config, data

if TYPE_CHECKING:
    # mnist_tutorial.records imports Keras (4 s here). Imported where it is
    # used instead, so that pytest-xdist's controller, which loads this file
    # before it starts the workers, starts them without waiting on Keras.
    from mnist_tutorial.records import RunRecord

# Property tests draw the same examples on every run: a failure reproduces exactly,
# and mutation testing (nox -s mutants) gets the same verdict each time. No deadline:
# the machines that run the suite are shared and their timings vary.
settings.register_profile("mnist_tutorial", derandomize=True, deadline=None, database=None)
settings.load_profile("mnist_tutorial")

MARKERS_OVERRIDE = "MNIST_TUTORIAL_TEST_MARKERS"


def pytest_configure(config: pytest.Config) -> None:
    # mutmut passes its fixed unit-test selection (pyproject.toml) with -m; `nox -s
    # mutants` widens it through this variable for training.py, whose tests train.
    markers = os.environ.get(MARKERS_OVERRIDE)
    if markers is not None:
        config.option.markexpr = markers


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    # Tests that train first (a stable sort keeps each group's order): under
    # pytest-xdist the long ones start early and the short ones fill in
    # around them, instead of one process finishing a long test alone.
    items.sort(key=lambda item: item.get_closest_marker("training") is None)


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


@pytest.fixture
def small_mnist(monkeypatch: pytest.MonkeyPatch) -> dict[str, np.ndarray]:
    """Tiny uint8 stand-in MNIST arrays that ``mnist_tutorial.data`` accepts as the real ones.

    8 training and 4 test images (with 0, 255 and 128 pixels present) and their labels.
    The data module's expected shapes and sha256 are patched to these arrays, so
    ``verify_arrays`` and ``load_mnist`` treat them exactly as they treat the real data.
    """
    rng = np.random.default_rng(1)
    x_train = rng.integers(0, 256, size=(8, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(4, 28, 28), dtype=np.uint8)
    # Make sure the extremes survive every round trip.
    x_train[0, 0, :3] = (0, 255, 128)
    x_train[5, 27, -2:] = (255, 1)
    x_test[-1, -1, -1] = 255
    arrays = {
        "x_train": x_train,
        "y_train": rng.integers(0, 10, size=8).astype(np.uint8),
        "x_test": x_test,
        "y_test": rng.integers(0, 10, size=4).astype(np.uint8),
    }
    monkeypatch.setattr(data, "_SHAPES", {key: value.shape for key, value in arrays.items()})
    monkeypatch.setattr(
        data,
        "EXPECTED_SHA256",
        {
            key: hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest()
            for key, value in arrays.items()
        },
    )
    return arrays


@pytest.fixture
def make_dataset() -> Callable[..., data.Dataset]:
    """Return a maker of tiny synthetic datasets: random images, labels 0 to 9."""

    def make(n_train: int = 64, n_test: int = 32, seed: int = 0) -> data.Dataset:
        rng = np.random.default_rng(seed)
        return data.preprocess(
            rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n_train),
            rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
            rng.integers(0, 10, size=n_test),
        )

    return make


@pytest.fixture
def dataset(make_dataset: Callable[..., data.Dataset]) -> data.Dataset:
    """64 training and 32 test examples of synthetic data."""
    return make_dataset()


@pytest.fixture
def run_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A fresh run cache for the test, outside draft mode."""
    root = tmp_path / "runs"
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(root))
    monkeypatch.delenv(config.ENV_DRAFT, raising=False)
    return root


@pytest.fixture
def cache_entry() -> Callable[..., None]:
    """Return a writer of a run-cache entry for a key, with one log line per lookup time."""

    def write(root: Path, key: str, *times: dt.datetime) -> None:
        (root / key).mkdir(parents=True)
        (root / key / "result.json").write_text("{}")
        (root / f"{key}.lock").write_text("")
        with (root / cache_maintenance.EVENTS_FILE).open("a") as handle:
            for time in times:
                line = {"event": "hit", "key": key, "time": time.isoformat(timespec="seconds")}
                handle.write(json.dumps(line) + "\n")

    return write


@pytest.fixture
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    """The run cache turned off, outside draft mode."""
    monkeypatch.setenv(config.ENV_RUN_CACHE, "off")
    monkeypatch.delenv(config.ENV_DRAFT, raising=False)


@pytest.fixture
def handmade_record() -> Callable[..., RunRecord]:
    """Return a maker of run records written by hand, with any field changed."""
    from mnist_tutorial.records import METRICS, RunRecord

    def make(**changes: Any) -> RunRecord:
        record = RunRecord(
            key="k" * 64,
            settings={"seed": 3},
            history={name: [0.5, 0.25] for name in METRICS},
            epoch_seconds=[1.0, 2.0],
            total_seconds=3.0,
            n_params=10,
            log_lines=["Epoch 1/2", "Epoch 2/2"],
            created="2026-11-29T00:00:00+00:00",
        )
        return dataclasses.replace(record, **changes)

    return make


# Test scaffolding, not page code: a small subset, so that a page runs in seconds.
_SUBSET = """\
import mnist_tutorial.data

_load_mnist = mnist_tutorial.data.load_mnist


def _first_images(path=None):
    (x_train, y_train), (x_test, y_test) = _load_mnist(path)
    return (x_train[:600], y_train[:600]), (x_test[:200], y_test[:200])


mnist_tutorial.data.load_mnist = _first_images
"""


@pytest.fixture
def run_visible_code() -> Callable[[str, Path], None]:
    """Run a page's code as a student's copy: a fresh interpreter, 600 images, two epochs.

    Every ``epochs=N`` becomes ``epochs=2`` (a page reads its second epoch);
    the run cache is off and training stays in the process. The call fails
    with the script's stderr if it does not exit with status 0.
    """

    def run(code: str, script: Path) -> None:
        shortened, count = re.subn(r"\bepochs=\d+", "epochs=2", code)
        assert count, f"{script.name} states no epochs= to shorten"
        script.write_text(_SUBSET + shortened)
        environment = {
            name: value
            for name, value in os.environ.items()
            if not name.startswith("MNIST_TUTORIAL_") or name == config.ENV_CACHE
        }
        environment |= {
            config.ENV_RUN_CACHE: "off",
            config.ENV_WORKERS: "1",
            config.ENV_PROGRESS: "0",
            "MPLBACKEND": "Agg",
        }
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=script.parent,
            env=environment,
            capture_output=True,
            text=True,
            timeout=600,
            check=False,
        )
        assert result.returncode == 0, result.stderr[-3000:]

    return run


_HOLD_A_LOCK = (
    "import filelock, sys; lock = filelock.FileLock(sys.argv[1]); lock.acquire();"
    " print('held', flush=True); sys.stdin.read()"
)


@pytest.fixture
def lock_in_another_process() -> Iterator[Callable[[Path], subprocess.Popen[str]]]:
    """Hold a file lock in a second Python process until the test lets go.

    Call it with the lock file's path; it returns once the other process
    holds the lock. Closing the process's standard input (or the end of the
    test) makes it let go and exit.
    """
    holders: list[subprocess.Popen[str]] = []

    def hold(path: Path) -> subprocess.Popen[str]:
        holder = subprocess.Popen(
            [sys.executable, "-c", _HOLD_A_LOCK, str(path)],
            stdin=subprocess.PIPE,
            stdout=subprocess.PIPE,
            text=True,
        )
        holders.append(holder)
        if holder.stdout is None or holder.stdout.readline() != "held\n":
            raise RuntimeError(f"the second process did not take the lock {path}")
        return holder

    yield hold
    for holder in holders:
        if holder.stdin is not None and not holder.stdin.closed:
            holder.stdin.close()
        holder.wait(timeout=30)
        if holder.stdout is not None:
            holder.stdout.close()
