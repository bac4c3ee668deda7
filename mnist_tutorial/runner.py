"""One training run: its configuration, and seeding, building, fitting and caching it.

A run is built and keyed once (:func:`build_run`): seeded, its model built,
and its key computed (:func:`mnist_tutorial.records.run_key`). The
:class:`BuiltRun` is then replayed from the run cache or fitted and stored
there (:func:`train_built`), in this process or in a worker process, which
receives the built model and the state of the random generators after the
build, so that it fits exactly what this process would have fitted.
:func:`train_run` does both in this process.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import functools
import math
import pickle
import random
import threading
import time
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any, ParamSpec, TypeVar

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
from mnist_tutorial.identity import instruction_set
from mnist_tutorial.progress import EpochLogger, TerminalProgress, discard, progress_line
from mnist_tutorial.records import (
    METRICS,
    RunRecord,
    describe,
    event_details,
    read_entry,
    run_key,
    unloadable_layers,
    weights_sha256,
    write_entry,
)

__all__ = [
    "BuiltRun",
    "RunConfig",
    "build_run",
    "lookup_run",
    "one_task_at_a_time",
    "train_built",
    "train_run",
]


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
        in draft mode).
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
        the trainer checks, before and after training, that they are
        ``epochs`` and ``batch_size`` (a ValueError otherwise). What it
        passes to ``model.fit`` (:func:`~mnist_tutorial.fitting.fit_call`, found by a dry run
        on a stand-in model that trains nothing) enters the run's key, not
        how it is written: a fit that makes the same call as
        :func:`~mnist_tutorial.fitting.fit_model` shares its runs. In draft mode
        a callback stops it after the capped epochs. The function is sent to worker processes by
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


@dataclass(frozen=True)
class BuiltRun:
    """A run seeded, built and keyed once, ready to be replayed or fitted.

    Attributes
    ----------
    run : RunConfig
        The run's configuration.
    epochs : int
        The epochs to train (the run's, or fewer in draft mode).
    threads : tuple of int
        The TensorFlow (intra-op, inter-op) threads the key was computed with.
    key : str
        The run's key (:func:`mnist_tutorial.records.run_key`).
    settings : dict
        The run's settings, as its record states them.
    model : keras.Model or bytes
        The built, compiled, untrained model; pickled (:meth:`shipped`) when
        it goes to another process.
    python_state, numpy_state : object
        Python's and NumPy's global random state right after the build, which
        the fit continues from.
    """

    run: RunConfig
    epochs: int
    threads: tuple[int, int]
    key: str
    settings: dict[str, Any]
    model: keras.Model | bytes
    python_state: Any
    numpy_state: Any

    def shipped(self) -> BuiltRun:
        """Return a copy whose model is pickled, to be sent to another process.

        The model is unpickled there by :func:`train_built` once TensorFlow's
        threads are pinned, which must come before TensorFlow runs anything.
        """
        if isinstance(self.model, bytes):
            return self
        return dataclasses.replace(self, model=pickle.dumps(self.model))


# One training task at a time in a process. Seeding (Python, NumPy,
# TensorFlow), clear_session and the random state a fit draws its shuffles
# from are process-wide: two tasks in threads of one process (a Dask worker
# with several threads, say) would reset them under each other's build or
# fit. With this lock they take turns, and each gets the numbers it gets
# alone. Re-entrant: train_run holds it across build_run and train_built.
_TRAINING = threading.RLock()

_P = ParamSpec("_P")
_T = TypeVar("_T")


def one_task_at_a_time(function: Callable[_P, _T]) -> Callable[_P, _T]:
    """Run ``function`` only while no other training task of this process runs.

    Every task that seeds, builds or fits a model takes the same
    re-entrant lock (the range test of :mod:`mnist_tutorial.lr_range` too).
    """

    @functools.wraps(function)
    def in_turn(*args: _P.args, **kwargs: _P.kwargs) -> _T:
        with _TRAINING:
            return function(*args, **kwargs)

    return in_turn


@one_task_at_a_time
def build_run(
    run: RunConfig,
    dataset: Dataset,
    epochs: int,
    threads: tuple[int, int],
    *,
    in_worker: bool = False,
) -> BuiltRun:
    """Seed, build the run's model, and key it: the one build of a run.

    Parameters
    ----------
    run : RunConfig
        The run.
    dataset : Dataset
        The data it trains on (its fingerprint enters the key).
    epochs : int
        The epochs it trains.
    threads : tuple of int
        TensorFlow's (intra-op, inter-op) threads that it trains with.
    in_worker : bool, default False
        Whether it trains in a worker process that this process starts: it
        is keyed with the kernels TensorFlow runs there.
    """
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
        in_worker=in_worker,
    )
    _check_declared(settings["fit"], epochs=epochs, batch_size=run.batch_size)
    # Where the fit starts from; a worker restores it (train_built).
    # NumPy: the legacy global generator, which keras.utils.set_random_seed seeds.
    python_state, numpy_state = random.getstate(), np.random.get_state()  # noqa: NPY002
    return BuiltRun(run, epochs, threads, key, settings, model, python_state, numpy_state)


def lookup_run(built: BuiltRun, root: Path | None) -> RunRecord | None:
    """Return the cached record of a built run, without training; None on a miss."""
    return runcache.lookup(built.key, read_entry(built.key), root, describe=event_details)


@one_task_at_a_time
def train_run(
    run: RunConfig,
    dataset: Dataset,
    *,
    epochs: int,
    root: Path | None,
    threads: tuple[int, int],
    progress: bool,
    position: str = "",
) -> RunRecord:
    """Build, then replay or train one run in this process (:func:`train_built`).

    The run is keyed with the thread counts in effect, which are ``threads``
    unless TensorFlow already runs in this process with others. The record
    keeps its model in memory (it stays in this process).
    """
    built = build_run(run, dataset, epochs, pin_threads(threads))
    return train_built(
        built, dataset, root=root, scratch=None, progress=progress, position=position
    )


@one_task_at_a_time
def train_built(
    built: BuiltRun,
    dataset: Dataset,
    *,
    root: Path | None,
    scratch: Path | None,
    progress: bool,
    position: str = "",
) -> RunRecord:
    """Replay a built run from the run cache, or fit it and store it; the unit of work of a worker.

    A shipped run (:meth:`BuiltRun.shipped`) is unpacked here: TensorFlow's
    threads are pinned first, then the model is unpickled and the random
    generators are left as they were after the build. Where the threads
    cannot be pinned to the counts that the run was keyed with, or
    TensorFlow computes here with another instruction set or other kernels
    (:func:`mnist_tutorial.identity.instruction_set`), the run is built and
    keyed again with what is in effect.

    ``scratch`` is set when the record goes back to another process: the
    model is then left on disk (in the cache entry, or in ``scratch`` when
    the cache is off) rather than sent back. ``position`` (such as
    ``run 3/6``) starts the run's progress lines.
    """
    if isinstance(built.model, bytes):
        built = _unpacked(built, dataset)
    prefix = f"{position} " if position else ""
    label = prefix + describe(built.settings)
    model = built.model
    if not isinstance(model, keras.Model):  # for the type checker: _unpacked made it one
        raise TypeError(f"model must be a keras.Model, got {type(model).__name__}")

    def fit() -> RunRecord:
        unloadable = unloadable_layers(model)
        if unloadable and (root is not None or scratch is not None):
            # Refused before training: the trained model would be saved, then
            # fail to load from the cache entry (or from another process's).
            raise ValueError(
                f"the run's model has layers Keras cannot load back once stored: "
                f"{', '.join(unloadable)}. Define the layer class at the top level of a "
                "module, or register it with @keras.saving.register_keras_serializable(), "
                "or train it with the run cache off in this process "
                "(MNIST_TUTORIAL_RUN_CACHE=off MNIST_TUTORIAL_WORKERS=1)"
            )
        callbacks = _draft_cap(built)
        if progress:
            callbacks.append(TerminalProgress(label, built.epochs))
        return _fit(model, dataset, built.key, built.settings, callbacks, fit=built.run.fit)

    record, replayed = _cached(built.key, fit, root)
    if replayed:
        progress_line(f"{prefix}replayed {describe(built.settings)} from the run cache")
    elif root is not None:
        record.directory = root / built.key
    if scratch is not None and record.directory is None:
        # A whole entry (its record names the model's sha256, which loading
        # checks), written under the key's lock as every entry is.
        record.directory = runcache.commit_entry(
            scratch, built.key, functools.partial(write_entry, record=record)
        )
    if scratch is not None:
        record._model = None
    return record


def _unpacked(built: BuiltRun, dataset: Dataset) -> BuiltRun:
    """Unpickle a shipped run's model in this process, as :func:`build_run` left it."""
    in_effect = pin_threads(built.threads)
    if in_effect != built.threads or built.settings["instruction_set"] != instruction_set():
        # TensorFlow already ran here with other counts, or started here with
        # other kernels than where the run was keyed: key what will train.
        return build_run(built.run, dataset, built.epochs, in_effect)
    keras.backend.clear_session()
    try:
        with _seeded(built.run.seed):
            model = pickle.loads(built.model)  # noqa: S301  (pickled by this package's caller)
    except (TypeError, ValueError, AttributeError, ImportError):
        # Keras cannot rebuild a layer it cannot import here (one defined in
        # a function, say): build the run here instead.
        return build_run(built.run, dataset, built.epochs, in_effect)
    random.setstate(built.python_state)
    np.random.set_state(built.numpy_state)  # noqa: NPY002
    return dataclasses.replace(built, model=model)


@contextlib.contextmanager
def _seeded(seed: int) -> Iterator[None]:
    """Seed Python, NumPy and the backend, and keep Keras's seed draws to this thread.

    Keras draws the seed of each weight initializer from Python's global
    ``random``, with ``random.randint``. Other threads of the process may draw
    from it too (a Dask worker's event loop does, in ``dask.sizeof``) and
    would change the initial weights. In this block the ``random.randint``
    calls of this thread draw from a private generator with the same seed, so
    the weights are those of an undisturbed process, while every other
    thread's calls go on to the shared generator; afterwards the shared
    generator continues from where the private one stopped. Builds in other
    threads of the process wait for the block.
    """
    with _TRAINING:
        keras.utils.set_random_seed(seed)
        private = random.Random(seed)  # noqa: S311  (Keras's seeds, not secrets)
        shared = random.randint
        builder = threading.get_ident()

        def randint(a: int, b: int) -> int:
            if threading.get_ident() == builder:
                return private.randint(a, b)
            return shared(a, b)

        random.randint = randint
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


_TEST_SET = [{"data": "x_test"}, {"data": "y_test"}]


def _draft_cap(built: BuiltRun) -> list[keras.callbacks.Callback]:
    """Return the callback that stops a page's own fit after a draft build's epochs, if needed.

    A page's fit states its epochs in its code; a draft build trains fewer
    (:func:`mnist_tutorial.training.train_records`), so it is stopped.
    """
    if built.run.fit is not None and built.epochs < built.run.epochs:
        return [_StopAfter(built.epochs)]
    return []


class _StopAfter(keras.callbacks.Callback):  # type: ignore[misc]
    """Stop a fit after ``epochs`` epochs (a draft build's cap on a page's own fit)."""

    def __init__(self, epochs: int) -> None:
        super().__init__()
        self.epochs = epochs

    def on_epoch_end(self, epoch: int, logs: dict[str, Any] | None = None) -> None:
        if epoch + 1 >= self.epochs:
            self.model.stop_training = True


def _check_declared(calls: list[dict[str, Any]], *, epochs: int, batch_size: int) -> None:
    """Check, before training, that a fit's model.fit calls train the run as it declares.

    ``calls`` is :func:`~mnist_tutorial.fitting.fit_call`'s description; :func:`_check_fitted`
    checks what was trained again afterwards. (In draft mode the key already
    states the capped epochs of a fit that states more: :func:`~mnist_tutorial.records.run_key`.)
    """
    for call in calls:
        if (call["epochs"], call["batch_size"]) != (epochs, batch_size):
            raise ValueError(
                f"fit calls model.fit with epochs={call['epochs']}, batch_size="
                f"{call['batch_size']}, but the run declares epochs={epochs}, "
                f"batch_size={batch_size}: fit must train the run's epochs and batch_size"
            )
        if call["validation_data"] != _TEST_SET:
            raise ValueError(
                "fit must validate on the test set: pass validation_data=(x_test, y_test) "
                "to model.fit"
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
