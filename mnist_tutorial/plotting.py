"""Figures of training histories, learning-rate tests, errors and calibration.

Every function returns a :class:`matplotlib.figure.Figure` created through
:mod:`matplotlib.pyplot` (so that notebooks and sphinx-gallery pick it up),
never calls :func:`matplotlib.pyplot.show`, and never changes global
``rcParams``.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.axes import Axes
from matplotlib.figure import Figure
from matplotlib.ticker import MaxNLocator
from sklearn.metrics import ConfusionMatrixDisplay

from mnist_tutorial.evaluation import Calibration

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
        such as :attr:`mnist_tutorial.training.RunRecord.history`; or one
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


def plot_digits(
    images: npt.NDArray[Any],
    labels: Sequence[int] | npt.NDArray[Any],
    *,
    ncols: int = 10,
    titles: Sequence[str] | None = None,
    title: str | None = None,
) -> Figure:
    """Show digit images in a grid, each titled with its label.

    Parameters
    ----------
    images : ndarray, shape (N, 28, 28) or (N, 28, 28, 1)
        Images, uint8 or float.
    labels : sequence of int
        One label per image, used as the title unless ``titles`` is given.
    ncols : int, default 10
        Images per row.
    titles : sequence of str, optional
        One title per image, replacing the labels.
    title : str, optional
        Figure title. It also starts the figure's alt text on the site,
        which sphinx-gallery makes from the titles.

    Returns
    -------
    matplotlib.figure.Figure
    """
    array = np.asarray(images)
    if array.ndim == 4 and array.shape[-1] == 1:
        array = array[..., 0]
    if array.ndim != 3 or array.shape[0] == 0:
        raise ValueError(f"images must have shape (N, H, W) or (N, H, W, 1), got {array.shape}")
    count = array.shape[0]
    if len(labels) != count:
        raise ValueError(f"labels must have one entry per image ({count}), got {len(labels)}")
    if titles is not None and len(titles) != count:
        raise ValueError(f"titles must have one entry per image ({count}), got {len(titles)}")
    columns: object = ncols
    if isinstance(columns, bool) or not isinstance(columns, int) or columns < 1:
        raise ValueError(f"ncols must be an int >= 1, got {ncols!r}")
    ncols = min(ncols, count)
    nrows = -(-count // ncols)
    figure, axes_grid = plt.subplots(
        nrows, ncols, figsize=(1.1 * ncols, 1.35 * nrows), squeeze=False
    )
    for index, axes in enumerate(axes_grid.flat):
        axes.set_axis_off()
        if index >= count:
            continue
        axes.imshow(array[index], cmap="gray_r", interpolation="nearest")
        caption = titles[index] if titles is not None else str(int(labels[index]))
        axes.set_title(caption, fontsize=9)
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


def plot_confusion_matrix(
    matrix: npt.NDArray[np.integer[Any]], *, title: str = "Confusion matrix"
) -> Figure:
    """Show a confusion matrix with its counts, the diagonal muted.

    Drawn by :class:`sklearn.metrics.ConfusionMatrixDisplay`, then coloured
    by the mistakes only: the right answers on the diagonal would swamp the
    scale, so their cells stay blank and their counts are in bold.

    Parameters
    ----------
    matrix : numpy.ndarray, shape (C, C)
        ``matrix[i, j]`` counts examples of true class ``i`` predicted as
        ``j``, such as :func:`mnist_tutorial.evaluation.confusion_matrix`
        gives.
    title : str
        Axes title.

    Returns
    -------
    matplotlib.figure.Figure
        Rows are the true classes, columns the predicted ones.
    """
    counts = np.asarray(matrix)
    if counts.ndim != 2 or counts.shape[0] != counts.shape[1] or counts.shape[0] == 0:
        raise ValueError(f"matrix must be square and non-empty, got shape {counts.shape}")
    classes = counts.shape[0]
    diagonal = np.eye(classes, dtype=bool)
    figure, axes = plt.subplots(figsize=(6.4, 5.6))
    display = ConfusionMatrixDisplay(counts, display_labels=np.arange(classes))
    display.plot(ax=axes, cmap="Reds", colorbar=False, values_format="d", text_kw={"fontsize": 8})
    # Colour the mistakes only, on their own scale.
    display.im_.set_data(np.ma.masked_array(counts.astype(float), mask=diagonal))
    display.im_.autoscale()
    figure.colorbar(display.im_, ax=axes, label="misclassified test images")
    largest_error = counts[~diagonal].max() if classes > 1 else 0
    for (row, column), text in np.ndenumerate(display.text_):
        value = counts[row, column]
        on_diagonal = row == column
        dark = not on_diagonal and value > 0 and value >= largest_error / 2
        text.set_color("white" if dark else "black")
        text.set_fontweight("bold" if on_diagonal else "normal")
    axes.set_xlabel("predicted class")
    axes.set_ylabel("true class")
    axes.set_title(title)
    figure.tight_layout()
    return figure


def _calibrations(name: str, value: object) -> list[Calibration]:
    if isinstance(value, Calibration) or not isinstance(value, Sequence) or isinstance(value, str):
        raise TypeError(
            f"{name} must be a sequence of Calibration (one per seed), got {type(value).__name__}"
        )
    if not value:
        raise ValueError(f"{name} must hold at least one Calibration")
    for index, item in enumerate(value):
        if not isinstance(item, Calibration):
            raise TypeError(
                f"{name}[{index}] must be a Calibration (from "
                f"mnist_tutorial.evaluation.calibration), got {type(item).__name__}"
            )
    return list(value)


def _error_range(runs: Sequence[Calibration]) -> str:
    errors = [run.expected_calibration_error for run in runs]
    low, high = f"{min(errors):.3f}", f"{max(errors):.3f}"
    return f"ECE {low}" if low == high else f"ECE {low}-{high}"


def plot_reliability(
    calibrations: Mapping[str, Sequence[Calibration]] | Sequence[Calibration],
    *,
    title: str | None = None,
) -> Figure:
    """Draw a reliability diagram: accuracy against confidence, bin by bin.

    A calibrated model's points lie on the diagonal; points below it are
    bins where the model is more confident than it is right.

    Parameters
    ----------
    calibrations : mapping of str to sequence of Calibration, or sequence of Calibration
        Label (such as a configuration's name) to one
        :class:`~mnist_tutorial.evaluation.Calibration` per seed, or the
        calibrations of the seeds of one model. Each seed is a thin line
        through its non-empty bins, in its label's colour; the legend gives
        each label's range of expected calibration error (ECE) over seeds.
    title : str, optional
        Figure title.

    Returns
    -------
    matplotlib.figure.Figure
        Two panels: the reliability diagram (top) and, on a log scale, how
        many images fall in each confidence bin (bottom).

    Raises
    ------
    TypeError
        If ``calibrations`` is neither of the forms above.
    ValueError
        If it, or one of its sequences, is empty.
    """
    given: object = calibrations
    if isinstance(given, Mapping):
        if not given:
            raise ValueError("calibrations must be a non-empty mapping of labels to calibrations")
        groups = {
            str(label): _calibrations(f"calibrations[{label!r}]", runs)
            for label, runs in given.items()
        }
    else:
        groups = {"": _calibrations("calibrations", given)}
    figure, (axes, count_axes) = plt.subplots(
        2, 1, figsize=(6.4, 6.4), sharex=True, gridspec_kw={"height_ratios": (3, 1)}
    )
    axes.plot([0, 1], [0, 1], color="0.5", linestyle="--", label="perfectly calibrated")
    for index, (label, runs) in enumerate(groups.items()):
        color = f"C{index}"
        seeds = f" ({len(runs)} seeds)" if len(runs) > 1 else ""
        legend = f"{label}: {_error_range(runs)}" if label else _error_range(runs)
        for seed, run in enumerate(runs):
            filled = run.bin_count > 0
            axes.plot(
                run.bin_confidence[filled],
                run.bin_accuracy[filled],
                color=color,
                marker="o",
                markersize=4,
                linewidth=1.0,
                alpha=0.75,
                label=legend + seeds if seed == 0 else None,
            )
            # Empty bins are left out: a log axis has no place for 0.
            heights = np.where(filled, run.bin_count, np.nan)
            count_axes.stairs(heights, run.bin_edges, color=color, linewidth=1.0, alpha=0.75)
    axes.set_xlim(0, 1)
    axes.set_ylim(0, 1.02)
    axes.set_ylabel("Accuracy")
    axes.grid(alpha=0.3)
    axes.legend(loc="lower right", fontsize=8)
    count_axes.set_yscale("log")
    count_axes.set_ylabel("images")
    count_axes.set_xlabel("Confidence (top class probability)")
    count_axes.grid(alpha=0.3, which="major")
    if title:
        figure.suptitle(title)
    figure.tight_layout()
    return figure


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
