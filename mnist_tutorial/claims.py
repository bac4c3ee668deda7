"""Build-time checks of the claims a page's prose makes about its results.

A gallery page states results in prose ("momentum ends with higher training
accuracy"). Each such claim is paired with a check, hidden from readers, so
that a page whose prose has become false fails the build instead of being
published:

- :func:`at_least`, :func:`at_most` and :func:`within` check a quantity,
  usually one value per seed, against a limit fixed in the text, and return
  the margin: how far the worst seed is from the limit;
- :func:`check` checks a claim with no quantity, such as an ordering.

Failing is strict only where the site is built: the docs build turns it on
explicitly (``MNIST_TUTORIAL_STRICT_CLAIMS=1``, see
:func:`mnist_tutorial.config.strict_claims`). Everywhere else (a reader
running a downloaded script on a machine whose numbers differ a little, or
a draft build, whose numbers are not the real ones) a failed claim warns.

A claim that holds by less than the spread of its values over the seeds is
*fragile*: a new set of seeds could plausibly flip it. It does not fail.
The site build names a ledger file for each page
(:func:`mnist_tutorial.config.claims_ledger_file`); every check records
there what it measured, and a fragile claim is also reported on the
terminal. The site shows all pages' ledgers sorted by margin. Elsewhere
nothing is recorded.

``python -m mnist_tutorial.claims merge DIR -o FILE`` merges the page
ledgers of one build (:func:`merge_ledgers`).
"""

from __future__ import annotations

import argparse
import json
import math
import numbers
import os
import sys
import tempfile
import warnings
from collections.abc import Callable, Iterable, Mapping, Sequence
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mnist_tutorial import config

__all__ = [
    "FORMAT_VERSION",
    "KINDS",
    "ClaimError",
    "ClaimWarning",
    "at_least",
    "at_most",
    "check",
    "format_number",
    "main",
    "merge_ledgers",
    "read_ledger",
    "within",
]

#: Version of the ledger files' layout.
FORMAT_VERSION = 1
#: The kinds of check a ledger entry records, one per function.
KINDS = ("at_least", "at_most", "within", "check")


class ClaimError(AssertionError):
    """A claim made in a page's prose does not hold for the results."""


class ClaimWarning(UserWarning):
    """A claim failed outside a strict site build (see :func:`check`)."""


def check(condition: object, claim: str) -> None:
    """Fail unless ``condition`` is true.

    For claims with no quantity, such as an ordering; a claim about a
    quantity uses :func:`at_least`, :func:`at_most` or :func:`within`, which
    also record its margin. In a site build the claim is recorded in the
    page's ledger with no margin.

    Parameters
    ----------
    condition : object
        The claim's test, evaluated for truth.
    claim : str
        The claim in words, as the prose states it.

    Raises
    ------
    ClaimError
        If ``condition`` is false in a strict build: strict checking on
        (:func:`mnist_tutorial.config.strict_claims`) and draft mode off.
        Otherwise a :class:`ClaimWarning` is issued instead.
    """
    _described(claim)
    holds = bool(condition)
    _settle(
        {
            "claim": claim,
            "kind": "check",
            "values": None,
            "limit": None,
            "margin": None,
            "spread": None,
            "holds": holds,
            "fragile": False,
        },
        f"claim does not hold: {claim}",
    )


def at_least(values: float | npt.ArrayLike, limit: float, claim: str) -> float:
    """Fail unless every value is at least ``limit``; return the margin.

    Parameters
    ----------
    values : float or 1-D array-like of float
        The measured quantity, usually one value per seed.
    limit : float
        The bound the prose states.
    claim : str
        The claim in words, as the prose states it.

    Returns
    -------
    float
        ``min(values) - limit``: negative when the claim fails.

    Raises
    ------
    ClaimError
        If a value is below ``limit`` in a strict build (as :func:`check`).
    TypeError
        If ``values`` or ``limit`` is not numeric, or ``claim`` is not a
        non-empty string.
    ValueError
        If ``values`` is empty, not 1-D or not finite, or ``limit`` is not
        finite.
    """
    return _one_sided(values, limit, claim, "at_least")


def at_most(values: float | npt.ArrayLike, limit: float, claim: str) -> float:
    """Fail unless every value is at most ``limit``; return the margin.

    Parameters
    ----------
    values : float or 1-D array-like of float
        The measured quantity, usually one value per seed.
    limit : float
        The bound the prose states.
    claim : str
        The claim in words, as the prose states it.

    Returns
    -------
    float
        ``limit - max(values)``: negative when the claim fails.

    Raises
    ------
    ClaimError
        If a value is above ``limit`` in a strict build (as :func:`check`).
    TypeError
        If ``values`` or ``limit`` is not numeric, or ``claim`` is not a
        non-empty string.
    ValueError
        If ``values`` is empty, not 1-D or not finite, or ``limit`` is not
        finite.
    """
    return _one_sided(values, limit, claim, "at_most")


def within(values: float | npt.ArrayLike, low: float, high: float, claim: str) -> float:
    """Fail unless every value lies between ``low`` and ``high``; return the margin.

    Parameters
    ----------
    values : float or 1-D array-like of float
        The measured quantity, usually one value per seed.
    low, high : float
        The range the prose states, bounds included; ``low < high``.
    claim : str
        The claim in words, as the prose states it.

    Returns
    -------
    float
        ``min(min(values) - low, high - max(values))``: the distance to the
        nearer bound, negative when the claim fails.

    Raises
    ------
    ClaimError
        If a value is outside the range in a strict build (as :func:`check`).
    TypeError
        If ``values``, ``low`` or ``high`` is not numeric, or ``claim`` is
        not a non-empty string.
    ValueError
        If ``values`` is empty, not 1-D or not finite, a bound is not
        finite, or ``low`` is not below ``high``.
    """
    _described(claim)
    measured = _values(values)
    lower = _finite(low, "low")
    upper = _finite(high, "high")
    if not lower < upper:
        raise ValueError(f"low must be below high, got low={low!r} and high={high!r}")
    smallest, largest = float(measured.min()), float(measured.max())
    margin = min(smallest - lower, upper - largest)
    return _quantity(
        claim,
        "within",
        measured,
        limit=[lower, upper],
        margin=margin,
        worst=f"seeds from {format_number(smallest)} to {format_number(largest)}",
    )


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


def _described(claim: object) -> None:
    if not isinstance(claim, str) or not claim.strip():
        raise TypeError("claim must be a non-empty string describing the claim")


def _values(values: object) -> npt.NDArray[np.float64]:
    expected = "values must be a float or a 1-D array-like of floats (one per seed)"
    # A bool is a condition passed by mistake, not a measurement.
    if isinstance(values, bool | np.bool_):
        raise TypeError(f"{expected}, got {values!r}")
    if isinstance(values, Mapping):
        raise TypeError(f"{expected}, got a mapping: pass its values()")
    # One value per seed often comes from a dict's values() or a generator.
    if isinstance(values, Iterable) and not isinstance(values, str | bytes | Sequence | np.ndarray):
        values = list(values)
    try:
        array = np.asarray(values)
    except ValueError as error:  # a ragged nested sequence
        raise ValueError(f"{expected}, got {values!r}") from error
    if array.dtype.kind not in "iuf":
        raise TypeError(f"{expected}, got {values!r}")
    if array.ndim > 1:
        raise ValueError(f"{expected}, got an array of shape {array.shape}")
    measured = array.reshape(-1).astype(np.float64)
    if measured.size == 0:
        raise ValueError(f"values must not be empty, got {values!r}")
    if not np.isfinite(measured).all():
        raise ValueError(f"values must be finite, got {measured.tolist()!r}")
    return measured


def _finite(value: object, name: str) -> float:
    if isinstance(value, bool | np.bool_) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a finite real number, got {value!r}")
    number = float(value)
    if not math.isfinite(number):
        raise ValueError(f"{name} must be a finite real number, got {value!r}")
    return number


def _one_sided(values: object, limit: object, claim: object, kind: str) -> float:
    _described(claim)
    measured = _values(values)
    bound = _finite(limit, "limit")
    if kind == "at_least":
        worst = float(measured.min())
        margin = worst - bound
    else:
        worst = float(measured.max())
        margin = bound - worst
    return _quantity(
        str(claim),
        kind,
        measured,
        limit=bound,
        margin=margin,
        worst=f"worst seed {format_number(worst)}",
    )


def _quantity(
    claim: str,
    kind: str,
    measured: npt.NDArray[np.float64],
    *,
    limit: float | list[float],
    margin: float,
    worst: str,
) -> float:
    spread = float(measured.max() - measured.min())
    holds = margin >= 0
    _settle(
        {
            "claim": claim,
            "kind": kind,
            "values": measured.tolist(),
            "limit": limit,
            "margin": margin,
            "spread": spread,
            "holds": holds,
            # A new set of seeds moves the values by about their spread.
            "fragile": holds and margin < spread,
        },
        f"claim does not hold: {claim} ({worst}, margin {format_number(margin)})",
    )
    return margin


def _settle(entry: dict[str, Any], message: str) -> None:
    """Record a check's entry, report it if fragile, and fail or warn if it does not hold."""
    line, stacklevel = _caller()
    target = config.claims_ledger_file()
    if target is not None:
        _record(target, {**entry, "line": line})
        if entry["fragile"]:
            _report_fragile(entry)
    if entry["holds"]:
        return
    if config.draft_mode():
        warnings.warn(f"{message} (draft build: not enforced)", ClaimWarning, stacklevel=stacklevel)
        return
    if not config.strict_claims():
        warnings.warn(
            f"{message} (the site's build checks this strictly; your numbers may differ a "
            "little from the site's)",
            ClaimWarning,
            stacklevel=stacklevel,
        )
        return
    raise ClaimError(message)


def _caller() -> tuple[int, int]:
    """Return the line of the page's call, and the warnings stacklevel that points at it.

    The first frame outside this file is the page's: sphinx-gallery compiles
    a page's code with the example's file name and line numbers. (Mutation
    testing adds frames of its own in this file, so they are not counted.)
    """
    frame = sys._getframe(1)
    level = 1
    while frame.f_back is not None and frame.f_code.co_filename == __file__:
        frame = frame.f_back
        level += 1
    return frame.f_lineno, level


def _record(target: Path, entry: dict[str, Any]) -> None:
    seeds = list(config.seeds())
    if target.is_file():
        ledger = read_ledger(target)
        if "pages" in ledger:
            raise ValueError(f"{target}: a merged ledger, not the page's own")
    else:
        ledger = {"format": FORMAT_VERSION, "page": target.stem, "seeds": seeds, "claims": []}
    ledger["claims"].append({**entry, "seeds": seeds, "draft": config.draft_mode()})
    _write_json(target, ledger)


def _write_json(target: Path, content: dict[str, Any]) -> None:
    """Write ``content`` so that a reader never sees half a file."""
    target.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.NamedTemporaryFile(
        "w", dir=target.parent, prefix=f".{target.name}.", suffix=".tmp", delete=False
    ) as stream:
        # Full precision: json writes the shortest repr that reads back exactly.
        stream.write(json.dumps(content, indent=1) + "\n")
    Path(stream.name).replace(target)


def _report_fragile(entry: dict[str, Any]) -> None:
    # sphinx-gallery captures sys.stderr into the page; the terminal is the original one,
    # which is None where Python runs without a console (pythonw).
    terminal = sys.__stderr__
    if terminal is None:
        return
    terminal.write(
        f"claim is fragile (margin {format_number(entry['margin'])} < seed spread "
        f"{format_number(entry['spread'])}): {entry['claim']}\n"
    )
    terminal.flush()


# --------------------------------------------------------------------------- reading


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
    """Run the command line: ``python -m mnist_tutorial.claims merge DIR -o FILE``.

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
        prog="python -m mnist_tutorial.claims", description="Work with claims ledgers."
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
    _write_json(arguments.output, merged)
    count = sum(len(page["claims"]) for page in merged["pages"])
    sys.stdout.write(
        f"{arguments.output}: {count} claims of {len(merged['pages'])} pages, "
        f"seeds {merged['seeds']}\n"
    )
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
