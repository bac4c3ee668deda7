"""Tests for mnist_tutorial.replicates, on synthetic run records."""

from __future__ import annotations

import functools
import json
import math

import numpy as np
import pytest

from mnist_tutorial import data, models, published, replicates, training
from mnist_tutorial.replicates import Replicates


def record(seed: int, val_accuracy: list[float], *, replayed: bool = False) -> training.RunRecord:
    epochs = len(val_accuracy)
    history = {
        "loss": [1.0 / (epoch + 1) + seed for epoch in range(epochs)],
        "accuracy": [value - 0.01 for value in val_accuracy],
        "val_loss": [2.0 / (epoch + 1) for epoch in range(epochs)],
        "val_accuracy": list(val_accuracy),
    }
    return training.RunRecord(
        key=f"key-{seed}-{val_accuracy[-1]}",
        settings={"seed": seed},
        history=history,
        epoch_seconds=[1.0] * epochs,
        total_seconds=float(epochs),
        n_params=10,
        log_lines=[f"Epoch {epoch + 1}/{epochs} seed {seed}" for epoch in range(epochs)],
        created="2026-11-29T00:00:00+00:00",
        replayed=replayed,
    )


def group(label: str, finals: list[float]) -> Replicates:
    return Replicates(label, tuple(record(seed, [0.5, final]) for seed, final in enumerate(finals)))


def test_summaries_over_seeds() -> None:
    runs = group("a", [0.90, 0.94, 0.92])
    assert runs.seeds == (0, 1, 2)
    np.testing.assert_allclose(runs.at("val_accuracy"), [0.90, 0.94, 0.92])
    np.testing.assert_allclose(runs.at("val_accuracy", epoch=0), [0.5, 0.5, 0.5])
    assert runs.mean("val_accuracy") == pytest.approx(0.92)
    assert runs.low("val_accuracy") == pytest.approx(0.90)
    assert runs.high("val_accuracy") == pytest.approx(0.94)
    assert runs.spread("val_accuracy") == pytest.approx(0.04)
    assert runs.curves("val_accuracy").shape == (3, 2)
    assert runs.first is runs.records[0]
    assert runs.histories[1] == runs.records[1].history
    # Every summary reads the epoch it is given; -2 is the first of two epochs.
    for summary in (runs.low, runs.high, runs.mean):
        assert summary("val_accuracy", epoch=0) == pytest.approx(0.5)
    assert runs.spread("val_accuracy", epoch=0) == pytest.approx(0.0)
    np.testing.assert_allclose(runs.at("val_accuracy", epoch=-2), [0.5, 0.5, 0.5])
    with pytest.raises(ValueError, match="epoch must index one of 2 epochs, got -3"):
        runs.at("val_accuracy", epoch=-3)


def test_highest_mean_picks_by_the_mean_and_keeps_the_first_of_equals() -> None:
    groups = {
        "a": group("a", [0.90, 0.99, 0.90]),  # mean 0.93, best single seed
        "b": group("b", [0.94, 0.94, 0.94]),  # mean 0.94
        "c": group("c", [0.95, 0.93, 0.94]),  # mean 0.94, equal to b
    }
    assert replicates.highest_mean(groups, "val_accuracy") == "b"
    assert replicates.highest_mean({"c": groups["c"], "b": groups["b"]}, "val_accuracy") == "c"
    # After the first epoch every group is at 0.5: the first wins.
    assert replicates.highest_mean(groups, "val_accuracy", epoch=0) == "a"
    assert replicates.highest_mean(groups, "loss") == "a"  # loss grows with the seed


@pytest.mark.parametrize(
    ("groups", "error", "match"),
    [
        ({}, ValueError, r"^groups must be a non-empty mapping of labels to Replicates$"),
        ({"a": [1]}, TypeError, r"^groups\['a'\] must be Replicates, got list$"),
    ],
)
def test_highest_mean_rejects_bad_input(groups: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        replicates.highest_mean(groups, "val_accuracy")  # type: ignore[arg-type]


def test_bad_arguments_are_rejected() -> None:
    runs = group("a", [0.9, 0.91])
    with pytest.raises(ValueError, match="metric"):
        runs.at("precision")
    with pytest.raises(ValueError, match="epoch"):
        runs.at("val_accuracy", epoch=2)
    with pytest.raises(TypeError, match=r"^records must be a non-empty tuple of RunRecord$"):
        Replicates("empty", ())


def tiny_dataset() -> data.Dataset:
    rng = np.random.default_rng(0)
    return data.preprocess(
        rng.integers(0, 256, size=(16, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=16),
        rng.integers(0, 256, size=(8, 28, 28), dtype=np.uint8),
        rng.integers(0, 10, size=8),
    )


def test_train_replicates_trains_everything_in_one_call(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[training.RunConfig]] = []

    def fake_train_records(
        runs: list[training.RunConfig], dataset: object, **kwargs: object
    ) -> list:
        calls.append(list(runs))
        return [
            record(run.seed, [0.5, 0.9 + run.epochs / 100], replayed=run.seed == 11) for run in runs
        ]

    monkeypatch.setattr(training, "train_records", fake_train_records)
    monkeypatch.setenv("MNIST_TUTORIAL_SEED_OFFSET", "10")
    lines: list[str] = []
    builds = {
        "x": functools.partial(models.build_model, learning_rate=0.1),
        "y": functools.partial(models.build_model, learning_rate=0.3),
    }
    result = replicates.train_replicates(builds, tiny_dataset(), epochs=3, emit=lines.append)

    assert len(calls) == 1
    assert [(run.seed, run.epochs) for run in calls[0]] == [(10, 3), (11, 3), (12, 3)] * 2
    assert {run.batch_size for run in calls[0]} == {32}
    assert [run.build for run in calls[0][:3]] == [builds["x"]] * 3
    assert list(result) == ["x", "y"]
    assert (result["x"].label, result["y"].label) == ("x", "y")
    assert result["x"].seeds == (10, 11, 12)
    # Per configuration: a heading, the first seed's full log, one line per other seed.
    first = result["x"].first
    assert lines[: 2 + len(first.log_lines)] == ["x:", "seed 10:", *first.log_lines]
    # A replayed seed and a trained one read the same on the page: provenance
    # is a build fact, for the terminal.
    assert lines[2 + len(first.log_lines)] == (
        "seed 11: 2 epochs, accuracy 0.9200, val_accuracy 0.9300"
    )
    assert lines[3 + len(first.log_lines)] == (
        "seed 12: 2 epochs, accuracy 0.9200, val_accuracy 0.9300"
    )
    assert not any("replayed" in line or "run cache" in line for line in lines)
    assert lines[4 + len(first.log_lines)] == "y:"

    lines.clear()
    replicates.train_replicates(builds, tiny_dataset(), epochs=3, log=False, emit=lines.append)
    assert lines[0] == "x:"
    # The homework's defaults: 10 epochs; a batch size passed on as given.
    replicates.train_replicates(builds, tiny_dataset(), batch_size=64, emit=lines.append)
    assert {(run.epochs, run.batch_size) for run in calls[-1]} == {(10, 64)}
    assert all(line.startswith("seed 1") for line in lines[1:4])


def test_train_replicates_ends_with_the_comparison_with_the_site(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def fake_train_records(
        runs: list[training.RunConfig], dataset: object, **kwargs: object
    ) -> list:
        made = [record(run.seed, [0.5, 0.97]) for run in runs]
        for run in made:
            run.settings = {"seed": run.settings["seed"], "epochs": 2, "validation_examples": 100}
        return made

    monkeypatch.setattr(training, "train_records", fake_train_records)
    monkeypatch.setattr(published, "_SITE_RECORDS", [])
    site = fake_train_records([training.RunConfig(models.build_model, seed=0)], None)
    site[0].history["val_accuracy"][-1] = 0.96
    published.use_site_records(
        json.dumps({"format": 1, "records": [published.record_of(run) for run in site]})
    )
    lines: list[str] = []
    replicates.train_replicates(
        {"x": models.build_model}, tiny_dataset(), seeds=(0, 1), emit=lines.append
    )
    # Seed 1 has no site record; seed 0's line comes after the logs.
    assert lines[-1] == (
        "Compared with the site: your seed 0 differs by 0.0100 in final validation accuracy "
        "(1 test image), the site ran one seed of this configuration, so it has no spread "
        "to compare."
    )
    assert lines[-2].startswith("seed 1: 2 epochs")


def test_train_replicates_rejects_bad_arguments() -> None:
    with pytest.raises(ValueError, match="builds"):
        replicates.train_replicates({}, tiny_dataset())
    with pytest.raises(ValueError, match="seeds"):
        replicates.train_replicates({"x": models.build_model}, tiny_dataset(), seeds=(1, 1))


def test_train_replicates_hands_one_fit_to_every_run(monkeypatch: pytest.MonkeyPatch) -> None:
    calls: list[list[training.RunConfig]] = []

    def fake_train_records(
        runs: list[training.RunConfig], dataset: object, **kwargs: object
    ) -> list:
        calls.append(list(runs))
        return [record(run.seed, [0.5, 0.9]) for run in runs]

    def fit(model, x_train, y_train, x_test, y_test, callbacks):
        return model.fit(x_train, y_train, epochs=3, callbacks=callbacks)

    monkeypatch.setattr(training, "train_records", fake_train_records)
    builds = {"x": models.build_model, "y": models.build_model}
    replicates.train_replicates(
        builds, tiny_dataset(), epochs=3, seeds=(0, 1), fit=fit, emit=lambda line: None
    )
    assert [run.fit for run in calls[0]] == [fit] * 4


def test_a_learning_rate_search_trains_each_rate_and_chooses_by_the_mean(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    seen: list[training.RunConfig] = []
    # Final val_accuracy by rate, one per seed: 0.1 has the best seed, 0.3 the best mean.
    finals = {0.03: [0.90, 0.90, 0.90], 0.1: [0.99, 0.85, 0.85], 0.3: [0.92, 0.92, 0.92]}

    trained_on: list[object] = []

    def fake_train_records(
        runs: list[training.RunConfig], dataset: object, **kwargs: object
    ) -> list:
        seen.extend(runs)
        trained_on.append(dataset)
        return [
            record(run.seed, [0.5, finals[run.build.keywords["learning_rate"]][index % 3]])
            for index, run in enumerate(runs)
        ]

    monkeypatch.setattr(training, "train_records", fake_train_records)
    lines: list[str] = []
    dataset = tiny_dataset()
    search = replicates.search_learning_rate(
        models.build_model, [0.03, 0.1, 0.3], dataset, epochs=2, emit=lines.append
    )
    assert trained_on == [dataset]
    assert list(search.runs) == ["lr = 0.03", "lr = 0.1", "lr = 0.3"]
    assert search.rates == {"lr = 0.03": 0.03, "lr = 0.1": 0.1, "lr = 0.3": 0.3}
    assert (search.chosen, search.chosen_rate) == ("lr = 0.3", 0.3)
    assert search.runs["lr = 0.1"].at("val_accuracy").tolist() == finals[0.1]
    assert [(run.epochs, run.build.func) for run in seen] == [(2, models.build_model)] * 9
    assert [run.build.keywords for run in seen[::3]] == [
        {"learning_rate": 0.03},
        {"learning_rate": 0.1},
        {"learning_rate": 0.3},
    ]
    # By default each candidate's first seed shows its full log, as train_replicates does.
    assert lines[:2] == ["lr = 0.03:", "seed 0:"]
    assert "lr = 0.1:" in lines

    lines.clear()
    labelled = replicates.search_learning_rate(
        models.build_model,
        (0.1,),
        tiny_dataset(),
        epochs=2,
        label="{rate:.0e} (search)",
        log=False,
        emit=lines.append,
    )
    assert lines[:2] == [
        "1e-01 (search):",
        "seed 0: 2 epochs, accuracy 0.9800, val_accuracy 0.9900",
    ]
    assert list(labelled.runs) == ["1e-01 (search)"]
    assert labelled.chosen_rate == 0.1


@pytest.mark.parametrize(
    ("arguments", "error", "message"),
    [
        ({"rates": []}, ValueError, "rates must hold at least one learning rate, got an empty"),
        ({"rates": "0.1"}, TypeError, r"rates must be a sequence of learning rates > 0, got '0.1'"),
        ({"rates": 0.1}, TypeError, r"rates must be a sequence of learning rates > 0, got 0.1"),
        ({"rates": [0.1, 0.0]}, ValueError, r"rates\[1\] must be > 0, got 0.0"),
        ({"rates": [0.1, -1]}, ValueError, r"rates\[1\] must be > 0, got -1.0"),
        ({"rates": [math.nan]}, ValueError, r"rates\[0\] must be finite \(> 0\), got nan"),
        ({"rates": [True]}, TypeError, r"rates\[0\] must be a real number \(> 0\), got bool"),
        ({"rates": ["0.1"]}, TypeError, r"rates\[0\] must be a real number \(> 0\), got str"),
        ({"label": "lr"}, ValueError, r"label must be a format string that names \{rate\}"),
        ({"label": 3}, TypeError, r"label must be a format string that names \{rate\}, got 3"),
        ({"label": "lr = {rate:.0f}"}, ValueError, "label must give each rate its own label"),
    ],
)
def test_a_learning_rate_search_rejects_bad_arguments(
    monkeypatch: pytest.MonkeyPatch, arguments: dict[str, object], error: type, message: str
) -> None:
    def no_training(*args: object, **kwargs: object) -> list:
        raise AssertionError("trained despite bad arguments")

    monkeypatch.setattr(training, "train_records", no_training)
    options = {"rates": [0.1, 0.3], **arguments}
    rates = options.pop("rates")
    with pytest.raises(error, match=f"^{message}"):
        replicates.search_learning_rate(
            models.build_model,
            rates,  # type: ignore[arg-type]
            tiny_dataset(),
            epochs=2,
            **options,  # type: ignore[arg-type]
        )
