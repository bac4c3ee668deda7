"""A disk cache for results that take long to compute, such as training runs.

Each entry is a folder ``<root>/<key>`` named by a sha256 key that covers
everything that determines the result. :func:`get_or_compute` is the one
path through which entries are written, for training runs and for any other
cached result (:func:`cached_result`); :func:`lookup` reads an entry the same
way without computing anything:

1. take a file lock on the key, so that two processes asking for the same
   result compute it once: the second waits, then reads the first one's
   entry;
2. read the entry, if it exists and is valid;
3. otherwise compute the result and commit it atomically: the entry is
   filled in a temporary folder that is then renamed into place, so a
   process killed halfway leaves nothing that is read as an entry.

Every lookup appends one line to ``events.jsonl`` (:func:`read_events`),
so that a site build can count its hits and misses.

The cache lives in :func:`mnist_tutorial.config.run_cache_dir`. From a
terminal, ``python -m mnist_tutorial.runcache`` says where it is and what it
holds, and ``python -m mnist_tutorial.runcache --prune DAYS`` removes the
entries and log lines that no lookup has used for that many days.
The log, the summary and the pruning are in
:mod:`mnist_tutorial.cache_maintenance`; :data:`~mnist_tutorial.cache_maintenance.EVENTS_FILE`,
:func:`read_events`, :class:`CacheSummary`, :func:`summarize` and
:func:`prune` are re-exported here.
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import shutil
import sys
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any, TypeVar

import filelock

from mnist_tutorial import config
from mnist_tutorial.cache_maintenance import (
    EVENTS_FILE,
    CacheSummary,
    append_event,
    prune,
    read_events,
    summarize,
)

__all__ = [
    "EVENTS_FILE",
    "RESULT_FORMAT",
    "CacheSummary",
    "cached_result",
    "commit_entry",
    "get_or_compute",
    "lookup",
    "main",
    "prune",
    "read_events",
    "summarize",
]

#: Version of the layout of a cached result (:func:`cached_result`); entries
#: of another version are misses. A run's entry has its own layout and
#: version (:data:`mnist_tutorial.records.ENTRY_FORMAT`).
RESULT_FORMAT = 2
_RESULT_FILE = "result.json"

T = TypeVar("T")


def commit_entry(root: Path, key: str, write: Callable[[Path], object]) -> Path:
    """Write the entry ``root / key`` atomically, under the key's lock, and return its path.

    ``write`` fills a temporary folder, which is then renamed into place. A
    process killed before the rename leaves only a ``.tmp-`` folder, which
    is never read as an entry. The key's lock (``root / (key + ".lock")``,
    which :func:`lookup` and :func:`get_or_compute` hold too) keeps a reader
    from seeing the old entry removed and the new one not yet in place.

    Parameters
    ----------
    root : Path
        The cache directory (created if needed).
    key : str
        The entry's key, used as its folder name.
    write : callable
        Called with the temporary folder; writes the entry's files there.
    """
    root.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(root / f"{key}.lock"):
        return _commit(root, key, write)


def _commit(root: Path, key: str, write: Callable[[Path], object]) -> Path:
    """Rename a filled temporary folder into place; the caller holds the key's lock."""
    final = root / key
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{key[:12]}-"))
    try:
        write(staging)
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _log_event(root: Path, event: str, key: str, details: dict[str, Any]) -> None:
    time = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    append_event(root, {"event": event, "key": key, "time": time, **details})


def lookup(
    key: str,
    read: Callable[[Path], T | None],
    root: Path | None,
    *,
    describe: Callable[[T], dict[str, Any]] | None = None,
) -> T | None:
    """Return the cached result for ``key``, or None when there is none.

    The entry is read under the key's lock, as :func:`get_or_compute`
    reads it, so a lookup waits for a process that is computing the same
    result. A hit is logged as :func:`get_or_compute` logs it; a miss is not,
    since whoever then computes the result logs it.

    Parameters
    ----------
    key : str
        The result's key.
    read : callable
        Called with an existing entry folder; returns the result, or None
        when the entry is not valid for ``key``.
    root : Path or None
        The cache directory; None (the cache turned off) always misses.
    describe : callable, optional
        Returns extra fields for the event log line of a hit.
    """
    if root is None:
        return None
    root.mkdir(parents=True, exist_ok=True)
    with filelock.FileLock(root / f"{key}.lock"):
        return _read_hit(root, key, read, describe)


def _read_hit(
    root: Path,
    key: str,
    read: Callable[[Path], T | None],
    describe: Callable[[T], dict[str, Any]] | None,
) -> T | None:
    """Read and log a valid entry; the caller holds the key's lock."""
    entry = root / key
    if not entry.is_dir():
        return None
    cached = read(entry)
    if cached is not None:
        details = describe if describe is not None else _no_details
        _log_event(root, "hit", key, details(cached))
    return cached


def get_or_compute(
    key: str,
    compute: Callable[[], T],
    *,
    read: Callable[[Path], T | None],
    write: Callable[[Path, T], object],
    root: Path | None,
    describe: Callable[[T], dict[str, Any]] | None = None,
) -> tuple[T, bool]:
    """Return the cached result for ``key``, or compute, store and return it.

    Parameters
    ----------
    key : str
        A key that covers every input of ``compute``.
    compute : callable
        Computes the result on a miss.
    read : callable
        Called with an existing entry folder; returns the result, or None
        when the entry is not valid for ``key`` (a miss).
    write : callable
        Called with a temporary folder and the result; writes the entry.
    root : Path or None
        The cache directory; None computes without caching.
    describe : callable, optional
        Returns extra fields for the event log line of a result.

    Returns
    -------
    result
        The computed or cached result.
    replayed : bool
        True when it came from the cache.
    """
    if root is None:
        return compute(), False
    root.mkdir(parents=True, exist_ok=True)
    details = describe if describe is not None else _no_details
    # A second process waits here for the first, then reads its entry.
    with filelock.FileLock(root / f"{key}.lock"):
        cached = _read_hit(root, key, read, describe)
        if cached is not None:
            return cached, True
        result = compute()
        _commit(root, key, lambda staging: write(staging, result))
        _log_event(root, "miss", key, details(result))
    return result, False


def _no_details(result: object) -> dict[str, Any]:
    del result
    return {}


def _read_result(key: str) -> Callable[[Path], dict[str, Any] | None]:
    def read(entry: Path) -> dict[str, Any] | None:
        try:
            stored = json.loads((entry / _RESULT_FILE).read_text())
        except (OSError, ValueError):
            return None
        if not isinstance(stored, dict):
            return None
        if stored.get("key") != key or stored.get("format") != RESULT_FORMAT:
            return None
        result = stored.get("result")
        return result if isinstance(result, dict) else None

    return read


def cached_result(key: str, compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Return a JSON-serialisable result from the run cache, computing it on a miss.

    For computations other than training runs (a learning-rate range test,
    say) that should also be reused across builds. It takes the same locked
    path as training runs (:func:`get_or_compute`).

    Parameters
    ----------
    key : str
        A key that covers every input of ``compute``.
    compute : callable
        Returns the result as a dict of JSON-serialisable values.

    Returns
    -------
    result : dict
        The computed or cached result.
    replayed : bool
        True when it came from the cache.
    """
    given: object = key
    if not isinstance(given, str) or not given:
        raise TypeError(f"key must be a non-empty string, got {key!r}")

    def write(staging: Path, result: dict[str, Any]) -> None:
        content = {"key": key, "format": RESULT_FORMAT, "result": result}
        (staging / _RESULT_FILE).write_text(json.dumps(content))

    return get_or_compute(
        key, compute, read=_read_result(key), write=write, root=config.run_cache_dir()
    )


def main(arguments: Sequence[str] | None = None) -> int:
    """Say where the run cache is and what it holds; prune it on request.

    ``python -m mnist_tutorial.runcache [--root DIR] [--prune DAYS]``.

    Parameters
    ----------
    arguments : sequence of str, optional
        The command-line arguments (default: ``sys.argv[1:]``).

    Returns
    -------
    int
        The exit status.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mnist_tutorial.runcache",
        description="Inspect the run cache; with --prune, remove what has not been used.",
    )
    parser.add_argument(
        "--root",
        type=Path,
        default=None,
        help="the cache directory (default: the configured one, see MNIST_TUTORIAL_RUN_CACHE)",
    )
    parser.add_argument(
        "--prune",
        type=float,
        metavar="DAYS",
        help="remove the entries and log lines that no lookup has used for DAYS days",
    )
    options = parser.parse_args(arguments)
    root = options.root if options.root is not None else config.run_cache_dir()
    if root is None:
        print("the run cache is turned off (MNIST_TUTORIAL_RUN_CACHE=off)")
        return 0
    if options.prune is not None:
        if options.prune < 0:
            parser.error(f"--prune takes zero or more days, got {options.prune:g}")
        removed = prune(root, unused_for=dt.timedelta(days=options.prune))
        print(f"removed {len(removed)} entries unused for {options.prune:g} days")
    print(summarize(root))
    return 0


if __name__ == "__main__":
    sys.exit(main())
