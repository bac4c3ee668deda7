"""Build-time checks of the claims a page's prose makes about its results.

A gallery page states results in prose ("momentum ends with higher training
accuracy"). Each such claim is paired with a check, hidden from readers, so
that a page whose prose has become false fails the build instead of being
published:

- :func:`at_least`, :func:`at_most` and :func:`within` check a quantity,
  usually one value per seed, against a limit fixed in the text, and return
  the margin: how far the worst seed is from the limit;
- :func:`ahead` and :func:`tied` compare two configurations seed by seed,
  by the one rule for results and ties (:data:`TIE`);
- :func:`check` checks a claim with no quantity, such as an ordering.

A claim about one value (a mean, a standard error, one seed's number) says
how much that value moves between seeds (``spread=``), so that the ledger
can rank it against the others; a value that does not depend on the seed
(a parameter count) has a spread of 0.

**Results and ties.** Two configurations trained with the same seeds are
compared seed by seed, on the paired differences of one metric:

- "A is ahead of B" (beats, is higher) holds when every seed's difference
  is above a minimum: strictly above 0, or strictly above the minimum the
  sentence states. A difference of exactly 0 is not "ahead".
- "A and B are tied" holds when every seed's difference is within
  :data:`TIE` (half a point of accuracy, 50 test images) either way.
- On one page, every difference called "ahead" must be larger than the tie
  width, when that page also calls a pair tied: a page cannot call a gap a
  result and a larger gap a tie (:func:`mnist_tutorial.ledger.tie_conflicts`
  finds such pages; the site's full build fails on them).

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
    "TIE",
    "ClaimError",
    "ClaimWarning",
    "ahead",
    "at_least",
    "at_most",
    "check",
    "tied",
    "within",
]

#: The widest paired difference of accuracy, on every seed, that a page
#: calls a tie: half a point, 50 of the 10,000 test images. It is about
#: three and a half times the binomial standard error of one accuracy near
#: 98 % on 10,000 images (0.14 points). A tie says that three seeds cannot
#: order two configurations, not that they are equal.
TIE = 0.005


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


def at_least(
    values: float | npt.ArrayLike, limit: float, claim: str, *, spread: float | None = None
) -> float:
    """Fail unless every value is at least ``limit``; return the margin.

    Parameters
    ----------
    values : float or 1-D array-like of float
        The measured quantity, usually one value per seed.
    limit : float
        The bound the prose states.
    claim : str
        The claim in words, as the prose states it.
    spread : float, optional
        Required when ``values`` is one value, and only then: how much that
        value moves between seeds (the range of the same quantity over the
        seeds), or 0 if it does not depend on the seed. Several values give
        their own spread, their range.

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
        If ``values`` is empty, not 1-D or not finite, ``limit`` is not
        finite, or ``spread`` is missing for one value, given for several,
        or not a finite number >= 0.
    """
    return _one_sided(values, limit, claim, "at_least", spread)


def at_most(
    values: float | npt.ArrayLike, limit: float, claim: str, *, spread: float | None = None
) -> float:
    """Fail unless every value is at most ``limit``; return the margin.

    Parameters
    ----------
    values : float or 1-D array-like of float
        The measured quantity, usually one value per seed.
    limit : float
        The bound the prose states.
    claim : str
        The claim in words, as the prose states it.
    spread : float, optional
        Required when ``values`` is one value, and only then: how much that
        value moves between seeds (the range of the same quantity over the
        seeds), or 0 if it does not depend on the seed. Several values give
        their own spread, their range.

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
        If ``values`` is empty, not 1-D or not finite, ``limit`` is not
        finite, or ``spread`` is missing for one value, given for several,
        or not a finite number >= 0.
    """
    return _one_sided(values, limit, claim, "at_most", spread)


def within(
    values: float | npt.ArrayLike,
    low: float,
    high: float,
    claim: str,
    *,
    spread: float | None = None,
) -> float:
    """Fail unless every value lies between ``low`` and ``high``; return the margin.

    Parameters
    ----------
    values : float or 1-D array-like of float
        The measured quantity, usually one value per seed.
    low, high : float
        The range the prose states, bounds included; ``low < high``.
    claim : str
        The claim in words, as the prose states it.
    spread : float, optional
        Required when ``values`` is one value, and only then: how much that
        value moves between seeds (the range of the same quantity over the
        seeds), or 0 if it does not depend on the seed. Several values give
        their own spread, their range.

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
        finite, ``low`` is not below ``high``, or ``spread`` is missing for
        one value, given for several, or not a finite number >= 0.
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
        spread=_spread(measured, spread),
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


def _one_sided(values: object, limit: object, claim: object, kind: str, spread: object) -> float:
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
        spread=_spread(measured, spread),
    )


def _spread(measured: npt.NDArray[np.float64], given: object) -> float:
    """Return a claim's seed spread: its values' range, or the spread given for one value."""
    if measured.size > 1:
        if given is not None:
            raise ValueError(
                f"spread is only for a claim on one value; {measured.size} values give "
                "their own spread (their range)"
            )
        return float(measured.max() - measured.min())
    if given is None:
        raise ValueError(
            "a claim on one value must say how much it moves between seeds: pass spread= "
            "(the range of the same quantity over the seeds, or 0 if it does not depend "
            "on the seed)"
        )
    number = _finite(given, "spread")
    if number < 0:
        raise ValueError(f"spread must be >= 0, got {given!r}")
    return number


def ahead(first: npt.ArrayLike, second: npt.ArrayLike, claim: str, *, by: float = 0.0) -> float:
    """Fail unless ``first`` is above ``second`` by more than ``by`` on every seed; return the margin.

    The rule for "A is ahead of B", "A beats B" or "A is higher" (see the
    module's summary): the paired differences ``first - second``, one per
    seed, must all be strictly greater than ``by``. A tie is not ahead.

    Parameters
    ----------
    first, second : 1-D array-like of float
        The same metric of two configurations, one value per seed, in the
        same order of seeds.
    claim : str
        The claim in words, as the prose states it.
    by : float, default 0
        The smallest difference the sentence states (">= 0"), strictly
        exceeded.

    Returns
    -------
    float
        ``min(first - second) - by``: 0 or less when the claim fails.

    Raises
    ------
    ClaimError
        If a difference is not above ``by`` in a strict build (as :func:`check`).
    TypeError
        If an argument is not numeric, or ``claim`` is not a non-empty string.
    ValueError
        If ``first`` and ``second`` differ in length, are empty or not
        finite, or ``by`` is not a finite number >= 0.
    """
    _described(claim)
    differences = _differences(first, second)
    minimum = _finite(by, "by")
    if minimum < 0:
        raise ValueError(f"by must be >= 0 (ahead means a positive difference), got {by!r}")
    worst = float(differences.min())
    return _quantity(
        claim,
        "ahead",
        differences,
        limit=minimum,
        margin=worst - minimum,
        worst=f"smallest difference {format_number(worst)}",
        spread=float(differences.max() - differences.min()),
        strict=True,
    )


def tied(first: npt.ArrayLike, second: npt.ArrayLike, claim: str) -> float:
    """Fail unless ``first`` and ``second`` differ by at most :data:`TIE` on every seed.

    The rule for "A and B are tied" ("end within half a point of each
    other"): every paired difference ``first - second`` lies within
    :data:`TIE` either way.

    Parameters
    ----------
    first, second : 1-D array-like of float
        The same accuracy metric of two configurations, one value per seed,
        in the same order of seeds.
    claim : str
        The claim in words, as the prose states it.

    Returns
    -------
    float
        ``TIE - max(|first - second|)``: negative when the claim fails.

    Raises
    ------
    ClaimError
        If a difference is wider than :data:`TIE` in a strict build.
    TypeError
        If an argument is not numeric, or ``claim`` is not a non-empty string.
    ValueError
        If ``first`` and ``second`` differ in length, are empty or not finite.
    """
    _described(claim)
    differences = np.abs(_differences(first, second))
    widest = float(differences.max())
    return _quantity(
        claim,
        "tied",
        differences,
        limit=TIE,
        margin=TIE - widest,
        worst=f"widest difference {format_number(widest)}",
        spread=float(differences.max() - differences.min()),
    )


def _differences(first: object, second: object) -> npt.NDArray[np.float64]:
    """Return the paired differences of two configurations' values, one per seed."""
    firsts, seconds = _values(first), _values(second)
    if firsts.shape != seconds.shape:
        raise ValueError(
            "first and second must hold one value per seed each, in the same order; got "
            f"{firsts.size} and {seconds.size} values"
        )
    return firsts - seconds


def _quantity(
    claim: str,
    kind: str,
    measured: npt.NDArray[np.float64],
    *,
    limit: float | list[float],
    margin: float,
    worst: str,
    spread: float,
    strict: bool = False,
) -> float:
    # "Ahead" is strict: a difference equal to its minimum is a tie, not a lead.
    holds = margin > 0 if strict else margin >= 0
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
