"""The claims ledgers: their file format, reading, merging and command line.

During a site build every check of :mod:`mnist_tutorial.claims` records what
it measured in its page's ledger, a JSON file
(:func:`mnist_tutorial.config.claims_ledger_file`). This module reads those
files (:func:`read_ledger`), merges the page ledgers of one build into one
file (:func:`merge_ledgers`) and formats their numbers as the site shows
them (:func:`format_number`).

``python -m mnist_tutorial.ledger merge DIR -o FILE`` merges the page
ledgers of one build, and ``python -m mnist_tutorial.ledger column DIR -o
FILE`` merges them with their provenance (:func:`provenance`): the commit
that measured them, each page's source digest, the seeds, the library
versions and the machine. The site shows only such columns beside its own
(:func:`main`).
"""

from __future__ import annotations

import argparse
import datetime as dt
import hashlib
import importlib.metadata
import json
import math
import os
import platform
import shutil
import subprocess
import sys
from collections.abc import Callable, Iterable, Sequence
from pathlib import Path
from typing import Any

from mnist_tutorial import identity
from mnist_tutorial._files import replaced_whole

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "STATUSES",
    "format_number",
    "main",
    "merge_ledgers",
    "page_digests",
    "provenance",
    "read_ledger",
    "repeated_measurements",
    "show",
    "sort_key",
    "stale_pages",
    "status",
    "tie_conflicts",
    "write_ledger",
]

#: Version of the ledger files' layout. Version 2 added the kinds
#: ``ahead`` and ``tied``, and a merged ledger's ``provenance``.
FORMAT_VERSION = 2
#: The kinds of check a ledger entry records, one per function of :mod:`mnist_tutorial.claims`.
KINDS = ("at_least", "at_most", "within", "ahead", "tied", "check")
#: A ledger row's statuses, the closest calls first (:func:`status`).
STATUSES = ("FAILS", "fragile", "holds")


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
    with replaced_whole(target) as stream:
        # Full precision: json writes the shortest repr that reads back exactly.
        stream.write(json.dumps(content, indent=1) + "\n")


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
        optional = {"provenance"} & set(content)
        _fields(content, {"format", "seeds", "pages", *optional}, origin)
        if optional:
            _check_provenance(content["provenance"], f"{origin}: provenance")
        _expect_type(content["seeds"], _is_seeds, "seeds", origin)
        _expect_type(content["pages"], _is_list, "pages", origin)
        for index, page in enumerate(content["pages"]):
            _check_page(page, f"{origin}: pages[{index}]")
    else:
        _check_page(content, origin)
    return dict(content)


_PROVENANCE_FIELDS: dict[str, Callable[[object], bool]] = {
    "commit": lambda value: isinstance(value, str) and len(value) == 40,
    "date": lambda value: isinstance(value, str) and bool(value),
    "versions": lambda value: (
        isinstance(value, dict) and all(isinstance(item, str) for item in value.values())
    ),
    "machine": lambda value: isinstance(value, str) and bool(value),
    "pages": lambda value: (
        isinstance(value, dict)
        and all(isinstance(item, str) and len(item) == 64 for item in value.values())
    ),
    "package": lambda value: isinstance(value, str) and len(value) == 64,
}


def _check_provenance(content: object, origin: str) -> None:
    found = _fields(content, set(_PROVENANCE_FIELDS), origin)
    for name, valid in _PROVENANCE_FIELDS.items():
        _expect_type(found[name], valid, name, origin)


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


def status(entry: dict[str, Any]) -> str:
    """Return a ledger entry's status: ``FAILS``, ``fragile`` or ``holds``."""
    if not entry["holds"]:
        return "FAILS"
    return "fragile" if entry["fragile"] else "holds"


def sort_key(entry: dict[str, Any]) -> tuple[int, float, float, str, int]:
    """Return where a claim stands in the ledger: the closest calls first.

    Failing claims come first, then fragile ones, then the others, each
    group by its margin in units of its seed spread. A claim on one value
    states its spread (:mod:`mnist_tutorial.claims`); a spread of 0 means a
    value that no seed moves (a parameter count), or seeds that agree
    exactly, and such a claim comes after the others. Claims with no
    quantity come last, unless they fail.
    """
    group = STATUSES.index(status(entry))
    margin, spread = entry["margin"], entry["spread"]
    if margin is None:
        # An ordering has no margin to rank it by: a failing one leads, one that holds comes last.
        if group == 0:
            return (group, -math.inf, -math.inf, entry.get("page", ""), entry["line"])
        return (len(STATUSES), math.inf, math.inf, entry.get("page", ""), entry["line"])
    # A value that no seed moves cannot be flipped by new seeds.
    no_spread = math.inf if margin >= 0 else -math.inf
    ratio = margin / spread if spread > 0 else no_spread
    return (group, ratio, margin, entry.get("page", ""), entry["line"])


def tie_conflicts(page: dict[str, Any]) -> list[str]:
    """Return the sentences of a page that call a gap "ahead" while it calls a wider gap a tie.

    The rule of :mod:`mnist_tutorial.claims`: on a page that calls two
    configurations tied (within :data:`mnist_tutorial.claims.TIE`), every
    difference it calls "ahead" must be wider than that. The comparison
    ignores the metric: a tie on one metric limits an "ahead" on any
    other, because a page states one width of a tie, not one per metric.

    Parameters
    ----------
    page : dict
        A page's ledger (:func:`read_ledger`).
    """
    ties = [entry["limit"] for entry in page["claims"] if entry["kind"] == "tied"]
    if not ties:
        return []
    widest_tie = max(ties)
    return [
        f"{page['page']}: {entry['claim']!r} (smallest difference "
        f"{format_number(min(entry['values']))}) is not wider than the page's tie "
        f"({format_number(widest_tie)})"
        for entry in page["claims"]
        if entry["kind"] == "ahead" and min(entry["values"]) <= widest_tie
    ]


def repeated_measurements(pages: Iterable[dict[str, Any]]) -> list[str]:
    """Return the rows of a build that record a measurement another page's row already records.

    One measurement, one row: two rows on two pages of the same kind, with
    the same values (every seed's) and the same limit, are the same check
    counted twice. A page that repeats another page's result refers to that
    page's row instead. Within one page, equal rows are not reported: one
    page may state the same bound for each seed, and two seeds' values can
    coincide (a point on a coarse grid, say). Rows without values
    (:func:`mnist_tutorial.claims.check`) are not compared.

    Parameters
    ----------
    pages : iterable of dict
        Page ledgers (:func:`read_ledger`), for example a merged ledger's
        ``"pages"``.
    """
    first_row: dict[str, tuple[str, str]] = {}
    repeats = []
    for page in pages:
        for entry in page["claims"]:
            if entry["values"] is None:
                continue
            measurement = json.dumps([entry["kind"], entry["values"], entry["limit"]])
            other_page, other_claim = first_row.get(measurement, (page["page"], ""))
            if other_page != page["page"]:
                repeats.append(
                    f"{page['page']}: {entry['claim']!r} repeats {other_page}: {other_claim!r}"
                )
            else:
                first_row.setdefault(measurement, (page["page"], entry["claim"]))
    return repeats


def page_digests(examples: Path, pages: Iterable[str]) -> dict[str, str]:
    """Return the sha256 of each page's example script, by page name.

    Parameters
    ----------
    examples : Path
        The gallery's source folder (``examples/``), searched recursively.
    pages : iterable of str
        Page names, such as ``plot_01_baseline``.

    Raises
    ------
    ValueError
        If a page has no script, or more than one, under ``examples``.
    """
    digests = {}
    for page in pages:
        found = sorted(examples.rglob(f"{page}.py"))
        if len(found) != 1:
            raise ValueError(f"page {page!r}: expected one script in {examples}, found {found}")
        digests[page] = hashlib.sha256(found[0].read_bytes()).hexdigest()
    return digests


def _package_digest() -> str:
    """sha256 of this package's modules, in name order: the code behind every page's numbers."""
    digest = hashlib.sha256()
    for path in sorted(Path(__file__).parent.glob("*.py")):
        digest.update(path.name.encode() + b"\0" + path.read_bytes())
    return digest.hexdigest()


def provenance(
    repository: Path, pages: Iterable[str], built_at: str | None = None
) -> dict[str, Any]:
    """Return where and from what code a build's ledger column was measured.

    Parameters
    ----------
    repository : Path
        The project's git checkout, at the commit that built the pages.
    pages : iterable of str
        The pages of the column.
    built_at : str, optional
        The commit that was checked out when the build started; the column
        is refused if HEAD has moved since (a commit made during the build).

    Returns
    -------
    dict
        ``commit`` (HEAD), ``date`` (UTC), ``versions`` (Python and the
        libraries that decide the numbers), ``machine``, ``pages`` (each
        page script's sha256, see :func:`page_digests`) and ``package``
        (the sha256 of this package's modules). The site marks a column
        stale where a page or the package no longer has these digests.

    Raises
    ------
    ValueError
        If ``repository`` is not a git checkout, or its tracked files have
        changes that are not committed, or HEAD is not ``built_at``: a
        column must name the code it measured.
    """
    executable = shutil.which("git")
    if executable is None:
        raise ValueError("git is not on the PATH: a column must name the commit it measured")

    def git(*arguments: str) -> str:
        # Fixed git commands on the project's own checkout.
        result = subprocess.run(  # noqa: S603
            [executable, "-C", str(repository), *arguments],
            capture_output=True,
            text=True,
            check=False,
        )
        if result.returncode != 0:
            raise ValueError(f"{repository}: git {' '.join(arguments)} failed: {result.stderr}")
        return result.stdout.strip()

    changed = git("status", "--porcelain", "--untracked-files=no")
    if changed:
        raise ValueError(
            f"{repository} has uncommitted changes; commit them and build again, so that the "
            f"column names the code it measured:\n{changed}"
        )
    commit = git("rev-parse", "HEAD")
    if built_at is not None and commit != git("rev-parse", built_at):
        raise ValueError(
            f"{repository} is at {commit[:7]}, but the build started at {built_at[:7]}: "
            "a commit made during the build; build the column again"
        )
    versions = {"python": platform.python_version()}
    for name in ("tensorflow", "keras", "numpy"):
        versions[name] = importlib.metadata.version(name)
    return {
        "commit": commit,
        "date": dt.datetime.now(dt.UTC).strftime("%Y-%m-%d %H:%M UTC"),
        "versions": versions,
        # The instruction set changes the last digits of every run.
        "machine": f"{identity.instruction_set()}, {platform.system()}, {os.cpu_count()} cores",
        "pages": page_digests(repository / "examples", pages),
        "package": _package_digest(),
    }


def stale_pages(merged: dict[str, Any], examples: Path) -> list[str]:
    """Return the pages of a column whose script changed since it was measured.

    A page that no longer has exactly one script in the gallery is named
    with that reason; the package's own changes are named by ``"the package"``.

    Parameters
    ----------
    merged : dict
        A merged ledger with its provenance.
    examples : Path
        The gallery's source folder.
    """
    recorded = merged["provenance"]
    stale = []
    for page, digest in recorded["pages"].items():
        try:
            changed = page_digests(examples, [page])[page] != digest
        except ValueError:
            # The page has left the gallery (or has two scripts now).
            stale.append(f"{page} (not one script in the gallery)")
            continue
        if changed:
            stale.append(page)
    if recorded["package"] != _package_digest():
        stale.append("the package")
    return stale


def show(ledger: dict[str, Any]) -> list[str]:
    """Return a ledger's rows as lines, the closest calls first, with a count to close.

    Each line gives the status, the margin, the seed spread, the page and
    line, and the sentence: what an author reads after building one page.

    Parameters
    ----------
    ledger : dict
        A page's ledger or a merged one (:func:`read_ledger`).
    """
    pages = ledger.get("pages", [ledger])
    entries = [{**entry, "page": page["page"]} for page in pages for entry in page["claims"]]
    lines = []
    for entry in sorted(entries, key=sort_key):
        margin = "—" if entry["margin"] is None else format_number(entry["margin"])
        spread = "—" if entry["spread"] is None else format_number(entry["spread"])
        lines.append(
            f"{status(entry):<7}  margin {margin:>10}  spread {spread:>10}  "
            f"{entry['page']}:{entry['line']}  {entry['claim']}"
        )
    counts = {name: sum(status(entry) == name for entry in entries) for name in STATUSES}
    draft = " (a draft build: not the real numbers)" * any(entry["draft"] for entry in entries)
    lines.append(
        f"{len(entries)} claims, {counts['fragile']} fragile, {counts['FAILS']} failing, "
        f"seeds {ledger['seeds']}{draft}"
    )
    return lines


def main(argv: Sequence[str] | None = None) -> int:
    """Run the command line: ``python -m mnist_tutorial.ledger {show,merge,column} ...``.

    - ``show FILE``: print a page's ledger (``docs/_generated/claims/<page>.json``
      after a build) or a merged one, the closest calls first (:func:`show`);
      the exit status is 1 if a claim fails.
    - ``merge DIR -o FILE``: write the page ledgers in ``DIR``
      (``docs/_generated/claims`` after a site build) into one file.
    - ``column DIR -o FILE``: the same, with the provenance of a full build
      (:func:`provenance`): a column of the site's ledger
      (``nox -s ledger_column -- OFFSET`` builds the pages and runs it).

    Parameters
    ----------
    argv : sequence of str, optional
        The arguments; defaults to the command line's.

    Returns
    -------
    int
        The exit status: 1 where ``show`` finds a failing claim, else 0.
    """
    parser = argparse.ArgumentParser(
        prog="python -m mnist_tutorial.ledger", description="Work with claims ledgers."
    )
    commands = parser.add_subparsers(dest="command", required=True)
    shown = commands.add_parser(
        "show", help="print a ledger's claims, the closest calls first (exit 1 if one fails)"
    )
    shown.add_argument("file", type=Path, help="a page's ledger or a merged one (.json)")
    merge = commands.add_parser("merge", help="merge the page ledgers of one build into one file")
    merge.add_argument("directory", type=Path, help="folder of page ledgers (*.json)")
    merge.add_argument("-o", "--output", type=Path, required=True, help="the merged file")
    column = commands.add_parser(
        "column",
        help="merge the page ledgers of one full build, with the commit, page digests, "
        "versions and machine that measured them (a column of the site's ledger)",
    )
    column.add_argument("directory", type=Path, help="folder of page ledgers (*.json)")
    column.add_argument("-o", "--output", type=Path, required=True, help="the column's file")
    column.add_argument(
        "--repository", type=Path, default=Path(), help="the project's checkout (default: here)"
    )
    column.add_argument(
        "--built-at",
        help="the commit checked out when the build started; refused if HEAD has moved since",
    )
    arguments = parser.parse_args(argv)
    if arguments.command == "show":
        try:
            ledger = read_ledger(arguments.file)
        except (OSError, ValueError) as error:
            parser.error(str(error))
        lines = show(ledger)
        sys.stdout.write("\n".join(lines) + "\n")
        pages = ledger.get("pages", [ledger])
        failing = any(not entry["holds"] for page in pages for entry in page["claims"])
        return 1 if failing else 0
    files = sorted(arguments.directory.glob("*.json"))
    if not files:
        parser.error(f"no ledger (*.json) in {arguments.directory}")
    try:
        merged = merge_ledgers(files)
        if arguments.command == "column":
            entries = [entry for page in merged["pages"] for entry in page["claims"]]
            if any(entry["draft"] for entry in entries):
                raise ValueError("a draft build's ledgers: a column needs a full build")
            merged["provenance"] = provenance(
                arguments.repository,
                [page["page"] for page in merged["pages"]],
                arguments.built_at,
            )
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
