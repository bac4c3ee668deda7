"""Tests for mnist_tutorial.plotting on synthetic histories."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from mnist_tutorial import plotting
from mnist_tutorial.evaluation import Calibration

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


def test_plot_digits_grid_and_titles() -> None:
    images = np.zeros((12, 28, 28, 1), dtype=np.float32)
    images[3, 5, 5, 0] = 1.0
    figure = plotting.plot_digits(images, list(range(12)), ncols=5)
    assert len(figure.axes) == 15  # 3 rows of 5, the last three left empty
    assert [axes.get_title() for axes in figure.axes[:12]] == [str(i) for i in range(12)]
    assert figure.axes[3].get_images()[0].get_array()[5, 5] == 1.0
    assert all(not axes.get_images() for axes in figure.axes[12:])
    titled = plotting.plot_digits(images[:2, ..., 0], [1, 2], titles=["one", "two"])
    assert [axes.get_title() for axes in titled.axes] == ["one", "two"]
    assert titled.get_suptitle() == ""


def test_plot_digits_figure_title_clears_the_digit_titles() -> None:
    figure = plotting.plot_digits(np.zeros((3, 28, 28)), [0, 1, 2], title="Three digits")
    assert figure.get_suptitle() == "Three digits"
    # Laid out with the title: it sits above every digit's own title.
    figure.canvas.draw()
    renderer = figure.canvas.get_renderer()  # type: ignore[attr-defined]
    title_bottom = figure._suptitle.get_window_extent(renderer).y0  # type: ignore[union-attr]
    assert all(axes.title.get_window_extent(renderer).y1 <= title_bottom for axes in figure.axes)


@pytest.mark.parametrize(
    ("images", "labels", "options", "match"),
    [
        (np.zeros((2, 28)), [0, 1], {}, "images must have shape"),
        (np.zeros((2, 28, 28)), [0], {}, "labels must have one entry per image"),
        (np.zeros((2, 28, 28)), [0, 1], {"titles": ["a"]}, "titles"),
        (np.zeros((2, 28, 28)), [0, 1], {"ncols": 0}, "ncols"),
        (np.zeros((2, 28, 28)), [0, 1], {"ncols": True}, "ncols"),
    ],
)
def test_plot_digits_rejects_bad_input(
    images: np.ndarray, labels: list[int], options: dict[str, object], match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        plotting.plot_digits(images, labels, **options)  # type: ignore[arg-type]


def test_plot_functions_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", fail)
    plotting.plot_history(HISTORY)
    plotting.plot_curves({"a": HISTORY})
    plotting.plot_sweep({0.1: 0.5}, xlabel="x", ylabel="y")
    plotting.plot_digits(np.zeros((1, 28, 28)), [0])
    plotting.plot_confusion_matrix(np.eye(2, dtype=int))
    plotting.plot_reliability([_calibration(0.1)])


def test_plot_confusion_matrix_annotates_every_cell() -> None:
    matrix = np.array([[5, 1, 0], [2, 7, 0], [0, 0, 9]])
    figure = plotting.plot_confusion_matrix(matrix)
    axes = figure.axes[0]
    assert [text.get_text() for text in axes.texts] == [str(v) for v in matrix.ravel()]
    shown = axes.get_images()[0].get_array()
    assert np.ma.getmaskarray(shown)[0, 0]  # the diagonal is not coloured
    assert shown[1, 0] == 2
    assert axes.get_xlabel() == "predicted class"
    with pytest.raises(ValueError, match="square"):
        plotting.plot_confusion_matrix(np.zeros((2, 3), dtype=int))


def test_each_count_is_written_in_its_own_cell() -> None:
    # Not symmetric: a count drawn at (row, column) would land in another cell.
    matrix = np.array([[50, 1, 2], [3, 40, 4], [5, 6, 30]])
    figure = plotting.plot_confusion_matrix(matrix)
    axes = figure.axes[0]
    shown = axes.get_images()[0].get_array()
    assert len(axes.texts) == matrix.size
    for text in axes.texts:
        x, y = text.get_position()
        # imshow draws matrix[i, j] at x = j (the predicted class), y = i (the true class).
        row, column = round(y), round(x)
        assert (column, row) == (x, y)
        assert text.get_text() == str(matrix[row, column])
        if row != column:
            assert shown[row, column] == matrix[row, column]  # the colour is that count's too
    assert (axes.get_xlabel(), axes.get_ylabel()) == ("predicted class", "true class")


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


def test_confusion_matrix_text_stays_readable() -> None:
    # No mistakes at all: zeros on a blank scale must not be written in white.
    figure = plotting.plot_confusion_matrix(np.diag([30, 40]))
    axes = figure.axes[0]
    colors = [mpl.colors.to_hex(text.get_color()) for text in axes.texts]
    assert colors == ["#000000"] * 4
    weights = [text.get_fontweight() for text in axes.texts]
    assert weights == ["bold", "normal", "normal", "bold"]
    # The largest mistakes are white on dark red; small ones black on pale red.
    figure = plotting.plot_confusion_matrix(np.array([[50, 10, 1], [2, 40, 4], [5, 0, 30]]))
    colors = [mpl.colors.to_hex(text.get_color()) for text in figure.axes[0].texts]
    assert colors == [
        *("#000000", "#ffffff", "#000000"),
        *("#000000", "#000000", "#000000"),
        *("#ffffff", "#000000", "#000000"),
    ]
    [image] = figure.axes[0].get_images()
    assert image.norm.vmax == 10  # the colour scale is the mistakes'
    assert image.norm.vmin == 0


# --------------------------------------------------------------------------- reliability


def _calibration(error: float, *, empty_bin: bool = False) -> Calibration:
    """Four bins; the top one holds almost every image, the one below none if asked."""
    counts = np.array([1, 2, 0 if empty_bin else 20, 977])
    confidence = np.array([0.2, 0.45, 0.7, 0.98])
    accuracy = confidence - error
    if empty_bin:
        confidence[2] = accuracy[2] = np.nan
    return Calibration(
        confidence=0.97,
        accuracy=0.97 - error,
        expected_calibration_error=error,
        bin_edges=np.linspace(0, 1, 5),
        bin_confidence=confidence,
        bin_accuracy=accuracy,
        bin_count=counts,
    )


def test_plot_reliability_draws_each_seed_against_the_diagonal() -> None:
    rc_before = dict(mpl.rcParams)
    runs = {
        "baseline": [_calibration(0.004), _calibration(0.006, empty_bin=True)],
        "momentum": [_calibration(0.02)],
    }
    figure = plotting.plot_reliability(runs, title="Calibration")
    assert isinstance(figure, Figure)
    axes, count_axes = figure.axes
    diagonal, *seeds = axes.get_lines()
    assert list(diagonal.get_xdata()) == list(diagonal.get_ydata()) == [0, 1]
    assert len(seeds) == 3
    # x is the mean confidence, y the accuracy, for the non-empty bins only.
    np.testing.assert_allclose(seeds[0].get_xdata(), [0.2, 0.45, 0.7, 0.98])
    np.testing.assert_allclose(seeds[0].get_ydata(), [0.196, 0.446, 0.696, 0.976])
    np.testing.assert_allclose(seeds[1].get_xdata(), [0.2, 0.45, 0.98])
    np.testing.assert_allclose(seeds[1].get_ydata(), [0.194, 0.444, 0.974])
    # One colour per label.
    assert seeds[0].get_color() == seeds[1].get_color() != seeds[2].get_color()
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "perfectly calibrated",
        "baseline: ECE 0.004-0.006 (2 seeds)",
        "momentum: ECE 0.020",
    ]
    assert axes.get_ylabel() == "Accuracy"
    assert count_axes.get_xlabel() == "Confidence (top class probability)"
    assert count_axes.get_yscale() == "log"
    # One step histogram per seed, of its bin counts; an empty bin is not drawn.
    steps = count_axes.patches
    assert len(steps) == 3
    np.testing.assert_array_equal(steps[0].get_data().values, [1, 2, 20, 977])
    np.testing.assert_array_equal(steps[1].get_data().values, [1, 2, np.nan, 977])
    np.testing.assert_array_equal(steps[0].get_data().edges, [0, 0.25, 0.5, 0.75, 1])
    assert figure.get_suptitle() == "Calibration"
    assert dict(mpl.rcParams) == rc_before


def test_plot_reliability_takes_the_seeds_of_one_model() -> None:
    figure = plotting.plot_reliability([_calibration(0.01), _calibration(0.01)])
    axes = figure.axes[0]
    assert len(axes.get_lines()) == 3
    assert [text.get_text() for text in axes.get_legend().get_texts()] == [
        "perfectly calibrated",
        "ECE 0.010 (2 seeds)",
    ]
    assert figure.get_suptitle() == ""


@pytest.mark.parametrize(
    ("calibrations", "error", "match"),
    [
        ({}, ValueError, "non-empty mapping"),
        ([], ValueError, "calibrations must hold at least one Calibration"),
        ({"a": []}, ValueError, r"calibrations\['a'\] must hold at least one"),
        ({"a": _calibration(0.1)}, TypeError, r"calibrations\['a'\] must be a sequence"),
        (_calibration(0.1), TypeError, "calibrations must be a sequence of Calibration"),
        ("ECE", TypeError, "calibrations must be a sequence of Calibration"),
        ([0.1], TypeError, r"calibrations\[0\] must be a Calibration"),
        ({"a": [_calibration(0.1), {}]}, TypeError, r"calibrations\['a'\]\[1\] must be a"),
    ],
)
def test_plot_reliability_rejects_bad_input(calibrations: object, error: type, match: str) -> None:
    with pytest.raises(error, match=match):
        plotting.plot_reliability(calibrations)  # type: ignore[arg-type]
