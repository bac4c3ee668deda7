"""Plain-text summaries of training runs, for pages and logs."""

from __future__ import annotations

from collections.abc import Mapping

from mnist_tutorial.training import RunRecord

__all__ = ["cost_summary", "results_table", "run_settings"]

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


def results_table(runs: Mapping[str, RunRecord], *, settings: bool = False) -> str:
    """Format the final metrics of several runs as a fixed-width table.

    Parameters
    ----------
    runs : mapping of str to RunRecord
        Row label to run, in display order.
    settings : bool, default False
        Also show each run's learning rate, momentum, convolution blocks and
        parameter count (see :func:`run_settings`).

    Returns
    -------
    str
        One header line, a rule, and one line per run with epochs, final
        training and validation accuracy and loss, and seconds per epoch.
    """
    given: object = runs
    if not isinstance(given, Mapping) or not given:
        raise ValueError("runs must be a non-empty mapping of labels to RunRecord")
    for label, run in runs.items():
        if not isinstance(run, RunRecord):
            raise TypeError(f"runs[{label!r}] must be a RunRecord, got {type(run).__name__}")
    width = max(len("run"), *(len(label) for label in runs))
    header = f"{'run':<{width}}"
    if settings:
        header += f"  {'lr':>7}  {'momentum':>8}  {'conv':>4}  {'params':>7}"
    header += "  epochs" + "".join(f"  {name:>10}" for name, _, _ in _COLUMNS)
    header += f"  {'s/epoch':>8}"
    lines = [header, "-" * len(header)]
    for label, run in runs.items():
        line = f"{label:<{width}}"
        if settings:
            described = run_settings(run)
            line += (
                f"  {described['learning_rate']:>7g}  {described['momentum']:>8g}"
                f"  {described['conv_blocks']:>4}  {run.n_params:>7}"
            )
        cells = "".join(
            f"  {template.format(run.final(metric)):>10}" for _, metric, template in _COLUMNS
        )
        lines.append(f"{line}  {run.epochs:>6}{cells}  {run.seconds_per_epoch:>8.1f}")
    return "\n".join(lines)


def cost_summary(runs: Mapping[str, RunRecord]) -> str:
    """Say what a set of runs cost to train, and how many were replayed.

    Parameters
    ----------
    runs : mapping of str to RunRecord
        The runs a page uses.

    Returns
    -------
    str
        One line: number of runs and epochs, the training time recorded when
        they were trained, and how many of them this call replayed from the
        run cache.
    """
    given: object = runs
    if not isinstance(given, Mapping) or not given:
        raise ValueError("runs must be a non-empty mapping of labels to RunRecord")
    unique = {run.key: run for run in runs.values()}
    epochs = sum(run.epochs for run in unique.values())
    seconds = sum(run.total_seconds for run in unique.values())
    replayed = sum(run.replayed for run in unique.values())
    return (
        f"Training cost: {len(unique)} runs, {epochs} epochs, {seconds / 60:.1f} min "
        f"on the machine that trained them; {replayed} of {len(unique)} replayed "
        "from the run cache in this build."
    )
