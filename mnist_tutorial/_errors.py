"""The errors of MNIST loading, raised by :mod:`mnist_tutorial.data` and its offline mirror.

Readers find them in :mod:`mnist_tutorial.data`, which exports both. They live
here so that the mirror (:mod:`mnist_tutorial._mirror`), which the data module
imports, does not have to import the data module back.
"""

from __future__ import annotations

__all__ = ["MNISTUnavailableError", "MNISTVerificationError"]


class MNISTVerificationError(ValueError):
    """A file or array did not match the expected MNIST checksums."""


class MNISTUnavailableError(RuntimeError):
    """No source could provide verified MNIST arrays."""
