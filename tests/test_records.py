"""Tests for mnist_tutorial.records."""

from __future__ import annotations

import dataclasses
import functools
import json
import re
from collections.abc import Callable
from pathlib import Path

import keras
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_tutorial import config, data, fitting, identity, models, records, training


@functools.cache
def _small_dataset() -> data.Dataset:
    # Module level, for the property tests: hypothesis draws outside any fixture.
    rng = np.random.default_rng(0)
    images = rng.integers(0, 256, size=(12, 28, 28), dtype=np.uint8)
    labels = rng.integers(0, 10, size=12)
    return data.preprocess(images[:8], labels[:8], images[8:], labels[8:])


_SETTINGS = st.fixed_dictionaries(
    {
        "epochs": st.integers(1, 50),
        "batch_size": st.integers(1, 512),
        "seed": st.integers(0, 2**31),
        "threads": st.tuples(st.integers(1, 8), st.integers(1, 8)),
    }
)


def baseline() -> object:
    return models.build_model(learning_rate=0.01)


def test_library_versions_are_part_of_the_key(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = baseline()
    before, settings = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert set(settings["versions"]) == {"tensorflow", "keras", "numpy"}
    monkeypatch.setattr(
        records, "_versions", lambda: {"tensorflow": "0", "keras": "0", "numpy": "0"}
    )
    after, _ = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert before != after


def test_thread_count_is_a_recorded_setting(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = baseline()
    one, settings = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert settings["threads"] == {"intra_op": 1, "inter_op": 2}
    monkeypatch.setenv(config.ENV_THREADS, "2")
    two, settings = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert settings["threads"] == {"intra_op": 2, "inter_op": 2}
    monkeypatch.setenv(config.ENV_INTER_OP_THREADS, "1")
    three, settings = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert settings["threads"] == {"intra_op": 2, "inter_op": 1}
    assert len({one, two, three}) == 3


@pytest.mark.parametrize(
    ("threads", "error"),
    [((0, 0), ValueError), ((1, 0), ValueError), ([1, 2], TypeError), ((1.0, 2), TypeError)],
)
def test_a_key_needs_the_thread_counts_a_run_really_uses(
    dataset: data.Dataset, threads: object, error: type[Exception]
) -> None:
    # TensorFlow reports its default counts as 0, which depends on the machine.
    with pytest.raises(error, match=r"^threads must be "):
        training.run_key(baseline(), dataset, epochs=1, batch_size=16, seed=0, threads=threads)  # type: ignore[arg-type]


def test_describe_names_the_run(make_dataset: Callable[..., data.Dataset]) -> None:
    model = models.build_model(learning_rate=0.1, momentum=0.9, conv_filters=(32, 64))
    _, settings = training.run_key(model, make_dataset(), epochs=1, batch_size=16, seed=4)
    assert training.describe(settings) == "conv (32, 64), SGD lr=0.1 momentum=0.9, seed 4"


def test_describe_tells_a_model_with_other_layers_from_the_baseline(
    make_dataset: Callable[..., data.Dataset],
) -> None:
    model = models.build_model()
    with_dropout = keras.Sequential(
        [*model.layers[:-1], keras.layers.Dropout(0.5), model.layers[-1]]
    )
    with_dropout.compile(optimizer=models.make_optimizer(0.01), loss="categorical_crossentropy")
    _, settings = training.run_key(with_dropout, make_dataset(), epochs=1, batch_size=16, seed=0)
    assert training.describe(settings) == "conv (32,) + Dropout, SGD lr=0.01, seed 0"


def test_the_key_covers_the_initial_weights_alone(dataset: data.Dataset) -> None:

    def key_and_settings(model: object) -> tuple[str, dict[str, object]]:
        return training.run_key(model, dataset, epochs=1, batch_size=16, seed=0, threads=(1, 2))

    keras.utils.set_random_seed(0)
    model = baseline()
    keras.utils.set_random_seed(1)  # same architecture and settings, other initial weights
    other = baseline()
    key, settings = key_and_settings(model)
    other_key, other_settings = key_and_settings(other)
    assert {
        name: value for name, value in settings.items() if name != "initial_weights_sha256"
    } == {name: value for name, value in other_settings.items() if name != "initial_weights_sha256"}
    assert other_key != key

    # One changed number in one weight array is enough.
    weights = model.get_weights()  # type: ignore[attr-defined]
    weights[-1][0] += 1.0
    model.set_weights(weights)  # type: ignore[attr-defined]
    assert key_and_settings(model)[0] not in {key, other_key}


@functools.cache
def _one_model() -> object:
    """A small compiled model: hashing its weights is quick, so many keys can be drawn."""

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy")
    return model


@settings(max_examples=20)
@given(_SETTINGS, _SETTINGS)
def test_the_key_is_a_function_of_every_setting(
    first: dict[str, object], second: dict[str, object]
) -> None:
    dataset = _small_dataset()
    model = _one_model()
    key = training.run_key(model, dataset, **first)[0]  # type: ignore[arg-type]
    assert training.run_key(model, dataset, **first)[0] == key  # type: ignore[arg-type]
    other = training.run_key(model, dataset, **second)[0]  # type: ignore[arg-type]
    assert (other == key) == (first == second)


def test_a_published_records_settings_give_back_its_key() -> None:
    # A record's JSON lists its settings in sorted order (to_json), not in
    # run_key's order; key_of must not depend on that order.
    key, settings_of_run = training.run_key(
        _one_model(), _small_dataset(), epochs=1, batch_size=16, seed=0
    )
    assert list(settings_of_run) != sorted(settings_of_run)
    published = json.loads(json.dumps(settings_of_run, sort_keys=True))
    assert records.key_of(published) == records.key_of(settings_of_run) == key


def test_a_record_round_trips_through_json_without_its_place_or_origin(
    handmade_record: Callable[..., training.RunRecord], tmp_path: Path
) -> None:
    record = handmade_record(replayed=True, directory=tmp_path)
    text = record.to_json()
    content = json.loads(text)
    # Where the entry lives and whether it was replayed belong to this process.
    assert set(content) == {
        "key",
        "settings",
        "history",
        "epoch_seconds",
        "total_seconds",
        "n_params",
        "log_lines",
        "created",
        "final_weights_sha256",
    }
    again = training.RunRecord.from_json(text)
    assert again == dataclasses.replace(record, replayed=False)
    assert again.directory is None
    # A cache entry's record.json adds its format and the model's sha256.
    stored = {**content, "format": records.ENTRY_FORMAT, "model_sha256": "0" * 64}
    assert training.RunRecord.from_json(json.dumps(stored)) == again
    # An entry stored before the final weights were hashed still reads.
    del stored["final_weights_sha256"]
    assert training.RunRecord.from_json(json.dumps(stored)).final_weights_sha256 == ""


def test_serializing_a_record_copies_no_model(
    handmade_record: Callable[..., training.RunRecord],
) -> None:
    # Keras copies a model by saving and loading it: a record's JSON must not.
    copies: list[str] = []

    class CountingModel:
        def __deepcopy__(self, memo: object) -> CountingModel:
            copies.append("deepcopy")
            return self

        def __reduce_ex__(self, protocol: object) -> tuple[object, ...]:
            copies.append("reduce")
            return (CountingModel, ())

    model = CountingModel()
    record = handmade_record(_model=model)
    text = record.to_json()
    assert copies == []
    assert "_model" not in json.loads(text)
    assert record.load_model() is model


def test_a_record_without_a_model_or_an_entry_says_so(
    handmade_record: Callable[..., training.RunRecord],
) -> None:
    with pytest.raises(
        RuntimeError, match=r"^this record has neither an in-memory model nor a cache entry$"
    ):
        handmade_record().load_model()


def test_an_uncompiled_model_is_refused_with_the_fix(dataset: data.Dataset) -> None:

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
    message = "model must be compiled before training (model.compile(...))"
    with pytest.raises(ValueError, match=f"^{re.escape(message)}$"):
        training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)


def test_the_settings_name_every_input_of_the_key(
    make_dataset: Callable[..., data.Dataset],
) -> None:
    # The settings are stored with each run, and describe() reads them by name.
    dataset = make_dataset(n_train=48, n_test=24)
    _, settings = training.run_key(baseline(), dataset, epochs=3, batch_size=16, seed=2)
    assert set(settings) == {
        "architecture",
        "initial_weights_sha256",
        "compile",
        "epochs",
        "batch_size",
        "seed",
        "train_examples",
        "validation_examples",
        "data_fingerprint",
        "threads",
        "instruction_set",
        "steps_per_execution",
        "trainer_sha256",
        "fit",
        "versions",
        "format",
    }
    # One documented list of what makes a run.
    assert set(settings) == set(identity.RUN_IDENTITY)
    assert settings["instruction_set"] == identity.instruction_set()
    assert (settings["epochs"], settings["batch_size"], settings["seed"]) == (3, 16, 2)
    assert (settings["train_examples"], settings["validation_examples"]) == (48, 24)
    assert settings["data_fingerprint"] == dataset.fingerprint
    assert settings["trainer_sha256"] == fitting.trainer_sha256()
    assert settings["format"] == records.ENTRY_FORMAT


def test_settings_keep_values_whose_text_is_their_value() -> None:
    # Keras configurations may hold objects such as dtypes; they are keyed by their text.
    value = {
        "name": "dense_3",
        "dtype": np.dtype("float32"),
        "layers": [{"name": "x", "p": Path("w"), "n": np.int64(3), "f": np.float32(0.5)}],
    }
    assert records._plain(value, "config") == {
        "dtype": "float32",
        "layers": [{"p": "w", "n": "3", "f": "0.5"}],
    }


@pytest.mark.parametrize("opaque", [object(), {1, 2}, lambda: 0, b"bytes"])
def test_a_setting_json_cannot_encode_is_refused_not_turned_into_text(opaque: object) -> None:
    # str() of an object can hold its memory address (a key that never hits
    # again) or drop its parameters (two configurations under one key).
    with pytest.raises(TypeError, match=r"^the model's compile settings must be plain data"):
        records._plain({"loss": {"config": opaque}}, "compile settings")


def _key_when_compiled_with(loss: str, metrics: list[str]) -> str:
    """The key of one small model with fixed initial weights, compiled as given."""

    keras.utils.set_random_seed(0)
    model = keras.Sequential(
        [keras.Input((28, 28, 1)), keras.layers.Flatten(), keras.layers.Dense(10)]
    )
    model.compile(optimizer="sgd", loss=loss, metrics=metrics)
    return training.run_key(model, _small_dataset(), epochs=1, batch_size=4, seed=0)[0]


@pytest.mark.parametrize(
    ("loss", "metrics"),
    [
        ("mean_squared_error", ["accuracy"]),
        ("categorical_crossentropy", []),
        ("categorical_crossentropy", ["categorical_accuracy"]),
        ("categorical_crossentropy", ["accuracy", "mean_squared_error"]),
    ],
    ids=["other-loss", "no-metrics", "other-metric", "one-more-metric"],
)
def test_the_key_covers_the_loss_and_the_metrics(loss: str, metrics: list[str]) -> None:
    # Same architecture, same initial weights, same optimizer: only the compile differs.
    reference = _key_when_compiled_with("categorical_crossentropy", ["accuracy"])
    assert _key_when_compiled_with("categorical_crossentropy", ["accuracy"]) == reference
    assert _key_when_compiled_with(loss, metrics) != reference
