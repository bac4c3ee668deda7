"""Plain-text summaries of training runs, for pages and logs."""

from __future__ import annotations

from collections.abc import Mapping

from mnist_tutorial.records import RunRecord
from mnist_tutorial.replicates import Replicates

__all__ = ["results_table", "run_settings"]

_COLUMNS = (
    ("train acc", "accuracy", "{:.4f}"),
    ("val acc", "val_accuracy", "{:.4f}"),
    ("train loss", "loss", "{:.4f}"),
    ("val loss", "val_loss", "{:.4f}"),
)


def run_settings(run: RunRecord) -> dict[str, float | int]:
    """Return a run's learning rate, momentum and number of convolution blocks.

    They are read from the settings recorded with the run, so they describe
    what was trained, whatever code asked for it.
    """
    optimizer = run.settings["compile"]["optimizer"]["config"]
    layers = run.settings["architecture"]["layers"]
    return {
        "learning_rate": float(optimizer["learning_rate"]),
        "momentum": float(optimizer.get("momentum", 0.0)),
        "conv_blocks": sum(layer["class_name"] == "Conv2D" for layer in layers),
    }


def _records(label: str, run: object) -> tuple[RunRecord, ...]:
    if isinstance(run, Replicates):
        return run.records
    if isinstance(run, RunRecord):
        return (run,)
    raise TypeError(f"runs[{label!r}] must be a RunRecord or Replicates, got {type(run).__name__}")


def _cell(values: list[float]) -> str:
    if len(values) == 1:
        return f"{values[0]:.4f}"
    mean = sum(values) / len(values)
    return f"{mean:.4f} ({min(values):.4f}-{max(values):.4f})"


def results_table(runs: Mapping[str, RunRecord | Replicates], *, settings: bool = False) -> str:
    """Format the final metrics of several runs as a fixed-width table.

    Parameters
    ----------
    runs : mapping of str to RunRecord or Replicates
        Row label to run, in display order. For
        :class:`~mnist_tutorial.replicates.Replicates`, each cell gives the
        mean over the seeds and, in brackets, the lowest and highest seed.
    settings : bool, default False
        Also show each run's learning rate, momentum, convolution blocks and
        parameter count (see :func:`run_settings`).

    Returns
    -------
    str
        One header line, a rule, and one line per run with epochs and final
        training and validation accuracy and loss. Wall-clock times are left
        out: they describe the machine that trained a run and its load, not
        the run.
    """
    given: object = runs
    if not isinstance(given, Mapping) or not given:
        raise ValueError("runs must be a non-empty mapping of labels to RunRecord")
    groups = {label: _records(label, run) for label, run in runs.items()}
    cells = {
        label: [_cell([run.final(metric) for run in group]) for _, metric, _ in _COLUMNS]
        for label, group in groups.items()
    }
    width = max(len("run"), *(len(label) for label in runs))
    cell_width = max(10, *(len(cell) for row in cells.values() for cell in row))
    seeds = any(len(group) > 1 for group in groups.values())
    header = f"{'run':<{width}}"
    if settings:
        header += f"  {'lr':>7}  {'momentum':>8}  {'conv':>4}  {'params':>7}"
    header += (f"  {'seeds':>5}" if seeds else "") + "  epochs"
    header += "".join(f"  {name:>{cell_width}}" for name, _, _ in _COLUMNS)
    lines = [header, "-" * len(header)]
    for label, group in groups.items():
        first = group[0]
        line = f"{label:<{width}}"
        if settings:
            described = run_settings(first)
            line += (
                f"  {described['learning_rate']:>7g}  {described['momentum']:>8g}"
                f"  {described['conv_blocks']:>4}  {first.n_params:>7}"
            )
        if seeds:
            line += f"  {len(group):>5}"
        row = "".join(f"  {cell:>{cell_width}}" for cell in cells[label])
        lines.append(f"{line}  {first.epochs:>6}{row}")
    return "\n".join(lines)
