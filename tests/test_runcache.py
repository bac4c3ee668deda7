"""Tests for mnist_tutorial.runcache: keys, the lock, atomic entries and the events log.

Results here are small dicts (no training); ``test_training.py`` covers training runs.
"""

from __future__ import annotations

import json
import os
import shutil
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import filelock
import pytest

import mnist_tutorial
from mnist_tutorial import runcache

KEY_A = "a" * 64
KEY_B = "b" * 64


@pytest.fixture
def root(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    folder = tmp_path / "runs"
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", str(folder))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    return folder


class Counter:
    """A compute function that counts its calls and returns a different result each time."""

    def __init__(self, label: str = "result") -> None:
        self.label = label
        self.calls = 0

    def __call__(self) -> dict[str, Any]:
        self.calls += 1
        return {"label": self.label, "call": self.calls, "values": [0.5, 1.25]}


def _never() -> dict[str, Any]:
    raise AssertionError("a cache hit must not compute")


# --------------------------------------------------------------------------- cached_result


def test_a_hit_computes_nothing_and_reads_the_stored_result(root: Path) -> None:
    compute = Counter()
    first, replayed = runcache.cached_result(KEY_A, compute)
    assert (first, replayed) == ({"label": "result", "call": 1, "values": [0.5, 1.25]}, False)
    assert compute.calls == 1

    # What a hit returns is what the entry on disk says, not a copy kept in memory.
    stored = root / KEY_A / "result.json"
    content = json.loads(stored.read_text())
    assert content == {"key": KEY_A, "format": runcache.FORMAT_VERSION, "result": first}
    content["result"]["values"] = [7.0]
    stored.write_text(json.dumps(content))

    second, replayed = runcache.cached_result(KEY_A, _never)
    assert replayed
    assert second == {"label": "result", "call": 1, "values": [7.0]}
    events = runcache.read_events(root)
    assert [(event["event"], event["key"]) for event in events] == [("miss", KEY_A), ("hit", KEY_A)]


def test_without_a_cache_every_call_computes(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", "off")
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(tmp_path / "cache"))
    compute = Counter()
    first = runcache.cached_result(KEY_A, compute)
    second = runcache.cached_result(KEY_A, compute)
    assert (first[0]["call"], first[1]) == (1, False)
    assert (second[0]["call"], second[1]) == (2, False)
    assert list(tmp_path.iterdir()) == []
    assert runcache.read_events() == []


def test_each_key_has_its_own_entry(root: Path) -> None:
    for_a, for_b = Counter("a"), Counter("b")
    result_a, _ = runcache.cached_result(KEY_A, for_a)
    result_b, replayed_b = runcache.cached_result(KEY_B, for_b)
    assert not replayed_b
    assert (result_a["label"], result_b["label"]) == ("a", "b")
    assert runcache.cached_result(KEY_A, _never) == (result_a, True)
    assert runcache.cached_result(KEY_B, _never) == (result_b, True)
    assert sorted(path.name for path in root.iterdir() if path.is_dir()) == [KEY_A, KEY_B]


def test_an_entry_that_names_another_key_is_not_read(root: Path) -> None:
    runcache.cached_result(KEY_A, Counter("a"))
    # The folder of B holds A's entry (a copy, a rename, a bug in a writer).
    shutil.copytree(root / KEY_A, root / KEY_B)

    compute = Counter("b")
    result, replayed = runcache.cached_result(KEY_B, compute)
    assert (result["label"], replayed, compute.calls) == ("b", False, 1)
    assert runcache.cached_result(KEY_B, _never) == (result, True)


@pytest.mark.parametrize(
    "change",
    [
        {"format": runcache.FORMAT_VERSION - 1},
        {"format": runcache.FORMAT_VERSION + 1},
        {"format": str(runcache.FORMAT_VERSION)},
        {"format": None},
    ],
    ids=["older", "newer", "string", "none"],
)
def test_an_entry_of_another_format_is_a_miss(root: Path, change: dict[str, Any]) -> None:
    runcache.cached_result(KEY_A, Counter("old"))
    stored = root / KEY_A / "result.json"
    content = {**json.loads(stored.read_text()), **change}
    stored.write_text(json.dumps(content))

    result, replayed = runcache.cached_result(KEY_A, Counter("new"))
    assert (result["label"], replayed) == ("new", False)
    # The entry is rewritten in the current format, and then replayed.
    assert json.loads(stored.read_text())["format"] == runcache.FORMAT_VERSION
    assert runcache.cached_result(KEY_A, _never) == (result, True)


def test_an_entry_without_a_format_is_a_miss(root: Path) -> None:
    runcache.cached_result(KEY_A, Counter("old"))
    stored = root / KEY_A / "result.json"
    content = json.loads(stored.read_text())
    del content["format"]
    stored.write_text(json.dumps(content))
    assert runcache.cached_result(KEY_A, Counter("new"))[0]["label"] == "new"


@pytest.mark.parametrize(
    "text",
    [
        "{ truncated",
        "[1, 2]",
        json.dumps({"key": KEY_A, "format": runcache.FORMAT_VERSION, "result": [1, 2]}),
        json.dumps({"key": KEY_A, "format": runcache.FORMAT_VERSION}),
        None,
    ],
    ids=["truncated", "not-a-dict", "result-not-a-dict", "no-result", "missing-file"],
)
def test_a_damaged_entry_is_a_miss(root: Path, text: str | None) -> None:
    runcache.cached_result(KEY_A, Counter("old"))
    stored = root / KEY_A / "result.json"
    if text is None:
        stored.unlink()
    else:
        stored.write_text(text)
    result, replayed = runcache.cached_result(KEY_A, Counter("new"))
    assert (result["label"], replayed) == ("new", False)


def test_compute_runs_while_the_key_is_locked(root: Path) -> None:
    seen: list[str] = []

    def compute() -> dict[str, Any]:
        # Another process (here: another open file) cannot take this key's lock now ...
        with pytest.raises(filelock.Timeout):
            filelock.FileLock(root / f"{KEY_A}.lock", timeout=0).acquire()
        # ... but another key's lock is free.
        with filelock.FileLock(root / f"{KEY_B}.lock", timeout=0):
            seen.append("computed")
        return {"ok": True}

    assert runcache.cached_result(KEY_A, compute) == ({"ok": True}, False)
    assert seen == ["computed"]
    # Released afterwards.
    with filelock.FileLock(root / f"{KEY_A}.lock", timeout=0):
        pass


def test_a_hit_is_read_under_the_lock(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runcache.cached_result(KEY_A, Counter())
    real_read_text = Path.read_text
    locked: list[bool] = []

    def read_text(path: Path, *args: Any, **kwargs: Any) -> str:
        if path.name == "result.json":
            try:
                filelock.FileLock(root / f"{KEY_A}.lock", timeout=0).acquire()
            except filelock.Timeout:
                locked.append(True)
            else:
                locked.append(False)
        return real_read_text(path, *args, **kwargs)

    monkeypatch.setattr(Path, "read_text", read_text)
    assert runcache.cached_result(KEY_A, _never)[1]
    assert locked == [True]


def test_a_failed_compute_leaves_no_entry(root: Path) -> None:
    def fail() -> dict[str, Any]:
        raise RuntimeError("interrupted")

    with pytest.raises(RuntimeError, match="interrupted"):
        runcache.cached_result(KEY_A, fail)
    assert not (root / KEY_A).exists()
    assert [path.name for path in root.iterdir() if not path.name.endswith(".lock")] == []
    assert runcache.cached_result(KEY_A, Counter())[1] is False


@pytest.mark.parametrize("key", ["", None, 3, b"a" * 64])
def test_the_key_must_be_a_non_empty_string(root: Path, key: object) -> None:
    with pytest.raises(TypeError, match=r"^key must be a non-empty string, got "):
        runcache.cached_result(key, _never)  # type: ignore[arg-type]
    assert not root.exists()


# --------------------------------------------------------------------------- two processes

WORKER = """
import json, pathlib, sys, time
from mnist_tutorial import runcache

folder = pathlib.Path(sys.argv[1])
name = sys.argv[2]

def compute():
    with (folder / "computed.txt").open("a") as handle:
        handle.write(name + "\\n")
    (folder / f"inside-{name}").touch()
    # Stay inside compute until the test says so.
    while not (folder / "release").exists():
        time.sleep(0.05)
    return {"by": name}

(folder / f"ready-{name}").touch()
result, replayed = runcache.cached_result("c" * 64, compute)
print(json.dumps({"result": result, "replayed": replayed}))
"""


def _wait_for(path: Path, process: subprocess.Popen[str], seconds: float = 120) -> None:
    deadline = time.monotonic() + seconds
    while not path.exists():
        assert process.poll() is None, process.communicate()
        assert time.monotonic() < deadline, f"{path.name} did not appear"
        time.sleep(0.05)


def test_two_processes_compute_a_result_once(root: Path, tmp_path: Path) -> None:
    script = tmp_path / "worker.py"
    script.write_text(WORKER)
    # The processes import the package the tests import (a mutated copy under mutmut).
    package_parent = str(Path(mnist_tutorial.__file__).resolve().parent.parent)
    env = {**os.environ, "PYTHONPATH": package_parent}

    def start(name: str) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, str(script), str(tmp_path), name],
            env=env,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
        )

    first = start("first")
    _wait_for(tmp_path / "inside-first", first)  # first holds the lock, computing
    second = start("second")
    _wait_for(tmp_path / "ready-second", second)
    # Give the second process time to compute too, if nothing stops it.
    waited = time.monotonic() + 2
    while time.monotonic() < waited and not (tmp_path / "inside-second").exists():
        time.sleep(0.05)
    (tmp_path / "release").touch()

    outputs = []
    for process in (first, second):
        out, err = process.communicate(timeout=120)
        assert process.returncode == 0, err
        outputs.append(json.loads(out.splitlines()[-1]))

    assert (tmp_path / "computed.txt").read_text().splitlines() == ["first"]
    assert outputs == [
        {"result": {"by": "first"}, "replayed": False},
        {"result": {"by": "first"}, "replayed": True},
    ]
    events = runcache.read_events(root)
    assert [event["event"] for event in events] == ["miss", "hit"]


# --------------------------------------------------------------------------- get_or_compute


def _store(staging: Path, result: dict[str, Any]) -> None:
    (staging / "value.json").write_text(json.dumps(result))


def _load(entry: Path) -> dict[str, Any] | None:
    loaded: dict[str, Any] = json.loads((entry / "value.json").read_text())
    return loaded if loaded.get("valid", True) else None


def test_get_or_compute_logs_the_details_of_each_lookup(tmp_path: Path) -> None:
    def details(result: dict[str, Any]) -> dict[str, Any]:
        return {"size": len(result)}

    def lookup(compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
        return runcache.get_or_compute(
            KEY_A, compute, read=_load, write=_store, root=tmp_path, describe=details
        )

    assert lookup(lambda: {"x": 1, "y": 2}) == ({"x": 1, "y": 2}, False)
    assert lookup(_never) == ({"x": 1, "y": 2}, True)
    events = runcache.read_events(tmp_path)
    assert [(event["event"], event["key"], event["size"]) for event in events] == [
        ("miss", KEY_A, 2),
        ("hit", KEY_A, 2),
    ]
    assert all(set(event) == {"event", "key", "time", "size"} for event in events)


def test_get_or_compute_treats_an_entry_its_reader_refuses_as_a_miss(tmp_path: Path) -> None:
    runcache.get_or_compute(
        KEY_A, lambda: {"valid": False}, read=_load, write=_store, root=tmp_path
    )
    result, replayed = runcache.get_or_compute(
        KEY_A, lambda: {"valid": True, "n": 2}, read=_load, write=_store, root=tmp_path
    )
    assert (result, replayed) == ({"valid": True, "n": 2}, False)
    events = runcache.read_events(tmp_path)
    assert [event["event"] for event in events] == ["miss", "miss"]
    assert set(events[0]) == {"event", "key", "time"}


def test_get_or_compute_without_a_root_only_computes(tmp_path: Path) -> None:
    def unused(*args: object) -> Any:
        raise AssertionError("nothing is read or written without a cache")

    assert runcache.get_or_compute(
        KEY_A, lambda: {"n": 1}, read=unused, write=unused, root=None
    ) == (
        {"n": 1},
        False,
    )


# --------------------------------------------------------------------------- commit_entry


def test_commit_entry_replaces_an_old_entry_whole(tmp_path: Path) -> None:
    old = tmp_path / "runs" / KEY_A
    old.mkdir(parents=True)
    (old / "stale.txt").write_text("old")

    final = runcache.commit_entry(
        tmp_path / "runs", KEY_A, lambda staging: _store(staging, {"n": 1})
    )

    assert final == old
    assert sorted(path.name for path in final.iterdir()) == ["value.json"]
    assert [path.name for path in (tmp_path / "runs").iterdir()] == [KEY_A]


def test_commit_entry_interrupted_leaves_nothing(tmp_path: Path) -> None:
    def write(staging: Path) -> None:
        (staging / "half.txt").write_text("half")
        raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        runcache.commit_entry(tmp_path, KEY_A, write)
    assert list(tmp_path.iterdir()) == []


def test_read_events_of_a_cache_never_used(tmp_path: Path) -> None:
    assert runcache.read_events(tmp_path / "nowhere") == []
    assert runcache.read_events(tmp_path) == []
