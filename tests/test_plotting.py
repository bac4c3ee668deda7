"""Tests for mnist_tutorial.plotting on synthetic histories."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import pytest
from matplotlib.figure import Figure

from mnist_tutorial import plotting

HISTORY = {
    "loss": [0.9, 0.5, 0.3],
    "val_loss": [0.8, 0.6, 0.5],
    "accuracy": [0.7, 0.85, 0.9],
    "val_accuracy": [0.72, 0.8, 0.84],
}


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


def test_plot_history_draws_train_and_validation_panels() -> None:
    rc_before = dict(mpl.rcParams)
    figure = plotting.plot_history(HISTORY, title="Run")
    assert isinstance(figure, Figure)
    loss_axes, accuracy_axes = figure.axes
    assert loss_axes.get_title() == "Cross-entropy loss"
    assert accuracy_axes.get_title() == "Classification accuracy"
    for axes, metric in ((loss_axes, "loss"), (accuracy_axes, "accuracy")):
        train, validation = axes.get_lines()
        assert list(train.get_xdata()) == [1, 2, 3]
        assert list(train.get_ydata()) == HISTORY[metric]
        assert list(validation.get_ydata()) == HISTORY[f"val_{metric}"]
        assert [text.get_text() for text in axes.get_legend().get_texts()] == [
            "train",
            "validation",
        ]
    assert figure.get_suptitle() == "Run"
    assert dict(mpl.rcParams) == rc_before


@pytest.mark.parametrize(
    ("history", "error", "match"),
    [
        (0.1, TypeError, "history must be a mapping"),
        ([0.1, 0.2], TypeError, r"history\[0\] must be a mapping"),
        ({"loss": [0.1]}, ValueError, "lacks"),
        ({key: [] for key in HISTORY}, ValueError, "no epochs"),
    ],
)
def test_plot_history_rejects_bad_input(history: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plotting.plot_history(history)  # type: ignore[arg-type]


def test_plot_curves_one_line_per_run() -> None:
    other = {"accuracy": [0.1, 0.1, 0.1, 0.1]}
    figure = plotting.plot_curves({"a": HISTORY, "b": other}, metric="accuracy")
    (axes,) = figure.axes
    lines = axes.get_lines()
    assert [line.get_label() for line in lines] == ["a", "b"]
    assert list(lines[1].get_ydata()) == [0.1, 0.1, 0.1, 0.1]
    assert axes.get_yscale() == "linear"
    figure = plotting.plot_curves({"a": HISTORY}, metric="val_loss", log_scale=True)
    assert figure.axes[0].get_yscale() == "log"


@pytest.mark.parametrize(
    ("histories", "metric", "match"),
    [
        ({"a": HISTORY}, "precision", "metric must be one of"),
        ({}, "accuracy", "non-empty"),
        ({"a": {"loss": [1.0]}}, "accuracy", r"histories\['a'\] lacks"),
    ],
)
def test_plot_curves_rejects_bad_input(histories: object, metric: str, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        plotting.plot_curves(histories, metric=metric)  # type: ignore[arg-type]


def test_plot_sweep_sorts_settings_and_draws_reference() -> None:
    figure = plotting.plot_sweep(
        {0.3: 0.5, 0.03: 0.7, 0.1: 0.9},
        xlabel="learning rate",
        ylabel="val acc",
        reference=("baseline", 0.6),
    )
    (axes,) = figure.axes
    sweep, reference = axes.get_lines()
    assert list(sweep.get_xdata()) == [0.03, 0.1, 0.3]
    assert list(sweep.get_ydata()) == [0.7, 0.9, 0.5]
    assert list(reference.get_ydata()) == [0.6, 0.6]
    assert axes.get_xscale() == "log"
    assert [text.get_text() for text in axes.texts] == ["0.7000", "0.9000", "0.5000"]


def test_plot_sweep_rejects_bad_input() -> None:
    with pytest.raises(ValueError, match="non-empty"):
        plotting.plot_sweep({}, xlabel="x", ylabel="y")
    with pytest.raises(ValueError, match="log_x"):
        plotting.plot_sweep({0.0: 1.0}, xlabel="x", ylabel="y")


def test_plot_functions_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", fail)
    plotting.plot_history(HISTORY)
    plotting.plot_curves({"a": HISTORY})
    plotting.plot_sweep({0.1: 0.5}, xlabel="x", ylabel="y")
    plotting.plot_lr_range_test([1e-3, 1e-2], [1.0, 0.5])


def test_plot_lr_range_test_marks_rates() -> None:
    figure = plotting.plot_lr_range_test(
        [1e-3, 1e-2, 1e-1, 1.0],
        [2.3, 2.0, 0.5, 3.0],
        markers={"lr = 1": 1.0, "lr = 0.01": 0.01},
        suggestion=0.03,
    )
    axes = figure.axes[0]
    curve, first, second, suggested = axes.get_lines()
    assert list(curve.get_ydata()) == [2.3, 2.0, 0.5, 3.0]
    assert list(first.get_xdata()) == [1.0, 1.0]
    assert list(second.get_xdata()) == [0.01, 0.01]
    assert list(suggested.get_xdata()) == [0.03, 0.03]
    assert axes.get_xscale() == "log"
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert labels == ["smoothed training loss", "lr = 1", "lr = 0.01", "suggested: 0.03"]
    with pytest.raises(ValueError, match="equal length"):
        plotting.plot_lr_range_test([0.1], [])


def shifted(offset: float) -> dict[str, list[float]]:
    return {name: [value + offset for value in values] for name, values in HISTORY.items()}


def test_several_seeds_are_thin_lines_of_one_colour_and_one_legend_entry() -> None:
    seeds = [shifted(0.0), shifted(0.01), shifted(0.02)]
    figure = plotting.plot_curves({"a": seeds, "b": HISTORY}, metric="val_accuracy")
    [axes] = figure.axes
    lines = axes.get_lines()
    assert len(lines) == 4
    assert len({line.get_color() for line in lines[:3]}) == 1
    assert lines[3].get_color() != lines[0].get_color()
    assert [list(line.get_ydata()) for line in lines[:3]] == [s["val_accuracy"] for s in seeds]
    labels = [text.get_text() for text in axes.get_legend().get_texts()]
    assert labels == ["a (3 seeds)", "b"]


def test_plot_history_with_seeds_and_a_log_loss_axis() -> None:
    figure = plotting.plot_history([shifted(0.0), shifted(0.05)], log_loss=True)
    loss_axes, accuracy_axes = figure.axes
    assert loss_axes.get_yscale() == "log"
    assert accuracy_axes.get_yscale() == "linear"
    assert len(loss_axes.get_lines()) == 4  # train and validation, two seeds each
    with pytest.raises(ValueError, match="at least one"):
        plotting.plot_history([])


def test_plot_sweep_with_seeds_shows_means_dots_and_a_reference_band() -> None:
    figure = plotting.plot_sweep(
        {0.1: [0.90, 0.92], 0.3: [0.94, 0.96]},
        xlabel="lr",
        ylabel="acc",
        reference=("base", [0.80, 0.84]),
    )
    [axes] = figure.axes
    mean_line = axes.get_lines()[0]
    assert list(mean_line.get_ydata()) == pytest.approx([0.91, 0.95])
    texts = [text.get_text() for text in axes.texts]
    assert texts == ["0.9100", "0.9500"]
    assert len(axes.patches) == 1  # the reference's min-max band
    with pytest.raises(TypeError, match="results"):
        plotting.plot_sweep({0.1: "high"}, xlabel="lr", ylabel="acc")  # type: ignore[dict-item]
