"""Tests for mnist_tutorial.fitting."""

from __future__ import annotations

import functools
import inspect
import os
import subprocess
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

from mnist_tutorial import data, fitting, models, training


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

    def edited_fit(*args: object, **kwargs: object) -> training.RunRecord:
        raise NotImplementedError  # stands for any edit of the fitting code

    fitting.trainer_sha256.cache_clear()
    monkeypatch.setattr(fitting, "fit_model", edited_fit)
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
@pytest.mark.parametrize("piece", ["fit_model", "ready_for_fit", "pin_threads"])
def test_an_edit_to_any_piece_of_the_fitting_path_changes_its_digest(
    piece: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The model's preparation and the thread counts (the pinning) decide the
    # numbers as much as fit_model does: a change to either must retrain every run.
    unedited = fitting.trainer_sha256()
    target = getattr(fitting, piece)
    real_getsource = inspect.getsource

    def getsource_after_an_edit(item: object) -> str:
        source = real_getsource(item)  # type: ignore[arg-type]
        return f"{source}# edited\n" if item is target else source

    fitting.trainer_sha256.cache_clear()
    monkeypatch.setattr(inspect, "getsource", getsource_after_an_edit)
    assert fitting.trainer_sha256() != unedited


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
    assert len({keys[sixteen], keys[eight], keys[None]}) == 3


def test_nested_code_of_the_fit_enters_its_digest() -> None:
    def outer_a(model, x_train, y_train, x_test, y_test, callbacks):
        def inner() -> int:
            return 1

        return inner()

    def outer_b(model, x_train, y_train, x_test, y_test, callbacks):
        def inner() -> int:
            return 2

        return inner()

    assert training.fit_sha256(outer_a) != training.fit_sha256(outer_b)
    assert training.fit_sha256(page_fit) == training.fit_sha256(page_fit)


@pytest.mark.parametrize("fit", ["model.fit", 3, functools.partial(page_fit)])
def test_a_fit_that_is_not_a_function_is_refused(fit: object) -> None:
    with pytest.raises(TypeError, match=r"^fit must be a function"):
        training.RunConfig(baseline, fit=fit)  # type: ignore[arg-type]
    with pytest.raises(TypeError, match=r"^fit must be a function"):
        training.fit_sha256(fit)  # type: ignore[arg-type]


def test_keyword_names_of_the_fit_enter_its_digest() -> None:
    # The numbers and the bytecode are the same; only the keyword names
    # (a tuple constant of the call) say which number is which.
    def batch_32(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, batch_size=32, epochs=10, callbacks=callbacks)

    def epochs_32(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, epochs=32, batch_size=10, callbacks=callbacks)

    assert batch_32.__code__.co_code == epochs_32.__code__.co_code
    assert training.fit_sha256(batch_32) != training.fit_sha256(epochs_32)


def test_the_called_names_of_the_fit_enter_its_digest() -> None:
    def fits(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, callbacks=callbacks)

    def evaluates(model, x_train, y_train, x_test, y_test, callbacks):
        return model.evaluate(x_train, y_train, callbacks=callbacks)

    assert fits.__code__.co_code == evaluates.__code__.co_code
    assert training.fit_sha256(fits) != training.fit_sha256(evaluates)


def test_the_bytecode_of_the_fit_enters_its_digest() -> None:
    # Same constants and names; only the operation differs.
    def halves(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train / 2, y_train, callbacks=callbacks)

    def doubles(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train * 2, y_train, callbacks=callbacks)

    assert halves.__code__.co_consts == doubles.__code__.co_consts
    assert training.fit_sha256(halves) != training.fit_sha256(doubles)


def test_local_names_of_the_fit_enter_its_digest_as_documented() -> None:
    def history(model, x_train, y_train, x_test, y_test, callbacks):
        history = model.fit(x_train, y_train, callbacks=callbacks)
        return history.history

    def result(model, x_train, y_train, x_test, y_test, callbacks):
        result = model.fit(x_train, y_train, callbacks=callbacks)
        return result.history

    assert history.__code__.co_code == result.__code__.co_code
    assert training.fit_sha256(history) != training.fit_sha256(result)


def test_a_set_constant_of_the_fit_enters_its_digest() -> None:
    def small(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, epochs=2 if callbacks in {1, 2} else 3)

    def large(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, epochs=2 if callbacks in {1, 4} else 3)

    assert training.fit_sha256(small) != training.fit_sha256(large)


def test_the_digest_of_a_set_constant_is_the_same_in_every_process(tmp_path: Path) -> None:
    # A frozenset's order follows string hashing, which differs per process.
    script = tmp_path / "digest.py"
    script.write_text(
        "from mnist_tutorial import fitting\n"
        "def fit(model, x_train, y_train, x_test, y_test, callbacks):\n"
        "    return model.fit(x_train, y_train, verbose=0 if callbacks in\n"
        "        {'alpha', 'beta', 'gamma', 'delta', 'epsilon', 'zeta'} else 1)\n"
        "print(*[c for c in fit.__code__.co_consts if isinstance(c, frozenset)][0])\n"
        "print(fitting.fit_sha256(fit))\n"
    )
    processes = [
        subprocess.Popen(
            [sys.executable, str(script)],
            env={**os.environ, "PYTHONHASHSEED": hash_seed},
            stdout=subprocess.PIPE,
            text=True,
        )
        for hash_seed in ("1", "2")
    ]
    outputs = [process.communicate()[0].splitlines()[-2:] for process in processes]
    assert [process.returncode for process in processes] == [0, 0]
    orders, digests = zip(*outputs, strict=True)
    assert len(set(orders)) == 2  # the set's order did differ
    assert len(set(digests)) == 1
