"""The homework's convolutional networks, defined once.

The pages write the homework's answers as plain Keras; these helpers build
the same models for the pages that reuse them (a page checks that its own
model has the same run key):

- :func:`add_conv_block` adds one Conv2D + MaxPooling2D block;
- :func:`make_optimizer` creates the SGD optimizer, with optional momentum;
- :func:`build_model` assembles and compiles the whole network;
- :func:`configurations` lists every 10-epoch configuration the homework
  trains, for the pages that compare them all.
"""

from __future__ import annotations

import functools
import math
import numbers
from collections.abc import Callable

import keras
from keras import layers

__all__ = [
    "INPUT_SHAPE",
    "NUM_CLASSES",
    "add_conv_block",
    "build_model",
    "check_learning_rate",
    "configurations",
    "make_optimizer",
]

INPUT_SHAPE = (28, 28, 1)
NUM_CLASSES = 10


def _as_float(name: str, value: object, *, accepted: str) -> float:
    # Keras 3's SGD rejects a plain int such as 1, so convert here.
    if isinstance(value, bool) or not isinstance(value, numbers.Real):
        raise TypeError(f"{name} must be a real number ({accepted}), got {type(value).__name__}")
    converted = float(value)
    if not math.isfinite(converted):
        raise ValueError(f"{name} must be finite ({accepted}), got {value!r}")
    return converted


def check_learning_rate(learning_rate: object, *, name: str = "learning_rate") -> float:
    """Return a learning rate as a float, or raise if it is not a finite number > 0.

    Parameters
    ----------
    learning_rate : float
        The value to check. Plain ints such as ``1`` are accepted (Keras 3's
        SGD itself refuses them).
    name : str, default "learning_rate"
        The argument's name, for the error message.

    Raises
    ------
    TypeError
        If ``learning_rate`` is not a real number (a bool is not one).
    ValueError
        If it is not finite, or not > 0.
    """
    rate = _as_float(name, learning_rate, accepted="> 0")
    if rate <= 0:
        raise ValueError(f"{name} must be > 0, got {rate}")
    return rate


def make_optimizer(learning_rate: float = 0.01, momentum: float = 0.0) -> keras.optimizers.SGD:
    """Create the stochastic gradient descent optimizer.

    Parameters
    ----------
    learning_rate : float, default 0.01
        Step size, ``> 0``. Plain ints such as ``1`` are accepted.
    momentum : float, default 0.0
        Momentum ``beta`` in ``[0, 1)``; 0 gives plain SGD.

    Returns
    -------
    keras.optimizers.SGD

    Raises
    ------
    TypeError
        If either argument is not a real number.
    ValueError
        If ``learning_rate <= 0`` or ``momentum`` is outside ``[0, 1)``.
    """
    learning_rate = check_learning_rate(learning_rate)
    momentum = _as_float("momentum", momentum, accepted="0 <= momentum < 1")
    if not 0 <= momentum < 1:
        raise ValueError(f"momentum must satisfy 0 <= momentum < 1, got {momentum}")
    return keras.optimizers.SGD(learning_rate=learning_rate, momentum=momentum)


def _check_filters(filters: object) -> int:
    if isinstance(filters, bool) or not isinstance(filters, numbers.Integral) or filters < 1:
        raise ValueError(f"filters must be an int >= 1, got {filters!r}")
    return int(filters)


def add_conv_block(model: keras.Sequential, filters: int) -> None:
    """Append a 3x3 'valid' ReLU convolution and a 2x2 max pooling to ``model``.

    Parameters
    ----------
    model : keras.Sequential
        The model to extend, in place.
    filters : int
        Number of convolution filters, ``>= 1``.
    """
    model.add(
        layers.Conv2D(
            _check_filters(filters),
            kernel_size=(3, 3),
            strides=(1, 1),
            padding="valid",
            activation="relu",
        )
    )
    model.add(layers.MaxPooling2D(pool_size=(2, 2)))


def _check_conv_filters(conv_filters: object) -> None:
    if not isinstance(conv_filters, tuple) or not conv_filters:
        raise ValueError(f"conv_filters must be a non-empty tuple of ints, got {conv_filters!r}")
    for filters in conv_filters:
        _check_filters(filters)


def build_model(
    learning_rate: float = 0.01,
    momentum: float = 0.0,
    *,
    conv_filters: tuple[int, ...] = (32,),
) -> keras.Sequential:
    """Build and compile the homework's CNN.

    The baseline is Conv2D(32) -> MaxPool -> Flatten -> Dense(100, relu) ->
    Dense(10, softmax), trained with SGD on categorical cross-entropy.

    Parameters
    ----------
    learning_rate, momentum : float
        Passed to :func:`make_optimizer`.
    conv_filters : tuple of int, default (32,)
        Filters of each convolution block, in order. ``(32, 64)`` adds the
        homework's second block.

    Returns
    -------
    keras.Sequential
        A compiled model, ready for :meth:`keras.Model.fit`, named after its
        blocks (``cnn_32``, ``cnn_32_64``) so that ``model.summary()`` tells
        them apart.
    """
    _check_conv_filters(conv_filters)
    optimizer = make_optimizer(learning_rate, momentum)

    model = keras.Sequential(name="cnn_" + "_".join(str(filters) for filters in conv_filters))
    model.add(keras.Input(shape=INPUT_SHAPE))
    for filters in conv_filters:
        add_conv_block(model, filters)
    model.add(layers.Flatten())
    model.add(layers.Dense(100, activation="relu"))
    model.add(layers.Dense(NUM_CLASSES, activation="softmax"))

    model.compile(
        optimizer=optimizer,
        loss="categorical_crossentropy",
        metrics=["accuracy"],
    )
    return model


def configurations(chosen_learning_rate: float) -> dict[str, Callable[[], keras.Sequential]]:
    """Return a build for every 10-epoch configuration the homework trains, by label.

    The baseline (learning rate 0.01), learning rates 1, 1e-5 and 0.1, the
    rate that a learning-rate search chose, momentum 0.9, and two convolution
    blocks. Each build is a :class:`functools.partial` of :func:`build_model`.

    Parameters
    ----------
    chosen_learning_rate : float
        The learning rate a search chose, labelled
        ``"lr = <rate> (Part 2's choice)"``; where it is one of the rates
        above, that configuration stands for it and no entry is added.

    Returns
    -------
    dict
        Label (``"baseline"``, ``"lr = 1"``, ..., ``"two conv layers"``) to a
        function that builds the compiled model.
    """
    chosen_learning_rate = check_learning_rate(chosen_learning_rate, name="chosen_learning_rate")
    rates = {"baseline": 0.01, "lr = 1": 1.0, "lr = 1e-5": 1e-5, "lr = 0.1": 0.1}
    builds: dict[str, Callable[[], keras.Sequential]] = {
        label: functools.partial(build_model, learning_rate=rate) for label, rate in rates.items()
    }
    if chosen_learning_rate not in rates.values():
        label = f"lr = {chosen_learning_rate:g} (Part 2's choice)"
        builds[label] = functools.partial(build_model, learning_rate=chosen_learning_rate)
    builds["momentum 0.9"] = functools.partial(build_model, learning_rate=0.01, momentum=0.9)
    builds["two conv layers"] = functools.partial(
        build_model, learning_rate=0.01, conv_filters=(32, 64)
    )
    return builds
