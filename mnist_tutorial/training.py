"""Reproducible, cached training runs with one clean log line per epoch.

:func:`train` seeds everything, builds a model, and fits it;
:func:`train_many` does the same for several independent runs at once, in
worker processes, and :func:`train_records` without printing. The result of
a run is a :class:`~mnist_tutorial.records.RunRecord`, stored in the run cache
(:mod:`mnist_tutorial.runcache`) with the trained model, under a key that
covers everything that determines the result
(:data:`mnist_tutorial.identity.RUN_IDENTITY`), so that an identical call
later replays the record instead of training again.

A run is fitted by the plain public ``model.fit`` call of
:func:`~mnist_tutorial.fitting.fit_model`, or by a page's own function with the same call (the
``fit`` argument of :class:`~mnist_tutorial.runner.RunConfig`, :func:`train` and
:func:`mnist_tutorial.replicates.train_replicates`). Each run trains with a
fixed number of TensorFlow threads
(:func:`mnist_tutorial.config.training_threads`), so that its numbers do
not depend on how many cores the machine has, and with
:data:`~mnist_tutorial.fitting.STEPS_PER_EXECUTION` steps per call into
TensorFlow. Neither changes the batches, their order or the updates.

One module per concern: :mod:`mnist_tutorial.runner` (one run: seeding,
building, fitting, caching), :mod:`mnist_tutorial.fitting` (the ``model.fit``
call), :mod:`mnist_tutorial.records` (the record and its key) and
:mod:`mnist_tutorial.progress` (what is printed). The names that pages use
stay importable from here.
"""

from __future__ import annotations

import atexit
import shutil
import tempfile
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import joblib
import keras

from mnist_tutorial import config, published, runner
from mnist_tutorial.data import Dataset
from mnist_tutorial.fitting import (
    STEPS_PER_EXECUTION,
    FitFunction,
    fit_call,
    fit_model,
    pin_threads,
)
from mnist_tutorial.progress import (
    BatchProgress,
    EpochLogger,
    TerminalProgress,
    discard,
    print_line,
    progress_line,
    summary_line,
    write_lines,
)
from mnist_tutorial.records import METRICS, RunRecord, describe, run_key, weights_sha256
from mnist_tutorial.runner import RunConfig

# This module's own functions, and the names that pages and code written
# before the split import from here (docs/api.rst documents each once).
__all__ = [
    "METRICS",
    "STEPS_PER_EXECUTION",
    "EpochLogger",
    "FitFunction",
    "RunConfig",
    "RunRecord",
    "TerminalProgress",
    "describe",
    "discard",
    "fit_call",
    "fit_model",
    "pin_threads",
    "print_line",
    "progress_line",
    "run_key",
    "train",
    "train_many",
    "train_records",
    "write_lines",
]

_SCRATCH: list[Path] = []


def _scratch_dir() -> Path:
    """Return a per-process folder for models trained with the run cache off."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="mnist-tutorial-runs-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    return _SCRATCH[0]


def train_many(
    runs: Sequence[RunConfig],
    dataset: Dataset,
    *,
    log: bool = True,
    emit: Callable[[str], None] | None = None,
    n_jobs: int | None = None,
) -> list[RunRecord]:
    """Train several independent runs at the same time, or replay them, and print their logs.

    :func:`train_records` trains or replays the runs; their lines are then
    printed in the order of ``runs``, whichever run finished first, so a
    page reads the same whether its runs were trained in parallel or
    replayed.

    Parameters
    ----------
    runs : sequence of RunConfig
        The runs to train.
    dataset : Dataset
        Preprocessed data from :func:`mnist_tutorial.data.preprocess`; the
        test set serves as validation data, as in the homework.
    log : bool, default True
        Emit each run's per-epoch lines. When False, emit only a one-line
        summary of each run (for a run the page has already shown).
    emit : callable, optional
        Receives each log line; prints to standard output by default.
    n_jobs : int, optional
        Worker processes; defaults to :func:`mnist_tutorial.config.workers`.
        With 1, the runs are trained one after the other in this process.

    Returns
    -------
    list of RunRecord
        One record per run, in the order of ``runs``.
    """
    records = train_records(runs, dataset, n_jobs=n_jobs)
    lines: list[str] = []
    for record in records:
        if log:
            lines.extend(record.log_lines)
        if record.replayed or not log:
            lines.append(summary_line(record))
    # Only where the site's records are known: a downloaded notebook.
    lines.extend(published.compare_with_site(records))
    write_lines(lines, emit)
    return records


def train_records(
    runs: Sequence[RunConfig], dataset: Dataset, *, n_jobs: int | None = None
) -> list[RunRecord]:
    """Train several independent runs at the same time, or replay them, printing nothing.

    Runs that are in the run cache are replayed at once. The others are
    trained by ``joblib``, in ``n_jobs`` worker processes (its ``loky``
    backend by default; a ``joblib.parallel_config`` block around the
    call selects another, such as Dask or Ray, for a bigger machine or a
    cluster). The cache's lock makes sure that no configuration is trained
    twice, whichever process gets to it first. Each worker trains with
    :func:`~mnist_tutorial.config.training_threads` TensorFlow threads.
    Only progress lines go to the terminal (:func:`~mnist_tutorial.progress.progress_line`); the
    records are published when a build asks for it
    (:func:`mnist_tutorial.config.published_runs_file`).

    Parameters
    ----------
    runs : sequence of RunConfig
        The runs to train.
    dataset : Dataset
        Preprocessed data; the test set serves as validation data.
    n_jobs : int, optional
        Worker processes; defaults to :func:`mnist_tutorial.config.workers`.
        With 1, the runs are trained one after the other in this process.

    Returns
    -------
    list of RunRecord
        One record per run, in the order of ``runs``.
    """
    runs = list(runs)
    if not all(isinstance(run, RunConfig) for run in runs):
        raise TypeError("runs must be a sequence of mnist_tutorial.training.RunConfig")
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"dataset must be a mnist_tutorial.data.Dataset, got {type(dataset).__name__}"
        )
    jobs = config.workers() if n_jobs is None else runner._check_positive_int("n_jobs", n_jobs)
    # Resolved here, not in the workers, whose environment may be older.
    options: dict[str, Any] = {
        "root": config.run_cache_dir(),
        "threads": config.training_threads(),
        "progress": config.progress(),
    }
    epochs = _epochs_to_train(runs)
    if jobs == 1:
        records = [
            runner.train_run(run, dataset, epochs=count, position=_position(index, runs), **options)
            for index, (run, count) in enumerate(zip(runs, epochs, strict=True))
        ]
    else:
        records = _train_in_workers(runs, dataset, epochs, jobs, options)
    if config.published_runs_file() is not None:
        published.publish(_with_final_weights(records))
    return records


def _epochs_to_train(runs: Sequence[RunConfig]) -> list[int]:
    """Each run's epochs: at most DRAFT_EPOCHS in draft mode.

    A page's own fit states its epochs in its code; in draft mode the trainer
    stops it after the capped epochs (:func:`~mnist_tutorial.runner.train_built`).
    """
    if not config.draft_mode():
        return [run.epochs for run in runs]
    return [min(run.epochs, config.DRAFT_EPOCHS) for run in runs]


def _with_final_weights(records: list[RunRecord]) -> list[RunRecord]:
    """Fill in the final weights' sha256 of records stored before it was recorded."""
    for record in records:
        if not record.final_weights_sha256:
            record.final_weights_sha256 = weights_sha256(record.load_model())
    return records


def _train_in_workers(
    runs: list[RunConfig],
    dataset: Dataset,
    epochs: list[int],
    jobs: int,
    options: dict[str, Any],
) -> list[RunRecord]:
    """Replay what is cached here; train the rest with joblib, in ``jobs`` processes.

    Each run is built and keyed once, here; a miss is shipped to a worker
    with its built model (:meth:`~mnist_tutorial.runner.BuiltRun.shipped`).
    """
    root = options["root"]
    records: list[RunRecord | None] = []
    missed: dict[int, runner.BuiltRun] = {}
    for index, (run, count) in enumerate(zip(runs, epochs, strict=True)):
        # Keyed as the worker will train it: with its thread counts and kernels.
        built = runner.build_run(run, dataset, count, options["threads"], in_worker=True)
        record = runner.lookup_run(built, root)
        if record is None:
            missed[index] = built.shipped()
        else:
            progress_line(
                f"{_position(index, runs)} replayed {describe(record.settings)} from the run cache"
            )
        records.append(record)
    if missed:
        # Where the batch stands: each worker's lines then name their run's position.
        progress_line(
            f"{len(runs)} runs: {len(runs) - len(missed)} replayed, {len(missed)} to train "
            f"({sum(epochs[index] for index in missed)} epochs) in up to {jobs} processes"
        )
    scratch = _scratch_dir() if root is None else root
    batch = BatchProgress([epochs[index] for index in missed]) if missed else None
    # As each run finishes, whichever it is: the batch's time left.
    trained = joblib.Parallel(n_jobs=jobs, return_as="generator_unordered")(
        joblib.delayed(_train_at)(
            index,
            built,
            dataset,
            root=root,
            scratch=scratch,
            progress=options["progress"],
            position=_position(index, runs),
        )
        for index, built in missed.items()
    )
    for index, record in trained:
        records[index] = record
        if batch is not None and len(missed) > 1:
            progress_line(batch.finished(record.epochs))
    return [record for record in records if record is not None]


def _train_at(
    index: int, built: runner.BuiltRun, dataset: Dataset, **options: Any
) -> tuple[int, RunRecord]:
    """Train a built run in a worker; return it with its place in the batch."""
    return index, runner.train_built(built, dataset, **options)


def _position(index: int, runs: Sequence[object]) -> str:
    """Name a run's place in its batch for the progress lines: ``run 3/6``."""
    return f"run {index + 1}/{len(runs)}"


def train(
    build: Callable[[], keras.Model],
    dataset: Dataset,
    *,
    epochs: int = 10,
    batch_size: int = 32,
    seed: int = 0,
    log: bool = True,
    emit: Callable[[str], None] | None = None,
    fit: FitFunction | None = None,
) -> RunRecord:
    """Train a freshly built model, or replay an identical earlier run.

    The random seed is set (:func:`keras.utils.set_random_seed`) before
    ``build`` creates the weights, so the same call gives the same history.
    The test set serves as validation data, as in the homework. The run is
    trained in a worker process (see :func:`train_many`, which this calls
    with a single run).

    Parameters
    ----------
    build : callable
        Returns a new compiled :class:`keras.Model`, for example
        ``functools.partial(models.build_model, learning_rate=0.1)``.
    dataset : Dataset
        Preprocessed data from :func:`mnist_tutorial.data.preprocess`.
    epochs : int, default 10
        Epochs to train. In draft mode at most
        :data:`mnist_tutorial.config.DRAFT_EPOCHS` are trained.
    batch_size : int, default 32
        Mini-batch size.
    seed : int, default 0
        Seed for Python, NumPy and the backend.
    log : bool, default True
        Emit one line per epoch. When False, emit only a one-line summary
        at the end (useful when a page reuses a run it has already shown).
    emit : callable, optional
        Receives each log line; prints to standard output by default.
    fit : function, optional
        The page's own ``fit(model, x_train, y_train, x_test, y_test,
        callbacks)``, which must train ``epochs`` epochs of ``batch_size``
        (see :class:`~mnist_tutorial.runner.RunConfig`); :func:`~mnist_tutorial.fitting.fit_model` by default.

    Returns
    -------
    RunRecord
        History, timings, parameter count and log lines.
    """
    run = RunConfig(build, epochs=epochs, batch_size=batch_size, seed=seed, fit=fit)
    return train_many([run], dataset, log=log, emit=emit)[0]
