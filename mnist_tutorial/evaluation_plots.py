"""Figures of a trained model's evaluation: digits, confusion matrix, calibration.

Every function returns a :class:`matplotlib.figure.Figure` created through
:mod:`matplotlib.pyplot` (so that notebooks and sphinx-gallery pick it up),
never calls :func:`matplotlib.pyplot.show`, and never changes global
``rcParams``. :mod:`mnist_tutorial.plotting` re-exports them, next to the
training curves.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

import matplotlib.pyplot as plt
import numpy as np
import numpy.typing as npt
from matplotlib.figure import Figure
from sklearn.metrics import ConfusionMatrixDisplay

from mnist_tutorial.evaluation import Calibration

__all__ = ["plot_confusion_matrix", "plot_digits", "plot_reliability"]


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
