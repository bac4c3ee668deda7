"""Reproducible, cached training runs with one clean log line per epoch.

:func:`train` seeds everything, builds a model, and fits it. The result is a
:class:`RunRecord`, stored on disk with the trained model under a key that
covers everything that determines the result, so that an identical call
later replays the record instead of training again.

The run cache lives in ``<cache_dir>/runs`` (``runs-draft`` in draft mode).
``MNIST_TUTORIAL_RUN_CACHE`` overrides its location, or disables it when set
to ``off``.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import math
import os
import shutil
import tempfile
import time
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import filelock
import keras
import numpy as np

from mnist_tutorial import config
from mnist_tutorial.data import Dataset, file_sha256

__all__ = [
    "ENV_RUN_CACHE",
    "EVENTS_FILE",
    "METRICS",
    "EpochLogger",
    "RunRecord",
    "cached_result",
    "read_events",
    "run_cache_dir",
    "run_key",
    "train",
]

ENV_RUN_CACHE = "MNIST_TUTORIAL_RUN_CACHE"
#: The per-epoch quantities a record holds, in log order.
METRICS = ("loss", "accuracy", "val_loss", "val_accuracy")
#: Name of the lookup log in the run cache directory (see :func:`read_events`).
EVENTS_FILE = "events.jsonl"
_FORMAT_VERSION = 1
_RECORD_FILE = "record.json"
_RESULT_FILE = "result.json"
_MODEL_FILE = "model.keras"


def run_cache_dir() -> Path | None:
    """Return the run cache directory, or None when caching is disabled.

    ``MNIST_TUTORIAL_RUN_CACHE=off`` disables the cache; any other non-empty
    value is used as its directory. The default is ``runs`` (``runs-draft``
    in draft mode) under :func:`mnist_tutorial.config.cache_dir`, so draft
    results never mix with full ones.
    """
    value = os.environ.get(ENV_RUN_CACHE, "").strip()
    if value.lower() in {"off", "0", "false", "no", "none"}:
        return None
    if value:
        return Path(value).expanduser()
    return config.cache_dir() / ("runs-draft" if config.draft_mode() else "runs")


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
        Called with each line; defaults to printing to standard output.
    """

    def __init__(self, epochs: int, steps: int, emit: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.steps = steps
        self.emit = emit if emit is not None else _print_line
        self.lines: list[str] = []
        self.epoch_seconds: list[float] = []
        self._start = 0.0

    def _write(self, line: str) -> None:
        self.lines.append(line)
        self.emit(line)

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Print the epoch header and start its clock."""
        self._write(f"Epoch {epoch + 1}/{self.epochs}")
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Stop the clock and print the epoch's metrics."""
        seconds = time.perf_counter() - self._start
        self.epoch_seconds.append(seconds)
        logs = logs or {}
        metrics = " - ".join(f"{name}: {float(logs[name]):.4f}" for name in METRICS if name in logs)
        step_ms = 1000.0 * seconds / max(self.steps, 1)
        self._write(
            f"{self.steps}/{self.steps} - {seconds:.0f}s - {step_ms:.0f}ms/step - {metrics}"
        )


def _print_line(line: str) -> None:
    print(line, flush=True)


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
    model: keras.Model, dataset: Dataset, *, epochs: int, batch_size: int, seed: int
) -> tuple[str, dict[str, Any]]:
    """Return the cache key of a run, and the settings it was computed from.

    The key covers the architecture, the initial weights, the compile
    configuration (optimizer and its settings, loss, metrics), epochs,
    batch size, seed, the data fingerprint and the TensorFlow, Keras and
    NumPy versions. Any change to one of them gives a different key.

    Parameters
    ----------
    model : keras.Model
        A compiled model, before training.
    dataset : Dataset
        The data it will be trained and validated on.
    epochs, batch_size, seed : int
        The fit settings.
    """
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
        "versions": _versions(),
        "format": _FORMAT_VERSION,
    }
    key = hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()
    return key, settings


def _read_entry(directory: Path, key: str) -> RunRecord | None:
    """Return the cached record, or None if the entry is absent or invalid."""
    record_path = directory / _RECORD_FILE
    model_path = directory / _MODEL_FILE
    if not record_path.is_file() or not model_path.is_file():
        return None
    try:
        content = json.loads(record_path.read_text())
        if content.get("key") != key or content.get("format") != _FORMAT_VERSION:
            return None
        if content.get("model_sha256") != file_sha256(model_path):
            return None
        record = RunRecord.from_json(json.dumps(content))
    except (OSError, ValueError, TypeError):
        return None
    record.directory = directory
    record.replayed = True
    return record


def _commit_entry(root: Path, key: str, write: Callable[[Path], object]) -> Path:
    """Write an entry atomically: fill a temporary folder, then rename it into place.

    A process killed before the rename leaves only a ``.tmp-`` folder, which
    is never read as an entry.
    """
    root.mkdir(parents=True, exist_ok=True)
    final = root / key
    staging = Path(tempfile.mkdtemp(dir=root, prefix=f".tmp-{key[:12]}-"))
    try:
        write(staging)
        if final.exists():
            shutil.rmtree(final)
        staging.rename(final)
    except BaseException:
        shutil.rmtree(staging, ignore_errors=True)
        raise
    return final


def _write_entry(root: Path, record: RunRecord, model: keras.Model) -> Path:
    """Store a run's record and trained model as one atomic cache entry."""

    def write(staging: Path) -> None:
        model.save(staging / _MODEL_FILE)
        content = json.loads(record.to_json())
        content["format"] = _FORMAT_VERSION
        content["model_sha256"] = file_sha256(staging / _MODEL_FILE)
        # The record is written last: an entry without it is never valid.
        (staging / _RECORD_FILE).write_text(json.dumps(content, indent=1, sort_keys=True))

    return _commit_entry(root, record.key, write)


def _log_event(root: Path, event: str, record: RunRecord) -> None:
    # One JSON line per lookup, so that a build can count its hits and misses.
    line = json.dumps(
        {
            "event": event,
            "key": record.key,
            "time": dt.datetime.now(dt.UTC).isoformat(timespec="seconds"),
            "total_seconds": record.total_seconds,
        }
    )
    with (root / EVENTS_FILE).open("a") as handle:
        handle.write(line + "\n")


def read_events(root: Path | None = None) -> list[dict[str, Any]]:
    """Return the run cache's lookup log, oldest first.

    Each entry has ``event`` (``"hit"`` or ``"miss"``), ``key``, ``time``
    and the run's ``total_seconds``.

    Parameters
    ----------
    root : path, optional
        The run cache directory; defaults to :func:`run_cache_dir`.
    """
    root = root if root is not None else run_cache_dir()
    if root is None or not (root / EVENTS_FILE).is_file():
        return []
    return [json.loads(line) for line in (root / EVENTS_FILE).read_text().splitlines() if line]


def cached_result(key: str, compute: Callable[[], dict[str, Any]]) -> tuple[dict[str, Any], bool]:
    """Return a JSON-serialisable result from the run cache, computing it on a miss.

    For computations other than :func:`train` (a learning-rate range test,
    say) that should also be reused across builds. Writes are atomic and
    locked, as for training runs.

    Parameters
    ----------
    key : str
        A key that covers every input of ``compute``, such as one derived
        from :func:`run_key`.
    compute : callable
        Returns the result as a dict of JSON-serialisable values.

    Returns
    -------
    result : dict
        The computed or cached result.
    replayed : bool
        True when it came from the cache.
    """
    root = run_cache_dir()
    if root is None:
        return compute(), False
    root.mkdir(parents=True, exist_ok=True)
    entry = root / key
    with filelock.FileLock(root / f"{key}.lock"):
        try:
            stored = json.loads((entry / _RESULT_FILE).read_text())
        except (OSError, ValueError):
            stored = None
        if isinstance(stored, dict) and stored.get("key") == key:
            return stored["result"], True
        result = compute()
        content = json.dumps({"key": key, "result": result})
        _commit_entry(root, key, lambda staging: (staging / _RESULT_FILE).write_text(content))
    return result, False


def _discard(line: str) -> None:
    del line


def _summary(record: RunRecord) -> str:
    timing = f"{record.total_seconds:.1f} s, {record.seconds_per_epoch:.1f} s/epoch"
    if record.replayed:
        return f"(replayed from the run cache: trained {record.created} in {timing})"
    return (
        f"(trained {record.epochs} epochs in {timing}: "
        f"accuracy {record.final('accuracy'):.4f}, "
        f"val_accuracy {record.final('val_accuracy'):.4f})"
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
) -> RunRecord:
    """Train a freshly built model, or replay an identical earlier run.

    The random seed is set (:func:`keras.utils.set_random_seed`) before
    ``build`` creates the weights, so the same call gives the same history.
    The test set serves as validation data, as in the homework.

    Parameters
    ----------
    build : callable
        Returns a new compiled :class:`keras.Model`, for example
        ``lambda: models.build_model(learning_rate=0.1)``.
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

    Returns
    -------
    RunRecord
        History, timings, parameter count and log lines.
    """
    epochs = _check_positive_int("epochs", epochs)
    batch_size = _check_positive_int("batch_size", batch_size)
    seed = _check_positive_int("seed", seed, minimum=0)
    if not isinstance(dataset, Dataset):
        raise TypeError(
            f"dataset must be a mnist_tutorial.data.Dataset, got {type(dataset).__name__}"
        )
    if not callable(build):
        raise TypeError(f"build must be a callable that returns a keras.Model, got {build!r}")
    output = emit if emit is not None else _print_line
    if config.draft_mode():
        epochs = min(epochs, config.DRAFT_EPOCHS)

    # Free the previous run's graph and reset layer names before building.
    keras.backend.clear_session()
    keras.utils.set_random_seed(seed)
    model = build()
    if not isinstance(model, keras.Model):
        raise TypeError(f"build must return a keras.Model, got {type(model).__name__}")
    key, settings = run_key(model, dataset, epochs=epochs, batch_size=batch_size, seed=seed)

    epoch_output = output if log else _discard
    root = run_cache_dir()
    if root is None:
        record = _fit(model, dataset, key, settings, epoch_output)
    else:
        root.mkdir(parents=True, exist_ok=True)
        # The lock makes a second process wait for the first and then replay
        # its run, instead of training it again or writing the same entry.
        with filelock.FileLock(root / f"{key}.lock"):
            cached = _read_entry(root / key, key)
            if cached is not None:
                _log_event(root, "hit", cached)
                for line in cached.log_lines:
                    epoch_output(line)
                output(_summary(cached))
                return cached
            record = _fit(model, dataset, key, settings, epoch_output)
            record.directory = _write_entry(root, record, model)
            _log_event(root, "miss", record)
    if not log:
        output(_summary(record))
    return record


def _fit(
    model: keras.Model,
    dataset: Dataset,
    key: str,
    settings: dict[str, Any],
    emit: Callable[[str], None],
) -> RunRecord:
    epochs = int(settings["epochs"])
    batch_size = int(settings["batch_size"])
    steps = math.ceil(dataset.x_train.shape[0] / batch_size)
    logger = EpochLogger(epochs, steps, emit)
    created = dt.datetime.now(dt.UTC).isoformat(timespec="seconds")
    start = time.perf_counter()
    history = model.fit(
        dataset.x_train,
        dataset.y_train,
        batch_size=batch_size,
        epochs=epochs,
        validation_data=(dataset.x_test, dataset.y_test),
        verbose=0,
        callbacks=[logger],
    )
    total = time.perf_counter() - start
    return RunRecord(
        key=key,
        settings=settings,
        history={name: [float(value) for value in history.history[name]] for name in METRICS},
        epoch_seconds=logger.epoch_seconds,
        total_seconds=total,
        n_params=int(model.count_params()),
        log_lines=logger.lines,
        created=created,
        _model=model,
    )
