"""Tests for mnist_tutorial.runcache."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import threading
from pathlib import Path

import filelock
import pytest

from mnist_tutorial import runcache


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    cache = tmp_path / "runs"
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", str(cache))
    return cache


def test_cached_result_miss_then_hit(root: Path) -> None:
    calls: list[int] = []

    def compute() -> dict[str, object]:
        calls.append(1)
        return {"value": 42}

    first, replayed_first = runcache.cached_result("k1", compute)
    second, replayed_second = runcache.cached_result("k1", compute)
    assert (first, replayed_first) == ({"value": 42}, False)
    assert (second, replayed_second) == ({"value": 42}, True)
    assert calls == [1]
    events = runcache.read_events(root)
    assert [(event["event"], event["key"]) for event in events] == [("miss", "k1"), ("hit", "k1")]


def test_another_key_never_reads_this_entry(root: Path) -> None:
    runcache.cached_result("k1", lambda: {"value": 1})
    # An entry copied under another key's name is not that key's result.
    (root / "k1").rename(root / "k2")
    result, replayed = runcache.cached_result("k2", lambda: {"value": 2})
    assert (result, replayed) == ({"value": 2}, False)


@pytest.mark.parametrize(
    "damage",
    [
        lambda content: {**content, "format": runcache.FORMAT_VERSION - 1},
        lambda content: {**content, "key": "other"},
        lambda content: {key: value for key, value in content.items() if key != "result"},
        lambda content: ["not", "a", "dict"],
    ],
    ids=["old-format", "wrong-key", "no-result", "not-a-dict"],
)
def test_invalid_entries_are_misses(root: Path, damage: object) -> None:
    runcache.cached_result("k1", lambda: {"value": 1})
    path = root / "k1" / "result.json"
    path.write_text(json.dumps(damage(json.loads(path.read_text()))))  # type: ignore[operator]
    result, replayed = runcache.cached_result("k1", lambda: {"value": 3})
    assert (result, replayed) == ({"value": 3}, False)
    assert runcache.cached_result("k1", lambda: {"value": 4}) == ({"value": 3}, True)


def test_without_a_cache_it_always_computes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", "off")
    values = iter(range(10))
    assert runcache.cached_result("k", lambda: {"value": next(values)}) == ({"value": 0}, False)
    assert runcache.cached_result("k", lambda: {"value": next(values)}) == ({"value": 1}, False)


def test_bad_key_is_rejected(root: Path) -> None:
    with pytest.raises(TypeError, match="key"):
        runcache.cached_result("", dict)


def test_waits_for_the_lock_then_reads_the_other_writer(root: Path) -> None:
    runcache.cached_result("k1", lambda: {"value": "first"})
    hidden = root / "hidden"
    (root / "k1").rename(hidden)
    results: list[tuple[dict[str, object], bool]] = []

    def compute() -> dict[str, object]:
        raise AssertionError("the waiting caller must read the other writer's entry")

    with filelock.FileLock(root / "k1.lock"):
        waiter = threading.Thread(
            target=lambda: results.append(runcache.cached_result("k1", compute))
        )
        waiter.start()
        waiter.join(timeout=2)
        assert waiter.is_alive(), "cached_result must wait while another writer holds the lock"
        hidden.rename(root / "k1")
    waiter.join(timeout=30)
    assert results == [({"value": "first"}, True)]


def test_a_failed_write_leaves_no_entry(root: Path) -> None:
    def write(staging: Path) -> None:
        (staging / "partial").write_text("x")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runcache.commit_entry(root, "k1", write)
    assert list(root.iterdir()) == []


SCRIPT = """
import json, sys, time
from mnist_tutorial import runcache

def compute():
    time.sleep(1.0)  # long enough for the other process to reach the lock
    with open(sys.argv[1], "a") as log:
        log.write("computed\\n")
    return {"value": 7}

print(json.dumps(runcache.cached_result("shared-key", compute)))
"""


def test_two_processes_compute_a_result_once(tmp_path: Path, root: Path) -> None:
    script = tmp_path / "compute.py"
    script.write_text(SCRIPT)
    log = tmp_path / "computed.log"
    environment = {**os.environ, "MNIST_TUTORIAL_RUN_CACHE": str(root)}
    processes = [
        subprocess.Popen(
            [sys.executable, str(script), str(log)],
            env=environment,
            stdout=subprocess.PIPE,
            text=True,
        )
        for _ in range(2)
    ]
    outputs = [json.loads(process.communicate(timeout=60)[0]) for process in processes]
    assert log.read_text().splitlines() == ["computed"]
    assert sorted(replayed for _, replayed in outputs) == [False, True]
    assert all(result == {"value": 7} for result, _ in outputs)
