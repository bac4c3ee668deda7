"""Tests for mnist_tutorial.models: architecture, compilation and argument checks.

No model is trained here; building and compiling takes a fraction of a second.
"""

from __future__ import annotations

import math
import re
from typing import Any

import keras
import numpy as np
import pytest
from keras import layers

from mnist_tutorial import models


def _layer_types(model: keras.Model) -> list[type]:
    return [type(layer) for layer in model.layers]


def _assert_conv(layer: Any, filters: int) -> None:
    assert isinstance(layer, layers.Conv2D)
    config = layer.get_config()
    assert config["filters"] == filters
    assert tuple(config["kernel_size"]) == (3, 3)
    assert tuple(config["strides"]) == (1, 1)
    assert config["padding"] == "valid"
    assert config["activation"] == "relu"
    assert config["use_bias"] is True


def _assert_pool(layer: Any) -> None:
    assert isinstance(layer, layers.MaxPooling2D)
    config = layer.get_config()
    assert tuple(config["pool_size"]) == (2, 2)
    assert tuple(config["strides"]) == (2, 2)
    assert config["padding"] == "valid"


def _assert_dense(layer: Any, units: int, activation: str) -> None:
    assert isinstance(layer, layers.Dense)
    config = layer.get_config()
    assert config["units"] == units
    assert config["activation"] == activation


# --------------------------------------------------------------------------- architecture


@pytest.mark.parametrize(
    ("kwargs", "params"),
    [({}, 542230), ({"conv_filters": (32,)}, 542230), ({"conv_filters": (32, 64)}, 179926)],
)
def test_parameter_counts(kwargs: dict[str, Any], params: int) -> None:
    assert models.build_model(**kwargs).count_params() == params


def test_baseline_layers() -> None:
    model = models.build_model()
    assert _layer_types(model) == [
        layers.Conv2D,
        layers.MaxPooling2D,
        layers.Flatten,
        layers.Dense,
        layers.Dense,
    ]
    conv, pool, _flatten, hidden, output = model.layers
    _assert_conv(conv, 32)
    _assert_pool(pool)
    _assert_dense(hidden, 100, "relu")
    _assert_dense(output, 10, "softmax")
    assert model.input_shape == (None, 28, 28, 1)
    assert model.output_shape == (None, 10)
    # 28 -> conv 26 -> pool 13; 13 * 13 * 32 features reach the hidden layer.
    assert hidden.kernel.shape == (13 * 13 * 32, 100)


def test_two_conv_blocks_layers() -> None:
    model = models.build_model(conv_filters=(32, 64))
    assert _layer_types(model) == [
        layers.Conv2D,
        layers.MaxPooling2D,
        layers.Conv2D,
        layers.MaxPooling2D,
        layers.Flatten,
        layers.Dense,
        layers.Dense,
    ]
    conv1, pool1, conv2, pool2, _flatten, hidden, output = model.layers
    _assert_conv(conv1, 32)
    _assert_pool(pool1)
    _assert_conv(conv2, 64)
    _assert_pool(pool2)
    _assert_dense(hidden, 100, "relu")
    _assert_dense(output, 10, "softmax")
    assert model.output_shape == (None, 10)
    # 28 -> 26 -> 13 -> 11 -> 5; 5 * 5 * 64 features reach the hidden layer.
    assert hidden.kernel.shape == (5 * 5 * 64, 100)


def test_predictions_are_probabilities() -> None:
    model = models.build_model()
    images = np.random.default_rng(0).random((3, 28, 28, 1), dtype=np.float32)
    probabilities = np.asarray(model(images, training=False))
    assert probabilities.shape == (3, 10)
    assert (probabilities >= 0).all()
    np.testing.assert_allclose(probabilities.sum(axis=1), 1.0, rtol=1e-5)


def test_add_conv_block_appends_conv_and_pool() -> None:
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    models.add_conv_block(model, 16)
    assert _layer_types(model) == [layers.Conv2D, layers.MaxPooling2D]
    _assert_conv(model.layers[0], 16)
    _assert_pool(model.layers[1])
    assert model.output_shape == (None, 13, 13, 16)


def test_add_conv_block_accepts_numpy_int() -> None:
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    models.add_conv_block(model, np.int64(8))
    assert model.layers[0].get_config()["filters"] == 8


# --------------------------------------------------------------------------- compilation


@pytest.mark.parametrize(
    ("args", "learning_rate", "momentum"),
    [((), 0.01, 0.0), ((0.05,), 0.05, 0.0), ((0.1, 0.9), 0.1, 0.9), ((0.3, 0.5), 0.3, 0.5)],
)
def test_compiled_with_sgd(args: tuple[float, ...], learning_rate: float, momentum: float) -> None:
    model = models.build_model(*args)
    optimizer = model.optimizer
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.learning_rate) == pytest.approx(learning_rate, rel=1e-6)
    assert float(optimizer.momentum) == pytest.approx(momentum, abs=1e-12)
    assert optimizer.nesterov is False
    compiled = model.get_compile_config()
    assert compiled["loss"] == "categorical_crossentropy"
    assert compiled["metrics"] == ["accuracy"]


def test_keyword_arguments_match_positional() -> None:
    optimizer = models.build_model(learning_rate=0.2, momentum=0.8).optimizer
    assert float(optimizer.learning_rate) == pytest.approx(0.2, rel=1e-6)
    assert float(optimizer.momentum) == pytest.approx(0.8)


@pytest.mark.parametrize("learning_rate", [1, 2, np.float32(0.5), np.int64(1)])
def test_integer_and_numpy_learning_rates_accepted(learning_rate: Any) -> None:
    model = models.build_model(learning_rate)
    value = float(model.optimizer.learning_rate)
    assert value == float(learning_rate)
    optimizer = models.make_optimizer(learning_rate, 0)
    assert float(optimizer.learning_rate) == float(learning_rate)
    assert float(optimizer.momentum) == 0.0


def test_build_model_int_one() -> None:
    model = models.build_model(1)
    assert float(model.optimizer.learning_rate) == 1.0
    assert model.count_params() == 542230


def test_defaults_are_the_homeworks_baseline() -> None:
    optimizer = models.make_optimizer()
    assert float(optimizer.learning_rate) == pytest.approx(0.01, rel=1e-6)
    assert optimizer.momentum == 0.0
    model = models.build_model()
    assert float(model.optimizer.learning_rate) == pytest.approx(0.01, rel=1e-6)
    assert model.optimizer.momentum == 0.0


@pytest.mark.parametrize(("conv_filters", "name"), [((32,), "cnn_32"), ((32, 64), "cnn_32_64")])
def test_model_is_named_after_its_blocks(conv_filters: tuple[int, ...], name: str) -> None:
    # model.summary() on the pages prints this name.
    assert models.build_model(conv_filters=conv_filters).name == name


def test_one_filter_is_the_smallest_block() -> None:
    # 3x3x1 kernel + bias = 10, 13x13x1 -> Dense(100) = 17000, Dense(10) = 1010.
    assert models.build_model(conv_filters=(1,)).count_params() == 18020
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    models.add_conv_block(model, 1)
    assert model.layers[0].get_config()["filters"] == 1


def test_make_optimizer_returns_float_settings() -> None:
    optimizer = models.make_optimizer(1, 0)
    assert isinstance(optimizer, keras.optimizers.SGD)
    assert float(optimizer.learning_rate) == 1.0
    assert optimizer.momentum == 0.0


def test_each_model_gets_its_own_optimizer() -> None:
    first = models.build_model(0.1)
    second = models.build_model(0.2)
    assert first.optimizer is not second.optimizer
    assert float(first.optimizer.learning_rate) == pytest.approx(0.1, rel=1e-6)


# --------------------------------------------------------------------------- validation


@pytest.mark.parametrize(
    ("learning_rate", "error"),
    [
        (0, ValueError),
        (0.0, ValueError),
        (-0.1, ValueError),
        (-1, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        (-math.inf, ValueError),
        ("0.1", TypeError),
        (True, TypeError),
        (False, TypeError),
        (None, TypeError),
        (1j, TypeError),
    ],
)
def test_bad_learning_rate(learning_rate: Any, error: type) -> None:
    # Every message names the argument and the accepted values.
    message = r"^learning_rate must (be a real number \(> 0\)|be finite \(> 0\)|be > 0), got "
    with pytest.raises(error, match=message):
        models.build_model(learning_rate)
    with pytest.raises(error, match=message):
        models.make_optimizer(learning_rate)
    with pytest.raises(error, match=message):
        models.check_learning_rate(learning_rate)


def test_check_learning_rate_returns_a_float_and_names_its_argument() -> None:
    rate = models.check_learning_rate(1)
    assert type(rate) is float
    assert rate == 1.0
    with pytest.raises(ValueError, match=r"^step must be > 0, got 0.0$"):
        models.check_learning_rate(0, name="step")


@pytest.mark.parametrize(
    ("momentum", "error"),
    [
        (-0.1, ValueError),
        (1.0, ValueError),
        (1, ValueError),
        (1.5, ValueError),
        (math.nan, ValueError),
        (math.inf, ValueError),
        ("0.9", TypeError),
        (True, TypeError),
        (None, TypeError),
    ],
)
def test_bad_momentum(momentum: Any, error: type) -> None:
    accepted = r"0 <= momentum < 1"
    message = rf"^momentum must (be a real number \({accepted}\)|be finite \({accepted}\)|satisfy {accepted}), got "
    with pytest.raises(error, match=message):
        models.build_model(0.01, momentum)
    with pytest.raises(error, match=message):
        models.make_optimizer(0.01, momentum)


@pytest.mark.parametrize(
    ("value", "type_name"), [("0.1", "str"), (None, "NoneType"), (1j, "complex")]
)
def test_a_wrong_type_is_named(value: Any, type_name: str) -> None:
    with pytest.raises(TypeError, match=rf"got {type_name}$"):
        models.make_optimizer(value)
    with pytest.raises(TypeError, match=rf"got {type_name}$"):
        models.make_optimizer(0.01, value)


@pytest.mark.parametrize("momentum", [0, 0.0, 0.5, 0.999])
def test_momentum_in_range_accepted(momentum: float) -> None:
    optimizer = models.make_optimizer(0.01, momentum)
    assert float(optimizer.momentum) == pytest.approx(float(momentum))


@pytest.mark.parametrize("conv_filters", [(), [32], [32, 64], 32, None, "32"])
def test_bad_conv_filters(conv_filters: Any) -> None:
    with pytest.raises(ValueError, match=r"\bconv_filters\b"):
        models.build_model(conv_filters=conv_filters)


@pytest.mark.parametrize("conv_filters", [(0,), (32, 0), (32, -1), (32.0,), (True,)])
def test_bad_filters_inside_conv_filters(conv_filters: tuple[Any, ...]) -> None:
    with pytest.raises(ValueError, match=r"\bfilters\b"):
        models.build_model(conv_filters=conv_filters)


@pytest.mark.parametrize("filters", [0, -1, 2.5, 16.0, True, None, "16"])
def test_add_conv_block_bad_filters(filters: Any) -> None:
    model = keras.Sequential([keras.Input(shape=(28, 28, 1))])
    with pytest.raises(ValueError, match=r"\bfilters\b"):
        models.add_conv_block(model, filters)
    assert model.layers == []


def _summary(build: Any) -> tuple[float, float, tuple[int, ...]]:
    model = build()
    filters = tuple(layer.filters for layer in model.layers if isinstance(layer, layers.Conv2D))
    optimizer = model.optimizer
    return (round(float(optimizer.learning_rate), 7), float(optimizer.momentum), filters)


def test_configurations_are_the_homeworks_with_the_chosen_rate_added() -> None:
    builds = models.configurations(0.3)
    assert {label: _summary(build) for label, build in builds.items()} == {
        "baseline": (0.01, 0.0, (32,)),
        "lr = 1": (1.0, 0.0, (32,)),
        "lr = 1e-5": (1e-5, 0.0, (32,)),
        "lr = 0.1": (0.1, 0.0, (32,)),
        "lr = 0.3 (Part 2's choice)": (0.3, 0.0, (32,)),
        "momentum 0.9": (0.01, 0.9, (32,)),
        "two conv layers": (0.01, 0.0, (32, 64)),
    }
    assert list(builds)[4] == "lr = 0.3 (Part 2's choice)"


@pytest.mark.parametrize("chosen", [0.1, 1, 0.01])
def test_a_chosen_rate_already_listed_adds_no_entry(chosen: float) -> None:
    builds = models.configurations(chosen)
    assert len(builds) == 6
    assert not any("choice" in label for label in builds)


@pytest.mark.parametrize(
    ("chosen", "error", "message"),
    [
        (0, ValueError, "chosen_learning_rate must be > 0, got 0.0"),
        ("0.3", TypeError, "chosen_learning_rate must be a real number (> 0), got str"),
    ],
)
def test_configurations_names_a_bad_rate(chosen: Any, error: type, message: str) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        models.configurations(chosen)
