"""Tests for mnist_tutorial.reporting on hand-made run records."""

from __future__ import annotations

import pytest

from mnist_tutorial import reporting
from mnist_tutorial.training import RunRecord


def make_record(key: str, accuracy: list[float], *, replayed: bool = False) -> RunRecord:
    epochs = len(accuracy)
    return RunRecord(
        key=key,
        settings={},
        history={
            "loss": [1.0 - value for value in accuracy],
            "accuracy": accuracy,
            "val_loss": [1.1 - value for value in accuracy],
            "val_accuracy": [value - 0.01 for value in accuracy],
        },
        epoch_seconds=[2.0] * epochs,
        total_seconds=2.0 * epochs + 1.0,
        n_params=10,
        log_lines=[],
        created="2026-01-01T00:00:00+00:00",
        replayed=replayed,
    )


def test_results_table_rows_and_values() -> None:
    table = reporting.results_table(
        {"baseline": make_record("a", [0.5, 0.9]), "lr = 1": make_record("b", [0.1])}
    )
    header, rule, first, second = table.splitlines()
    assert header.split() == [
        "run",
        "epochs",
        "train",
        "acc",
        "val",
        "acc",
        "train",
        "loss",
        "val",
        "loss",
        "s/epoch",
    ]
    assert set(rule) == {"-"}
    assert first.split() == ["baseline", "2", "0.9000", "0.8900", "0.1000", "0.2000", "2.5"]
    assert second.split() == ["lr", "=", "1", "1", "0.1000", "0.0900", "0.9000", "1.0000", "3.0"]


@pytest.mark.parametrize(
    ("runs", "error", "match"),
    [
        ({}, ValueError, "non-empty"),
        ([1, 2], ValueError, "non-empty mapping"),
        ({"a": {"accuracy": [1.0]}}, TypeError, r"runs\['a'\] must be a RunRecord"),
    ],
)
def test_results_table_rejects_bad_input(runs: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        reporting.results_table(runs)  # type: ignore[arg-type]


def test_cost_summary_counts_each_run_once() -> None:
    shared = make_record("a", [0.5, 0.9], replayed=True)
    line = reporting.cost_summary(
        {"baseline": shared, "again": shared, "new": make_record("b", [0.3, 0.4, 0.5])}
    )
    # 5 s + 7 s of training over 2 distinct runs and 5 epochs; one replayed.
    assert line == (
        "Training cost: 2 runs, 5 epochs, 0.2 min on the machine that trained them; "
        "1 of 2 replayed from the run cache in this build."
    )
    with pytest.raises(ValueError, match="non-empty"):
        reporting.cost_summary({})
