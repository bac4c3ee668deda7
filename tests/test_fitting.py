"""Tests for mnist_tutorial.fitting."""

from __future__ import annotations

import functools
import inspect
import os
import subprocess
import sys
import textwrap
from collections.abc import Iterator

import pytest

from mnist_tutorial import config, data, fitting, models, progress, runner, training


def baseline() -> object:
    return models.build_model(learning_rate=0.01)


def quiet(line: str) -> None:
    del line


def page_fit(model, x_train, y_train, x_test, y_test, callbacks):
    # Stands for a page's function; the tests that train define their own.
    return model.fit(x_train, y_train, validation_data=(x_test, y_test), callbacks=callbacks)


def test_the_fitting_code_is_part_of_the_key(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = baseline()
    before, _ = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)

    real_source_of = fitting.source_of

    def source_after_an_edit(module: str, name: str) -> str:
        # Stands for any edit of the fitting code, even one that makes the same call.
        source = real_source_of(module, name)
        return f"{source}# edited\n" if name == "fit_model" else source

    fitting.trainer_sha256.cache_clear()
    monkeypatch.setattr(fitting, "source_of", source_after_an_edit)
    try:
        after, _ = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    finally:
        monkeypatch.undo()
        fitting.trainer_sha256.cache_clear()
    assert after != before


def test_pin_threads_reports_the_count_in_effect() -> None:
    import tensorflow as tf

    # Once TensorFlow has run an op in this process the count can no longer
    # change, and what is in effect is reported instead of what was asked.
    tf.constant(1.0) + 1.0
    current = (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )
    wanted = (current[0] + 3, current[1] + 3)
    assert fitting.pin_threads(wanted) == current


def test_importing_the_package_pins_the_threads_before_tensorflow_runs() -> None:
    import tensorflow as tf

    # No stub: this process imported the package (conftest) before any test
    # ran TensorFlow, so the counts in effect are the training counts, not
    # TensorFlow's 0 ("its default", which depends on the machine).
    tf.constant(1.0) + 1.0
    in_effect = (
        tf.config.threading.get_intra_op_parallelism_threads(),
        tf.config.threading.get_inter_op_parallelism_threads(),
    )
    assert in_effect == fitting.pin_threads(config.training_threads())
    assert min(in_effect) >= 1


# A process where TensorFlow runs before the package is imported.
TENSORFLOW_FIRST = textwrap.dedent(
    """
    import tensorflow as tf

    tf.constant(1.0) + 1.0
    from mnist_tutorial import fitting

    try:
        fitting.pin_threads((1, 2))
    except RuntimeError as error:
        print("refused:", error)
    else:
        print("pinned")
    """
)


@pytest.mark.training  # a second process that imports TensorFlow: seconds
def test_a_process_where_tensorflow_runs_with_its_defaults_refuses_to_key_a_run() -> None:
    result = subprocess.run(
        [sys.executable, "-c", TENSORFLOW_FIRST],
        capture_output=True,
        text=True,
        check=True,
        env={**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3"},
    )
    assert "refused: TensorFlow already runs in this process with its default thread counts" in (
        result.stdout
    )


def test_pin_threads_sets_both_counts_in_a_fresh_process(monkeypatch: pytest.MonkeyPatch) -> None:
    # A stand-in for TensorFlow before it has run anything: the counts can still be set.
    threading_api = fitting.tf.config.threading
    counts = {"intra": 0, "inter": 0}
    monkeypatch.setattr(threading_api, "get_intra_op_parallelism_threads", lambda: counts["intra"])
    monkeypatch.setattr(threading_api, "get_inter_op_parallelism_threads", lambda: counts["inter"])
    monkeypatch.setattr(
        threading_api, "set_intra_op_parallelism_threads", lambda n: counts.update(intra=n)
    )
    monkeypatch.setattr(
        threading_api, "set_inter_op_parallelism_threads", lambda n: counts.update(inter=n)
    )
    assert fitting.pin_threads((1, 2)) == (1, 2)
    assert counts == {"intra": 1, "inter": 2}
    assert fitting.pin_threads((1, 2)) == (1, 2)  # already in effect


@pytest.fixture
def fresh_trainer_sha256() -> Iterator[None]:
    """Compute the fitting code's digest anew in the test, and again after it."""
    fitting.trainer_sha256.cache_clear()
    yield
    fitting.trainer_sha256.cache_clear()


@pytest.mark.usefixtures("fresh_trainer_sha256")
@pytest.mark.parametrize(
    "piece",
    [
        # Written out, not read from fitting.TRAINING_PATH: a piece left out
        # there must fail here.
        ("mnist_tutorial.fitting", "fit_model"),
        ("mnist_tutorial.fitting", "ready_for_fit"),
        ("mnist_tutorial.fitting", "pin_threads"),
        ("mnist_tutorial.runner", "build_run"),
        ("mnist_tutorial.runner", "_seeded"),
        ("mnist_tutorial.runner", "_fit"),
        ("mnist_tutorial.runner", "_unpacked"),
        ("mnist_tutorial.progress", "EpochLogger"),
    ],
    ids=".".join,
)
def test_an_edit_to_any_piece_of_the_training_path_changes_its_digest(
    piece: tuple[str, str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model's preparation, the thread counts (the pinning), the build and
    # its seeding, the fit and what the logger records decide the numbers as
    # much as fit_model does: a change to any must retrain every run.
    unedited = fitting.trainer_sha256()
    real_source_of = fitting.source_of

    def source_after_an_edit(module: str, name: str) -> str:
        source = real_source_of(module, name)
        return f"{source}# edited\n" if (module, name) == piece else source

    fitting.trainer_sha256.cache_clear()
    monkeypatch.setattr(fitting, "source_of", source_after_an_edit)
    assert fitting.trainer_sha256() != unedited


def test_the_training_path_covers_the_runner_and_the_logger() -> None:
    # Each piece is read from its module's file, and is the code that runs there.
    assert fitting.source_of("mnist_tutorial.runner", "_fit") == (
        inspect.getsource(runner._fit).rstrip("\n")
    )
    assert fitting.source_of("mnist_tutorial.progress", "EpochLogger") == (
        inspect.getsource(progress.EpochLogger).rstrip("\n")
    )
    with pytest.raises(LookupError, match="has no top-level function or class 'absent'"):
        fitting.source_of("mnist_tutorial.runner", "absent")


class _FitRecorder:
    """Stands in for a compiled model: records what fit_model hands to Keras's ``fit``."""

    def __init__(self) -> None:
        self.steps_per_execution = 1  # Keras's default
        self.calls: list[tuple[int, tuple[object, ...], dict[str, object]]] = []

    def fit(self, *data: object, **options: object) -> str:
        self.calls.append((self.steps_per_execution, data, options))
        return "history"


def test_fit_model_is_the_plain_public_fit_call(dataset: data.Dataset) -> None:
    model = _FitRecorder()
    logger = training.EpochLogger(3, 4, quiet)
    result = training.fit_model(model, dataset, epochs=3, batch_size=16, callbacks=(logger,))
    assert result == "history"
    [(steps, arrays, options)] = model.calls
    assert steps == 1  # fit_model itself leaves the model as it is
    assert arrays == (dataset.x_train, dataset.y_train)
    assert options == {
        "batch_size": 16,
        "epochs": 3,
        "validation_data": (dataset.x_test, dataset.y_test),
        "verbose": 0,
        "callbacks": [logger],
    }


def test_the_trainer_runs_many_steps_per_call() -> None:
    # It only changes speed, so no result shows when it is lost: checked directly.
    model = _FitRecorder()
    fitting.ready_for_fit(model)
    assert model.steps_per_execution == training.STEPS_PER_EXECUTION > 1


def test_a_constant_of_the_fit_enters_the_key(dataset: data.Dataset) -> None:
    def sixteen(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, batch_size=16, epochs=2, callbacks=callbacks)

    def eight(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, batch_size=8, epochs=2, callbacks=callbacks)

    def renamed(model, x_train, y_train, x_test, y_test, callbacks):
        # A comment and a name are not code.
        return model.fit(x_train, y_train, batch_size=16, epochs=2, callbacks=callbacks)

    model = baseline()
    keys = {
        fit: training.run_key(model, dataset, epochs=2, batch_size=16, seed=0, fit=fit)[0]
        for fit in (sixteen, eight, renamed, None)
    }
    assert keys[sixteen] == keys[renamed]
    # None is fit_model, which validates on the test set: another call.
    assert len({keys[sixteen], keys[eight], keys[None]}) == 3


def test_a_page_fit_that_makes_the_package_call_shares_its_key(dataset: data.Dataset) -> None:
    # Written another way (positional validation data, defaults spelled out,
    # another verbosity), the call is the same: so are the runs.
    def page(model, x_train, y_train, x_test, y_test, callbacks):
        history = model.fit(
            x_train,
            y_train,
            32,
            10,
            validation_data=(x_test, y_test),
            shuffle=True,
            callbacks=callbacks,
            verbose=2,
        )
        return history.history

    model = baseline()
    package, settings = training.run_key(model, dataset, epochs=10, batch_size=32, seed=0)
    assert training.run_key(model, dataset, epochs=10, batch_size=32, seed=0, fit=page)[0] == (
        package
    )
    [call] = settings["fit"]
    assert call["x"] == {"data": "x_train"}
    assert call["validation_data"] == [{"data": "x_test"}, {"data": "y_test"}]
    assert (call["epochs"], call["batch_size"], call["shuffle"]) == (10, 32, True)
    assert "verbose" not in call


@pytest.mark.parametrize(
    ("option", "value"),
    [
        ("shuffle", False),
        ("validation_split", 0.1),
        ("class_weight", {0: 2.0}),
        ("initial_epoch", 1),
        ("validation_freq", 2),
    ],
)
def test_every_argument_that_decides_numbers_enters_the_key(
    dataset: data.Dataset, option: str, value: object
) -> None:
    def plain(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, batch_size=16, epochs=2, callbacks=callbacks)

    def changed(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(
            x_train, y_train, batch_size=16, epochs=2, callbacks=callbacks, **{option: value}
        )

    model = baseline()
    keys = [
        training.run_key(model, dataset, epochs=2, batch_size=16, seed=0, fit=fit)[0]
        for fit in (plain, changed)
    ]
    assert keys[0] != keys[1]


def test_data_other_than_the_runs_is_described_by_its_content(dataset: data.Dataset) -> None:
    def half(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train / 2, y_train, callbacks=callbacks)

    def double(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train * 2, y_train, callbacks=callbacks)

    [halved] = fitting.fit_call(half, dataset, epochs=1, batch_size=32)
    [doubled] = fitting.fit_call(double, dataset, epochs=1, batch_size=32)
    assert halved["x"]["shape"] == list(dataset.x_train.shape)
    assert halved["x"]["sha256"] != doubled["x"]["sha256"]
    assert halved["y"] == {"data": "y_train"}


def test_a_page_callback_enters_the_key_with_its_settings(dataset: data.Dataset) -> None:
    import keras

    def stops_after(patience: int):
        def fit(model, x_train, y_train, x_test, y_test, callbacks):
            stop = keras.callbacks.EarlyStopping(patience=patience)
            return model.fit(x_train, y_train, callbacks=[*callbacks, stop])

        return fit

    [three] = fitting.fit_call(stops_after(3), dataset, epochs=1, batch_size=32)
    [five] = fitting.fit_call(stops_after(5), dataset, epochs=1, batch_size=32)
    [callback] = three["callbacks"]
    assert callback["callback"] == "keras.src.callbacks.early_stopping.EarlyStopping"
    assert (callback["patience"], five["callbacks"][0]["patience"]) == (3, 5)


def test_a_fit_that_touches_the_model_otherwise_is_refused(dataset: data.Dataset) -> None:
    def recompiles(model, x_train, y_train, x_test, y_test, callbacks):
        model.compile(optimizer="adam", loss="categorical_crossentropy")
        return model.fit(x_train, y_train, callbacks=callbacks)

    with pytest.raises(TypeError, match=r"may only call model\.fit\(\.\.\.\) .*model\.compile$"):
        fitting.fit_call(recompiles, dataset, epochs=1, batch_size=32)


def test_a_fit_that_drops_the_callbacks_or_never_fits_is_refused(dataset: data.Dataset) -> None:
    def no_callbacks(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train)

    def no_fit(model, x_train, y_train, x_test, y_test, callbacks):
        return None

    with pytest.raises(ValueError, match=r"^fit must pass its callbacks argument"):
        fitting.fit_call(no_callbacks, dataset, epochs=1, batch_size=32)
    with pytest.raises(ValueError, match=r"made no call$"):
        fitting.fit_call(no_fit, dataset, epochs=1, batch_size=32)


def test_an_argument_json_cannot_describe_is_refused(dataset: data.Dataset) -> None:
    def odd(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, callbacks=callbacks, class_weight=object())

    def unknown(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, callbacks=callbacks, epoch=3)

    with pytest.raises(TypeError, match=r"a class_weight that the run's key cannot describe"):
        fitting.fit_call(odd, dataset, epochs=1, batch_size=32)
    with pytest.raises(TypeError, match=r"arguments it does not take"):
        fitting.fit_call(unknown, dataset, epochs=1, batch_size=32)


@pytest.mark.parametrize("fit", ["model.fit", 3, functools.partial(page_fit)])
def test_a_fit_that_is_not_a_function_is_refused(dataset: data.Dataset, fit: object) -> None:
    with pytest.raises(TypeError, match=r"^fit must be a function"):
        training.RunConfig(baseline, fit=fit)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^fit must be a function"):
        fitting.fit_call(fit, dataset, epochs=1, batch_size=32)  # type: ignore[arg-type]
