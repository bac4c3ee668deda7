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
import os
import shutil
import sys
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import filelock

from mnist_tutorial import config
from mnist_tutorial._files import replaced_whole

__all__ = [
    "EVENTS_FILE",
    "STAGING_MAX_AGE",
    "CacheSummary",
    "append_event",
    "prune",
    "read_events",
    "summarize",
]

#: Name of the lookup log in the cache directory (see :func:`read_events`).
EVENTS_FILE = "events.jsonl"
# Held while a line is appended to the log and while prune rewrites it, so
# that no line appended during a rewrite is lost.
_EVENTS_LOCK = f".{EVENTS_FILE}.lock"
#: A staging folder (``.tmp-...``) older than this belongs to a process that
#: was killed before it could rename it into an entry: prune removes it.
STAGING_MAX_AGE = dt.timedelta(days=1)


def append_event(root: Path, event: dict[str, Any]) -> None:
    """Append one entry to the lookup log of the cache directory ``root``."""
    line = (json.dumps(event) + "\n").encode()
    with filelock.FileLock(root / _EVENTS_LOCK):
        # One write() of the whole line, to a file opened for appending.
        descriptor = os.open(root / EVENTS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)
        try:
            os.write(descriptor, line)
        finally:
            os.close(descriptor)


def read_events(root: Path | None = None) -> list[dict[str, Any]]:
    """Return the cache's lookup log, oldest first.

    Each entry has ``event`` (``"hit"`` or ``"miss"``), ``key`` and
    ``time``; entries of training runs also have the run's
    ``total_seconds`` and ``epochs``. Lines that are not such an entry (a
    line torn by a killed process) are skipped, and their number is
    written to standard error.

    Parameters
    ----------
    root : path, optional
        The cache directory; defaults to
        :func:`mnist_tutorial.config.run_cache_dir`.
    """
    root = root if root is not None else config.run_cache_dir()
    if root is None or not (root / EVENTS_FILE).is_file():
        return []
    events, unreadable = [], 0
    text = (root / EVENTS_FILE).read_text(errors="replace")
    for line in text.splitlines():
        event = _event(line)
        if event is None:
            unreadable += bool(line.strip())
        else:
            events.append(event)
    if unreadable:
        # A torn or garbled line (a killed process, a shared file system)
        # must not make the whole log unreadable.
        sys.stderr.write(
            f"mnist_tutorial: {unreadable} unreadable line(s) of {root / EVENTS_FILE} skipped\n"
        )
    return events


def _event(line: str) -> dict[str, Any] | None:
    """Return one log line's event, or None when it is not one.

    An event's ``time`` is an ISO 8601 time with its UTC offset (prune
    compares it with a cutoff), its ``key`` a string, and its
    ``total_seconds`` and ``epochs``, where present, numbers (summed by
    ``bench_docs``): a line that parses as JSON but breaks one of these is
    as unreadable as a torn one.
    """
    try:
        event = json.loads(line)
    except ValueError:
        return None
    if not isinstance(event, dict) or not {"event", "key", "time"} <= event.keys():
        return None
    numbers = [event[name] for name in ("total_seconds", "epochs") if name in event]
    usable = (
        event["event"] in {"hit", "miss"}
        and isinstance(event["key"], str)
        and _utc_time(event["time"]) is not None
        and all(isinstance(n, int | float) and not isinstance(n, bool) for n in numbers)
    )
    return event if usable else None


def _utc_time(text: object) -> dt.datetime | None:
    """Read an ISO 8601 time that carries its UTC offset; None for anything else."""
    try:
        time = dt.datetime.fromisoformat(text)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        return None
    return time if time.tzinfo is not None else None


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
    time its folder was written. An entry whose lock another process holds
    (a build reading or training it) is skipped; lock files stay, since a
    process may be waiting on one. Staging folders older than
    :data:`~mnist_tutorial.cache_maintenance.STAGING_MAX_AGE` (left by
    killed processes) are removed too. The log is rewritten under the lock
    its appends take.

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
    now_utc = now if now is not None else dt.datetime.now(dt.UTC)
    cutoff = now_utc - unused_for
    # Under the lock that appends take, from the first read of the log to its
    # rewrite: no line appended meanwhile is lost, and the log is read once.
    with filelock.FileLock(root / _EVENTS_LOCK):
        events = read_events(root)
        last_used: dict[str, dt.datetime] = {}
        for event in events:
            used = dt.datetime.fromisoformat(event["time"])
            last_used[event["key"]] = max(used, last_used.get(event["key"], used))
        removed = []
        for entry in _entries(root):
            stale = last_used.get(entry.name, _modified(entry)) < cutoff
            if stale and _remove_unless_busy(root, entry):
                removed.append(entry.name)
        staging_cutoff = min(cutoff, now_utc - STAGING_MAX_AGE)
        for staging in root.glob(".tmp-*"):
            if staging.is_dir() and _modified(staging) < staging_cutoff:
                shutil.rmtree(staging, ignore_errors=True)
        kept = [event for event in events if dt.datetime.fromisoformat(event["time"]) >= cutoff]
        if len(kept) != len(events):
            with replaced_whole(root / EVENTS_FILE) as staging_file:
                staging_file.write("".join(json.dumps(event) + "\n" for event in kept))
    return removed


def _modified(path: Path) -> dt.datetime:
    return dt.datetime.fromtimestamp(path.stat().st_mtime, dt.UTC)


def _remove_unless_busy(root: Path, entry: Path) -> bool:
    """Remove an entry under its key's lock, if no other process holds it."""
    try:
        with filelock.FileLock(root / f"{entry.name}.lock", timeout=0):
            shutil.rmtree(entry)
    except filelock.Timeout:
        return False
    return True
