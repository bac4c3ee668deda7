"""How one model is fitted: the plain ``model.fit`` call, and what the trainer adds.

:func:`~mnist_tutorial.fitting.fit_model` is the homework's ``model.fit`` call, and a page can hand
the trainer its own function with the same call (a :data:`FitFunction`,
the ``fit`` argument of :class:`mnist_tutorial.runner.RunConfig`). The
trainer adds two things that change only the speed: many steps per call
into TensorFlow (:func:`ready_for_fit`) and a fixed number of TensorFlow
threads (:func:`pin_threads`). :func:`trainer_sha256` digests this code, and
:func:`fit_call` describes what a fit passes to ``model.fit``, for the run's
key (:mod:`mnist_tutorial.records`).
"""

from __future__ import annotations

import ast
import contextlib
import functools
import hashlib
import importlib.util
import inspect
import types
from collections.abc import Callable, Sequence
from pathlib import Path
from typing import Any

import keras
import numpy as np
import tensorflow as tf

from mnist_tutorial import config
from mnist_tutorial.data import Dataset

__all__ = [
    "STEPS_PER_EXECUTION",
    "TRAINING_PATH",
    "FitFunction",
    "check_fit_function",
    "fit_call",
    "fit_model",
    "pin_threads",
    "ready_for_fit",
    "source_of",
    "trainer_sha256",
]

#: Training steps per call into TensorFlow. Running many steps per call
#: saves Python overhead per batch; the updates, and so the results, are
#: the same as one step at a time.
STEPS_PER_EXECUTION = 64

#: The type of a page's own fit, called as ``fit(model, x_train, y_train,
#: x_test, y_test, callbacks)``; it calls ``model.fit`` and passes ``callbacks`` on
#: (see :class:`~mnist_tutorial.runner.RunConfig`).
FitFunction = Callable[..., object]


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
    it on a model prepared with :data:`~mnist_tutorial.fitting.STEPS_PER_EXECUTION` steps per call,
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


def ready_for_fit(model: keras.Model) -> None:
    """Have TensorFlow run :data:`STEPS_PER_EXECUTION` training steps per call.

    ``steps_per_execution`` is the public attribute that ``Model.compile``
    sets from its argument of that name, and that ``fit`` reads. Setting it
    here, rather than asking every build to compile with it, keeps the
    model builders and a page's fit function plain Keras, and gives any fit
    the speed-up; compiling again would rebuild the optimizer and metrics.
    """
    model.steps_per_execution = STEPS_PER_EXECUTION


def pin_threads(threads: tuple[int, int]) -> tuple[int, int]:
    """Give TensorFlow (intra-op, inter-op) ``threads``; return the counts in effect.

    This only works before TensorFlow has run anything in this process, and
    importing this module does it then, with
    :func:`mnist_tutorial.config.training_threads`. In a process where
    TensorFlow already runs with other counts (pinned by someone else), the
    counts in effect are returned instead: a run is keyed with the threads
    it really uses.

    Raises
    ------
    RuntimeError
        If TensorFlow already runs with its own default counts (it reports
        them as 0), which depend on the machine: a run there could not say
        what it ran with. Import the package's training modules (this one
        comes with them) before anything runs TensorFlow.
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
        if 0 in current:
            raise RuntimeError(
                "TensorFlow already runs in this process with its default thread counts, "
                "which depend on the machine, so a run's numbers could not be reproduced: "
                "import mnist_tutorial's training modules (mnist_tutorial.training, say) "
                "before anything runs TensorFlow; in a notebook, restart the kernel and "
                "run the imports first"
            ) from None
        return current
    return threads


#: The code on the training path, each piece a pair of a module and a
#: top-level name. An edit to any of it is a change of every run
#: (:func:`trainer_sha256`).
TRAINING_PATH = (
    ("mnist_tutorial.fitting", "fit_model"),
    ("mnist_tutorial.fitting", "ready_for_fit"),
    ("mnist_tutorial.fitting", "pin_threads"),
    ("mnist_tutorial.runner", "build_run"),
    ("mnist_tutorial.runner", "_seeded"),
    ("mnist_tutorial.runner", "_fit"),
    ("mnist_tutorial.runner", "_unpacked"),
    # A draft build's cap on a page's own fit: how many epochs it trains.
    ("mnist_tutorial.runner", "_draft_cap"),
    ("mnist_tutorial.runner", "_StopAfter"),
    ("mnist_tutorial.progress", "EpochLogger"),
)


def source_of(module: str, name: str) -> str:
    """Return the source text of a top-level function or class of a module.

    Read from the module's file, without importing it: the modules of the
    training path import this one.

    Raises
    ------
    LookupError
        If the module has no top-level function or class of that name.
    """
    definitions = _definitions(module)
    if name not in definitions:
        raise LookupError(f"{module} has no top-level function or class {name!r}")
    return definitions[name]


@functools.cache
def _definitions(module: str) -> dict[str, str]:
    """Each top-level function's and class's source in a module's file: one read and parse."""
    spec = importlib.util.find_spec(module)
    if spec is None or spec.origin is None:
        raise LookupError(f"module {module!r} not found")
    text = Path(spec.origin).read_text(encoding="utf-8")
    kinds = (ast.FunctionDef, ast.AsyncFunctionDef, ast.ClassDef)
    return {
        node.name: ast.get_source_segment(text, node) or ""
        for node in ast.parse(text).body
        if isinstance(node, kinds)
    }


@functools.cache
def trainer_sha256() -> str:
    """sha256 of the code that trains a model: a change to it is a change of every run.

    It covers :data:`TRAINING_PATH`: the plain fit, the preparation of the
    model for it (steps per execution) and the thread pinning, which decide
    the numbers as much, and the rest of the training path: the build and
    its seeding, the fit and the record it makes, the random state a worker
    restores, and what the epoch logger records.
    """
    digest = hashlib.sha256()
    for module, name in TRAINING_PATH:
        digest.update(source_of(module, name).encode())
    return digest.hexdigest()


def check_fit_function(fit: object) -> None:
    """Raise TypeError unless ``fit`` is a function (def or lambda).

    A page's fit must be a plain function of ``(model, x_train, y_train,
    x_test, y_test, callbacks)`` (see :func:`fit_call`).
    """
    if not isinstance(fit, types.FunctionType):
        raise TypeError(
            "fit must be a function (def or lambda) taking "
            f"(model, x_train, y_train, x_test, y_test, callbacks), got {fit!r}"
        )


# What model.fit accepts, bound with its defaults so that two ways of
# writing the same call give the same arguments.
_FIT_SIGNATURE = inspect.signature(keras.Model.fit)
# Arguments that change what is printed, never a number.
_NOT_DECIDING = frozenset({"self", "verbose"})


class _FitRecorder:
    """Stands in for the model in a dry run of a fit: records each ``fit`` call, trains nothing."""

    def __init__(self) -> None:
        self.calls: list[inspect.BoundArguments] = []

    def fit(self, *args: object, **kwargs: object) -> keras.callbacks.History:
        try:
            bound = _FIT_SIGNATURE.bind(self, *args, **kwargs)
        except TypeError as error:
            raise TypeError(
                f"fit called model.fit with arguments it does not take: {error}"
            ) from None
        bound.apply_defaults()
        self.calls.append(bound)
        # An empty history, for a fit that reads what model.fit returns.
        history = keras.callbacks.History()
        history.history = {}
        return history

    def __getattr__(self, name: str) -> object:
        # Anything else the fit did to the model (compile, set a rate, load
        # weights) would decide numbers that the recorded call cannot show.
        raise TypeError(f"fit may only call model.fit(...) on its model; it used model.{name}")


def fit_call(
    fit: FitFunction | None,
    dataset: Dataset,
    *,
    epochs: int,
    batch_size: int,
) -> list[dict[str, Any]]:
    """Return what a fit passes to ``model.fit``: the part of a run's key that says how it trains.

    The fit is run once on a stand-in model that records its ``model.fit``
    calls and trains nothing. Each call's arguments are bound to
    ``model.fit``'s signature with its defaults, so that two fits written
    differently (positional or keyword arguments, a default spelled out, a
    page's function or :func:`fit_model`) that make the same call have the
    same description, and so the same run key: a configuration is trained
    once, whichever page asks first. The data arrays are named by their
    role (``"x_train"``); any other array by its shape, dtype and sha256.
    ``verbose`` is left out: it changes only what is printed.

    Parameters
    ----------
    fit : function or None
        A page's fit (see :class:`~mnist_tutorial.runner.RunConfig`), or None for
        :func:`fit_model` with ``epochs`` and ``batch_size``.
    dataset : Dataset
        The data the run trains on.
    epochs, batch_size : int
        The run's settings, which :func:`fit_model` is called with.

    Returns
    -------
    list of dict
        One dict of ``model.fit``'s arguments per call (a fit normally makes one).

    Raises
    ------
    TypeError
        If the fit does anything with the model but call ``model.fit``, or
        passes a value that JSON cannot describe.
    ValueError
        If the fit calls ``model.fit`` no time, or without its ``callbacks``
        argument (the trainer's callbacks, which log every epoch).
    """
    recorder = _FitRecorder()
    # Stands for the trainer's callbacks, which every call must pass on.
    trainer_callbacks: list[keras.callbacks.Callback] = [keras.callbacks.Callback()]
    if fit is None:
        fit_model(
            recorder,
            dataset,
            epochs=epochs,
            batch_size=batch_size,
            callbacks=trainer_callbacks,
        )
    else:
        check_fit_function(fit)
        fit(
            recorder,
            dataset.x_train,
            dataset.y_train,
            dataset.x_test,
            dataset.y_test,
            trainer_callbacks,
        )
    if not recorder.calls:
        raise ValueError("fit must call model.fit(...) on its model; it made no call")
    roles = {
        id(dataset.x_train): "x_train",
        id(dataset.y_train): "y_train",
        id(dataset.x_test): "x_test",
        id(dataset.y_test): "y_test",
    }
    described = []
    for bound in recorder.calls:
        passed = list(bound.arguments.get("callbacks") or [])
        if not any(item is trainer_callbacks[0] for item in passed):
            raise ValueError(
                "fit must pass its callbacks argument to model.fit: the trainer's "
                "callbacks were missing from the call"
            )
        call = {}
        for name, value in bound.arguments.items():
            if name in _NOT_DECIDING:
                continue
            if name == "callbacks":
                # The page's own callbacks, without the trainer's.
                own = [item for item in passed if item is not trainer_callbacks[0]]
                call[name] = _describe(own, roles, name)
            else:
                call[name] = _describe(value, roles, name)
        described.append(call)
    return described


def _describe(value: object, roles: dict[int, str], name: str) -> Any:
    """Describe one argument of ``model.fit`` as JSON, naming the data arrays by role."""
    if id(value) in roles:
        return {"data": roles[id(value)]}
    if value is None or isinstance(value, bool | int | float | str):
        return value
    if isinstance(value, tuple | list):
        return [_describe(item, roles, name) for item in value]
    if isinstance(value, dict):
        return {str(key): _describe(item, roles, name) for key, item in sorted(value.items())}
    if isinstance(value, np.ndarray):
        return {
            "shape": list(value.shape),
            "dtype": str(value.dtype),
            "sha256": hashlib.sha256(np.ascontiguousarray(value).tobytes()).hexdigest(),
        }
    if isinstance(value, keras.callbacks.Callback):
        # A page's own callback: its class and its plain settings (patience, monitor, ...).
        settings = {
            key: item
            for key, item in sorted(vars(value).items())
            if not key.startswith("_")
            and (item is None or isinstance(item, bool | int | float | str))
        }
        return {"callback": f"{type(value).__module__}.{type(value).__qualname__}", **settings}
    raise TypeError(
        f"fit passed model.fit a {name} that the run's key cannot describe "
        f"({type(value).__name__}); pass NumPy arrays, numbers, strings or callbacks"
    )


def _pin_on_import() -> None:
    # Before anything has run TensorFlow in this process (a page imports the
    # package at its top): every run here, and the reader's own fits, then
    # use the counts that the site's runs use, not TensorFlow's defaults,
    # which depend on the machine. Too late is not an error here: a run that
    # cannot be keyed with real counts is refused by pin_threads.
    with contextlib.suppress(RuntimeError):
        pin_threads(config.training_threads())


_pin_on_import()
