"""Tests for mnist_tutorial.runner."""

from __future__ import annotations

import dataclasses
import os
import random
import re
import threading
import time
from collections.abc import Callable
from pathlib import Path

import joblib
import keras
import pytest

from mnist_tutorial import config, data, fitting, identity, models, records, runner, training


def baseline() -> object:
    return models.build_model(learning_rate=0.01)


def quiet(line: str) -> None:
    del line


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"epochs": 0}, ValueError, "epochs must be an int >= 1, got 0"),
        ({"epochs": 2.0}, TypeError, "epochs must be an int >= 1, got float"),
        ({"batch_size": 0}, ValueError, "batch_size must be an int >= 1, got 0"),
        ({"batch_size": True}, TypeError, "batch_size must be an int >= 1, got bool"),
        ({"seed": -1}, ValueError, "seed must be an int >= 0, got -1"),
        ({"seed": "0"}, TypeError, "seed must be an int >= 0, got str"),
    ],
)
def test_run_config_names_the_bad_setting_and_what_it_accepts(
    arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        training.RunConfig(baseline, **arguments)  # type: ignore[arg-type]


@pytest.mark.usefixtures("no_cache")
def test_a_build_that_returns_no_model_is_named(dataset: data.Dataset) -> None:
    run = training.RunConfig(lambda: "not a model")  # type: ignore[arg-type,return-value]
    with pytest.raises(TypeError, match=r"^build must return a keras\.Model, got str$"):
        training.train_many([run], dataset, n_jobs=1)


def test_a_run_is_keyed_with_the_thread_counts_it_is_given(dataset: data.Dataset) -> None:
    import keras

    run = training.RunConfig(baseline, epochs=1, batch_size=16)
    built = runner.build_run(run, dataset, 1, (3, 5))
    assert built.settings["threads"] == {"intra_op": 3, "inter_op": 5}
    keras.backend.clear_session()
    keras.utils.set_random_seed(0)  # the same initial weights as build_run's
    assert (
        built.key
        == training.run_key(baseline(), dataset, epochs=1, batch_size=16, seed=0, threads=(3, 5))[0]
    )


@pytest.fixture
def fitted_elsewhere(
    handmade_record: Callable[..., training.RunRecord], monkeypatch: pytest.MonkeyPatch
) -> list[tuple[str, dict[str, object]]]:
    """Stand in for a process where TensorFlow already runs with 3 and 5 threads.

    The fit is replaced too: the list receives the key and settings of each run fitted.
    """
    threading_api = fitting.tf.config.threading

    def refuse(count: int) -> None:
        raise RuntimeError("TensorFlow is already initialized")

    monkeypatch.setattr(threading_api, "get_intra_op_parallelism_threads", lambda: 3)
    monkeypatch.setattr(threading_api, "get_inter_op_parallelism_threads", lambda: 5)
    monkeypatch.setattr(threading_api, "set_intra_op_parallelism_threads", refuse)
    monkeypatch.setattr(threading_api, "set_inter_op_parallelism_threads", refuse)
    fitted: list[tuple[str, dict[str, object]]] = []

    def fake_fit(
        model: object,
        chosen: object,
        key: str,
        settings: dict[str, object],
        *rest: object,
        **options: object,
    ) -> training.RunRecord:
        fitted.append((key, settings))
        return handmade_record(key=key, settings=settings)

    monkeypatch.setattr(runner, "_fit", fake_fit)
    return fitted


@pytest.mark.usefixtures("no_cache")
def test_a_run_is_keyed_with_the_thread_counts_in_effect(
    fitted_elsewhere: list[tuple[str, dict[str, object]]], dataset: data.Dataset
) -> None:
    run = training.RunConfig(baseline, epochs=1, batch_size=16)
    record = runner.train_run(run, dataset, epochs=1, root=None, threads=(1, 2), progress=False)
    [(key, settings)] = fitted_elsewhere
    assert settings["threads"] == {"intra_op": 3, "inter_op": 5}
    assert record.settings is settings
    assert record.key == key


@pytest.mark.usefixtures("no_cache")
def test_a_shipped_run_is_keyed_again_with_the_worker_thread_counts_in_effect(
    dataset: data.Dataset, request: pytest.FixtureRequest
) -> None:
    run = training.RunConfig(baseline, epochs=1, batch_size=16)
    shipped = runner.build_run(run, dataset, 1, (1, 2)).shipped()
    # Only now does the worker's TensorFlow run with 3 and 5 threads.
    fitted: list[tuple[str, dict[str, object]]] = request.getfixturevalue("fitted_elsewhere")
    record = runner.train_built(shipped, dataset, root=None, scratch=None, progress=False)
    [(key, settings)] = fitted
    assert settings["threads"] == {"intra_op": 3, "inter_op": 5}
    assert key == runner.build_run(run, dataset, 1, (3, 5)).key
    assert key != shipped.key
    assert record.key == key


def test_a_build_gets_its_weights_however_other_threads_draw_from_random(
    dataset: data.Dataset,
) -> None:
    # A Dask worker's event loop draws from Python's global random (dask.sizeof)
    # while a task builds its model; Keras seeds its initializers from it too.
    run = training.RunConfig(baseline, epochs=1, batch_size=16, seed=1)
    undisturbed = runner.build_run(run, dataset, 1, (1, 2)).key
    after_undisturbed = random.getstate()
    stop = threading.Event()

    def draw() -> None:
        # Both kinds of draw, Keras's own (randint) among them.
        while not stop.is_set():
            random.random()  # noqa: S311
            random.randint(1, 10**9)  # noqa: S311

    thread = threading.Thread(target=draw)
    thread.start()
    try:
        keys = [runner.build_run(run, dataset, 1, (1, 2)).key for _ in range(3)]
    finally:
        stop.set()
        thread.join()
    assert keys == [undisturbed] * 3
    # Afterwards Python's generator goes on as it would after an undisturbed build.
    runner.build_run(run, dataset, 1, (1, 2))
    assert random.getstate() == after_undisturbed


def slow_fit(model, x_train, y_train, x_test, y_test, callbacks):
    # Another task of the process, in another thread, builds (and so seeds) meanwhile.
    time.sleep(0.5)
    return model.fit(
        x_train,
        y_train,
        batch_size=16,
        epochs=1,
        validation_data=(x_test, y_test),
        callbacks=callbacks,
        verbose=0,
    )


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_two_tasks_in_threads_of_one_process_get_their_numbers_alone(
    dataset: data.Dataset,
) -> None:
    # A Dask worker with several threads runs tasks side by side in one
    # process; seeding and the random state a fit shuffles with are process-wide.
    runs = [
        training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed, fit=slow_fit)
        for seed in (0, 1)
    ]

    def train(run: training.RunConfig) -> training.RunRecord:
        [record] = training.train_many([run], dataset, n_jobs=1)
        return record

    alone = [train(run) for run in runs]
    side_by_side: dict[int, training.RunRecord] = {}
    threads = [
        threading.Thread(target=lambda run=run: side_by_side.update({run.seed: train(run)}))
        for run in runs
    ]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    for record in alone:
        other = side_by_side[record.settings["seed"]]
        assert (other.key, other.history) == (record.key, record.history)
        assert other.final_weights_sha256 == record.final_weights_sha256


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_the_trainer_prepares_the_model_for_any_fit(dataset: data.Dataset) -> None:
    seen: list[int] = []

    class Seen(keras.callbacks.Callback):
        def on_train_begin(self, logs: object = None) -> None:
            seen.append(self.model.steps_per_execution)

    def fit(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(
            x_train,
            y_train,
            batch_size=16,
            epochs=1,
            validation_data=(x_test, y_test),
            callbacks=[*callbacks, Seen()],
            verbose=0,
        )

    training.train(baseline, dataset, epochs=1, batch_size=16, fit=fit, emit=quiet)
    assert seen == [training.STEPS_PER_EXECUTION]


def _fit_with(**overrides: object):  # type: ignore[no-untyped-def]
    def fit(model, x_train, y_train, x_test, y_test, callbacks):
        options = {"batch_size": 16, "epochs": 2, "verbose": 0, "callbacks": callbacks}
        options.update(overrides)
        return model.fit(x_train, y_train, validation_data=(x_test, y_test), **options)

    return fit


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
@pytest.mark.parametrize(
    ("overrides", "message"),
    [
        ({"epochs": 1}, r"^fit calls model.fit with epochs=1, batch_size=16, but the run "),
        ({"batch_size": 32}, r"^fit calls model.fit with epochs=2, batch_size=32, but the run "),
        ({"callbacks": []}, r"^fit must pass its callbacks argument to model.fit"),
    ],
)
def test_a_fit_that_trains_otherwise_than_declared_is_refused(
    dataset: data.Dataset, overrides: dict[str, object], message: str
) -> None:
    fit = _fit_with(**overrides)
    with pytest.raises(ValueError, match=message):
        training.train_many(
            [training.RunConfig(baseline, epochs=2, batch_size=16, fit=fit)],
            dataset,
            n_jobs=1,
            emit=quiet,
        )


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_draft_mode_stops_a_page_fit_after_the_draft_epochs(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    fit = _fit_with(epochs=config.DRAFT_EPOCHS + 1)
    run = training.RunConfig(baseline, epochs=config.DRAFT_EPOCHS + 1, batch_size=16, fit=fit)
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    (record,) = training.train_many([run], dataset, n_jobs=1, emit=quiet)
    assert record.settings["epochs"] == config.DRAFT_EPOCHS
    assert len(record.history["accuracy"]) == config.DRAFT_EPOCHS
    # It trains what the package's fit trains in a draft build: one key, one training.
    package_fit = training.RunConfig(baseline, epochs=config.DRAFT_EPOCHS + 1, batch_size=16)
    built = runner.build_run(package_fit, dataset, config.DRAFT_EPOCHS, config.training_threads())
    assert built.key == record.key
    # Outside draft mode, a fit that states more epochs than its run is refused.
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT")
    shorter = training.RunConfig(baseline, epochs=config.DRAFT_EPOCHS, batch_size=16, fit=fit)
    with pytest.raises(ValueError, match=r"^fit calls model.fit with epochs=3, batch_size=16"):
        training.train_many([shorter], dataset, n_jobs=1, emit=quiet)


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
@pytest.mark.parametrize(
    ("later", "message"),
    [
        ({"epochs": 1}, r"^fit trained 1 epochs, but the run declares epochs=2"),
        ({"batch_size": 32}, r"^fit ran 2 steps per epoch, but batch_size=16 gives 4"),
        ({"callbacks": []}, r"^fit must pass its callbacks argument to model.fit"),
        ({"validation_data": None}, r"history lacks val_loss, val_accuracy$"),
    ],
)
def test_what_a_fit_trained_is_checked_again_after_the_dry_run(
    dataset: data.Dataset, later: dict[str, object], message: str
) -> None:
    # A fit whose call changes after its dry run (fitting.fit_call) is caught
    # by what was trained.
    calls: list[object] = []

    def fit(model, x_train, y_train, x_test, y_test, callbacks):
        options = {"batch_size": 16, "epochs": 2, "verbose": 0, "callbacks": callbacks}
        options["validation_data"] = (x_test, y_test)
        if calls:
            options.update(later)
        calls.append(model)
        return model.fit(x_train, y_train, **options)

    with pytest.raises(ValueError, match=message):
        training.train_many(
            [training.RunConfig(baseline, epochs=2, batch_size=16, fit=fit)],
            dataset,
            n_jobs=1,
            emit=quiet,
        )
    assert len(calls) == 2


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_a_fit_without_validation_is_refused(dataset: data.Dataset) -> None:
    def fit(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, batch_size=16, epochs=1, callbacks=callbacks, verbose=0)

    with pytest.raises(ValueError, match=r"^fit must validate on the test set"):
        training.train(baseline, dataset, epochs=1, batch_size=16, fit=fit, emit=quiet)


def _counting_build(log: Path) -> Callable[[], object]:
    """A baseline build that appends a line to ``log`` in whichever process calls it."""

    def build() -> object:
        with log.open("a") as handle:
            handle.write(f"{os.getpid()}\n")
        return models.build_model(learning_rate=0.01)

    return build


@pytest.mark.training
def test_a_miss_is_built_once_though_a_worker_trains_it(
    dataset: data.Dataset, run_cache: Path, tmp_path: Path
) -> None:
    log = tmp_path / "builds.txt"
    runs = [
        training.RunConfig(_counting_build(log), epochs=1, batch_size=16, seed=seed)
        for seed in (0, 1)
    ]
    first = training.train_many(runs, dataset, n_jobs=2, emit=quiet)
    builders = log.read_text().split()
    assert not any(record.replayed for record in first)
    # One build per run, all in this process: the workers fitted what they were sent.
    assert builders == [str(os.getpid())] * 2
    again = training.train_many(runs, dataset, n_jobs=2, emit=quiet)
    assert all(record.replayed for record in again)
    assert len(log.read_text().split()) == 4  # a hit is built once too, for its key
    assert [record.history for record in again] == [record.history for record in first]


@pytest.mark.training
@pytest.mark.usefixtures("run_cache")
def test_a_miss_is_keyed_once_and_the_worker_keeps_its_key(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    keyed: list[int] = []
    run_key = runner.run_key

    def counting_run_key(*arguments: object, **options: object) -> tuple[str, dict[str, object]]:
        keyed.append(1)
        return run_key(*arguments, **options)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "run_key", counting_run_key)
    # This process stands in for a worker whose TensorFlow takes the run's threads.
    monkeypatch.setattr(runner, "pin_threads", lambda threads: threads)
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (0, 1)]
    with joblib.parallel_config(backend="sequential"):
        records = training.train_many(runs, dataset, n_jobs=2, emit=quiet)
    assert len(keyed) == 2
    assert [record.key for record in records] == [
        runner.build_run(run, dataset, 1, config.training_threads()).key for run in runs
    ]


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_a_shipped_run_fits_what_this_process_would_fit(dataset: data.Dataset) -> None:
    run = training.RunConfig(baseline, epochs=2, batch_size=16, seed=4)
    here = runner.train_run(run, dataset, epochs=2, root=None, threads=(1, 2), progress=False)
    built = runner.build_run(run, dataset, 2, runner.pin_threads((1, 2)))
    random.random()  # noqa: S311  (whatever this process draws meanwhile does not count)
    shipped = runner.train_built(built.shipped(), dataset, root=None, scratch=None, progress=False)
    assert isinstance(built.shipped().model, bytes)
    assert shipped.history == here.history
    assert shipped.final_weights_sha256 == here.final_weights_sha256
    assert shipped.key == here.key


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_a_run_keyed_with_other_kernels_is_keyed_again_where_it_trains(
    dataset: data.Dataset,
) -> None:
    # Keyed where TensorFlow computed with other kernels (oneDNN off, say)
    # than in the worker that trains it: the worker keys what it trains.
    run = training.RunConfig(baseline, epochs=1, batch_size=16, seed=3)
    built = runner.build_run(run, dataset, 1, runner.pin_threads((1, 2)))
    elsewhere = dataclasses.replace(
        built, settings={**built.settings, "instruction_set": "x86_64 sse41, oneDNN off"}
    )
    record = runner.train_built(
        elsewhere.shipped(), dataset, root=None, scratch=None, progress=False
    )
    assert record.settings["instruction_set"] == identity.instruction_set()
    assert record.key == built.key


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_a_model_keras_cannot_rebuild_in_the_worker_is_built_there(
    dataset: data.Dataset,
) -> None:
    import keras

    class Halve(keras.layers.Layer):  # defined here: Keras cannot import it by name
        def call(self, inputs: object) -> object:
            return inputs * 0.5  # type: ignore[operator]

    builds: list[int] = []

    def build() -> keras.Model:
        builds.append(1)
        model = keras.Sequential(
            [keras.Input((28, 28, 1)), Halve(), keras.layers.Flatten(), keras.layers.Dense(10)]
        )
        model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
        return model

    run = training.RunConfig(build, epochs=1, batch_size=16, seed=2)
    threads = runner.pin_threads((1, 2))
    built = runner.build_run(run, dataset, 1, threads)
    record = runner.train_built(built.shipped(), dataset, root=None, scratch=None, progress=False)
    assert len(builds) == 2  # unpickling failed, so the worker built it again
    here = runner.train_run(run, dataset, epochs=1, root=None, threads=threads, progress=False)
    assert record.key == built.key
    assert record.history == here.history


def local_layer_model() -> keras.Model:
    class Doubling(keras.layers.Layer):  # defined in a function: Keras cannot import it
        def call(self, inputs: object) -> object:
            return inputs * 2

    model = keras.Sequential(
        [
            keras.Input(models.INPUT_SHAPE),
            Doubling(),
            keras.layers.Flatten(),
            keras.layers.Dense(models.NUM_CLASSES, activation="softmax"),
        ]
    )
    model.compile(optimizer="sgd", loss="categorical_crossentropy", metrics=["accuracy"])
    return model


def test_a_layer_keras_cannot_load_back_is_named() -> None:
    assert records.unloadable_layers(local_layer_model()) == [
        "doubling (local_layer_model.<locals>.Doubling)"
    ]
    assert records.unloadable_layers(baseline()) == []


def test_a_layer_keras_cannot_load_back_is_refused_before_training_with_the_cache_on(
    dataset: data.Dataset, run_cache: Path
) -> None:
    # Without the refusal the run would train, and its entry would not load.
    run = training.RunConfig(local_layer_model, epochs=1, batch_size=16)
    with pytest.raises(ValueError, match=r"layers Keras cannot load back once stored: doubling "):
        training.train_many([run], dataset, n_jobs=1)
    assert not list(run_cache.glob("*/record.json"))
