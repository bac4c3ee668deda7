"""What a run prints: its log lines on the page, its progress in the terminal.

:class:`EpochLogger` keeps one plain line per epoch, which a page shows
through :func:`write_lines`, the one place that prints training logs.
:class:`TerminalProgress` and :func:`progress_line` write to the terminal
only, for the author who waits for a build.
"""

from __future__ import annotations

import sys
import time
from collections.abc import Callable, Iterable, Mapping, Sequence
from typing import Any

import keras

from mnist_tutorial import config
from mnist_tutorial.records import METRICS, RunRecord

__all__ = [
    "BatchProgress",
    "EpochLogger",
    "TerminalProgress",
    "discard",
    "print_line",
    "progress_line",
    "summary_line",
    "write_lines",
]


class EpochLogger(keras.callbacks.Callback):  # type: ignore[misc]
    """Print one plain line per epoch and keep the lines and epoch times.

    The lines look like Keras's ``verbose=2`` output, in the homework's order::

        Epoch 3/10
        1875/1875 - 8s - 4ms/step - loss: 0.1754 - accuracy: 0.9485 - ...

    There are no carriage returns, backspaces or colour codes, so a captured
    log (a gallery page, a CI log) has exactly these lines.

    Parameters
    ----------
    epochs : int
        Total epochs, for the ``Epoch i/N`` header.
    steps : int
        Batches per epoch.
    emit : callable, optional
        Called with each line; defaults to printing to standard output
        (:func:`print_line`). :func:`discard` only keeps the lines.
    """

    def __init__(self, epochs: int, steps: int, emit: Callable[[str], None] | None = None) -> None:
        super().__init__()
        self.epochs = epochs
        self.steps = steps
        self.emit = emit if emit is not None else print_line
        self.lines: list[str] = []
        self.epoch_seconds: list[float] = []
        #: Each epoch's logs, as ``History.history`` holds them.
        self.history: dict[str, list[float]] = {}
        #: Batches per epoch as Keras counts them (``params["steps"]``).
        self.keras_steps: int | None = None
        self._start = 0.0

    def _write(self, line: str) -> None:
        self.lines.append(line)
        self.emit(line)

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Note how many batches per epoch Keras will run."""
        self.keras_steps = self.params.get("steps")

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Print the epoch header and start its clock."""
        self._write(f"Epoch {epoch + 1}/{self.epochs}")
        self._start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Stop the clock and print the epoch's metrics."""
        seconds = time.perf_counter() - self._start
        self.epoch_seconds.append(seconds)
        logs = logs or {}
        for name, value in logs.items():
            self.history.setdefault(name, []).append(float(value))
        metrics = " - ".join(f"{name}: {float(logs[name]):.4f}" for name in METRICS if name in logs)
        step_ms = 1000.0 * seconds / max(self.steps, 1)
        self._write(
            f"{self.steps}/{self.steps} - {seconds:.0f}s - {step_ms:.0f}ms/step - {metrics}"
        )


def print_line(line: str) -> None:
    """Print a log line to standard output, which a page shows."""
    print(line, flush=True)


def discard(line: str) -> None:
    """Drop a line: for a logger whose lines are kept and printed later."""
    del line


def write_lines(lines: Iterable[str], emit: Callable[[str], None] | None = None) -> None:
    """Print the lines a page shows of its runs, or hand them to ``emit``.

    The one place that prints training logs: :func:`~mnist_tutorial.training.train_many` and
    :func:`mnist_tutorial.replicates.train_replicates` compose their lines
    and print them here.

    Parameters
    ----------
    lines : iterable of str
        The lines, in order.
    emit : callable, optional
        Receives each line; :func:`print_line` by default.
    """
    output = emit if emit is not None else print_line
    for line in lines:
        output(line)


def summary_line(record: RunRecord) -> str:
    """Return the one line that stands for a run's log: how and when it was trained."""
    timing = f"{record.total_seconds:.1f} s, {record.seconds_per_epoch:.1f} s/epoch"
    if record.replayed:
        return f"(replayed from the run cache: trained {record.created} in {timing})"
    return (
        f"(trained {record.epochs} epochs in {timing}: "
        f"accuracy {record.final('accuracy'):.4f}, "
        f"val_accuracy {record.final('val_accuracy'):.4f})"
    )


class TerminalProgress(keras.callbacks.Callback):  # type: ignore[misc]
    """Write one progress line per epoch to the terminal, with the time left in the run.

    The lines go to the process's real standard error (``sys.__stderr__``),
    which a sphinx-gallery page does not capture: authors see them while
    the site builds, readers never see them on a page.

    Parameters
    ----------
    label : str
        Names the run in each line.
    epochs : int
        Total epochs, for the estimate of the time left.
    """

    def __init__(self, label: str, epochs: int) -> None:
        super().__init__()
        self.label = label
        self.epochs = epochs
        self._fit_start = 0.0
        self._epoch_start = 0.0

    def on_train_begin(self, logs: Mapping[str, Any] | None = None) -> None:
        """Start the clocks and announce the run."""
        self._fit_start = time.perf_counter()
        progress_line(f"training {self.label}: {self.epochs} epochs")

    def on_epoch_begin(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Start the epoch's clock."""
        self._epoch_start = time.perf_counter()

    def on_epoch_end(self, epoch: int, logs: Mapping[str, Any] | None = None) -> None:
        """Write the epoch's time, validation accuracy and the estimated time left."""
        now = time.perf_counter()
        done = epoch + 1
        left = (now - self._fit_start) / done * (self.epochs - done)
        accuracy = (logs or {}).get("val_accuracy")
        shown = f", val_accuracy {float(accuracy):.4f}" if accuracy is not None else ""
        progress_line(
            f"  {self.label}: epoch {done}/{self.epochs} in {now - self._epoch_start:.1f} s"
            f"{shown}; about {_duration(left)} left in this run"
        )


class BatchProgress:
    """The time left for a batch of runs trained side by side, told as each run finishes.

    Each worker's lines give the time left in its own run; this gives the
    time left for the whole batch (a page's call of
    :func:`~mnist_tutorial.training.train_many`), from the epochs the
    finished runs trained and the time since the batch started. Runs still
    training count as not started, so the estimate errs long.

    Parameters
    ----------
    epochs : sequence of int
        The epochs of each run to train.
    clock : callable, optional
        Returns the time in seconds (default ``time.monotonic``).
    """

    def __init__(self, epochs: Sequence[int], clock: Callable[[], float] = time.monotonic) -> None:
        if not epochs or min(epochs) < 1:
            raise ValueError(f"epochs must be a non-empty sequence of ints >= 1, got {epochs!r}")
        self.runs = len(epochs)
        self.total_epochs = sum(epochs)
        self.finished_runs = 0
        self.finished_epochs = 0
        self._clock = clock
        self._start = clock()

    def finished(self, epochs: int) -> str:
        """Count a finished run of ``epochs`` epochs; return the line that tells the time left."""
        if self.finished_runs == self.runs:
            raise ValueError(f"all {self.runs} runs of the batch have finished already")
        self.finished_runs += 1
        self.finished_epochs += epochs
        elapsed = self._clock() - self._start
        if self.finished_runs == self.runs:
            return f"{self.runs} of {self.runs} runs trained in {_duration(elapsed)}"
        left = elapsed / self.finished_epochs * (self.total_epochs - self.finished_epochs)
        others = self.runs - self.finished_runs
        return (
            f"{self.finished_runs} of {self.runs} runs trained; about {_duration(left)} "
            f"left for the other {others}"
        )


def progress_line(line: str) -> None:
    """Write a progress line to the terminal, unless progress is turned off."""
    stream = sys.__stderr__
    if stream is not None and config.progress():
        stream.write(f"mnist_tutorial: {line}\n")
        stream.flush()


def _duration(seconds: float) -> str:
    minutes, rest = divmod(round(seconds), 60)
    return f"{minutes} min {rest:02d} s" if minutes else f"{rest} s"
