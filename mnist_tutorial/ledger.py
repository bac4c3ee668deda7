"""The claims ledgers: their file format, reading, merging and command line.

During a site build every check of :mod:`mnist_tutorial.claims` records what
it measured in its page's ledger, a JSON file
(:func:`mnist_tutorial.config.claims_ledger_file`). This module reads those
files (:func:`read_ledger`), merges the page ledgers of one build into one
file (:func:`merge_ledgers`) and formats their numbers as the site shows
them (:func:`format_number`).

``python -m mnist_tutorial.ledger merge DIR -o FILE`` merges the page
ledgers of one build (:func:`main`).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import sys
import tempfile
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "format_number",
    "main",
    "merge_ledgers",
    "read_ledger",
    "write_ledger",
]

#: Version of the ledger files' layout.
FORMAT_VERSION = 1
#: The kinds of check a ledger entry records, one per function of :mod:`mnist_tutorial.claims`.
KINDS = ("at_least", "at_most", "within", "check")


def format_number(value: float) -> str:
    """Return a measured number as the ledger shows it: four decimals.

    Numbers below 0.0001 (a learning rate, a tiny margin) keep four
    significant digits instead, in scientific notation.

    Parameters
    ----------
    value : float
        A finite number.
    """
    if value == 0 or abs(value) >= 1e-4:
        return f"{value:.4f}"
    return f"{value:.3e}"


def write_ledger(target: Path, content: dict[str, Any]) -> None:
    """Write a ledger as JSON so that a reader never sees half a file.

    Parameters
    ----------
    target : Path
        The file; its folder is created if need be.
    content : dict
        A page's ledger or a merged one (see :func:`read_ledger`).
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    ) as stream:
        # Full precision: json writes the shortest repr that reads back exactly.
        stream.write(json.dumps(content, indent=1) + "\n")
    Path(stream.name).replace(target)


def read_ledger(path: str | os.PathLike[str]) -> dict[str, Any]:
    """Return a ledger file's content, checked.

    Parameters
    ----------
    path : str or Path
        A page's ledger, written during a site build, or a merged ledger
        written by :func:`merge_ledgers` (the command line's ``merge``).

    Returns
    -------
    dict
        A page's ledger: ``format``, ``page`` (the example's name),
        ``seeds`` and ``claims`` (one entry per check, in the order they
        ran). A merged ledger: ``format``, ``seeds`` and ``pages`` (a list
        of page ledgers).

    Raises
    ------
    TypeError
        If ``path`` is not a path.
    ValueError
        If the file is not a ledger of this format.
    """
    if not isinstance(path, str | os.PathLike):
        raise TypeError(f"path must be a str or a Path, got {path!r}")
    origin = str(path)
    try:
        content = json.loads(Path(path).read_text())
    except json.JSONDecodeError as error:
        raise ValueError(f"{origin}: not JSON ({error})") from error
    if not isinstance(content, dict) or content.get("format") != FORMAT_VERSION:
        raise ValueError(f"{origin}: not a claims ledger (format {FORMAT_VERSION})")
    if "pages" in content:
        _fields(content, {"format", "seeds", "pages"}, origin)
        _expect_type(content["seeds"], _is_seeds, "seeds", origin)
        _expect_type(content["pages"], _is_list, "pages", origin)
        for index, page in enumerate(content["pages"]):
            _check_page(page, f"{origin}: pages[{index}]")
    else:
        _check_page(content, origin)
    return dict(content)


def _check_page(content: object, origin: str) -> None:
    page = _fields(content, {"format", "page", "seeds", "claims"}, origin)
    _expect_type(page["format"], lambda value: value == FORMAT_VERSION, "format", origin)
    _expect_type(page["page"], _is_name, "page", origin)
    _expect_type(page["seeds"], _is_seeds, "seeds", origin)
    _expect_type(page["claims"], _is_list, "claims", origin)
    for index, entry in enumerate(page["claims"]):
        _check_entry(entry, f"{origin}: claims[{index}]")


def _check_entry(content: object, origin: str) -> None:
    quantities = ("values", "limit", "margin", "spread")
    entry = _fields(content, {*_ENTRY_FIELDS, *quantities}, origin)
    for name, valid in _ENTRY_FIELDS.items():
        _expect_type(entry[name], valid, name, origin)
    if entry["kind"] == "check":
        for name in quantities:
            _expect_type(entry[name], lambda value: value is None, name, origin)
        return
    _expect_type(entry["values"], lambda value: _is_numbers(value, minimum=1), "values", origin)
    size = 2 if entry["kind"] == "within" else None
    limit = entry["limit"] if size else [entry["limit"]]
    _expect_type(limit, lambda value: _is_numbers(value, size=size or 1), "limit", origin)
    for name in ("margin", "spread"):
        _expect_type([entry[name]], lambda value: _is_numbers(value, size=1), name, origin)


def _fields(content: object, fields: set[str], origin: str) -> dict[str, Any]:
    """Return ``content`` if it is an object with exactly ``fields``."""
    if isinstance(content, dict) and set(content) == fields:
        return content
    found = sorted(content) if isinstance(content, dict) else type(content).__name__
    raise ValueError(f"{origin}: expected an object with the fields {sorted(fields)}, got {found}")


def _expect_type(value: object, valid: Callable[[object], bool], name: str, origin: str) -> None:
    if not valid(value):
        raise ValueError(f"{origin}: invalid {name}: {value!r}")


def _is_list(value: object) -> bool:
    return isinstance(value, list)


def _is_name(value: object) -> bool:
    return isinstance(value, str) and bool(value) and "/" not in value


def _is_seeds(value: object) -> bool:
    return isinstance(value, list) and all(
        isinstance(seed, int) and not isinstance(seed, bool) and seed >= 0 for seed in value
    )


def _is_numbers(value: object, *, size: int | None = None, minimum: int = 0) -> bool:
    return (
        isinstance(value, list)
        and len(value) >= minimum
        and (size is None or len(value) == size)
        and all(
            isinstance(number, int | float)
            and not isinstance(number, bool)
            and math.isfinite(number)
            for number in value
        )
    )


_ENTRY_FIELDS: dict[str, Callable[[object], bool]] = {
    "claim": lambda value: isinstance(value, str) and bool(value.strip()),
    "kind": lambda value: value in KINDS,
    "holds": lambda value: isinstance(value, bool),
    "fragile": lambda value: isinstance(value, bool),
    "line": lambda value: isinstance(value, int) and not isinstance(value, bool),
    "seeds": _is_seeds,
    "draft": lambda value: isinstance(value, bool),
}


def merge_ledgers(paths: Iterable[str | os.PathLike[str]]) -> dict[str, Any]:
    """Return the page ledgers of one build, merged.

    Parameters
    ----------
    paths : iterable of str or Path
        The page ledgers (``docs/_generated/claims/*.json`` after a build).

    Returns
    -------
    dict
        ``format``, ``seeds`` (the seeds of every page; empty when there
        are no pages) and ``pages`` (the page ledgers, sorted by page).

    Raises
    ------
    ValueError
        If a file is not a page's ledger, two files are of the same page,
        or the pages were built with different seeds (different builds).
    """
    pages: dict[str, dict[str, Any]] = {}
    for path in paths:
        ledger = read_ledger(path)
        if "pages" in ledger:
            raise ValueError(f"{path}: a merged ledger, not a page's")
        if ledger["page"] in pages:
            raise ValueError(f"{path}: a second ledger of the page {ledger['page']!r}")
        pages[ledger["page"]] = ledger
    seeds = {tuple(ledger["seeds"]) for ledger in pages.values()}
    if len(seeds) > 1:
        built = ", ".join(f"{name}: {ledger['seeds']}" for name, ledger in sorted(pages.items()))
        raise ValueError(f"the pages were built with different seeds ({built})")
    return {
        "format": FORMAT_VERSION,
        "seeds": list(next(iter(seeds), ())),
        "pages": [pages[name] for name in sorted(pages)],
    }


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: ``python -m mnist_tutorial.ledger merge DIR -o FILE``.

    ``merge`` writes the page ledgers in ``DIR`` (``docs/_generated/claims``
    after a site build) into one file, such as ``docs/claims/<name>.json``,
    whose margins the site then shows next to its own.

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; defaults to the command line's.

    Returns
    -------
    int
        The exit status, 0.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mnist_tutorial.ledger", description="Work with claims ledgers."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    merge = commands.add_parser("merge", help="merge the page ledgers of one build into one file")
    merge.add_argument("directory", type=Path, help="folder of page ledgers (*.json)")
    merge.add_argument("-o", "--output", type=Path, required=True, help="the merged file")
    arguments = parser.parse_args(argv)
    files = sorted(arguments.directory.glob("*.json"))
    if not files:
        parser.error(f"no ledger (*.json) in {arguments.directory}")
    try:
        merged = merge_ledgers(files)
    except ValueError as error:
        parser.error(str(error))
    write_ledger(arguments.output, merged)
    count = sum(len(page["claims"]) for page in merged["pages"])
    sys.stdout.write(
        f"{arguments.output}: {count} claims of {len(merged['pages'])} pages, "
        f"seeds {merged['seeds']}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
