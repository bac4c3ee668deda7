"""Tests for mnist_tutorial.reporting on hand-made run records."""

from __future__ import annotations

import pytest

from mnist_tutorial import reporting
from mnist_tutorial.training import RunRecord


def make_settings(learning_rate: float, momentum: float, conv_blocks: int) -> dict[str, object]:
    # The shape of what training.run_key records from Keras's configs.
    layers = [{"class_name": "InputLayer"}]
    layers += [{"class_name": "Conv2D"}, {"class_name": "MaxPooling2D"}] * conv_blocks
    layers += [{"class_name": "Flatten"}, {"class_name": "Dense"}, {"class_name": "Dense"}]
    return {
        "compile": {
            "optimizer": {
                "class_name": "SGD",
                "config": {"learning_rate": learning_rate, "momentum": momentum},
            }
        },
        "architecture": {"layers": layers},
    }


def make_record(
    key: str,
    accuracy: list[float],
    *,
    replayed: bool = False,
    settings: dict[str, object] | None = None,
) -> RunRecord:
    epochs = len(accuracy)
    return RunRecord(
        key=key,
        settings=settings or make_settings(0.01, 0.0, 1),
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
    ]
    assert set(rule) == {"-"}
    assert first.split() == ["baseline", "2", "0.9000", "0.8900", "0.1000", "0.2000"]
    assert second.split() == ["lr", "=", "1", "1", "0.1000", "0.0900", "0.9000", "1.0000"]


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


def test_run_settings_reads_what_was_trained() -> None:
    record = make_record("a", [0.5], settings=make_settings(0.009999999776482582, 0.9, 2))
    described = reporting.run_settings(record)
    assert described["learning_rate"] == pytest.approx(0.01)
    assert described["momentum"] == 0.9
    assert described["conv_blocks"] == 2


def test_results_table_with_settings() -> None:
    record = make_record("a", [0.5, 0.9], settings=make_settings(0.009999999776482582, 0.9, 2))
    header, _, row = reporting.results_table({"momentum": record}, settings=True).splitlines()
    assert header.split()[:5] == ["run", "lr", "momentum", "conv", "params"]
    assert row.split()[:6] == ["momentum", "0.01", "0.9", "2", "10", "2"]


def test_results_table_gives_mean_and_range_of_replicates() -> None:
    from mnist_tutorial.replicates import Replicates

    group = Replicates(
        "three",
        (
            make_record("s0", [0.5, 0.90]),
            make_record("s1", [0.5, 0.94]),
            make_record("s2", [0.5, 0.92]),
        ),
    )
    table = reporting.results_table({"three seeds": group, "one": make_record("x", [0.5, 0.8])})
    header, _, first, second = table.splitlines()
    assert "seeds" in header
    assert "0.9200 (0.9000-0.9400)" in first
    assert first.split()[2] == "3"  # label is two words, then the seed count
    assert "0.8000" in second
    assert "(" not in second
