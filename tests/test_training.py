"""Tests for mnist_tutorial.training on tiny synthetic data."""

from __future__ import annotations

import json
import re
import threading
import time
from pathlib import Path

import filelock
import numpy as np
import pytest

from mnist_tutorial import data, models, training

pytestmark = pytest.mark.training

LINE = re.compile(
    r"^(Epoch \d+/\d+"
    r"|\d+/\d+ - \d+s - \d+ms/step - loss: \d+\.\d{4} - accuracy: \d\.\d{4}"
    r" - val_loss: \d+\.\d{4} - val_accuracy: \d\.\d{4})$"
)


def make_dataset(n_train: int = 64, n_test: int = 32, seed: int = 0) -> data.Dataset:
    rng = np.random.default_rng(seed)
    return data.preprocess(
        rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_train),
        rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=n_test),
    )


@pytest.fixture
def dataset() -> data.Dataset:
    return make_dataset()


@pytest.fixture
def run_cache(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    root = tmp_path / "runs"
    monkeypatch.setenv(training.ENV_RUN_CACHE, str(root))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    return root


@pytest.fixture
def no_cache(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(training.ENV_RUN_CACHE, "off")
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)


def baseline() -> object:
    return models.build_model(learning_rate=0.01)


def quiet(line: str) -> None:
    del line


@pytest.mark.usefixtures("no_cache")
def test_same_call_twice_gives_identical_history(dataset: data.Dataset) -> None:
    first = training.train(baseline, dataset, epochs=2, batch_size=16, emit=quiet)
    second = training.train(baseline, dataset, epochs=2, batch_size=16, emit=quiet)
    assert first.history == second.history
    assert len(first.history["loss"]) == 2
    assert set(first.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert not first.replayed
    assert not second.replayed


@pytest.mark.usefixtures("no_cache")
def test_another_seed_gives_another_history(dataset: data.Dataset) -> None:
    first = training.train(baseline, dataset, epochs=1, batch_size=16, seed=0, emit=quiet)
    second = training.train(baseline, dataset, epochs=1, batch_size=16, seed=1, emit=quiet)
    assert first.history["loss"] != second.history["loss"]
    assert first.key != second.key


@pytest.mark.usefixtures("no_cache")
def test_record_contents_and_clean_log(
    dataset: data.Dataset, capsys: pytest.CaptureFixture[str]
) -> None:
    record = training.train(baseline, dataset, epochs=2, batch_size=16)
    printed = capsys.readouterr().out
    # 64 examples in batches of 16 is 4 steps.
    assert printed.splitlines() == record.log_lines
    assert record.log_lines[0] == "Epoch 1/2"
    assert record.log_lines[1].startswith("4/4 - ")
    assert all(LINE.match(line) for line in record.log_lines), record.log_lines
    assert not re.search(r"[\r\b\x1b]", printed)
    assert record.n_params == 542_230
    assert len(record.epoch_seconds) == 2
    assert record.total_seconds >= sum(record.epoch_seconds) > 0
    assert record.final("val_accuracy") == record.history["val_accuracy"][-1]
    with pytest.raises(ValueError, match="metric"):
        record.final("precision")


def test_cache_miss_then_hit(
    dataset: data.Dataset, run_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = training.train(baseline, dataset, epochs=1, batch_size=16)
    capsys.readouterr()
    assert not first.replayed
    assert (run_cache / first.key / "record.json").is_file()

    start = time.perf_counter()
    second = training.train(baseline, dataset, epochs=1, batch_size=16)
    elapsed = time.perf_counter() - start
    printed = capsys.readouterr().out.splitlines()

    assert second.replayed
    assert elapsed < 2.0
    assert second.history == first.history
    assert second.epoch_seconds == first.epoch_seconds
    assert second.log_lines == first.log_lines
    assert printed[:-1] == first.log_lines
    assert "replayed from the run cache" in printed[-1]
    assert first.created in printed[-1]
    events = training.read_events(run_cache)
    assert [event["event"] for event in events] == ["miss", "hit"]
    assert {event["key"] for event in events} == {first.key}

    # The stored model is the trained one.
    trained = first.load_model().predict(dataset.x_test, verbose=0)
    restored = second.load_model().predict(dataset.x_test, verbose=0)
    np.testing.assert_allclose(restored, trained, rtol=1e-6)


@pytest.mark.parametrize(
    ("build", "change"),
    [
        (lambda: models.build_model(learning_rate=0.02), {}),
        (lambda: models.build_model(learning_rate=0.01, momentum=0.5), {}),
        (lambda: models.build_model(conv_filters=(16,)), {}),
        (baseline, {"epochs": 2}),
        (baseline, {"batch_size": 8}),
        (baseline, {"seed": 3}),
        (baseline, {"dataset": make_dataset(seed=1)}),
    ],
    ids=["learning_rate", "momentum", "architecture", "epochs", "batch_size", "seed", "data"],
)
def test_any_key_input_changes_the_key(
    dataset: data.Dataset, build: object, change: dict[str, object]
) -> None:
    import keras

    def key_of(builder: object, **settings: object) -> str:
        keras.utils.set_random_seed(int(settings.get("seed", 0)))  # type: ignore[call-overload]
        model = builder()  # type: ignore[operator]
        return training.run_key(
            model,
            settings.get("dataset", dataset),  # type: ignore[arg-type]
            epochs=settings.get("epochs", 1),  # type: ignore[arg-type]
            batch_size=settings.get("batch_size", 16),  # type: ignore[arg-type]
            seed=settings.get("seed", 0),  # type: ignore[arg-type]
        )[0]

    reference = key_of(baseline)
    assert key_of(baseline) == reference
    assert key_of(build, **change) != reference


def test_library_versions_are_part_of_the_key(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch
) -> None:
    model = baseline()
    before, settings = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert set(settings["versions"]) == {"tensorflow", "keras", "numpy"}
    monkeypatch.setattr(
        training, "_versions", lambda: {"tensorflow": "0", "keras": "0", "numpy": "0"}
    )
    after, _ = training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)
    assert before != after


def test_uncompiled_model_is_rejected(dataset: data.Dataset) -> None:
    import keras

    model = keras.Sequential([keras.Input((28, 28, 1)), keras.layers.Flatten()])
    with pytest.raises(ValueError, match="compiled"):
        training.run_key(model, dataset, epochs=1, batch_size=16, seed=0)


def test_write_interrupted_leaves_no_valid_entry(
    dataset: data.Dataset, run_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    real_write_text = Path.write_text

    def crash(self: Path, *args: object, **kwargs: object) -> int:
        if self.name == "record.json":
            raise KeyboardInterrupt  # a kill between saving the model and the record
        return real_write_text(self, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(Path, "write_text", crash)
    with pytest.raises(KeyboardInterrupt):
        training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    monkeypatch.undo()
    monkeypatch.setenv(training.ENV_RUN_CACHE, str(run_cache))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)

    # Nothing but the lock file is left behind, and the next call trains.
    assert [path.name for path in run_cache.iterdir() if not path.name.endswith(".lock")] == []
    record = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    assert not record.replayed


@pytest.mark.parametrize("damage", ["record", "model", "key"])
def test_damaged_entry_is_a_miss(dataset: data.Dataset, run_cache: Path, damage: str) -> None:
    first = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    entry = run_cache / first.key
    if damage == "record":
        (entry / "record.json").write_text("{ truncated")
    elif damage == "model":
        with (entry / "model.keras").open("ab") as handle:
            handle.write(b"garbage")
    else:
        content = json.loads((entry / "record.json").read_text())
        content["key"] = "0" * 64
        (entry / "record.json").write_text(json.dumps(content))
    second = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    assert not second.replayed
    third = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    assert third.replayed


def test_waits_for_the_lock_and_replays_the_other_writer(
    dataset: data.Dataset, run_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First produce a valid entry, then hide it while "another process" holds the lock.
    first = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    entry = run_cache / first.key
    hidden = run_cache / "hidden"
    entry.rename(hidden)

    fits: list[str] = []
    real_fit = training._fit

    def counting_fit(*args: object, **kwargs: object) -> training.RunRecord:
        fits.append("fit")
        return real_fit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(training, "_fit", counting_fit)
    results: list[training.RunRecord] = []
    lock = filelock.FileLock(run_cache / f"{first.key}.lock")
    with lock:
        worker = threading.Thread(
            target=lambda: results.append(
                training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
            )
        )
        worker.start()
        worker.join(timeout=3)
        assert worker.is_alive(), "train() must wait while another writer holds the lock"
        hidden.rename(entry)  # the other writer finishes its entry
    worker.join(timeout=60)
    assert not worker.is_alive()
    assert fits == []
    assert results[0].replayed
    assert results[0].history == first.history


def test_draft_mode_caps_epochs_and_uses_its_own_cache(
    dataset: data.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(training.ENV_RUN_CACHE, raising=False)
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(tmp_path))
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    assert training.run_cache_dir() == tmp_path / "runs-draft"
    record = training.train(baseline, dataset, epochs=10, batch_size=16, emit=quiet)
    assert record.epochs == 2
    assert (tmp_path / "runs-draft" / record.key).is_dir()
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "0")
    assert training.run_cache_dir() == tmp_path / "runs"


def test_cache_can_be_disabled_or_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(training.ENV_RUN_CACHE, "off")
    assert training.run_cache_dir() is None
    monkeypatch.setenv(training.ENV_RUN_CACHE, str(tmp_path / "elsewhere"))
    assert training.run_cache_dir() == tmp_path / "elsewhere"


@pytest.mark.parametrize(
    ("arguments", "error", "name"),
    [
        ({"epochs": 0}, ValueError, "epochs"),
        ({"epochs": 1.5}, TypeError, "epochs"),
        ({"batch_size": "32"}, TypeError, "batch_size"),
        ({"batch_size": 0}, ValueError, "batch_size"),
        ({"seed": -1}, ValueError, "seed"),
        ({"dataset": (1, 2)}, TypeError, "dataset"),
        ({"build": "baseline"}, TypeError, "build"),
        ({"build": lambda: "not a model"}, TypeError, "build"),
    ],
)
@pytest.mark.usefixtures("no_cache")
def test_bad_arguments_are_rejected(
    dataset: data.Dataset, arguments: dict[str, object], error: type[Exception], name: str
) -> None:
    call: dict[str, object] = {"build": baseline, "dataset": dataset, "epochs": 1}
    call.update(arguments)
    build = call.pop("build")
    chosen = call.pop("dataset")
    with pytest.raises(error, match=name):
        training.train(build, chosen, emit=quiet, **call)  # type: ignore[arg-type]
