"""Build-time checks of the claims a page's prose makes about its results.

A gallery page states results in prose ("momentum ends with higher training
accuracy"). Each such claim is paired with :func:`check`, hidden from
readers, so that a page whose prose has become false fails the build
instead of being published.

Failing is strict only where the site is built: the docs build turns it on
explicitly (``MNIST_TUTORIAL_STRICT_CLAIMS=1``, see
:func:`mnist_tutorial.config.strict_claims`). Everywhere else (a reader
running a downloaded script on a machine whose numbers differ a little, or
a draft build, whose numbers are not the real ones) a failed claim warns.
"""

from __future__ import annotations

import warnings

from mnist_tutorial import config

__all__ = ["ClaimError", "ClaimWarning", "check"]


class ClaimError(AssertionError):
    """A claim made in a page's prose does not hold for the results."""


class ClaimWarning(UserWarning):
    """A claim failed outside a strict site build (see :func:`check`)."""


def check(condition: object, claim: str) -> None:
    """Fail unless ``condition`` is true.

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
    described: object = claim
    if not isinstance(described, str) or not described.strip():
        raise TypeError("claim must be a non-empty string describing the claim")
    if condition:
        return
    message = f"claim does not hold: {claim}"
    if config.draft_mode():
        warnings.warn(f"{message} (draft build: not enforced)", ClaimWarning, stacklevel=2)
        return
    if not config.strict_claims():
        warnings.warn(
            f"{message} (the site's build checks this strictly; your numbers may differ a "
            "little from the site's)",
            ClaimWarning,
            stacklevel=2,
        )
        return
    raise ClaimError(message)
