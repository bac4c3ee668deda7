"""The record of a training run, its key, and its entry in the run cache.

A run's :class:`~mnist_tutorial.records.RunRecord` is stored in the run cache
(:mod:`mnist_tutorial.runcache`) with the trained model, under the key
of :func:`run_key`, which covers everything that determines the result.

What makes a run
----------------
:data:`mnist_tutorial.identity.RUN_IDENTITY` lists every setting of
:func:`run_key`, whose sha256 is the key, with its kind (configuration,
seed, machine, library, code or format); the identities built from it are
described in :mod:`mnist_tutorial.identity`. :data:`ENTRY_FORMAT`
versions this module's entry layout, and is the ``format`` setting.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Callable, Mapping
from dataclasses import dataclass, field, fields
from pathlib import Path, PurePath
from typing import Any

import keras
import numpy as np

from mnist_tutorial import config, identity
from mnist_tutorial.data import Dataset, file_sha256
from mnist_tutorial.fitting import STEPS_PER_EXECUTION, FitFunction, fit_call, trainer_sha256

# The per-epoch quantities a record holds, named once (published reads them without Keras).
from mnist_tutorial.published import METRICS

__all__ = [
    "ENTRY_FORMAT",
    "METRICS",
    "MODEL_FILE",
    "RunRecord",
    "describe",
    "event_details",
    "key_of",
    "read_entry",
    "run_key",
    "unloadable_layers",
    "weights_sha256",
    "write_entry",
]

_RECORD_FILE = "record.json"
#: The trained model's file in a cache entry.
MODEL_FILE = "model.keras"

#: Version of a run's cache entry layout (``record.json`` beside
#: ``model.keras``); entries of another version are misses. It is the
#: ``format`` setting of every run key.
ENTRY_FORMAT = 2


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
        model_path = self.directory / MODEL_FILE
        # The entry was checked when it was read; its model file may have
        # changed since (another process, a hand edit): checked again.
        recorded = json.loads((self.directory / _RECORD_FILE).read_text()).get("model_sha256")
        if recorded != file_sha256(model_path):
            raise RuntimeError(
                f"the model file of cache entry {self.directory} is not the one its record.json"
                " names; delete the entry to train the run again"
            )
        self._model = keras.saving.load_model(model_path)
        return self._model

    def to_json(self) -> str:
        """Serialize the record (without the model) to JSON."""
        # Field by field, not dataclasses.asdict: that deep-copies every
        # field, and Keras copies a model by saving and loading it.
        content = {
            item.name: getattr(self, item.name)
            for item in fields(self)
            if item.name not in {"directory", "_model", "replayed"}
        }
        return json.dumps(content, indent=1, sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> RunRecord:
        """Rebuild a record from :meth:`to_json` output."""
        content = json.loads(text)
        content.pop("format", None)
        content.pop("model_sha256", None)
        return cls(**content)


def weights_sha256(model: keras.Model) -> str:
    """Return the sha256 of a model's weights, in order."""
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


def _as_text(value: object) -> str:
    """Encode the few non-JSON values whose text is their whole value (dtypes, paths)."""
    if isinstance(value, np.dtype | PurePath):
        return str(value)
    if isinstance(value, np.generic):
        return repr(value.item())
    # Not str() of anything: an object's text can hold a memory address (a
    # key that never hits again) or leave out its parameters (two
    # configurations under one key).
    raise TypeError(f"{type(value).__qualname__} {value!r} is not JSON")


def _plain(value: Any, what: str) -> Any:
    """Return ``value`` as plain JSON data; raise if JSON cannot encode it."""
    try:
        text = json.dumps(value, default=_as_text)
    except (TypeError, ValueError) as error:
        raise TypeError(
            f"the model's {what} must be plain data to enter the run's key: {error}"
        ) from error
    return _without_names(json.loads(text))


def run_key(
    model: keras.Model,
    dataset: Dataset,
    *,
    epochs: int,
    batch_size: int,
    seed: int,
    threads: tuple[int, int] | None = None,
    fit: FitFunction | None = None,
    in_worker: bool = False,
) -> tuple[str, dict[str, Any]]:
    """Return the cache key of a run, and the settings it was computed from.

    The settings are those of :data:`~mnist_tutorial.identity.RUN_IDENTITY`, and the key is the
    sha256 of their JSON text: any change to one of them gives a different
    key.

    Parameters
    ----------
    model : keras.Model
        A compiled model, before training.
    dataset : Dataset
        The data it will be trained and validated on.
    epochs, batch_size, seed : int
        The fit settings.
    threads : (int, int), optional
        TensorFlow intra-op and inter-op threads of the run, each >= 1 (the
        counts it really uses: TensorFlow's "0, its default" depends on the
        machine and is refused); defaults to
        :func:`mnist_tutorial.config.training_threads`.
    fit : callable, optional
        A page's own fit function (see :class:`~mnist_tutorial.runner.RunConfig`); None for
        :func:`~mnist_tutorial.fitting.fit_model`. What it passes to
        ``model.fit`` enters the key, not how it is written: a page's fit
        that makes the same call as :func:`~mnist_tutorial.fitting.fit_model` gives the same key.
    in_worker : bool, default False
        Whether the run trains in a worker process that this process starts,
        whose TensorFlow kernels may differ from this process's
        (:func:`~mnist_tutorial.identity.instruction_set`).

    Raises
    ------
    TypeError
        If ``threads`` is not a tuple of two ints.
    ValueError
        If a thread count is below 1, or the model is not compiled.
    """
    threads = config.training_threads() if threads is None else threads
    given: object = threads  # checked at run time too: a caller may pass anything
    if not (
        isinstance(given, tuple)
        and len(given) == 2
        and all(isinstance(count, int) and not isinstance(count, bool) for count in given)
    ):
        raise TypeError(
            f"threads must be a tuple (intra_op, inter_op) of two ints, got {threads!r}"
        )
    if min(threads) < 1:
        raise ValueError(f"threads must be counts >= 1 that the run really uses, got {threads!r}")
    compile_config = model.get_compile_config()
    if not compile_config:
        raise ValueError("model must be compiled before training (model.compile(...))")
    calls = fit_call(fit, dataset, epochs=epochs, batch_size=batch_size)
    if config.draft_mode():
        # A draft build stops a fit that states more epochs after ``epochs``
        # (the runner's cap): it trains what a fit stating ``epochs`` trains.
        calls = [{**call, "epochs": min(call["epochs"], epochs)} for call in calls]
    settings: dict[str, Any] = {
        "architecture": _plain(model.get_config(), "config (model.get_config())"),
        "initial_weights_sha256": weights_sha256(model),
        "compile": _plain(compile_config, "compile settings (model.get_compile_config())"),
        "epochs": epochs,
        "batch_size": batch_size,
        "seed": seed,
        "train_examples": int(dataset.x_train.shape[0]),
        "validation_examples": int(dataset.x_test.shape[0]),
        "data_fingerprint": dataset.fingerprint,
        "threads": {"intra_op": threads[0], "inter_op": threads[1]},
        "instruction_set": identity.instruction_set(new_process=in_worker),
        "steps_per_execution": STEPS_PER_EXECUTION,
        "trainer_sha256": trainer_sha256(),
        "fit": calls,
        "versions": _versions(),
        "format": ENTRY_FORMAT,
    }
    return key_of(settings), settings


def key_of(settings: Mapping[str, Any]) -> str:
    """Return the run key of a run's settings (as :func:`run_key` returns them).

    Parameters
    ----------
    settings : mapping
        The settings of a run, such as a published record's.
    """
    return hashlib.sha256(json.dumps(settings, sort_keys=True).encode()).hexdigest()


def read_entry(key: str) -> Callable[[Path], RunRecord | None]:
    """Return the reader of a run's cache entry, for :mod:`mnist_tutorial.runcache`.

    The reader returns the stored record (with :attr:`~mnist_tutorial.records.RunRecord.replayed`
    set), or None when the entry is incomplete, damaged, of another format
    or of another key, or when its model file is not the one recorded.
    """

    def read(directory: Path) -> RunRecord | None:
        record_path = directory / _RECORD_FILE
        model_path = directory / MODEL_FILE
        if not record_path.is_file() or not model_path.is_file():
            return None
        try:
            content = json.loads(record_path.read_text())
            if content.get("key") != key or content.get("format") != ENTRY_FORMAT:
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


def unloadable_layers(model: keras.Model) -> list[str]:
    """Return the layers of ``model`` that Keras could save but not load back.

    A layer class defined inside a function (its ``__qualname__`` holds
    ``<locals>``) cannot be imported when the saved model is loaded, unless
    it is registered with :func:`keras.saving.register_keras_serializable`.
    Nested models are searched too.

    Parameters
    ----------
    model : keras.Model
        A built model.
    """
    found = []
    pending = list(model.layers)
    while pending:
        layer = pending.pop(0)
        cls = type(layer)
        registered = keras.saving.get_registered_object(keras.saving.get_registered_name(cls))
        if "<locals>" in cls.__qualname__ and registered is not cls:
            found.append(f"{layer.name} ({cls.__qualname__})")
        pending.extend(getattr(layer, "layers", []))
    return found


def write_entry(staging: Path, record: RunRecord) -> None:
    """Store a run's record and trained model in an entry folder."""
    record.load_model().save(staging / MODEL_FILE)
    content = json.loads(record.to_json())
    content["format"] = ENTRY_FORMAT
    content["model_sha256"] = file_sha256(staging / MODEL_FILE)
    # The record is written last: an entry without it is never valid.
    (staging / _RECORD_FILE).write_text(json.dumps(content, indent=1, sort_keys=True))


def event_details(record: RunRecord) -> dict[str, Any]:
    """Return a run's fields of the run cache's event log line."""
    return {"total_seconds": record.total_seconds, "epochs": record.epochs}


def describe(settings: Mapping[str, Any]) -> str:
    """Return a short human-readable name of a run from its settings.

    For example ``conv (32,), SGD lr=0.1 momentum=0.9, seed 0``.
    """
    # The settings of run_key, which always has these entries.
    layers = settings["architecture"]["layers"]
    filters = tuple(
        layer["config"]["filters"] for layer in layers if layer["class_name"] == "Conv2D"
    )
    # Layers beyond the homework's kinds name themselves, so that a model
    # with Dropout, say, is told apart from the baseline.
    others = [
        layer["class_name"]
        for layer in layers
        if layer["class_name"] not in {"InputLayer", "Conv2D", "MaxPooling2D", "Flatten", "Dense"}
    ]
    model = f"conv {filters}" + "".join(f" + {name}" for name in others)
    optimizer = settings["compile"]["optimizer"]
    options = optimizer["config"]
    parts = [f"{optimizer['class_name']} lr={options['learning_rate']:g}"]
    if options.get("momentum"):
        parts.append(f"momentum={options['momentum']:g}")
    return f"{model}, {' '.join(parts)}, seed {settings['seed']}"
