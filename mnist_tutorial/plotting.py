"""Figures of training: histories, sweeps and learning-rate range tests.

Every function returns a :class:`matplotlib.figure.Figure` created through
:mod:`matplotlib.pyplot` (so that notebooks and sphinx-gallery pick it up),
never calls :func:`matplotlib.pyplot.show`, and never changes global
``rcParams``. The figures of a trained model's evaluation (digits, confusion
matrix, reliability) live in :mod:`mnist_tutorial.evaluation_plots`; they are
re-exported here so that ``plotting.plot_digits`` and the like keep working.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator

from mnist_tutorial.evaluation_plots import plot_confusion_matrix, plot_digits, plot_reliability

__all__ = [
    "plot_confusion_matrix",
    "plot_curves",
    "plot_digits",
    "plot_history",
    "plot_lr_range_test",
    "plot_reliability",
    "plot_sweep",
]

History = Mapping[str, Sequence[float]]
#: One run's history, or the histories of several seeds of one configuration.
Histories = History | Sequence[History]

_LABELS = {
    "loss": "cross-entropy loss",
    "val_loss": "validation cross-entropy loss",
    "accuracy": "accuracy",
    "val_accuracy": "validation accuracy",
}


def _check_history(name: str, history: object, keys: Sequence[str]) -> History:
    if not isinstance(history, Mapping):
        raise TypeError(
            f"{name} must be a mapping of metric names to per-epoch values "
            f"(such as RunRecord.history), got {type(history).__name__}"
        )
    missing = [key for key in keys if key not in history]
    if missing:
        raise ValueError(f"{name} lacks {missing}; it has {sorted(history)}")
    lengths = {len(history[key]) for key in keys}
    if 0 in lengths:
        raise ValueError(f"{name} has no epochs for {list(keys)}")
    return history


def _seed_histories(name: str, value: object, keys: Sequence[str]) -> list[History]:
    """Return a run's history as a list of one, or the histories of several seeds."""
    if isinstance(value, Sequence) and not isinstance(value, str):
        if not value:
            raise ValueError(f"{name} must hold at least one history")
        return [_check_history(f"{name}[{index}]", item, keys) for index, item in enumerate(value)]
    return [_check_history(name, value, keys)]


def _plot_seeds(
    axes: Axes, histories: Sequence[History], metric: str, label: str, **style: Any
) -> None:
    """Draw each seed's curve; several seeds get thin lines of one colour, one legend entry."""
    if len(histories) == 1:
        axes.plot(_epochs(histories[0][metric]), histories[0][metric], label=label, **style)
        return
    color = None  # the first seed's colour, for every seed of the configuration
    for index, history in enumerate(histories):
        [line] = axes.plot(
            _epochs(history[metric]),
            history[metric],
            color=color,
            linewidth=1.2,
            alpha=0.75,
            label=f"{label} ({len(histories)} seeds)" if index == 0 else None,
            **style,
        )
        color = line.get_color()


def _epochs(values: Sequence[float]) -> range:
    return range(1, len(values) + 1)


def _style_epoch_axis(axes: Axes, n_epochs: int) -> None:
    axes.set_xlabel("epoch")
    axes.set_xlim(0.8, n_epochs + 0.2)
    axes.xaxis.set_major_locator(MaxNLocator(integer=True))
    axes.grid(alpha=0.3)


def plot_history(history: Histories, *, title: str | None = None, log_loss: bool = False) -> Figure:
    """Plot loss and accuracy over epochs, training against validation.

    Parameters
    ----------
    history : mapping, or sequence of mappings
        Per-epoch ``loss``, ``val_loss``, ``accuracy`` and ``val_accuracy``,
        such as :attr:`mnist_tutorial.records.RunRecord.history`; or one
        such history per seed (see
        :attr:`mnist_tutorial.replicates.Replicates.histories`), each drawn
        as a thin line.
    title : str, optional
        Figure title.
    log_loss : bool, default False
        Use a logarithmic axis for the loss.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: cross-entropy loss (top) and classification accuracy
        (bottom).
    """
    runs = _seed_histories("history", history, ("loss", "val_loss", "accuracy", "val_accuracy"))
    figure, (loss_axes, accuracy_axes) = plt.subplots(2, 1, figsize=(6.4, 6.0), sharex=True)
    for axes, metric, panel in (
        (loss_axes, "loss", "Cross-entropy loss"),
        (accuracy_axes, "accuracy", "Classification accuracy"),
    ):
        _plot_seeds(axes, runs, metric, "train", marker="o")
        _plot_seeds(axes, runs, f"val_{metric}", "validation", marker="s")
        axes.set_title(panel)
        axes.set_ylabel(metric)
        axes.legend()
        _style_epoch_axis(axes, max(len(run[metric]) for run in runs))
    if log_loss:
        loss_axes.set_yscale("log")
    loss_axes.set_xlabel("")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_curves(
    histories: Mapping[str, Histories],
    *,
    metric: str = "accuracy",
    title: str | None = None,
    log_scale: bool = False,
) -> Figure:
    """Plot one metric over epochs for several runs on one axes.

    Parameters
    ----------
    histories : mapping of str to mapping, or of str to sequence of mappings
        Run label to history (as in :func:`plot_history`), or to one
        history per seed, each drawn as a thin line of the label's colour.
    metric : {'accuracy', 'val_accuracy', 'loss', 'val_loss'}
        The metric to compare.
    title : str, optional
        Axes title; defaults to the metric's name.
    log_scale : bool, default False
        Use a logarithmic y axis (useful for losses).

    Returns
    -------
    matplotlib.figure.Figure
    """
    if metric not in _LABELS:
        raise ValueError(f"metric must be one of {sorted(_LABELS)}, got {metric!r}")
    given: object = histories
    if not isinstance(given, Mapping) or not given:
        raise ValueError("histories must be a non-empty mapping of labels to histories")
    checked = {
        label: _seed_histories(f"histories[{label!r}]", history, (metric,))
        for label, history in histories.items()
    }
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    for label, runs in checked.items():
        _plot_seeds(axes, runs, metric, label, marker="o")
    axes.set_ylabel(_LABELS[metric])
    axes.set_title(title or _LABELS[metric].capitalize())
    if log_scale:
        axes.set_yscale("log")
    axes.legend()
    _style_epoch_axis(axes, max(len(run[metric]) for runs in checked.values() for run in runs))
    figure.tight_layout()
    return figure


def plot_sweep(
    results: Mapping[float, float | Sequence[float]],
    *,
    xlabel: str,
    ylabel: str,
    reference: tuple[str, float | Sequence[float]] | None = None,
    log_x: bool = True,
    title: str | None = None,
) -> Figure:
    """Plot one outcome against the values of a swept setting.

    Parameters
    ----------
    results : mapping of float to float, or of float to sequence of float
        Setting value (for example a learning rate) to outcome, or to one
        outcome per seed: then each seed is a dot, the line joins the means
        and the labels give the mean.
    xlabel, ylabel : str
        Axis labels.
    reference : (str, float) or (str, sequence of float), optional
        A labelled horizontal line to compare against, such as a baseline;
        with one value per seed, a band from the lowest to the highest.
    log_x : bool, default True
        Use a logarithmic x axis, as suits learning rates.
    title : str, optional
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
    """
    given: object = results
    if not isinstance(given, Mapping) or not given:
        raise ValueError("results must be a non-empty mapping of setting values to outcomes")
    settings = sorted(results)
    if log_x and settings[0] <= 0:
        raise ValueError(f"log_x needs positive setting values, got {settings[0]}")
    outcomes = {value: _values(f"results[{value!r}]", results[value]) for value in settings}
    means = [float(np.mean(outcomes[value])) for value in settings]
    figure, axes = plt.subplots(figsize=(6.4, 4.0))
    several = any(len(values) > 1 for values in outcomes.values())
    line = axes.plot(settings, means, marker="o", label=f"{ylabel} (mean)" if several else ylabel)
    if several:
        for value in settings:
            axes.plot(
                [value] * len(outcomes[value]),
                outcomes[value],
                linestyle="none",
                marker=".",
                color=line[0].get_color(),
                alpha=0.7,
            )
    for value, mean in zip(settings, means, strict=True):
        axes.annotate(
            f"{mean:.4f}",
            (value, max(outcomes[value])),
            textcoords="offset points",
            xytext=(0, 6),
            ha="center",
        )
    if reference is not None:
        label, level = reference
        levels = _values("reference", level)
        axes.axhline(float(np.mean(levels)), color="0.4", linestyle="--", label=label)
        if len(levels) > 1:
            axes.axhspan(min(levels), max(levels), color="0.4", alpha=0.15)
    if log_x:
        axes.set_xscale("log")
    axes.set_xlabel(xlabel)
    axes.set_ylabel(ylabel)
    if title:
        axes.set_title(title)
    axes.grid(alpha=0.3)
    axes.legend()
    figure.tight_layout()
    return figure


def _values(name: str, value: object) -> list[float]:
    if isinstance(value, Sequence | np.ndarray) and not isinstance(value, str):
        values = [float(item) for item in value]
        if not values:
            raise ValueError(f"{name} must hold at least one value")
        return values
    if isinstance(value, int | float | np.number) and not isinstance(value, bool):
        return [float(value)]
    raise TypeError(f"{name} must be a number or a sequence of numbers, got {type(value).__name__}")


def plot_lr_range_test(
    learning_rates: Sequence[float],
    smoothed_losses: Sequence[float],
    *,
    markers: Mapping[str, float] | None = None,
    suggestion: float | None = None,
    more_curves: Sequence[tuple[Sequence[float], Sequence[float]]] = (),
) -> Figure:
    """Plot a learning-rate range test: smoothed loss against learning rate.

    Parameters
    ----------
    learning_rates, smoothed_losses : sequence of float
        The test's curve.
    markers : mapping of str to float, optional
        Labelled learning rates to mark with vertical lines.
    suggestion : float, optional
        The suggested learning rate, marked separately.
    more_curves : sequence of (learning_rates, smoothed_losses), optional
        The curves of the same test with other seeds, drawn in the same
        colour as thin lines.

    Returns
    -------
    matplotlib.figure.Figure
    """
    curves = [(learning_rates, smoothed_losses), *more_curves]
    for rates, losses in curves:
        if not rates or len(rates) != len(losses):
            raise ValueError(
                "learning_rates and smoothed_losses must be non-empty, of equal length"
            )
    figure, axes = plt.subplots(figsize=(6.4, 4.2))
    label = "smoothed training loss" + (f" ({len(curves)} seeds)" if len(curves) > 1 else "")
    [line] = axes.plot(learning_rates, smoothed_losses, label=label)
    for rates, losses in more_curves:
        axes.plot(rates, losses, color=line.get_color(), linewidth=1.0, alpha=0.7)
    styles = ("--", ":", "-.")
    for index, (name, rate) in enumerate((markers or {}).items()):
        axes.axvline(rate, color=f"C{index + 1}", linestyle=styles[index % 3], label=name)
    if suggestion is not None:
        axes.axvline(suggestion, color="black", linewidth=2, label=f"suggested: {suggestion:g}")
    axes.set_xscale("log")
    axes.set_xlabel("learning rate")
    axes.set_ylabel("cross-entropy loss")
    finite = [value for _, losses in curves for value in losses if np.isfinite(value)]
    if finite:
        axes.set_ylim(0, min(max(finite), 3.5) * 1.05)
    axes.grid(alpha=0.3, which="both")
    axes.legend(fontsize=8)
    axes.set_title("Learning-rate range test")
    figure.tight_layout()
    return figure
