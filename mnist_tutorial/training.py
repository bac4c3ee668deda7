"""Reproducible, cached training runs with one clean log line per epoch.

:func:`train` seeds everything, builds a model, and fits it;
:func:`train_many` does the same for several independent runs at once, in
worker processes. The result of a run is a :class:`RunRecord`, stored in
the run cache (:mod:`mnist_tutorial.runcache`) with the trained model,
under a key that covers everything that determines the result, so that an
identical call later replays the record instead of training again.

A run is fitted by the plain public ``model.fit`` call of
:func:`fit_model`, or by a page's own function with the same call (the
``fit`` argument of :class:`RunConfig`, :func:`train` and
:func:`mnist_tutorial.replicates.train_replicates`). Each run trains with a
fixed number of TensorFlow threads
(:func:`mnist_tutorial.config.training_threads`), so that its numbers do
not depend on how many cores the machine has, and with
:data:`STEPS_PER_EXECUTION` steps per call into TensorFlow. Neither changes
the batches, their order or the updates.
"""

from __future__ import annotations

import atexit
import contextlib
import datetime as dt
import functools
import hashlib
import inspect
import json
import math
import random
import shutil
import sys
import tempfile
import threading
import time
import types
from collections.abc import Callable, Iterable, Iterator, Mapping, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import joblib
import keras
import numpy as np
import tensorflow as tf

from mnist_tutorial import config, published, runcache
from mnist_tutorial.data import Dataset, file_sha256

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
    "fit_model",
    "fit_sha256",
    "pin_threads",
    "print_line",
    "progress_line",
    "run_key",
    "train",
    "train_many",
    "train_records",
    "write_lines",
]

#: The per-epoch quantities a record holds, in log order.
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
#: Training steps per call into TensorFlow. Running many steps per call
#: saves Python overhead per batch; the updates, and so the results, are
#: the same as one step at a time.
STEPS_PER_EXECUTION = 64
#: A page's own fit: ``fit(model, x_train, y_train, x_test, y_test, callbacks)``
#: calls ``model.fit`` and passes ``callbacks`` on (see :class:`RunConfig`).
FitFunction = Callable[..., object]
_RECORD_FILE = "record.json"
_MODEL_FILE = "model.keras"


@dataclass
class RunRecord:
    """The outcome of one training run.

    Attributes
    ----------
    key : str
        Cache key: sha256 of everything that determines the result.
    settings : dict
        Human-readable summary of the run's inputs (model, optimizer,
        epochs, batch size, seed, data, library versions).
    history : dict
        Per-epoch ``loss``, ``accuracy``, ``val_loss`` and ``val_accuracy``.
    epoch_seconds : list
        Wall time of each epoch, validation included.
    total_seconds : float
        Wall time of the whole fit.
    n_params : int
        Number of trainable and non-trainable parameters.
    log_lines : list
        The lines printed while training.
    created : str
        When the run was trained, as an ISO 8601 UTC timestamp.
    final_weights_sha256 : str
        sha256 of the trained weights (empty in records stored before it
        was recorded).
    replayed : bool
        True when this record came from the cache.
    """

    key: str
    settings: dict[str, Any]
    history: dict[str, list[float]]
    epoch_seconds: list[float]
    total_seconds: float
    n_params: int
    log_lines: list[str]
    created: str
    final_weights_sha256: str = ""
    replayed: bool = False
    directory: Path | None = field(default=None, repr=False, compare=False)
    _model: keras.Model | None = field(default=None, repr=False, compare=False)

    @property
    def epochs(self) -> int:
        """Number of epochs trained."""
        return len(self.epoch_seconds)

    @property
    def seconds_per_epoch(self) -> float:
        """Mean wall time of an epoch."""
        return self.total_seconds / max(self.epochs, 1)

    def final(self, metric: str) -> float:
        """Return a metric's value after the last epoch.

        Parameters
        ----------
        metric : {'loss', 'accuracy', 'val_loss', 'val_accuracy'}
        """
        if metric not in self.history:
            raise ValueError(f"metric must be one of {sorted(self.history)}, got {metric!r}")
        return self.history[metric][-1]

    def load_model(self) -> keras.Model:
        """Return the trained model, from memory or from the cache."""
        if self._model is not None:
            return self._model
        if self.directory is None:
            raise RuntimeError("this record has neither an in-memory model nor a cache entry")
        self._model = keras.saving.load_model(self.directory / _MODEL_FILE)
        return self._model

    def to_json(self) -> str:
        """Serialize the record (without the model) to JSON."""
        content = {
            name: value
            for name, value in asdict(self).items()
            if name not in {"directory", "_model", "replayed"}
        }
        return json.dumps(content, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        """Rebuild a record from :meth:`to_json` output."""
        content = json.loads(text)
        content.pop("format", None)
        content.pop("model_sha256", None)
        return cls(**content)


class EpochLogger(keras.callbacks.Callback):  # type: ignore[misc]
    """Print one plain line per epoch and keep the lines and epoch times.

    The lines look like Keras's ``verbose=2`` output, in the homework's order::

        Epoch 3/10
        1875/1875 - 8s - 4ms/step - loss: 0.1754 - accuracy: 0.9485 - ...

    There are no carriage returns, backspaces or colour codes, so a captured
    log (a gallery page, a CI log) has exactly these lines.

    Parameters
    ----------
    epochs : int
        Total epochs, for the ``Epoch i/N`` header.
    steps : int
        Batches per epoch.
    emit : callable, optional
        Called with each line; defaults to printing to standard output
        (:func:`print_line`). :func:`discard` only keeps the lines.
    """

    def __init__(self, epochs: int, steps: int, emit: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.steps = steps
        self.emit = emit if emit is not None else print_line
        self.lines: list[str] = []
        self.epoch_seconds: list[float] = []
        #: Each epoch's logs, as ``History.history`` holds them.
        self.history: dict[str, list[float]] = {}
        #: Batches per epoch as Keras counts them (``params["steps"]``).
        self.keras_steps: int | None = None
        self._start = 0.0

    def _write(self, line: str) -> None:
        self.lines.append(line)
        self.emit(line)

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Note how many batches per epoch Keras will run."""
        self.keras_steps = self.params.get("steps")

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Print the epoch header and start its clock."""
        self._write(f"Epoch {epoch + 1}/{self.epochs}")
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Stop the clock and print the epoch's metrics."""
        seconds = time.perf_counter() - self._start
        self.epoch_seconds.append(seconds)
        logs = logs or {}
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))
        metrics = " - ".join(f"{name}: {float(logs[name]):.4f}" for name in METRICS if name in logs)
        step_ms = 1000.0 * seconds / max(self.steps, 1)
        self._write(
            f"{self.steps}/{self.steps} - {seconds:.0f}s - {step_ms:.0f}ms/step - {metrics}"
        )


def print_line(line: str) -> None:
    """Print a log line to standard output, which a page shows."""
    print(line, flush=True)


def discard(line: str) -> None:
    """Drop a line: for a logger whose lines are kept and printed later."""
    del line


def write_lines(lines: Iterable[str], emit: Callable[[str], None] | None = None) -> None:
    """Print the lines a page shows of its runs, or hand them to ``emit``.

    The one place that prints training logs: :func:`train_many` and
    :func:`mnist_tutorial.replicates.train_replicates` compose their lines
    and print them here.

    Parameters
    ----------
    lines : iterable of str
        The lines, in order.
    emit : callable, optional
        Receives each line; :func:`print_line` by default.
    """
    output = emit if emit is not None else print_line
    for line in lines:
        output(line)


def _check_positive_int(name: str, value: int, minimum: int = 1) -> int:
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int >= {minimum}, got {type(value).__name__}")
    if value < minimum:
        raise ValueError(f"{name} must be an int >= {minimum}, got {value}")
    return int(value)


def _weights_sha256(model: keras.Model) -> str:
    digest = hashlib.sha256()
    for weight in model.get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


def _versions() -> dict[str, str]:
    import tensorflow as tf  # noqa: PLC0415  (already imported by keras)

    return {
        "tensorflow": tf.__version__,
        "keras": keras.__version__,
        "numpy": np.__version__,
    }


def _without_names(value: Any) -> Any:
    """Drop ``name`` entries: auto-numbered names change nothing in the result."""
    if isinstance(value, dict):
        return {key: _without_names(item) for key, item in value.items() if key != "name"}
    if isinstance(value, list):
        return [_without_names(item) for item in value]
    return value


def _plain(value: Any) -> Any:
    return _without_names(json.loads(json.dumps(value, default=str)))


def run_key(
    model: keras.Model,
    dataset: Dataset,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    threads: tuple[int, int] | None = None,
    fit: FitFunction | None = None,
) -> tuple[str, dict[str, Any]]:
    """Return the cache key of a run, and the settings it was computed from.

    The key covers the architecture, the initial weights, the compile
    configuration (optimizer and its settings, loss, metrics), epochs,
    batch size, seed, the data fingerprint, the TensorFlow thread count,
    the steps per execution, the source code of the fitting path, the code
    of a page's own ``fit`` function (:func:`fit_sha256`) and the
    TensorFlow, Keras and NumPy versions. Any change to one of them gives a
    different key.

    Parameters
    ----------
    model : keras.Model
        A compiled model, before training.
    dataset : Dataset
        The data it will be trained and validated on.
    epochs, batch_size, seed : int
        The fit settings.
    threads : (int, int), optional
        TensorFlow intra-op and inter-op threads of the run (0 means
        TensorFlow's own default); defaults to
        :func:`mnist_tutorial.config.training_threads`.
    fit : callable, optional
        A page's own fit function (see :class:`RunConfig`); None for
        :func:`fit_model`.
    """
    threads = config.training_threads() if threads is None else threads
    compile_config = model.get_compile_config()
    if not compile_config:
        raise ValueError("model must be compiled before training (model.compile(...))")
    settings: dict[str, Any] = {
        "architecture": _plain(model.get_config()),
        "initial_weights_sha256": _weights_sha256(model),
        "compile": _plain(compile_config),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "train_examples": int(dataset.x_train.shape[0]),
        "validation_examples": int(dataset.x_test.shape[0]),
        "data_fingerprint": dataset.fingerprint,
        "threads": {"intra_op": threads[0], "inter_op": threads[1]},
        "steps_per_execution": STEPS_PER_EXECUTION,
        "trainer_sha256": _trainer_sha256(),
        "fit_sha256": None if fit is None else fit_sha256(fit),
        "versions": _versions(),
        "format": runcache.FORMAT_VERSION,
    }
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return key, settings


@functools.cache
def _trainer_sha256() -> str:
    """sha256 of the code that fits a model: a change to it is a change of every run.

    It covers the plain fit, the preparation of the model for it (steps per
    execution) and the thread pinning, which decides the numbers as much.
    """
    digest = hashlib.sha256()
    for item in (fit_model, _ready_for_fit, _pin_threads):
        digest.update(inspect.getsource(item).encode())
    return digest.hexdigest()


def _read_entry(key: str) -> Callable[[Path], RunRecord | None]:
    def read(directory: Path) -> RunRecord | None:
        record_path = directory / _RECORD_FILE
        model_path = directory / _MODEL_FILE
        if not record_path.is_file() or not model_path.is_file():
            return None
        try:
            content = json.loads(record_path.read_text())
            if content.get("key") != key or content.get("format") != runcache.FORMAT_VERSION:
                return None
            if content.get("model_sha256") != file_sha256(model_path):
                return None
            record = RunRecord.from_json(json.dumps(content))
        except (OSError, ValueError, TypeError):
            return None
        record.directory = directory
        record.replayed = True
        return record

    return read


def _write_entry(staging: Path, record: RunRecord) -> None:
    """Store a run's record and trained model in an entry folder."""
    record.load_model().save(staging / _MODEL_FILE)
    content = json.loads(record.to_json())
    content["format"] = runcache.FORMAT_VERSION
    content["model_sha256"] = file_sha256(staging / _MODEL_FILE)
    # The record is written last: an entry without it is never valid.
    (staging / _RECORD_FILE).write_text(json.dumps(content, indent=1, sort_keys=True))


def _event_details(record: RunRecord) -> dict[str, Any]:
    return {"total_seconds": record.total_seconds, "epochs": record.epochs}


def _summary(record: RunRecord) -> str:
    timing = f"{record.total_seconds:.1f} s, {record.seconds_per_epoch:.1f} s/epoch"
    if record.replayed:
        return f"(replayed from the run cache: trained {record.created} in {timing})"
    return (
        f"(trained {record.epochs} epochs in {timing}: "
        f"accuracy {record.final('accuracy'):.4f}, "
        f"val_accuracy {record.final('val_accuracy'):.4f})"
    )


@dataclass(frozen=True)
class RunConfig:
    """One training run for :func:`train_many`.

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
        y_test, callbacks)`` in place of :func:`fit_model`, so that a page
        can show the literal ``model.fit(...)`` call that its runs train
        with. It must pass ``callbacks`` to ``model.fit`` and validate on
        ``(x_test, y_test)``, and it states its own epochs and batch size:
        after the fit, the trainer checks that they are ``epochs`` and
        ``batch_size`` (a ValueError otherwise), which stay the run's
        recorded settings. Its code (:func:`fit_sha256`) enters the run's
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
            _check_fit_function(self.fit)


def _check_fit_function(fit: object) -> None:
    # The key hashes the function's code object, which only functions have.
    if not isinstance(fit, types.FunctionType):
        raise TypeError(
            "fit must be a function (def or lambda) taking "
            f"(model, x_train, y_train, x_test, y_test, callbacks), got {fit!r}"
        )


def fit_sha256(fit: FitFunction) -> str:
    """Return the sha256 of a fit function's code, for the run's key.

    It covers the code object, not the source text, so that it works for a
    function typed into a notebook too: the bytecode, the constants (nested
    functions' code objects included, recursively), the global and
    attribute names, and the local variable names. Changing a number in the
    function changes it; renaming the function or editing a comment does
    not. Values the function reads from outside (globals, closures) are not
    covered. Bytecode differs between Python versions, so does the digest.

    Parameters
    ----------
    fit : function
        The fit function of a :class:`RunConfig`.
    """
    _check_fit_function(fit)
    code = fit.__code__
    return hashlib.sha256(json.dumps(_code_parts(code)).encode()).hexdigest()


def _code_parts(code: types.CodeType) -> dict[str, Any]:
    return {
        "code": code.co_code.hex(),
        "consts": [_constant_part(value) for value in code.co_consts],
        "names": list(code.co_names),
        "varnames": list(code.co_varnames),
    }


def _constant_part(value: object) -> Any:
    if isinstance(value, types.CodeType):
        return _code_parts(value)
    if isinstance(value, tuple):
        return [_constant_part(item) for item in value]
    if isinstance(value, frozenset):
        # A set's order follows string hashing, which changes per process.
        return sorted(json.dumps(_constant_part(item)) for item in value)
    return f"{type(value).__name__}:{value!r}"


class TerminalProgress(keras.callbacks.Callback):  # type: ignore[misc]
    """Write one progress line per epoch to the terminal, with a time estimate.

    The lines go to the process's real standard error (``sys.__stderr__``),
    which a sphinx-gallery page does not capture: authors see them while
    the site builds, readers never see them on a page.

    Parameters
    ----------
    label : str
        Names the run in each line.
    epochs : int
        Total epochs, for the estimate of the time left.
    """

    def __init__(self, label: str, epochs: int) -> None:
        super().__init__()
        self.label = label
        self.epochs = epochs
        self._fit_start = 0.0
        self._epoch_start = 0.0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Start the clocks and announce the run."""
        self._fit_start = time.perf_counter()
        progress_line(f"training {self.label}: {self.epochs} epochs")

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Start the epoch's clock."""
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Write the epoch's time, validation accuracy and the estimated time left."""
        now = time.perf_counter()
        done = epoch + 1
        left = (now - self._fit_start) / done * (self.epochs - done)
        accuracy = (logs or {}).get("val_accuracy")
        shown = f", val_accuracy {float(accuracy):.4f}" if accuracy is not None else ""
        progress_line(
            f"  {self.label}: epoch {done}/{self.epochs} in {now - self._epoch_start:.1f} s"
            f"{shown}; about {_duration(left)} left"
        )


def progress_line(line: str) -> None:
    """Write a progress line to the terminal, unless progress is turned off."""
    stream = sys.__stderr__
    if stream is not None and config.progress():
        stream.write(f"mnist_tutorial: {line}\n")
        stream.flush()


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"


def describe(settings: Mapping[str, Any]) -> str:
    """Return a short human-readable name of a run from its settings.

    For example ``conv (32,), SGD lr=0.1 momentum=0.9, seed 0``.
    """
    # The settings of run_key, which always has these entries.
    layers = settings["architecture"]["layers"]
    filters = tuple(
        layer["config"]["filters"] for layer in layers if layer["class_name"] == "Conv2D"
    )
    optimizer = settings["compile"]["optimizer"]
    options = optimizer["config"]
    parts = [f"{optimizer['class_name']} lr={options['learning_rate']:g}"]
    if options.get("momentum"):
        parts.append(f"momentum={options['momentum']:g}")
    return f"conv {filters}, {' '.join(parts)}, seed {settings['seed']}"


def _pin_threads(threads: tuple[int, int]) -> tuple[int, int]:
    """Give TensorFlow (intra-op, inter-op) ``threads``; return the counts in effect.

    This only works before TensorFlow has run anything in this process. In
    a process where it already has (an in-process run after other work),
    the counts in effect are returned instead; 0 means TensorFlow's default.
    """
    threading = tf.config.threading
    current = (
        threading.get_intra_op_parallelism_threads(),
        threading.get_inter_op_parallelism_threads(),
    )
    if current == threads:
        return threads
    try:
        threading.set_intra_op_parallelism_threads(threads[0])
        threading.set_inter_op_parallelism_threads(threads[1])
    except RuntimeError:
        return current
    return threads


# The public name, for code that trains in the calling process (the range test).
pin_threads = _pin_threads

_SCRATCH: list[Path] = []


def _scratch_dir() -> Path:
    """Return a per-process folder for models trained with the run cache off."""
    if not _SCRATCH:
        _SCRATCH.append(Path(tempfile.mkdtemp(prefix="mnist-tutorial-runs-")))
        atexit.register(shutil.rmtree, _SCRATCH[0], ignore_errors=True)
    return _SCRATCH[0]


def _train_task(
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
    """Train (or replay) one run in this process; the unit of work of :func:`train_many`.

    ``scratch`` is set when the record goes back to another process: the
    model is then left on disk (in the cache entry, or in ``scratch`` when
    the cache is off) rather than sent back. ``position`` (such as
    ``run 3/6``) starts the run's progress lines.
    """
    in_effect = _pin_threads(threads)
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
            scratch, key, lambda staging: record.load_model().save(staging / _MODEL_FILE)
        )
    if scratch is not None:
        record._model = None
    return record


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
            lines.append(_summary(record))
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
    Only progress lines go to the terminal (:func:`progress_line`); the
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
    jobs = config.workers() if n_jobs is None else _check_positive_int("n_jobs", n_jobs)
    # Resolved here, not in the workers, whose environment may be older.
    options: dict[str, Any] = {
        "root": config.run_cache_dir(),
        "threads": config.training_threads(),
        "progress": config.progress(),
    }
    epochs = _epochs_to_train(runs)
    if jobs == 1:
        records = [
            _train_task(
                run, dataset, epochs=count, scratch=None, position=_position(index, runs), **options
            )
            for index, (run, count) in enumerate(zip(runs, epochs, strict=True))
        ]
    else:
        records = _train_in_workers(runs, dataset, epochs, jobs, options)
    if config.published_runs_file() is not None:
        published.publish(_with_final_weights(records))
    return records


def _epochs_to_train(runs: Sequence[RunConfig]) -> list[int]:
    """Each run's epochs: at most DRAFT_EPOCHS in draft mode, unless the run has its own fit."""
    if not config.draft_mode():
        return [run.epochs for run in runs]
    # A page's own fit states its epochs in its code, so they cannot be capped.
    return [
        run.epochs if run.fit is not None else min(run.epochs, config.DRAFT_EPOCHS) for run in runs
    ]


def _with_final_weights(records: list[RunRecord]) -> list[RunRecord]:
    """Fill in the final weights' sha256 of records stored before it was recorded."""
    for record in records:
        if not record.final_weights_sha256:
            record.final_weights_sha256 = _weights_sha256(record.load_model())
    return records


def _train_in_workers(
    runs: list[RunConfig],
    dataset: Dataset,
    epochs: list[int],
    jobs: int,
    options: dict[str, Any],
) -> list[RunRecord]:
    """Replay what is cached here; train the rest with joblib, in ``jobs`` processes."""
    root = options["root"]
    records: list[RunRecord | None] = [
        _lookup(run, dataset, count, root, options["threads"])
        for run, count in zip(runs, epochs, strict=True)
    ]
    for index, record in enumerate(records):
        if record is not None:
            progress_line(
                f"{_position(index, runs)} replayed {describe(record.settings)} from the run cache"
            )
    pending = [index for index, record in enumerate(records) if record is None]
    if pending:
        # Where the batch stands: each worker's lines then name their run's position.
        progress_line(
            f"{len(runs)} runs: {len(runs) - len(pending)} replayed, {len(pending)} to train "
            f"({sum(epochs[index] for index in pending)} epochs) in up to {jobs} processes"
        )
    scratch = _scratch_dir() if root is None else root
    trained = joblib.Parallel(n_jobs=jobs)(
        joblib.delayed(_train_task)(
            runs[index],
            dataset,
            epochs=epochs[index],
            scratch=scratch,
            position=_position(index, runs),
            **options,
        )
        for index in pending
    )
    for index, record in zip(pending, trained, strict=True):
        records[index] = record
    return [record for record in records if record is not None]


def _position(index: int, runs: Sequence[object]) -> str:
    """Name a run's place in its batch for the progress lines: ``run 3/6``."""
    return f"run {index + 1}/{len(runs)}"


def _lookup(
    run: RunConfig, dataset: Dataset, epochs: int, root: Path | None, threads: tuple[int, int]
) -> RunRecord | None:
    """Return the cached record of a run, without training; None on a miss."""
    if root is None:
        return None
    _, key, _ = _build(run, dataset, epochs, threads)
    return runcache.lookup(key, _read_entry(key), root, describe=_event_details)


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
        key, compute, read=_read_entry(key), write=_write_entry, root=root, describe=_event_details
    )


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
        (see :class:`RunConfig`); :func:`fit_model` by default.

    Returns
    -------
    RunRecord
        History, timings, parameter count and log lines.
    """
    run = RunConfig(build, epochs=epochs, batch_size=batch_size, seed=seed, fit=fit)
    return train_many([run], dataset, log=log, emit=emit)[0]


def fit_model(
    model: keras.Model,
    dataset: Dataset,
    *,
    epochs: int,
    batch_size: int,
    callbacks: Sequence[keras.callbacks.Callback] = (),
) -> keras.callbacks.History:
    """Fit a compiled model, validating on the test set after every epoch.

    The plain public ``model.fit`` call of the homework. The trainer runs
    it on a model prepared with :data:`STEPS_PER_EXECUTION` steps per call,
    which changes only the speed.

    Parameters
    ----------
    model : keras.Model
        A compiled model.
    dataset : Dataset
        Training data, and the test set used as validation data.
    epochs, batch_size : int
        Passes over the training set, and examples per update.
    callbacks : sequence of keras.callbacks.Callback, optional
        Called during training, for example to log each epoch.
    """
    x_train, y_train = dataset.x_train, dataset.y_train
    x_test, y_test = dataset.x_test, dataset.y_test
    return model.fit(
        x_train,
        y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(x_test, y_test),
        verbose=0,
        callbacks=list(callbacks),
    )


def _ready_for_fit(model: keras.Model) -> None:
    """Have TensorFlow run :data:`STEPS_PER_EXECUTION` training steps per call.

    ``steps_per_execution`` is the public attribute that ``Model.compile``
    sets from its argument of that name, and that ``fit`` reads. Setting it
    here, rather than asking every build to compile with it, keeps the
    model builders and a page's fit function plain Keras, and gives any fit
    the speed-up; compiling again would rebuild the optimizer and metrics.
    """
    model.steps_per_execution = STEPS_PER_EXECUTION


def _fit(
    model: keras.Model,
    dataset: Dataset,
    key: str,
    settings: dict[str, Any],
    callbacks: Sequence[keras.callbacks.Callback] = (),
    *,
    fit: FitFunction | None = None,
) -> RunRecord:
    """Fit the model, with ``fit`` or else :func:`fit_model`, and return its record."""
    epochs = int(settings["epochs"])
    batch_size = int(settings["batch_size"])
    steps = math.ceil(dataset.x_train.shape[0] / batch_size)
    logger = EpochLogger(epochs, steps, discard)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    _ready_for_fit(model)
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
        final_weights_sha256=_weights_sha256(model),
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
