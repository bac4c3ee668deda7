"""How one model is fitted: the plain ``model.fit`` call, and what the trainer adds.

:func:`~mnist_tutorial.fitting.fit_model` is the homework's ``model.fit`` call, and a page can hand
the trainer its own function with the same call (a :data:`FitFunction`,
the ``fit`` argument of :class:`mnist_tutorial.runner.RunConfig`). The
trainer adds two things that change only the speed: many steps per call
into TensorFlow (:func:`ready_for_fit`) and a fixed number of TensorFlow
threads (:func:`pin_threads`). :func:`trainer_sha256` and :func:`fit_sha256`
digest this code for the run's key (:mod:`mnist_tutorial.records`).
"""

from __future__ import annotations

import functools
import hashlib
import inspect
import json
import types
from collections.abc import Callable, Sequence
from typing import Any

import keras
import tensorflow as tf

from mnist_tutorial.data import Dataset

__all__ = [
    "STEPS_PER_EXECUTION",
    "FitFunction",
    "check_fit_function",
    "fit_model",
    "fit_sha256",
    "pin_threads",
    "ready_for_fit",
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


@functools.cache
def trainer_sha256() -> str:
    """sha256 of the code that fits a model: a change to it is a change of every run.

    It covers the plain fit, the preparation of the model for it (steps per
    execution) and the thread pinning, which decides the numbers as much.
    """
    digest = hashlib.sha256()
    for item in (fit_model, ready_for_fit, pin_threads):
        digest.update(inspect.getsource(item).encode())
    return digest.hexdigest()


def check_fit_function(fit: object) -> None:
    """Raise TypeError unless ``fit`` is a function (def or lambda).

    The run's key hashes the function's code object, which only functions
    have (:func:`fit_sha256`).
    """
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
        The fit function of a :class:`~mnist_tutorial.runner.RunConfig`.
    """
    check_fit_function(fit)
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
