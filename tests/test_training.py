"""Tests for mnist_tutorial.training on tiny synthetic data."""

from __future__ import annotations

import datetime as dt
import functools
import hashlib
import inspect
import json
import os
import re
import shutil
import subprocess
import sys
import threading
from collections.abc import Callable
from pathlib import Path

import filelock
import joblib
import numpy as np
import pytest

import mnist_tutorial
from mnist_tutorial import (
    config,
    data,
    identity,
    models,
    records,
    runcache,
    runner,
    training,
)

# Tests that fit a model carry the `training` marker; those that only build a
# model, compute a run key or check arguments are unit tests.

LINE = re.compile(
    r"^(Epoch \d+/\d+"
    r"|\d+/\d+ - \d+s - \d+ms/step - loss: \d+\.\d{4} - accuracy: \d\.\d{4}"
    r" - val_loss: \d+\.\d{4} - val_accuracy: \d\.\d{4})$"
)


def baseline() -> object:
    return models.build_model(learning_rate=0.01)


def quiet(line: str) -> None:
    del line


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_same_call_twice_gives_identical_history(dataset: data.Dataset) -> None:
    first = training.train(baseline, dataset, epochs=2, batch_size=16, emit=quiet)
    second = training.train(baseline, dataset, epochs=2, batch_size=16, emit=quiet)
    assert first.history == second.history
    assert len(first.history["loss"]) == 2
    assert set(first.history) == {"loss", "accuracy", "val_loss", "val_accuracy"}
    assert not first.replayed
    assert not second.replayed


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_another_seed_gives_another_history(dataset: data.Dataset) -> None:
    first = training.train(baseline, dataset, epochs=1, batch_size=16, seed=0, emit=quiet)
    second = training.train(baseline, dataset, epochs=1, batch_size=16, seed=1, emit=quiet)
    assert first.history["loss"] != second.history["loss"]
    assert first.key != second.key


@pytest.mark.training
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
    assert record.total_seconds < sum(record.epoch_seconds) + 60  # the fit, not a clock reading
    assert dt.datetime.fromisoformat(record.created).utcoffset() == dt.timedelta(0)
    assert record.final("val_accuracy") == record.history["val_accuracy"][-1]
    with pytest.raises(ValueError, match="metric"):
        record.final("precision")


@pytest.mark.training
def test_cache_miss_then_hit(
    dataset: data.Dataset, run_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    first = training.train(baseline, dataset, epochs=1, batch_size=16)
    capsys.readouterr()
    assert not first.replayed
    assert (run_cache / first.key / "record.json").is_file()

    def no_fit(*args: object, **kwargs: object) -> training.RunRecord:
        raise AssertionError("a cache hit must not train")

    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "_fit", no_fit)
        second = training.train(baseline, dataset, epochs=1, batch_size=16)
    printed = capsys.readouterr().out.splitlines()

    assert second.replayed
    assert second.history == first.history
    assert second.epoch_seconds == first.epoch_seconds
    assert second.log_lines == first.log_lines
    assert printed[:-1] == first.log_lines
    assert "replayed from the run cache" in printed[-1]
    assert first.created in printed[-1]
    events = runcache.read_events(run_cache)
    assert [event["event"] for event in events] == ["miss", "hit"]
    assert {event["key"] for event in events} == {first.key}
    # Both lines carry the run's training time and epochs (bench_docs adds them up).
    for event in events:
        assert event["epochs"] == 1
        assert event["total_seconds"] == first.total_seconds

    # The stored model is the trained one.
    trained = first.load_model().predict(dataset.x_test, verbose=0)
    restored = second.load_model().predict(dataset.x_test, verbose=0)
    np.testing.assert_allclose(restored, trained, rtol=1e-6)


@pytest.mark.training
def test_a_model_file_changed_after_its_entry_was_read_is_not_loaded(
    dataset: data.Dataset, run_cache: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    training.train(baseline, dataset, epochs=1, batch_size=16)
    replayed = training.train(baseline, dataset, epochs=1, batch_size=16)
    assert replayed.replayed
    assert replayed.directory is not None
    # Another process (or a hand) replaces the file between the read and the load.
    model_file = replayed.directory / records.MODEL_FILE
    model_file.write_bytes(model_file.read_bytes() + b"\0")
    with pytest.raises(RuntimeError, match=r"is not the one its record\.json names"):
        replayed.load_model()


@pytest.mark.parametrize(
    ("build", "change"),
    [
        (lambda: models.build_model(learning_rate=0.02), {}),
        (lambda: models.build_model(learning_rate=0.01, momentum=0.5), {}),
        (lambda: models.build_model(conv_filters=(16,)), {}),
        (baseline, {"epochs": 2}),
        (baseline, {"batch_size": 8}),
        (baseline, {"seed": 3}),
        (baseline, {"data_seed": 1}),
    ],
    ids=["learning_rate", "momentum", "architecture", "epochs", "batch_size", "seed", "data"],
)
def test_any_key_input_changes_the_key(
    make_dataset: Callable[..., data.Dataset],
    dataset: data.Dataset,
    build: object,
    change: dict[str, object],
) -> None:
    import keras

    def key_of(builder: object, **settings: object) -> str:
        keras.utils.set_random_seed(int(settings.get("seed", 0)))  # type: ignore[call-overload]
        model = builder()  # type: ignore[operator]
        return training.run_key(
            model,
            make_dataset(seed=settings["data_seed"]) if "data_seed" in settings else dataset,
            epochs=settings.get("epochs", 1),  # type: ignore[arg-type]
            batch_size=settings.get("batch_size", 16),  # type: ignore[arg-type]
            seed=settings.get("seed", 0),  # type: ignore[arg-type]
        )[0]

    reference = key_of(baseline)
    assert key_of(baseline) == reference
    assert key_of(build, **change) != reference


@pytest.mark.training
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
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(run_cache))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)

    # Nothing but the lock file is left behind, and the next call trains.
    assert [path.name for path in run_cache.iterdir() if not path.name.endswith(".lock")] == []
    record = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    assert not record.replayed


@pytest.mark.training
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


@pytest.mark.training
def test_waits_for_the_lock_and_replays_the_other_writer(
    dataset: data.Dataset, run_cache: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # First produce a valid entry, then hide it while "another process" holds the lock.
    first = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    entry = run_cache / first.key
    hidden = run_cache / "hidden"
    entry.rename(hidden)

    fits: list[str] = []
    real_fit = runner._fit

    def counting_fit(*args: object, **kwargs: object) -> training.RunRecord:
        fits.append("fit")
        return real_fit(*args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(runner, "_fit", counting_fit)
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


@pytest.mark.training
def test_draft_mode_caps_epochs_and_uses_its_own_cache(
    dataset: data.Dataset, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config.ENV_RUN_CACHE, raising=False)
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(tmp_path))
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    assert config.run_cache_dir() == tmp_path / "runs-draft"
    record = training.train(baseline, dataset, epochs=10, batch_size=16, emit=quiet)
    assert record.epochs == 2
    assert (tmp_path / "runs-draft" / record.key).is_dir()
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "0")
    assert config.run_cache_dir() == tmp_path / "runs"


def test_cache_can_be_disabled_or_moved(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv(config.ENV_RUN_CACHE, "off")
    assert config.run_cache_dir() is None
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(tmp_path / "elsewhere"))
    assert config.run_cache_dir() == tmp_path / "elsewhere"


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


# -- The faster fitting path, thread pinning and parallel runs -----------------


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_fitting_path_computes_what_plain_fit_computes(dataset: data.Dataset) -> None:
    import keras

    record = training.train(baseline, dataset, epochs=2, batch_size=16, seed=5, emit=quiet)
    keras.backend.clear_session()
    keras.utils.set_random_seed(5)
    model = baseline()
    history = model.fit(  # type: ignore[attr-defined]
        dataset.x_train,
        dataset.y_train,
        batch_size=16,
        epochs=2,
        validation_data=(dataset.x_test, dataset.y_test),
        verbose=0,
    )
    expected = {
        name: [float(value) for value in history.history[name]] for name in training.METRICS
    }
    assert record.history == expected
    assert record.settings["steps_per_execution"] == training.STEPS_PER_EXECUTION > 1


def _train_two(arrays_path: str, n_jobs: int | None = None) -> list[list[object]]:
    """Train two seeds of the baseline on the saved arrays; what the tests compare.

    Run here, and as SCRIPT in other processes: it uses only the names that
    SCRIPT imports.
    """
    arrays = np.load(arrays_path)
    dataset = data.preprocess(arrays["xa"], arrays["ya"], arrays["xb"], arrays["yb"])
    runs = [
        training.RunConfig(models.build_model, epochs=2, batch_size=16, seed=seed)
        for seed in (0, 1)
    ]
    records = training.train_many(runs, dataset, n_jobs=n_jobs, emit=lambda line: None)
    return [
        [r.key, r.history, r.replayed, r.settings["threads"], r.final_weights_sha256]
        for r in records
    ]


SCRIPT = "\n".join(
    [
        "import json, sys",
        "import numpy as np",
        "from mnist_tutorial import data, models, training",
        inspect.getsource(_train_two),
        "print(json.dumps(_train_two(sys.argv[1])))",
    ]
)


def _write_inputs(tmp_path: Path) -> tuple[Path, Path]:
    rng = np.random.default_rng(0)
    arrays = tmp_path / "arrays.npz"
    np.savez(
        arrays,
        xa=rng.integers(0, 256, size=(64, 28, 28), dtype=np.uint8),
        ya=rng.integers(0, 10, size=64),
        xb=rng.integers(0, 256, size=(32, 28, 28), dtype=np.uint8),
        yb=rng.integers(0, 10, size=32),
    )
    script = tmp_path / "train_two.py"
    script.write_text(SCRIPT)
    return script, arrays


def _start(script: Path, arrays: Path, **env: str) -> subprocess.Popen[str]:
    environment = {**os.environ, "TF_CPP_MIN_LOG_LEVEL": "3", **env}
    return subprocess.Popen(
        [sys.executable, str(script), str(arrays)],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def _result(process: subprocess.Popen[str]) -> list[list[object]]:
    out, err = process.communicate(timeout=300)
    assert process.returncode == 0, err
    return json.loads(out.splitlines()[-1])  # type: ignore[no-any-return]


@pytest.mark.training
def test_two_processes_train_a_configuration_once(tmp_path: Path) -> None:
    script, arrays = _write_inputs(tmp_path)
    cache = tmp_path / "runs"
    env = {"MNIST_TUTORIAL_RUN_CACHE": str(cache), "MNIST_TUTORIAL_WORKERS": "1"}
    first, second = _start(script, arrays, **env), _start(script, arrays, **env)
    results = [_result(first), _result(second)]

    events = runcache.read_events(cache)
    assert sorted(event["event"] for event in events) == ["hit", "hit", "miss", "miss"]
    misses = [event["key"] for event in events if event["event"] == "miss"]
    assert len(set(misses)) == 2  # each configuration was trained exactly once
    for index in range(2):
        assert results[0][index][1] == results[1][index][1]
        assert {results[0][index][2], results[1][index][2]} == {True, False}


@pytest.mark.training
def test_parallel_runs_give_the_records_of_sequential_runs(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    script, arrays = _write_inputs(tmp_path)
    # One after the other in a fresh process, while this one trains the same
    # runs side by side in two workers; their caches are apart.
    started = _start(
        script,
        arrays,
        MNIST_TUTORIAL_RUN_CACHE=str(tmp_path / "sequential"),
        MNIST_TUTORIAL_WORKERS="1",
    )
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(tmp_path / "parallel"))
    monkeypatch.delenv(config.ENV_THREADS, raising=False)
    monkeypatch.delenv(config.ENV_INTER_OP_THREADS, raising=False)
    parallel = json.loads(json.dumps(_train_two(str(arrays), n_jobs=2)))
    sequential = _result(started)
    assert parallel == sequential
    assert [run[3] for run in parallel] == [{"intra_op": 1, "inter_op": 2}] * 2
    assert parallel[0][1] != parallel[1][1]  # two seeds, two histories


@pytest.mark.training
def test_workers_train_misses_and_return_records_in_order(
    dataset: data.Dataset,
    run_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (2, 1, 0)]
    monkeypatch.setenv(config.ENV_PROGRESS, "0")
    first = training.train_many(runs[1:2], dataset, n_jobs=2)  # seed 1 is now cached
    capsys.readouterr()
    records = training.train_many(runs, dataset, n_jobs=2)
    printed = capsys.readouterr().out.splitlines()

    assert [record.settings["seed"] for record in records] == [2, 1, 0]
    assert [record.replayed for record in records] == [False, True, False]
    assert records[1].history == first[0].history
    assert all(record.settings["threads"] == {"intra_op": 1, "inter_op": 2} for record in records)
    expected = [*records[0].log_lines, *records[1].log_lines]
    assert printed[: len(expected)] == expected
    assert "replayed from the run cache" in printed[len(expected)]
    assert printed[len(expected) + 1 :] == records[2].log_lines
    # A worker's model comes back through the cache entry.
    assert records[0].directory == run_cache / records[0].key
    assert records[0].load_model().count_params() == 542_230


@pytest.mark.training
def test_a_cached_batch_is_replayed_here_without_starting_workers(
    dataset: data.Dataset,
    run_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (0, 1)]
    first = training.train_many(runs, dataset, n_jobs=2, emit=quiet)

    dispatched: list[object] = []

    class NoWorkers:
        def __init__(self, n_jobs: int, **options: object) -> None:
            del n_jobs, options

        def __call__(self, tasks: object) -> list[object]:
            dispatched.extend(tasks)  # type: ignore[call-overload]
            return []

    monkeypatch.setattr(training.joblib, "Parallel", NoWorkers)
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    # Even where this process's own TensorFlow started with other kernels (a
    # notebook that imported keras first): runs bound for workers are keyed
    # with the workers' kernels, so the parent finds what they stored.
    monkeypatch.setattr(mnist_tutorial, "TENSORFLOW_STARTED_FIRST", True)
    monkeypatch.setattr(mnist_tutorial, "ONEDNN_SETTING_AT_START", "0")
    assert identity.instruction_set() != identity.instruction_set(new_process=True)
    capfd.readouterr()
    again = training.train_many(runs, dataset, n_jobs=2, emit=quiet)

    assert dispatched == []
    assert [record.replayed for record in again] == [True, True]
    assert [record.history for record in again] == [record.history for record in first]
    progress = [line for line in capfd.readouterr().err.splitlines() if "mnist_tutorial:" in line]
    assert progress == [
        f"mnist_tutorial: run {number}/2 replayed {training.describe(record.settings)} "
        "from the run cache"
        for number, record in enumerate(again, start=1)
    ]
    # The hits logged here carry each run's training time and epochs, as
    # the hits of a run trained in this process do (bench_docs adds them up).
    hits = [event for event in runcache.read_events(run_cache) if event["event"] == "hit"]
    assert [(event["key"], event["epochs"], event["total_seconds"]) for event in hits] == [
        (record.key, 1, record.total_seconds) for record in first
    ]


@pytest.mark.training
def test_progress_says_where_the_batch_stands(
    dataset: data.Dataset,
    run_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (0, 1)]
    # In a worker process, so that its key has the configured thread counts.
    training.train_many(runs[:1], dataset, n_jobs=2, emit=quiet)
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    capfd.readouterr()
    with joblib.parallel_config(backend="sequential"):
        records = training.train_many(runs, dataset, n_jobs=2, emit=quiet)

    progress = [line for line in capfd.readouterr().err.splitlines() if "mnist_tutorial:" in line]
    names = [training.describe(record.settings) for record in records]
    assert progress[:3] == [
        f"mnist_tutorial: run 1/2 replayed {names[0]} from the run cache",
        "mnist_tutorial: 2 runs: 1 replayed, 1 to train (1 epochs) in up to 2 processes",
        f"mnist_tutorial: training run 2/2 {names[1]}: 1 epochs",
    ]
    assert progress[3].startswith(f"mnist_tutorial:   run 2/2 {names[1]}: epoch 1/1 in ")


@pytest.mark.training
def test_progress_tells_the_batchs_time_left_as_each_run_finishes(
    dataset: data.Dataset,
    run_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    del run_cache
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (0, 1)]
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    capfd.readouterr()
    with joblib.parallel_config(backend="sequential"):
        training.train_many(runs, dataset, n_jobs=2, emit=quiet)

    progress = [line for line in capfd.readouterr().err.splitlines() if "mnist_tutorial:" in line]
    batch = [line for line in progress if " runs trained" in line]
    assert len(batch) == 2
    assert re.fullmatch(
        r"mnist_tutorial: 1 of 2 runs trained; about \d+ s left for the other 1", batch[0]
    )
    assert re.fullmatch(r"mnist_tutorial: 2 of 2 runs trained in \d+ s", batch[1])
    # Each comes after the run it counts has trained.
    assert progress.index(batch[0]) > min(
        index for index, line in enumerate(progress) if "epoch 1/1 in" in line
    )


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_progress_of_runs_trained_here_says_which_run_it_is(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (0, 1)]
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    capfd.readouterr()
    records = training.train_many(runs, dataset, n_jobs=1, emit=quiet)

    progress = [line for line in capfd.readouterr().err.splitlines() if "mnist_tutorial:" in line]
    names = [training.describe(record.settings) for record in records]
    assert [line for line in progress if "training" in line] == [
        f"mnist_tutorial: training run {number}/2 {name}: 1 epochs"
        for number, name in enumerate(names, start=1)
    ]
    assert progress[1].startswith(f"mnist_tutorial:   run 1/2 {names[0]}: epoch 1/1 in ")


def test_the_scratch_folder_is_made_once_and_removed_at_exit(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    registered: list[tuple[tuple[object, ...], dict[str, object]]] = []
    monkeypatch.setattr(training, "_SCRATCH", [])
    monkeypatch.setattr(training.tempfile, "tempdir", str(tmp_path))
    monkeypatch.setattr(
        training.atexit, "register", lambda *args, **kwargs: registered.append((args, kwargs))
    )
    folder = training._scratch_dir()
    assert training._scratch_dir() == folder
    assert folder.is_dir()
    assert folder.parent == tmp_path
    assert folder.name.startswith("mnist-tutorial-runs-")
    assert registered == [((shutil.rmtree, folder), {"ignore_errors": True})]


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_workers_without_a_cache_still_return_the_model(dataset: data.Dataset) -> None:
    [record] = training.train_many(
        [training.RunConfig(baseline, epochs=1, batch_size=16)], dataset, n_jobs=2, emit=quiet
    )
    assert not record.replayed
    assert record.directory is not None
    predictions = record.load_model().predict(dataset.x_test, verbose=0)
    assert predictions.shape == (32, 10)


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_progress_goes_to_the_terminal_not_the_log(
    dataset: data.Dataset, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    lines: list[str] = []
    record = training.train(baseline, dataset, epochs=2, batch_size=16, emit=lines.append)
    captured = capfd.readouterr()
    assert lines == record.log_lines
    assert not any("mnist_tutorial:" in line for line in lines)
    progress = [line for line in captured.err.splitlines() if line.startswith("mnist_tutorial:")]
    assert "SGD lr=0.01" in progress[0]
    assert re.search(r"epoch 1/2 in \d+\.\d s, val_accuracy \d\.\d{4}; about .* left", progress[1])
    assert "epoch 2/2" in progress[2]

    monkeypatch.setenv(config.ENV_PROGRESS, "0")
    training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    assert "mnist_tutorial:" not in capfd.readouterr().err


# --------------------------------------------------------------------------- issue 12 gaps


@pytest.mark.training
def test_log_false_emits_only_a_summary_line(dataset: data.Dataset, run_cache: Path) -> None:
    trained: list[str] = []
    record = training.train(
        baseline, dataset, epochs=2, batch_size=16, log=False, emit=trained.append
    )
    assert len(trained) == 1
    assert trained[0].startswith("(trained 2 epochs in ")
    assert f"val_accuracy {record.final('val_accuracy'):.4f}" in trained[0]
    assert len(record.log_lines) == 4  # the lines are still kept in the record

    replayed: list[str] = []
    again = training.train(
        baseline, dataset, epochs=2, batch_size=16, log=False, emit=replayed.append
    )
    assert again.replayed
    assert len(replayed) == 1
    assert replayed[0].startswith("(replayed from the run cache: trained ")

    shown: list[str] = []
    training.train(baseline, dataset, epochs=2, batch_size=16, log=True, emit=shown.append)
    assert shown[:-1] == record.log_lines
    assert shown[-1].startswith("(replayed from the run cache")


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_log_true_without_a_cache_emits_the_epoch_lines_only(dataset: data.Dataset) -> None:
    shown: list[str] = []
    record = training.train(baseline, dataset, epochs=2, batch_size=16, emit=shown.append)
    assert shown == record.log_lines
    assert [line for line in shown if line.startswith("Epoch")] == ["Epoch 1/2", "Epoch 2/2"]


@pytest.mark.training
def test_a_hit_replays_the_stored_record(dataset: data.Dataset, run_cache: Path) -> None:
    first = training.train(baseline, dataset, epochs=1, batch_size=16, emit=quiet)
    stored = run_cache / first.key / "record.json"
    content = json.loads(stored.read_text())
    content["history"]["val_accuracy"] = [0.125]
    content["log_lines"] = ["Epoch 1/1", "as stored"]
    stored.write_text(json.dumps(content))

    def no_fit(*args: object, **kwargs: object) -> training.RunRecord:
        raise AssertionError("a cache hit must not train")

    shown: list[str] = []
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(runner, "_fit", no_fit)
        second = training.train(baseline, dataset, epochs=1, batch_size=16, emit=shown.append)

    assert second.replayed
    assert second.history["val_accuracy"] == [0.125]
    assert second.history["loss"] == first.history["loss"]
    assert shown[:2] == ["Epoch 1/1", "as stored"]
    assert second.directory == run_cache / first.key


def test_train_trains_the_homeworks_fit_by_default(
    handmade_record: Callable[..., training.RunRecord],
    dataset: data.Dataset,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    calls: list[tuple[list[training.RunConfig], dict[str, object]]] = []

    def fake_train_many(
        runs: list[training.RunConfig], chosen: object, **options: object
    ) -> list[training.RunRecord]:
        calls.append((runs, options))
        return [handmade_record()]

    monkeypatch.setattr(training, "train_many", fake_train_many)
    record = training.train(baseline, dataset)
    [(runs, options)] = calls
    assert runs == [training.RunConfig(baseline, epochs=10, batch_size=32, seed=0)]
    assert options == {"log": True, "emit": None}
    assert record == handmade_record()


@pytest.mark.parametrize("draft", [False, True])
def test_train_many_caps_epochs_only_in_draft_mode(
    handmade_record: Callable[..., training.RunRecord],
    dataset: data.Dataset,
    monkeypatch: pytest.MonkeyPatch,
    draft: bool,
) -> None:
    monkeypatch.setenv(config.ENV_DRAFT, "1" if draft else "0")
    given: list[int] = []

    def fake_task(
        run: training.RunConfig, chosen: object, *, epochs: int, **options: object
    ) -> training.RunRecord:
        given.append(epochs)
        return handmade_record(log_lines=[])

    monkeypatch.setattr(runner, "train_run", fake_task)
    runs = [training.RunConfig(baseline, epochs=count) for count in (1, config.DRAFT_EPOCHS + 3)]
    training.train_many(runs, dataset, emit=quiet, n_jobs=1)
    assert given == ([1, config.DRAFT_EPOCHS] if draft else [1, config.DRAFT_EPOCHS + 3])


@pytest.mark.parametrize(("n_jobs", "workers", "expected"), [(3, "1", 3), (None, "2", 2)])
def test_train_many_gives_the_workers_their_number(
    handmade_record: Callable[..., training.RunRecord],
    dataset: data.Dataset,
    monkeypatch: pytest.MonkeyPatch,
    n_jobs: int | None,
    workers: str,
    expected: int,
) -> None:
    monkeypatch.setenv(config.ENV_WORKERS, workers)
    given: list[int] = []

    def fake_workers(
        runs: list[object], chosen: object, epochs: list[int], jobs: int, options: object
    ) -> list[training.RunRecord]:
        given.append(jobs)
        return [handmade_record(log_lines=[]) for _ in runs]

    monkeypatch.setattr(training, "_train_in_workers", fake_workers)
    training.train_many([training.RunConfig(baseline)], dataset, emit=quiet, n_jobs=n_jobs)
    assert given == [expected]


# --------------------------------------------------------------------------- issue 19: hand-made bugs
# Each test below fails with a bug a maintainer could plausibly write; the bugs
# themselves are kept in tools/semantic_mutants.py (`nox -s mutants -- --semantic`).


# --------------------------------------------------------------------------- seeding and scale-out on Dask


def _weights_digest(record: training.RunRecord) -> str:
    digest = hashlib.sha256()
    for weight in record.load_model().get_weights():
        digest.update(np.ascontiguousarray(weight).tobytes())
    return digest.hexdigest()


@pytest.mark.training
@pytest.mark.timeout(300)
def test_a_dask_cluster_trains_the_records_of_the_local_backend(
    make_dataset: Callable[..., data.Dataset], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # The README's claim, on a real dask.distributed cluster (two worker
    # processes on this machine): joblib's Dask backend trains the runs, with
    # the same keys, histories and weights as joblib's local process pool.
    from distributed import Client, LocalCluster, get_task_stream

    dataset = make_dataset()
    build = functools.partial(models.build_model, learning_rate=0.01)  # importable by the workers
    runs = [training.RunConfig(build, epochs=1, batch_size=16, seed=seed) for seed in (0, 1, 2)]
    monkeypatch.setenv(config.ENV_PROGRESS, "0")

    monkeypatch.setenv(config.ENV_RUN_CACHE, str(tmp_path / "local"))
    local = training.train_many(runs, dataset, n_jobs=2, emit=quiet)  # loky, joblib's default

    cache = tmp_path / "dask"
    monkeypatch.setenv(config.ENV_RUN_CACHE, str(cache))
    with (
        LocalCluster(
            n_workers=2,
            threads_per_worker=1,
            processes=True,
            memory_limit="3GiB",
            dashboard_address=None,
        ) as cluster,
        Client(cluster) as client,
        get_task_stream(client) as tasks,
        joblib.parallel_config(backend="dask"),
    ):
        remote = training.train_many(runs, dataset, n_jobs=2, emit=quiet)
        workers = set(cluster.scheduler_info["workers"])

    # The runs went to the cluster's workers, not to this process.
    assert tasks.data
    assert {task["worker"] for task in tasks.data} <= workers
    assert [record.replayed for record in remote] == [False] * 3
    # Bit for bit the local backend's records, with the threads pinned on the workers.
    for theirs, ours in zip(remote, local, strict=True):
        assert theirs.key == ours.key
        assert theirs.settings == ours.settings
        assert theirs.history == ours.history
        assert theirs.n_params == ours.n_params
        assert _weights_digest(theirs) == _weights_digest(ours)
    assert len({record.key for record in remote}) == 3
    # The cluster's cache holds each run once: one entry and one training (miss) each.
    assert sorted(path.name for path in cache.iterdir() if path.is_dir()) == sorted(
        record.key for record in remote
    )
    events = runcache.read_events(cache)
    assert sorted((event["event"], event["key"]) for event in events) == sorted(
        ("miss", record.key) for record in remote
    )


@pytest.mark.training
@pytest.mark.usefixtures("no_cache")
def test_the_worker_path_follows_joblibs_backend_and_leaves_models_on_disk(
    dataset: data.Dataset, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    # joblib's sequential backend runs the workers' task in this process.
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    runs = [training.RunConfig(baseline, epochs=1, batch_size=16, seed=seed) for seed in (0, 1)]
    with joblib.parallel_config(backend="sequential"):
        records = training.train_many(runs, dataset, n_jobs=2, emit=quiet)

    assert [record.settings["seed"] for record in records] == [0, 1]
    for record in records:
        # The cache is off: the model went to the scratch folder, not back in memory.
        assert record._model is None
        assert record.directory == training._scratch_dir() / record.key
        assert (record.directory / "model.keras").is_file()
        assert record.load_model().count_params() == 542_230
    progress = capfd.readouterr().err
    assert progress.count("mnist_tutorial: training ") == 2  # one announcement per run


@pytest.mark.training
def test_a_worker_replays_a_run_that_another_process_finished_meanwhile(
    dataset: data.Dataset,
    run_cache: Path,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    run = training.RunConfig(baseline, epochs=1, batch_size=16, seed=0)
    with joblib.parallel_config(backend="sequential"):
        [first] = training.train_many([run], dataset, n_jobs=2, emit=quiet)
    assert first.directory == run_cache / first.key
    # The caller looked before the other process wrote the entry: the worker finds it.
    monkeypatch.setattr(runner, "lookup_run", lambda *arguments: None)
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    capfd.readouterr()
    with joblib.parallel_config(backend="sequential"):
        [again] = training.train_many([run], dataset, n_jobs=2, emit=quiet)

    assert again.replayed
    assert again.history == first.history
    assert again.directory == run_cache / first.key
    label = training.describe(first.settings)
    assert f"mnist_tutorial: run 1/1 replayed {label} from the run cache" in capfd.readouterr().err


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        (
            {"runs": ["a run"]},
            TypeError,
            "runs must be a sequence of mnist_tutorial.training.RunConfig",
        ),
        (
            {"dataset": (1, 2)},
            TypeError,
            "dataset must be a mnist_tutorial.data.Dataset, got tuple",
        ),
        ({"n_jobs": 0}, ValueError, "n_jobs must be an int >= 1, got 0"),
        ({"n_jobs": "2"}, TypeError, "n_jobs must be an int >= 1, got str"),
    ],
)
def test_train_many_names_the_bad_argument_and_what_it_accepts(
    dataset: data.Dataset, arguments: dict[str, object], error: type[Exception], message: str
) -> None:
    call: dict[str, object] = {"runs": [], "dataset": dataset, **arguments}
    with pytest.raises(error, match=f"^{re.escape(message)}$"):
        training.train_many(**call)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- a page's own fit


@pytest.mark.training
@pytest.mark.usefixtures("run_cache")
def test_a_page_fit_defined_in_a_function_trains_in_workers_like_the_package_fit(
    dataset: data.Dataset,
) -> None:
    # Defined here, as on a page (__main__) or in a notebook: loky sends it by value.
    def fit(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(
            x_train,
            y_train,
            batch_size=16,
            epochs=2,
            validation_data=(x_test, y_test),
            callbacks=callbacks,
            verbose=0,
        )

    page_run = training.RunConfig(baseline, epochs=2, batch_size=16, seed=3, fit=fit)
    [page] = training.train_many([page_run], dataset, n_jobs=2, emit=quiet)
    package_run = training.RunConfig(baseline, epochs=2, batch_size=16, seed=3)
    [package] = training.train_many([package_run], dataset, n_jobs=2, emit=quiet)
    # The same model.fit call, written on a page: one run, trained once.
    assert not page.replayed
    assert package.replayed
    assert package.key == page.key
    assert page.settings["fit"] == training.fit_call(fit, dataset, epochs=2, batch_size=16)
    assert page.history == package.history
    assert (page.settings["epochs"], page.settings["batch_size"]) == (2, 16)
    assert all(LINE.match(line) for line in page.log_lines)


def test_draft_mode_caps_the_epochs_of_every_run(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    runs = [
        training.RunConfig(baseline, epochs=10),
        training.RunConfig(baseline, epochs=10, fit=lambda *arguments: None),
        training.RunConfig(baseline, epochs=1),
    ]
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    assert training._epochs_to_train(runs) == [10, 10, 1]
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    assert training._epochs_to_train(runs) == [config.DRAFT_EPOCHS, config.DRAFT_EPOCHS, 1]


# --------------------------------------------------------------------------- one printing layer


@pytest.mark.usefixtures("no_cache")
def test_train_records_prints_nothing_and_train_many_prints_the_logs(
    handmade_record: Callable[..., training.RunRecord],
    dataset: data.Dataset,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def handmade_task(run: training.RunConfig, *args: object, **kwargs: object) -> object:
        return handmade_record(settings={"seed": run.seed})

    monkeypatch.setattr(runner, "train_run", handmade_task)
    runs = [training.RunConfig(baseline, seed=seed) for seed in (1, 2)]
    records = training.train_records(runs, dataset, n_jobs=1)
    assert [record.settings["seed"] for record in records] == [1, 2]
    assert capsys.readouterr().out == ""
    training.train_many(runs, dataset, n_jobs=1)
    assert capsys.readouterr().out == "Epoch 1/2\nEpoch 2/2\n" * 2


def test_publishing_fills_in_the_final_weights_of_a_record_stored_without_them(
    handmade_record: Callable[..., training.RunRecord],
) -> None:
    model = models.build_model()
    old = handmade_record(final_weights_sha256="")
    old._model = model
    recorded = handmade_record(final_weights_sha256="a" * 64)
    recorded._model = model
    assert training._with_final_weights([old, recorded]) == [old, recorded]
    assert old.final_weights_sha256 == training.weights_sha256(model)
    assert recorded.final_weights_sha256 == "a" * 64
