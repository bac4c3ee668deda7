"""Settings shared by the package, read from environment variables.

``MNIST_TUTORIAL_CACHE``
    Root of the per-user cache (data and training runs).
``MNIST_TUTORIAL_DRAFT``
    ``1`` turns on draft mode: a small data subset and few epochs, for
    authors who want a quick preview of the site.
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "DRAFT_EPOCHS",
    "DRAFT_SIZES",
    "ENV_CACHE",
    "ENV_DRAFT",
    "cache_dir",
    "draft_mode",
    "subset_sizes",
]

ENV_CACHE = "MNIST_TUTORIAL_CACHE"
ENV_DRAFT = "MNIST_TUTORIAL_DRAFT"

#: Subset sizes used in draft mode (see :func:`mnist_tutorial.data.load_dataset`).
DRAFT_SIZES = {"n_train": 2000, "n_test": 500}
#: Most epochs trained in draft mode (see :func:`mnist_tutorial.training.train`).
DRAFT_EPOCHS = 2


def cache_dir() -> Path:
    """Return the project's per-user cache directory.

    ``MNIST_TUTORIAL_CACHE`` overrides the default, which is the
    ``platformdirs`` user cache directory for ``mnist-tutorial``. The
    directory is not created here.
    """
    override = os.environ.get(ENV_CACHE, "").strip()
    if override:
        return Path(override).expanduser()
    return platformdirs.user_cache_path("mnist-tutorial")


def draft_mode() -> bool:
    """Return whether draft mode is on (``MNIST_TUTORIAL_DRAFT`` set to a true value).

    Draft mode trades the real numbers for speed: :func:`mnist_tutorial.data.load_dataset` takes a
    small subset and :func:`mnist_tutorial.training.train` caps the epochs.
    """
    value = os.environ.get(ENV_DRAFT, "").strip().lower()
    if value in {"", "0", "false", "no", "off"}:
        return False
    if value in {"1", "true", "yes", "on"}:
        return True
    raise ValueError(f"{ENV_DRAFT} must be one of 1/true/yes/on or 0/false/no/off, got {value!r}")


def subset_sizes() -> dict[str, int]:
    """Return the ``n_train``/``n_test`` subset to use: none, or the draft subset.

    Pass it to :func:`mnist_tutorial.data.preprocess` as keyword arguments.
    """
    return dict(DRAFT_SIZES) if draft_mode() else {}
