"""Tests for mnist_tutorial.evaluation_plots on synthetic images, counts and calibrations."""

from __future__ import annotations

import matplotlib as mpl
import matplotlib.pyplot as plt
import numpy as np
import pytest
from matplotlib.figure import Figure

from mnist_tutorial import evaluation_plots, plotting
from mnist_tutorial.evaluation import Calibration


@pytest.fixture(autouse=True)
def _close_figures() -> None:
    yield
    plt.close("all")


def test_plotting_re_exports_the_evaluation_figures() -> None:
    # Pages call them as plotting.plot_digits and the like.
    for name in evaluation_plots.__all__:
        assert getattr(plotting, name) is getattr(evaluation_plots, name)
        assert name in plotting.__all__


def test_evaluation_figures_never_show(monkeypatch: pytest.MonkeyPatch) -> None:
    def fail() -> None:
        raise AssertionError("plt.show() must not be called")

    monkeypatch.setattr(plt, "show", fail)
    evaluation_plots.plot_digits(np.zeros((1, 28, 28)), [0])
    evaluation_plots.plot_confusion_matrix(np.eye(2, dtype=int))
    evaluation_plots.plot_reliability([_calibration(0.1)])


def test_plot_digits_grid_and_titles() -> None:
    images = np.zeros((12, 28, 28, 1), dtype=np.float32)
    images[3, 5, 5, 0] = 1.0
    figure = evaluation_plots.plot_digits(images, list(range(12)), ncols=5)
    assert len(figure.axes) == 15  # 3 rows of 5, the last three left empty
    assert [axes.get_title() for axes in figure.axes[:12]] == [str(i) for i in range(12)]
    assert figure.axes[3].get_images()[0].get_array()[5, 5] == 1.0
    assert all(not axes.get_images() for axes in figure.axes[12:])
    titled = evaluation_plots.plot_digits(images[:2, ..., 0], [1, 2], titles=["one", "two"])
    assert [axes.get_title() for axes in titled.axes] == ["one", "two"]
    assert titled.get_suptitle() == ""


def test_plot_digits_figure_title_clears_the_digit_titles() -> None:
    figure = evaluation_plots.plot_digits(np.zeros((3, 28, 28)), [0, 1, 2], title="Three digits")
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
        evaluation_plots.plot_digits(images, labels, **options)  # type: ignore[arg-type]


def test_plot_confusion_matrix_annotates_every_cell() -> None:
    matrix = np.array([[5, 1, 0], [2, 7, 0], [0, 0, 9]])
    figure = evaluation_plots.plot_confusion_matrix(matrix)
    axes = figure.axes[0]
    assert [text.get_text() for text in axes.texts] == [str(v) for v in matrix.ravel()]
    shown = axes.get_images()[0].get_array()
    assert np.ma.getmaskarray(shown)[0, 0]  # the diagonal is not coloured
    assert shown[1, 0] == 2
    assert axes.get_xlabel() == "predicted class"
    with pytest.raises(ValueError, match="square"):
        evaluation_plots.plot_confusion_matrix(np.zeros((2, 3), dtype=int))


def test_each_count_is_written_in_its_own_cell() -> None:
    # Not symmetric: a count drawn at (row, column) would land in another cell.
    matrix = np.array([[50, 1, 2], [3, 40, 4], [5, 6, 30]])
    figure = evaluation_plots.plot_confusion_matrix(matrix)
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


def test_confusion_matrix_text_stays_readable() -> None:
    # No mistakes at all: zeros on a blank scale must not be written in white.
    figure = evaluation_plots.plot_confusion_matrix(np.diag([30, 40]))
    axes = figure.axes[0]
    colors = [mpl.colors.to_hex(text.get_color()) for text in axes.texts]
    assert colors == ["#000000"] * 4
    weights = [text.get_fontweight() for text in axes.texts]
    assert weights == ["bold", "normal", "normal", "bold"]
    # The largest mistakes are white on dark red; small ones black on pale red.
    figure = evaluation_plots.plot_confusion_matrix(np.array([[50, 10, 1], [2, 40, 4], [5, 0, 30]]))
    colors = [mpl.colors.to_hex(text.get_color()) for text in figure.axes[0].texts]
    assert colors == [
        *("#000000", "#ffffff", "#000000"),
        *("#000000", "#000000", "#000000"),
        *("#ffffff", "#000000", "#000000"),
    ]
    [image] = figure.axes[0].get_images()
    assert image.norm.vmax == 10  # the colour scale is the mistakes'
    assert image.norm.vmin == 0


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
    figure = evaluation_plots.plot_reliability(runs, title="Calibration")
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
    figure = evaluation_plots.plot_reliability([_calibration(0.01), _calibration(0.01)])
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
        evaluation_plots.plot_reliability(calibrations)  # type: ignore[arg-type]
