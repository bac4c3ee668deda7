"""Tests for mnist_tutorial.progress."""

from __future__ import annotations

import sys
from collections.abc import Callable

import pytest

from mnist_tutorial import config, progress, training


def test_the_summary_line_gives_the_time_and_the_final_accuracies(
    handmade_record: Callable[..., training.RunRecord],
) -> None:
    trained = progress.summary_line(handmade_record())
    assert trained == (
        "(trained 2 epochs in 3.0 s, 1.5 s/epoch: accuracy 0.2500, val_accuracy 0.2500)"
    )
    replayed = progress.summary_line(handmade_record(replayed=True))
    assert replayed == (
        "(replayed from the run cache: trained 2026-11-29T00:00:00+00:00 in 3.0 s, 1.5 s/epoch)"
    )


@pytest.mark.parametrize(
    ("steps", "step_line"),
    [(1500, "1500/1500 - 3s - 2ms/step"), (1, "1/1 - 3s - 3000ms/step")],
)
def test_the_epoch_logger_writes_keras_style_lines(
    steps: int, step_line: str, monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    clock = iter([10.0, 13.0])  # the epoch starts at 10 s and ends at 13 s
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    logger = training.EpochLogger(epochs=2, steps=steps)
    logger.on_epoch_begin(0)
    logs = {"val_accuracy": 0.9375, "loss": 0.5, "other": 7.0, "accuracy": 0.875, "val_loss": 0.25}
    logger.on_epoch_end(0, logs)

    metrics = "loss: 0.5000 - accuracy: 0.8750 - val_loss: 0.2500 - val_accuracy: 0.9375"
    expected = ["Epoch 1/2", f"{step_line} - {metrics}"]
    assert logger.lines == expected
    assert logger.epoch_seconds == [3.0]
    assert capsys.readouterr().out.splitlines() == expected  # printed by default


def test_terminal_progress_estimates_the_time_left(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    # The fit starts at 100 s; epoch 1 runs 100-130 s, epoch 2 runs 131-161 s.
    clock = iter([100.0, 100.0, 130.0, 131.0, 161.0])
    monkeypatch.setattr(progress.time, "perf_counter", lambda: next(clock))
    terminal = training.TerminalProgress("run A", epochs=6)
    terminal.on_train_begin()
    terminal.on_epoch_begin(0)
    terminal.on_epoch_end(0, {"val_accuracy": 0.96875})
    terminal.on_epoch_begin(1)
    terminal.on_epoch_end(1, {})

    assert capfd.readouterr().err.splitlines() == [
        "mnist_tutorial: training run A: 6 epochs",
        # 30 s per epoch so far, 5 epochs to go.
        "mnist_tutorial:   run A: epoch 1/6 in 30.0 s, val_accuracy 0.9688; about 2 min 30 s left in this run",
        # 61 s for 2 epochs, 4 to go: 122 s.
        "mnist_tutorial:   run A: epoch 2/6 in 30.0 s; about 2 min 02 s left in this run",
    ]


@pytest.mark.parametrize(
    ("seconds", "text"),
    [
        (0.4, "0 s"),
        (59.4, "59 s"),
        (60.0, "1 min 00 s"),
        (61.0, "1 min 01 s"),
        (3725.0, "62 min 05 s"),
    ],
)
def test_durations_are_minutes_and_seconds(seconds: float, text: str) -> None:
    assert progress._duration(seconds) == text


def test_progress_lines_can_be_turned_off(
    monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.setattr(sys, "__stderr__", sys.stderr)  # let capfd see the real stderr
    monkeypatch.setenv(config.ENV_PROGRESS, "0")
    training.progress_line("hidden")
    monkeypatch.setenv(config.ENV_PROGRESS, "1")
    training.progress_line("shown")
    assert capfd.readouterr().err == "mnist_tutorial: shown\n"


def test_write_lines_prints_to_standard_output_or_hands_the_lines_on(
    capsys: pytest.CaptureFixture[str],
) -> None:
    training.write_lines(["Epoch 1/2", "done"])
    assert capsys.readouterr().out == "Epoch 1/2\ndone\n"
    handed: list[str] = []
    training.write_lines(iter(["a", "b"]), handed.append)
    assert handed == ["a", "b"]
    assert capsys.readouterr().out == ""


def test_batch_progress_estimates_the_batch_from_the_finished_runs() -> None:
    now = [100.0]
    batch = progress.BatchProgress([10, 10, 2], clock=lambda: now[0])
    now[0] += 60  # the first 10-epoch run took a minute: 6 s an epoch so far
    assert batch.finished(10) == "1 of 3 runs trained; about 1 min 12 s left for the other 2"
    now[0] += 30  # the second ended half a minute later: 90 s for 20 epochs
    assert batch.finished(10) == "2 of 3 runs trained; about 9 s left for the other 1"
    now[0] += 10
    assert batch.finished(2) == "3 of 3 runs trained in 1 min 40 s"
    with pytest.raises(ValueError, match="all 3 runs of the batch have finished already"):
        batch.finished(2)


@pytest.mark.parametrize("epochs", [[], [10, 0]])
def test_batch_progress_needs_runs_of_at_least_one_epoch(epochs: list[int]) -> None:
    with pytest.raises(ValueError, match=r"^epochs must be a non-empty sequence of ints >= 1"):
        progress.BatchProgress(epochs)
