"""Tests for mnist_tutorial.cache_maintenance: the lookup log, summary and pruning."""

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

from mnist_tutorial import cache_maintenance

CacheEntry = Callable[..., None]
# Far from the real clock, so that a prune that ignored `now` would fail.
NOW = dt.datetime(2031, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_read_events_of_a_cache_never_used(tmp_path: Path) -> None:
    assert cache_maintenance.read_events(tmp_path / "nowhere") == []
    assert cache_maintenance.read_events(tmp_path) == []


def test_read_events_skips_and_counts_lines_it_cannot_read(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    good = '{"event": "hit", "key": "a", "time": "2031-06-01T12:00:00+00:00"}'
    garbled = [
        # Valid JSON, but not an event prune and bench_docs can use.
        '{"event": "hit", "key": "b", "time": "yesterday"}',
        '{"event": "hit", "key": "b", "time": "2031-06-01T12:00:00"}',  # no UTC offset
        '{"event": "hit", "key": "b", "time": 1780000000}',
        '{"event": "hit", "key": 7, "time": "2031-06-01T12:00:00+00:00"}',
        '{"event": "seen", "key": "b", "time": "2031-06-01T12:00:00+00:00"}',
        '{"event": "hit", "key": "b", "time": "2031-06-01T12:00:00+00:00", "epochs": "10"}',
        '{"event": "hit", "key": "b", "time": "2031-06-01T12:00:00+00:00", "total_seconds": true}',
    ]
    (tmp_path / cache_maintenance.EVENTS_FILE).write_text(
        # A line torn by a killed process, JSON that is not an event, a blank line.
        f'{good}\n{{"event": "mi\n[1, 2]\n\n{good}\n' + "\n".join(garbled) + "\n"
    )
    events = cache_maintenance.read_events(tmp_path)
    assert [event["key"] for event in events] == ["a", "a"]
    assert capsys.readouterr().err == (
        f"mnist_tutorial: {2 + len(garbled)} unreadable line(s) of "
        f"{tmp_path / cache_maintenance.EVENTS_FILE} skipped\n"
    )
    # And the maintenance that reads the log still runs.
    assert cache_maintenance.prune(tmp_path, unused_for=dt.timedelta(days=1), now=NOW) == []


def test_prune_removes_what_no_lookup_used_within_the_window(
    tmp_path: Path, cache_entry: CacheEntry
) -> None:
    root = tmp_path / "runs"
    cache_entry(root, "old", NOW - dt.timedelta(days=40))
    # Used long ago and again recently: its newest lookup counts.
    cache_entry(root, "recent", NOW - dt.timedelta(days=90), NOW - dt.timedelta(days=2))
    removed = cache_maintenance.prune(root, unused_for=dt.timedelta(days=30), now=NOW)
    assert removed == ["old"]
    assert not (root / "old").exists()
    # A lock file stays: a process may be waiting on it.
    assert (root / "old.lock").is_file()
    assert (root / "recent" / "result.json").is_file()
    # Only the lookup of the last 30 days stays in the log.
    assert [(event["key"], event["time"]) for event in cache_maintenance.read_events(root)] == [
        ("recent", "2031-05-30T12:00:00+00:00")
    ]


def test_prune_keeps_what_was_used_exactly_at_the_edge_and_reads_the_newest_use(
    tmp_path: Path, cache_entry: CacheEntry
) -> None:
    root = tmp_path / "runs"
    window = dt.timedelta(days=30)
    cache_entry(root, "edge", NOW - window)
    # Its log lines out of order: the newest use counts, not the last line.
    cache_entry(root, "reordered", NOW - dt.timedelta(days=1), NOW - dt.timedelta(days=60))
    cache_entry(root, "gone", NOW - window - dt.timedelta(seconds=1))
    cache_entry(root, "unlocked", NOW - window - dt.timedelta(days=1))
    (root / "unlocked.lock").unlink()  # removed by hand: pruning still works
    assert cache_maintenance.prune(root, unused_for=window, now=NOW) == ["gone", "unlocked"]
    # The log keeps every line from the edge on, each one whole.
    assert [(event["key"], event["time"]) for event in cache_maintenance.read_events(root)] == [
        ("edge", "2031-05-02T12:00:00+00:00"),
        ("reordered", "2031-05-31T12:00:00+00:00"),
    ]


def test_prune_dates_an_entry_without_lookups_by_its_folder(
    tmp_path: Path, cache_entry: CacheEntry
) -> None:
    root = tmp_path / "runs"
    cache_entry(root, "unlogged")
    cache_entry(root, "stale")
    written = (NOW - dt.timedelta(days=10)).timestamp()
    os.utime(root / "stale", (written, written))
    os.utime(root / "unlogged", (NOW.timestamp(), NOW.timestamp()))
    assert cache_maintenance.prune(root, unused_for=dt.timedelta(days=5), now=NOW) == ["stale"]
    assert (root / "unlogged").is_dir()


def test_prune_removes_staging_folders_only_once_they_are_old(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    old, young = root / ".tmp-abc-123", root / ".tmp-def-456"
    for folder, age in ((old, cache_maintenance.STAGING_MAX_AGE), (young, dt.timedelta(hours=23))):
        folder.mkdir(parents=True)
        (folder / "model.keras").write_text("half written")
        written = (NOW - age - dt.timedelta(seconds=1)).timestamp()
        os.utime(folder, (written, written))
    # Even with a window of zero, a staging folder a process may still be writing stays.
    assert cache_maintenance.prune(root, unused_for=dt.timedelta(0), now=NOW) == []
    assert not old.exists()
    assert young.is_dir()
    assert cache_maintenance.prune(tmp_path / "absent", unused_for=dt.timedelta(days=1)) == []


def test_prune_skips_an_entry_another_process_holds(
    tmp_path: Path,
    cache_entry: CacheEntry,
    lock_in_another_process: Callable[[Path], subprocess.Popen[str]],
) -> None:
    root = tmp_path / "runs"
    cache_entry(root, "busy", NOW - dt.timedelta(days=40))
    cache_entry(root, "idle", NOW - dt.timedelta(days=40))
    lock_in_another_process(root / "busy.lock")
    removed = cache_maintenance.prune(root, unused_for=dt.timedelta(days=30), now=NOW)
    assert removed == ["idle"]
    assert (root / "busy" / "result.json").is_file()


def test_a_line_appended_while_prune_waits_for_the_log_is_kept(
    tmp_path: Path, cache_entry: CacheEntry
) -> None:
    root = tmp_path / "runs"
    cache_entry(root, "old", NOW - dt.timedelta(days=40))
    late = {"event": "hit", "key": "new", "time": NOW.isoformat(timespec="seconds")}
    log_lock = filelock.FileLock(root / f".{cache_maintenance.EVENTS_FILE}.lock")
    with log_lock:
        pruning = threading.Thread(
            target=cache_maintenance.prune,
            args=(root,),
            kwargs={"unused_for": dt.timedelta(days=30), "now": NOW},
        )
        pruning.start()
        pruning.join(timeout=0.5)
        assert pruning.is_alive()  # waiting for the log's lock
        # Another process appends while it waits (holding the lock, as append_event does).
        with (root / cache_maintenance.EVENTS_FILE).open("a") as handle:
            handle.write(json.dumps(late) + "\n")
    pruning.join(timeout=30)
    assert not pruning.is_alive()
    assert cache_maintenance.read_events(root) == [late]


def test_append_event_writes_whole_lines_from_many_threads(tmp_path: Path) -> None:
    def append(number: int) -> None:
        for index in range(50):
            event = {"event": "hit", "key": f"{number}-{index}", "time": "t", "pad": "x" * 9000}
            cache_maintenance.append_event(tmp_path, event)

    threads = [threading.Thread(target=append, args=(number,)) for number in range(4)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    lines = (tmp_path / cache_maintenance.EVENTS_FILE).read_text().splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == sorted(
        f"{number}-{index}" for number in range(4) for index in range(50)
    )


APPEND_MANY = """
import sys
from pathlib import Path
from mnist_tutorial import cache_maintenance

for index in range(50):
    event = {"event": "hit", "key": f"{sys.argv[2]}-{index}", "time": "t", "pad": "x" * 9000}
    cache_maintenance.append_event(Path(sys.argv[1]), event)
"""


def test_append_event_writes_whole_lines_from_many_processes(tmp_path: Path) -> None:
    # Lines longer than a pipe buffer, from processes that share only the file.
    writers = [
        subprocess.Popen([sys.executable, "-c", APPEND_MANY, str(tmp_path), str(number)])
        for number in range(3)
    ]
    assert [writer.wait(timeout=60) for writer in writers] == [0, 0, 0]
    lines = (tmp_path / cache_maintenance.EVENTS_FILE).read_text().splitlines()
    assert sorted(json.loads(line)["key"] for line in lines) == sorted(
        f"{number}-{index}" for number in range(3) for index in range(50)
    )


@pytest.mark.parametrize(
    ("unused_for", "error", "message"),
    [
        (dt.timedelta(days=-1), ValueError, "unused_for must be zero or more, got -1 day"),
        (30, TypeError, "unused_for must be a datetime.timedelta, got 30"),
    ],
)
def test_prune_rejects_bad_windows(
    tmp_path: Path, unused_for: Any, error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=message):
        cache_maintenance.prune(tmp_path, unused_for=unused_for)


def test_summarize_counts_entries_bytes_and_lookups(
    tmp_path: Path, cache_entry: CacheEntry
) -> None:
    root = tmp_path / "runs"
    cache_entry(root, "a", NOW, NOW)
    cache_entry(root, "b", NOW)
    (root / ".tmp-x").mkdir()
    summary = cache_maintenance.summarize(root)
    expected_bytes = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
    assert (summary.entries, summary.events, summary.total_bytes) == (2, 3, expected_bytes)
    assert str(summary) == (
        f"run cache {root}: 2 entries, {expected_bytes / 1e6:.1f} MB, "
        "3 lookups logged in events.jsonl"
    )
    absent = tmp_path / "absent"
    assert cache_maintenance.summarize(absent) == cache_maintenance.CacheSummary(absent, 0, 0, 0)


def test_a_summary_gives_megabytes_of_a_million_bytes(tmp_path: Path) -> None:
    summary = cache_maintenance.CacheSummary(tmp_path, 1, 1_050_000, 0)
    assert (
        str(summary) == f"run cache {tmp_path}: 1 entries, 1.1 MB, 0 lookups logged in events.jsonl"
    )
