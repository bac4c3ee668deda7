"""One training run: its configuration, and seeding, building, fitting and caching it.

:func:`train_run` is the unit of work of :func:`mnist_tutorial.training.train_records`,
in this process or in a worker process: it seeds everything, builds the
model, computes the run's key (:func:`mnist_tutorial.records.run_key`), and
replays the run from the run cache or fits it and stores it there.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import math
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import keras
import numpy as np

from mnist_tutorial import runcache
from mnist_tutorial.data import Dataset
from mnist_tutorial.fitting import (
    FitFunction,
    check_fit_function,
    fit_model,
    pin_threads,
    ready_for_fit,
)
from mnist_tutorial.progress import EpochLogger, TerminalProgress, discard, progress_line
from mnist_tutorial.records import (
    METRICS,
    MODEL_FILE,
    RunRecord,
    describe,
    event_details,
    read_entry,
    run_key,
    weights_sha256,
    write_entry,
)

__all__ = ["RunConfig", "lookup_run", "train_run"]


def _check_positive_int(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


@dataclass(frozen=True)
class RunConfig:
    """One training run for :func:`~mnist_tutorial.training.train_many`.

    Parameters
    ----------
    build : callable
        Returns a new compiled :class:`keras.Model`, for example
        ``functools.partial(models.build_model, learning_rate=0.1)``.
    epochs : int, default 10
        Epochs to train (at most :data:`~mnist_tutorial.config.DRAFT_EPOCHS`
        in draft mode, unless ``fit`` is given).
    batch_size : int, default 32
        Mini-batch size.
    seed : int, default 0
        Seed for Python, NumPy and the backend.
    fit : function, optional
        A page's own fit, called as ``fit(model, x_train, y_train, x_test,
        y_test, callbacks)`` in place of :func:`~mnist_tutorial.fitting.fit_model`, so that a page
        can show the literal ``model.fit(...)`` call that its runs train
        with. It must pass ``callbacks`` to ``model.fit`` and validate on
        ``(x_test, y_test)``, and it states its own epochs and batch size:
        after the fit, the trainer checks that they are ``epochs`` and
        ``batch_size`` (a ValueError otherwise), which stay the run's
        recorded settings. Its code (:func:`~mnist_tutorial.fitting.fit_sha256`) enters the run's
        key. Draft mode does not cap its epochs, but still trains on the
        small data subset. The function is sent to worker processes by
        value when it is defined in ``__main__`` (a page, a notebook) or
        inside another function.
    """

    build: Callable[[], keras.Model]
    epochs: int = 10
    batch_size: int = 32
    seed: int = 0
    fit: FitFunction | None = None

    def __post_init__(self) -> None:
        if not callable(self.build):
            raise TypeError(
                f"build must be a callable that returns a keras.Model, got {self.build!r}"
            )
        _check_positive_int("epochs", self.epochs)
        _check_positive_int("batch_size", self.batch_size)
        _check_positive_int("seed", self.seed, minimum=0)
        if self.fit is not None:
            check_fit_function(self.fit)


def train_run(
    run: RunConfig,
    dataset: Dataset,
    *,
    epochs: int,
    root: Path | None,
    threads: tuple[int, int],
    scratch: Path | None,
    progress: bool,
    position: str = "",
) -> RunRecord:
    """Train (or replay) one run in this process; the unit of work of :func:`~mnist_tutorial.training.train_many`.

    ``scratch`` is set when the record goes back to another process: the
    model is then left on disk (in the cache entry, or in ``scratch`` when
    the cache is off) rather than sent back. ``position`` (such as
    ``run 3/6``) starts the run's progress lines.
    """
    in_effect = pin_threads(threads)
    model, key, settings = _build(run, dataset, epochs, in_effect)
    prefix = f"{position} " if position else ""
    label = prefix + describe(settings)

    def fit() -> RunRecord:
        callbacks = [TerminalProgress(label, epochs)] if progress else []
        return _fit(model, dataset, key, settings, callbacks, fit=run.fit)

    record, replayed = _cached(key, fit, root)
    if replayed:
        progress_line(f"{prefix}replayed {describe(settings)} from the run cache")
    elif root is not None:
        record.directory = root / key
    if scratch is not None and record.directory is None:
        record.directory = runcache.commit_entry(
            scratch, key, lambda staging: record.load_model().save(staging / MODEL_FILE)
        )
    if scratch is not None:
        record._model = None
    return record


def lookup_run(
    run: RunConfig, dataset: Dataset, epochs: int, root: Path | None, threads: tuple[int, int]
) -> RunRecord | None:
    """Return the cached record of a run, without training; None on a miss."""
    if root is None:
        return None
    _, key, _ = _build(run, dataset, epochs, threads)
    return runcache.lookup(key, read_entry(key), root, describe=event_details)


def _build(
    run: RunConfig, dataset: Dataset, epochs: int, threads: tuple[int, int]
) -> tuple[keras.Model, str, dict[str, Any]]:
    """Seed, build the run's model, and return it with its cache key and settings."""
    keras.backend.clear_session()
    with _seeded(run.seed):
        model = run.build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build must return a keras.Model, got {type(model).__name__}")
    key, settings = run_key(
        model,
        dataset,
        epochs=epochs,
        batch_size=run.batch_size,
        seed=run.seed,
        threads=threads,
        fit=run.fit,
    )
    return model, key, settings


_SEEDING = threading.Lock()


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and the backend, and keep Keras's seed draws to this block.

    Keras draws the seed of each weight initializer from Python's global
    ``random``, with ``random.randint``. Other threads of the process may draw
    from it too (a Dask worker's event loop does, in ``dask.sizeof``) and
    would change the initial weights. In this block Keras draws from a private
    generator with the same seed, so the weights are those of an undisturbed
    process; afterwards the global generator continues from where that one
    stopped. Builds in other threads of the process wait for the block.
    """
    with _SEEDING:
        keras.utils.set_random_seed(seed)
        private = random.Random(seed)  # noqa: S311  (Keras's seeds, not secrets)
        shared = random.randint
        random.randint = private.randint
        try:
            yield
        finally:
            random.randint = shared
            random.setstate(private.getstate())


def _cached(
    key: str, compute: Callable[[], RunRecord], root: Path | None
) -> tuple[RunRecord, bool]:
    """Look a run up in the run cache, computing and storing it on a miss."""
    return runcache.get_or_compute(
        key, compute, read=read_entry(key), write=write_entry, root=root, describe=event_details
    )


def _fit(
    model: keras.Model,
    dataset: Dataset,
    key: str,
    settings: dict[str, Any],
    callbacks: Sequence[keras.callbacks.Callback] = (),
    *,
    fit: FitFunction | None = None,
) -> RunRecord:
    """Fit the model, with ``fit`` or else :func:`~mnist_tutorial.fitting.fit_model`, and return its record."""
    epochs = int(settings["epochs"])
    batch_size = int(settings["batch_size"])
    steps = math.ceil(dataset.x_train.shape[0] / batch_size)
    logger = EpochLogger(epochs, steps, discard)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    ready_for_fit(model)
    start = time.perf_counter()
    if fit is None:
        fit_model(
            model, dataset, epochs=epochs, batch_size=batch_size, callbacks=[logger, *callbacks]
        )
    else:
        fit(
            model,
            dataset.x_train,
            dataset.y_train,
            dataset.x_test,
            dataset.y_test,
            [logger, *callbacks],
        )
    total = time.perf_counter() - start
    _check_fitted(logger, epochs=epochs, steps=steps, batch_size=batch_size)
    return RunRecord(
        key=key,
        settings=settings,
        history={name: logger.history[name] for name in METRICS},
        epoch_seconds=logger.epoch_seconds,
        total_seconds=total,
        n_params=int(model.count_params()),
        log_lines=logger.lines,
        created=created,
        final_weights_sha256=weights_sha256(model),
        _model=model,
    )


def _check_fitted(logger: EpochLogger, *, epochs: int, steps: int, batch_size: int) -> None:
    """Check that the fit trained what the run declares (a page's fit states its own)."""
    if logger.keras_steps is None:
        raise ValueError(
            "fit must pass its callbacks argument to model.fit: the trainer saw no training"
        )
    if logger.keras_steps != steps:
        raise ValueError(
            f"fit ran {logger.keras_steps} steps per epoch, but batch_size={batch_size} "
            f"gives {steps}: fit must train with the run's batch_size"
        )
    if len(logger.epoch_seconds) != epochs:
        raise ValueError(
            f"fit trained {len(logger.epoch_seconds)} epochs, but the run declares "
            f"epochs={epochs}: fit must train the run's epochs"
        )
    missing = [name for name in METRICS if name not in logger.history]
    if missing:
        raise ValueError(
            f"fit must report accuracy and validate on (x_test, y_test): "
            f"the history lacks {', '.join(missing)}"
        )
