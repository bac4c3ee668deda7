"""Settings shared by the package, read from environment variables.

``MNIST_TUTORIAL_CACHE``
    Root of the per-user cache (data and training runs).
``MNIST_TUTORIAL_DRAFT``
    ``1`` turns on draft mode: a small data subset and few epochs, for
    authors who want a quick preview of the site.
``MNIST_TUTORIAL_RUN_CACHE``
    ``off`` disables the run cache; any other value is its directory
    (see :func:`run_cache_dir`).
``MNIST_TUTORIAL_WORKERS``
    Number of worker processes that train independent runs at the same
    time (see :func:`workers`). The default is one per usable CPU core.
``MNIST_TUTORIAL_THREADS``
    TensorFlow intra-op threads of each training run (see
    :func:`training_threads`). The default is 1. It is part of every run's
    settings and cache key, because it changes the floating-point rounding.
``MNIST_TUTORIAL_INTER_OP_THREADS``
    TensorFlow inter-op threads of each training run (default 2; see
    :func:`training_threads`).
``MNIST_TUTORIAL_STRICT_CLAIMS``
    ``1`` makes a false claim on a page fail (see
    :func:`mnist_tutorial.claims.check`); the site's docs build sets it.
    Elsewhere a false claim only warns.
``MNIST_TUTORIAL_SEED_OFFSET``
    A whole number >= 0 added to every random seed the pages use (see
    :func:`seeds`); the default is 0. A build with another offset repeats
    every experiment with new seeds.
``MNIST_TUTORIAL_PROGRESS``
    ``0`` silences the per-epoch progress lines that training writes to
    the terminal (standard error). They never appear on the site's pages.
``MNIST_TUTORIAL_PUBLISH_RUNS``
    A file that the site build names for each page as it runs: the records
    of the runs the page shows are written there, to be published with the
    site (see :func:`published_runs_file` and :mod:`mnist_tutorial.published`).
``MNIST_TUTORIAL_CLAIMS_LEDGER``
    A file that the site build names for each page as it runs: every claim
    check on the page records there what it measured (see
    :func:`claims_ledger_file` and :mod:`mnist_tutorial.claims`).
"""

from __future__ import annotations

import os
from pathlib import Path

import platformdirs

__all__ = [
    "DRAFT_EPOCHS",
    "DRAFT_SIZES",
    "ENV_CACHE",
    "ENV_CLAIMS_LEDGER",
    "ENV_DRAFT",
    "ENV_INTER_OP_THREADS",
    "ENV_PROGRESS",
    "ENV_PUBLISH_RUNS",
    "ENV_RUN_CACHE",
    "ENV_SEED_OFFSET",
    "ENV_STRICT_CLAIMS",
    "ENV_THREADS",
    "ENV_WORKERS",
    "SEEDS_PER_RUN",
    "cache_dir",
    "claims_ledger_file",
    "draft_mode",
    "progress",
    "published_runs_file",
    "run_cache_dir",
    "seeds",
    "strict_claims",
    "subset_sizes",
    "training_threads",
    "usable_cores",
    "workers",
]

ENV_CACHE = "MNIST_TUTORIAL_CACHE"
ENV_DRAFT = "MNIST_TUTORIAL_DRAFT"
ENV_RUN_CACHE = "MNIST_TUTORIAL_RUN_CACHE"
ENV_WORKERS = "MNIST_TUTORIAL_WORKERS"
ENV_THREADS = "MNIST_TUTORIAL_THREADS"
ENV_INTER_OP_THREADS = "MNIST_TUTORIAL_INTER_OP_THREADS"
ENV_PROGRESS = "MNIST_TUTORIAL_PROGRESS"
ENV_SEED_OFFSET = "MNIST_TUTORIAL_SEED_OFFSET"
ENV_STRICT_CLAIMS = "MNIST_TUTORIAL_STRICT_CLAIMS"
ENV_PUBLISH_RUNS = "MNIST_TUTORIAL_PUBLISH_RUNS"
ENV_CLAIMS_LEDGER = "MNIST_TUTORIAL_CLAIMS_LEDGER"

_TRUE = {"1", "true", "yes", "on"}
_FALSE = {"0", "false", "no", "off"}

#: Subset sizes used in draft mode (see :func:`mnist_tutorial.data.load_dataset`).
DRAFT_SIZES = {"n_train": 2000, "n_test": 500}
#: Most epochs trained in draft mode (see :func:`mnist_tutorial.training.train`).
DRAFT_EPOCHS = 2
#: How many seeds every configuration that a page draws a conclusion from is trained with.
SEEDS_PER_RUN = 3


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
    return _flag(ENV_DRAFT, default=False)


def strict_claims() -> bool:
    """Return whether a false claim fails (``MNIST_TUTORIAL_STRICT_CLAIMS``, default off).

    The site's docs build turns it on; a downloaded script or notebook run
    elsewhere only warns.
    """
    return _flag(ENV_STRICT_CLAIMS, default=False)


def _flag(name: str, *, default: bool) -> bool:
    value = os.environ.get(name, "").strip().lower()
    if not value:
        return default
    if value in _TRUE:
        return True
    if value in _FALSE:
        return False
    raise ValueError(f"{name} must be one of 1/true/yes/on or 0/false/no/off, got {value!r}")


def _positive_int(name: str, default: int) -> int:
    value = os.environ.get(name, "").strip()
    if not value:
        return default
    try:
        number = int(value)
    except ValueError:
        number = 0
    if number < 1:
        raise ValueError(f"{name} must be a whole number >= 1, got {value!r}")
    return number


def run_cache_dir() -> Path | None:
    """Return the run cache directory, or None when caching is disabled.

    ``MNIST_TUTORIAL_RUN_CACHE=off`` (or ``0``/``false``/``no``/``none``)
    disables the cache; any other non-empty value is used as its directory.
    The default is ``runs`` (``runs-draft`` in draft mode) under
    :func:`cache_dir`, so draft results never mix with full ones.
    """
    value = os.environ.get(ENV_RUN_CACHE, "").strip()
    if value.lower() in _FALSE | {"none"}:
        return None
    if value:
        return Path(value).expanduser()
    return cache_dir() / ("runs-draft" if draft_mode() else "runs")


def published_runs_file() -> Path | None:
    """Return the file the runs of the page being built are published to, or None.

    ``MNIST_TUTORIAL_PUBLISH_RUNS`` is set by the site build, for each page
    as it runs; elsewhere nothing is published.
    """
    value = os.environ.get(ENV_PUBLISH_RUNS, "").strip()
    return Path(value) if value else None


def claims_ledger_file() -> Path | None:
    """Return the claims ledger file of the page being built, or None.

    ``MNIST_TUTORIAL_CLAIMS_LEDGER`` is set by the site build, for each page
    as it runs; elsewhere no claim is recorded (see
    :mod:`mnist_tutorial.claims`).
    """
    value = os.environ.get(ENV_CLAIMS_LEDGER, "").strip()
    return Path(value) if value else None


def usable_cores() -> int:
    """Return the number of CPU cores this process may run on."""
    try:
        return len(os.sched_getaffinity(0))
    except AttributeError:  # macOS and Windows have no sched_getaffinity
        return os.cpu_count() or 1


def workers() -> int:
    """Return how many worker processes train independent runs at once.

    ``MNIST_TUTORIAL_WORKERS`` (a whole number >= 1) overrides the default,
    one worker per usable CPU core. With 1, runs are trained one after the
    other in the calling process.
    """
    return _positive_int(ENV_WORKERS, usable_cores())


def training_threads() -> tuple[int, int]:
    """Return the TensorFlow (intra-op, inter-op) thread counts of a training run.

    Intra-op threads split one operation, such as a convolution, and so
    change the order of its floating-point sums and the last digits of a
    run's numbers. Inter-op threads run independent operations at the same
    time and change no result. Both are fixed, not taken from the machine,
    and recorded in every run's settings and cache key, so that the site's
    numbers do not depend on how many cores the machine that builds it has.

    ``MNIST_TUTORIAL_THREADS`` overrides the intra-op count (default 1) and
    ``MNIST_TUTORIAL_INTER_OP_THREADS`` the inter-op count (default 2);
    each must be a whole number >= 1.
    """
    return _positive_int(ENV_THREADS, 1), _positive_int(ENV_INTER_OP_THREADS, 2)


def progress() -> bool:
    """Return whether training writes progress lines to the terminal (default True).

    ``MNIST_TUTORIAL_PROGRESS=0`` turns them off.
    """
    return _flag(ENV_PROGRESS, default=True)


def subset_sizes() -> dict[str, int]:
    """Return the ``n_train``/``n_test`` subset to use: none, or the draft subset.

    Pass it to :func:`mnist_tutorial.data.preprocess` as keyword arguments.
    """
    return dict(DRAFT_SIZES) if draft_mode() else {}


def seeds(count: int = SEEDS_PER_RUN) -> tuple[int, ...]:
    """Return the random seeds of a configuration's replicates.

    They are ``offset, offset + 1, ...``, where the offset comes from
    ``MNIST_TUTORIAL_SEED_OFFSET`` (a whole number >= 0, default 0).

    Parameters
    ----------
    count : int, default :data:`SEEDS_PER_RUN`
        How many seeds.
    """
    given: object = count
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ValueError(f"count must be an int >= 1, got {count!r}")
    value = os.environ.get(ENV_SEED_OFFSET, "").strip() or "0"
    if not value.isdigit():
        raise ValueError(f"{ENV_SEED_OFFSET} must be a whole number >= 0, got {value!r}")
    offset = int(value)
    return tuple(range(offset, offset + count))
