"""Tests for mnist_tutorial.cache_maintenance: the lookup log, summary and pruning."""

from __future__ import annotations

import datetime as dt
import os
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from mnist_tutorial import cache_maintenance

CacheEntry = Callable[..., None]
# Far from the real clock, so that a prune that ignored `now` would fail.
NOW = dt.datetime(2031, 6, 1, 12, 0, tzinfo=dt.UTC)


def test_read_events_of_a_cache_never_used(tmp_path: Path) -> None:
    assert cache_maintenance.read_events(tmp_path / "nowhere") == []
    assert cache_maintenance.read_events(tmp_path) == []


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
    assert not (root / "old.lock").exists()
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


def test_prune_keeps_staging_folders_and_an_absent_cache_is_empty(tmp_path: Path) -> None:
    root = tmp_path / "runs"
    (root / ".tmp-abc-123").mkdir(parents=True)
    os.utime(root / ".tmp-abc-123", (0, 0))
    assert cache_maintenance.prune(root, unused_for=dt.timedelta(0), now=NOW) == []
    assert (root / ".tmp-abc-123").is_dir()
    assert cache_maintenance.prune(tmp_path / "absent", unused_for=dt.timedelta(days=1)) == []


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
