"""Tests for mnist_tutorial.runcache."""

from __future__ import annotations

import datetime as dt
import json
import os
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

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
        lambda content: {**content, "format": runcache.RESULT_FORMAT - 1},
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
    # Only the key's lock file, which stays (another process may wait on it).
    assert [path.name for path in root.iterdir()] == ["k1.lock"]


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


# --------------------------------------------------------------------------- issue 12: more of the contract

KEY_A = "a" * 64
KEY_B = "b" * 64


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


def test_a_hit_computes_nothing_and_reads_the_stored_result(root: Path) -> None:
    compute = Counter()
    first, replayed = runcache.cached_result(KEY_A, compute)
    assert (first, replayed) == ({"label": "result", "call": 1, "values": [0.5, 1.25]}, False)
    assert compute.calls == 1

    # What a hit returns is what the entry on disk says, not a copy kept in memory.
    stored = root / KEY_A / "result.json"
    content = json.loads(stored.read_text())
    assert content == {"key": KEY_A, "format": runcache.RESULT_FORMAT, "result": first}
    content["result"]["values"] = [7.0]
    stored.write_text(json.dumps(content))

    second, replayed = runcache.cached_result(KEY_A, _never)
    assert replayed
    assert second == {"label": "result", "call": 1, "values": [7.0]}
    events = runcache.read_events(root)
    assert [(event["event"], event["key"]) for event in events] == [("miss", KEY_A), ("hit", KEY_A)]


def test_each_key_has_its_own_entry(root: Path) -> None:
    for_a, for_b = Counter("a"), Counter("b")
    result_a, _ = runcache.cached_result(KEY_A, for_a)
    result_b, replayed_b = runcache.cached_result(KEY_B, for_b)
    assert not replayed_b
    assert (result_a["label"], result_b["label"]) == ("a", "b")
    assert runcache.cached_result(KEY_A, _never) == (result_a, True)
    assert runcache.cached_result(KEY_B, _never) == (result_b, True)
    assert sorted(path.name for path in root.iterdir() if path.is_dir()) == [KEY_A, KEY_B]


@pytest.mark.parametrize(
    "change",
    [
        {"format": runcache.RESULT_FORMAT - 1},
        {"format": runcache.RESULT_FORMAT + 1},
        {"format": str(runcache.RESULT_FORMAT)},
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
    assert json.loads(stored.read_text())["format"] == runcache.RESULT_FORMAT
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
        json.dumps({"key": KEY_A, "format": runcache.RESULT_FORMAT, "result": [1, 2]}),
        json.dumps({"key": KEY_A, "format": runcache.RESULT_FORMAT}),
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


def _held_elsewhere(lock: Path) -> bool:
    """Whether another holder has the lock file (a new FileLock cannot take it at once)."""
    try:
        filelock.FileLock(lock, timeout=0).acquire()
    except filelock.Timeout:
        return True
    return False


def test_a_hit_is_read_under_the_lock(root: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    runcache.cached_result(KEY_A, Counter())
    real_read_text = Path.read_text
    locked: list[bool] = []

    def read_text(path: Path, *args: Any, **kwargs: Any) -> str:
        if path.name == "result.json":
            locked.append(_held_elsewhere(root / f"{KEY_A}.lock"))
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


def test_lookup_reads_a_hit_logs_it_and_never_computes(tmp_path: Path) -> None:
    def details(result: dict[str, Any]) -> dict[str, Any]:
        return {"size": len(result)}

    assert runcache.lookup(KEY_A, _load, tmp_path, describe=details) is None
    runcache.get_or_compute(
        KEY_A, lambda: {"n": 1}, read=_load, write=_store, root=tmp_path, describe=details
    )
    assert runcache.lookup(KEY_A, _load, tmp_path, describe=details) == {"n": 1}
    # The miss is logged by whoever computes, once; the lookup logs its hit.
    events = runcache.read_events(tmp_path)
    assert [(event["event"], event["size"]) for event in events] == [("miss", 1), ("hit", 1)]


def test_lookup_of_an_entry_its_reader_refuses_is_a_miss(tmp_path: Path) -> None:
    runcache.get_or_compute(
        KEY_A, lambda: {"valid": False}, read=_load, write=_store, root=tmp_path
    )
    assert runcache.lookup(KEY_A, _load, tmp_path) is None
    assert [event["event"] for event in runcache.read_events(tmp_path)] == ["miss"]


def test_lookup_creates_a_cache_folder_several_levels_down(tmp_path: Path) -> None:
    nested = tmp_path / "a" / "b" / "runs"
    assert runcache.lookup(KEY_A, _load, nested) is None
    assert nested.is_dir()


def test_lookup_without_a_cache_is_a_miss() -> None:
    def unused(entry: Path) -> Any:
        raise AssertionError("nothing is read without a cache")

    assert runcache.lookup(KEY_A, unused, None) is None


def test_lookup_reads_under_the_lock(tmp_path: Path) -> None:
    runcache.get_or_compute(KEY_A, lambda: {"n": 1}, read=_load, write=_store, root=tmp_path)
    locked: list[bool] = []

    def read(entry: Path) -> dict[str, Any] | None:
        locked.append(_held_elsewhere(tmp_path / f"{KEY_A}.lock"))
        return _load(entry)

    assert runcache.lookup(KEY_A, read, tmp_path) == {"n": 1}
    assert locked == [True]


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
    assert sorted(path.name for path in (tmp_path / "runs").iterdir()) == [KEY_A, f"{KEY_A}.lock"]


def test_commit_entry_waits_for_the_keys_lock_held_by_another_process(
    tmp_path: Path, lock_in_another_process: Callable[[Path], subprocess.Popen[str]]
) -> None:
    # A reader in another process holds the key's lock: the entry must not
    # change under it (removed, then renamed into place) until it lets go.
    root = tmp_path / "runs"
    root.mkdir()
    holder = lock_in_another_process(root / f"{KEY_A}.lock")
    writer = threading.Thread(
        target=runcache.commit_entry, args=(root, KEY_A, lambda staging: _store(staging, {"n": 1}))
    )
    writer.start()
    writer.join(timeout=1.0)
    assert writer.is_alive()
    assert not (root / KEY_A).exists()
    assert holder.stdin is not None
    holder.stdin.close()
    writer.join(timeout=30)
    assert not writer.is_alive()
    assert (root / KEY_A / "value.json").is_file()


def test_an_entry_is_staged_in_a_hidden_folder_beside_it(tmp_path: Path) -> None:
    # In the cache folder itself, so that the final rename stays on one file system.
    root = tmp_path / "runs"
    staged: list[Path] = []

    def write(staging: Path) -> None:
        staged.append(staging)
        _store(staging, {"n": 1})

    final = runcache.commit_entry(root, KEY_A, write)
    assert final == root / KEY_A
    assert staged[0].parent == root
    assert staged[0].name.startswith(f".tmp-{KEY_A[:12]}-")
    assert not staged[0].exists()


def test_event_times_are_utc(tmp_path: Path) -> None:
    runcache.get_or_compute(
        KEY_A, lambda: {"x": 1}, read=_load, write=_store, root=tmp_path, describe=None
    )
    [event] = runcache.read_events(tmp_path)
    moment = dt.datetime.fromisoformat(event["time"])
    assert moment.utcoffset() == dt.timedelta(0)
    assert abs(dt.datetime.now(dt.UTC) - moment) < dt.timedelta(minutes=5)


def test_read_events_defaults_to_the_configured_cache(root: Path) -> None:
    runcache.cached_result(KEY_A, Counter())
    assert [event["event"] for event in runcache.read_events()] == ["miss"]
    assert runcache.read_events() == runcache.read_events(root)


def test_a_cache_folder_several_levels_down_is_created(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    nested = tmp_path / "a" / "b" / "runs"
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", str(nested))
    assert runcache.cached_result(KEY_A, Counter())[1] is False
    assert (nested / KEY_A / "result.json").is_file()
    final = runcache.commit_entry(tmp_path / "c" / "d", KEY_B, lambda staging: None)
    assert final == tmp_path / "c" / "d" / KEY_B
    assert final.is_dir()


def test_main_prints_the_configured_cache_and_prunes(
    root: Path, capsys: pytest.CaptureFixture[str], cache_entry: Callable[..., None]
) -> None:
    cache_entry(root, "ancient", dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    cache_entry(root, "fresh", dt.datetime.now(dt.UTC))
    assert runcache.main([]) == 0
    assert capsys.readouterr().out.startswith(f"run cache {root}: 2 entries,")
    assert runcache.main(["--prune", "365"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out[0] == "removed 1 entries unused for 365 days"
    assert out[1].startswith(f"run cache {root}: 1 entries,")
    assert sorted(path.name for path in root.iterdir() if path.is_dir()) == ["fresh"]


def test_main_reads_prune_as_days(
    root: Path, capsys: pytest.CaptureFixture[str], cache_entry: Callable[..., None]
) -> None:
    # Last used two days ago: kept by a three-day window (three hours would remove it),
    # removed by a one-day window (one week would keep it).
    cache_entry(root, "two-days", dt.datetime.now(dt.UTC) - dt.timedelta(days=2))
    assert runcache.main(["--prune", "3"]) == 0
    assert capsys.readouterr().out.startswith("removed 0 entries unused for 3 days")
    assert runcache.main(["--prune", "1"]) == 0
    assert capsys.readouterr().out.startswith("removed 1 entries unused for 1 days")


def test_main_reads_the_folder_it_is_given_and_prunes_with_zero_days(
    root: Path,
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    cache_entry: Callable[..., None],
) -> None:
    other = tmp_path / "other"
    cache_entry(other, "old", dt.datetime(2000, 1, 1, tzinfo=dt.UTC))
    assert runcache.main(["--root", str(other), "--prune", "0"]) == 0
    out = capsys.readouterr().out.splitlines()
    assert out == ["removed 1 entries unused for 0 days", str(runcache.summarize(other))]
    assert out[1].startswith(f"run cache {other}: 0 entries,")


def test_main_explains_itself(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as exit_info:
        runcache.main(["--help"])
    assert exit_info.value.code == 0
    # Lines joined: argparse wraps the help to the terminal's width.
    usage = " ".join(capsys.readouterr().out.split())
    assert usage.startswith(
        "usage: python -m mnist_tutorial.runcache [-h] [--root ROOT] [--prune DAYS]"
    )
    assert " Inspect the run cache; with --prune, remove what has not been used. " in usage
    assert (
        " --root ROOT the cache directory (default: the configured one, see "
        "MNIST_TUTORIAL_RUN_CACHE) "
    ) in usage
    assert (
        " --prune DAYS remove the entries and log lines that no lookup has used for DAYS days"
        in (usage)
    )


def test_main_rejects_negative_days_and_reports_a_disabled_cache(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as exit_info:
        runcache.main(["--root", "/nonexistent", "--prune", "-1"])
    assert exit_info.value.code == 2
    assert "--prune takes zero or more days, got -1" in capsys.readouterr().err
    monkeypatch.setenv("MNIST_TUTORIAL_RUN_CACHE", "off")
    assert runcache.main([]) == 0
    assert capsys.readouterr().out == "the run cache is turned off (MNIST_TUTORIAL_RUN_CACHE=off)\n"
