"""The run cache's upkeep: its lookup log, what it holds, and pruning.

Every lookup of :mod:`mnist_tutorial.runcache` appends one line to the
cache's ``events.jsonl`` (:func:`read_events`), so that a site build can
count its hits and misses. :func:`summarize` says what a cache directory
holds and :func:`prune` removes what no lookup has used for a while; the
command line ``python -m mnist_tutorial.runcache`` runs both.
"""

from __future__ import annotations

import datetime as dt
import json
import shutil
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from mnist_tutorial import config

__all__ = ["EVENTS_FILE", "CacheSummary", "prune", "read_events", "summarize"]

#: Name of the lookup log in the cache directory (see :func:`read_events`).
EVENTS_FILE = "events.jsonl"


def read_events(root: Path | None = None) -> list[dict[str, Any]]:
    """Return the cache's lookup log, oldest first.

    Each entry has ``event`` (``"hit"`` or ``"miss"``), ``key`` and
    ``time``; entries of training runs also have the run's
    ``total_seconds`` and ``epochs``.

    Parameters
    ----------
    root : path, optional
        The cache directory; defaults to
        :func:`mnist_tutorial.config.run_cache_dir`.
    """
    root = root if root is not None else config.run_cache_dir()
    if root is None or not (root / EVENTS_FILE).is_file():
        return []
    return [json.loads(line) for line in (root / EVENTS_FILE).read_text().splitlines() if line]


@dataclass(frozen=True)
class CacheSummary:
    """What a cache directory holds (see :func:`summarize`).

    Attributes
    ----------
    root : pathlib.Path
        The cache directory.
    entries : int
        The number of entries (one folder per key).
    total_bytes : int
        The size of every file under ``root``, the log included.
    events : int
        The number of lines in the lookup log.
    """

    root: Path
    entries: int
    total_bytes: int
    events: int

    def __str__(self) -> str:
        megabytes = self.total_bytes / 1e6
        return (
            f"run cache {self.root}: {self.entries} entries, {megabytes:.1f} MB, "
            f"{self.events} lookups logged in {EVENTS_FILE}"
        )


def _entries(root: Path) -> list[Path]:
    # Staging folders (.tmp-...) and lock files are not entries.
    return sorted(
        path for path in root.iterdir() if path.is_dir() and not path.name.startswith(".")
    )


def summarize(root: Path) -> CacheSummary:
    """Return what the cache directory ``root`` holds.

    Parameters
    ----------
    root : Path
        The cache directory; one that does not exist holds nothing.
    """
    if not root.is_dir():
        return CacheSummary(root, 0, 0, 0)
    size = sum(path.stat().st_size for path in root.rglob("*") if path.is_file())
    return CacheSummary(root, len(_entries(root)), size, len(read_events(root)))


def prune(root: Path, *, unused_for: dt.timedelta, now: dt.datetime | None = None) -> list[str]:
    """Remove the entries and log lines that no lookup has used for ``unused_for``.

    An entry's last use is its newest line in the lookup log, or else the
    time its folder was written. Run it between builds: a build that is
    running may be using an entry.

    Parameters
    ----------
    root : Path
        The cache directory.
    unused_for : datetime.timedelta
        How long an entry may go unused; zero or more.
    now : datetime.datetime, optional
        The present time (UTC by default); for tests.

    Returns
    -------
    list of str
        The keys of the removed entries, sorted.
    """
    if not isinstance(unused_for, dt.timedelta):
        raise TypeError(f"unused_for must be a datetime.timedelta, got {unused_for!r}")
    if unused_for < dt.timedelta(0):
        raise ValueError(f"unused_for must be zero or more, got {unused_for}")
    if not root.is_dir():
        return []
    cutoff = (now if now is not None else dt.datetime.now(dt.UTC)) - unused_for
    events = read_events(root)
    last_used: dict[str, dt.datetime] = {}
    for event in events:
        used = dt.datetime.fromisoformat(event["time"])
        last_used[event["key"]] = max(used, last_used.get(event["key"], used))
    removed = []
    for entry in _entries(root):
        written = dt.datetime.fromtimestamp(entry.stat().st_mtime, dt.UTC)
        if last_used.get(entry.name, written) < cutoff:
            shutil.rmtree(entry)
            (root / f"{entry.name}.lock").unlink(missing_ok=True)
            removed.append(entry.name)
    kept = [event for event in events if dt.datetime.fromisoformat(event["time"]) >= cutoff]
    if len(kept) != len(events):
        staging = root / f".{EVENTS_FILE}.tmp"
        staging.write_text("".join(json.dumps(event) + "\n" for event in kept))
        staging.replace(root / EVENTS_FILE)
    return removed
