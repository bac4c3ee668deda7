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

The ledger files' format, their reading and merging, and the command line
that merges a build's page ledgers are in :mod:`mnist_tutorial.ledger`.
"""

from __future__ import annotations

import math
import numbers
import sys
import warnings
from collections.abc import Iterable, Mapping, Sequence
from pathlib import Path
from types import FrameType
from typing import Any

import numpy as np
import numpy.typing as npt

from mnist_tutorial import config
from mnist_tutorial.ledger import FORMAT_VERSION, format_number, read_ledger, write_ledger

__all__ = [
    "ClaimError",
    "ClaimWarning",
    "at_least",
    "at_most",
    "check",
    "within",
]


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
    line, stacklevel = _caller(sys._getframe())
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


def _caller(frame: FrameType) -> tuple[int, int]:
    """Return the line of the page's call, and the stacklevel that points at it from ``frame``.

    The first frame outside this file is the page's: sphinx-gallery compiles
    a page's code with the example's file name and line numbers. Mutation
    testing (mutmut) calls each function of this file through a trampoline
    in a module of its own; those frames are skipped too.
    """
    level = 1
    while frame.f_back is not None and (
        frame.f_code.co_filename == __file__ or _is_mutmut_trampoline(frame)
    ):
        frame = frame.f_back
        level += 1
    return frame.f_lineno, level


def _is_mutmut_trampoline(frame: FrameType) -> bool:
    return str(frame.f_globals.get("__name__", "")).startswith("mutmut.")


def _record(target: Path, entry: dict[str, Any]) -> None:
    seeds = list(config.seeds())
    if target.is_file():
        ledger = read_ledger(target)
        if "pages" in ledger:
            raise ValueError(f"{target}: a merged ledger, not the page's own")
    else:
        ledger = {"format": FORMAT_VERSION, "page": target.stem, "seeds": seeds, "claims": []}
    ledger["claims"].append({**entry, "seeds": seeds, "draft": config.draft_mode()})
    write_ledger(target, ledger)


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
