"""Tests for mnist_tutorial.evaluation on hand-made predictions."""

from __future__ import annotations

import dataclasses
import re

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given
from hypothesis import strategies as st

from mnist_tutorial import evaluation


def test_confusion_matrix_counts_by_hand() -> None:
    truth = [0, 0, 1, 2, 2, 2]
    predicted = [0, 1, 1, 2, 0, 2]
    matrix = evaluation.confusion_matrix(truth, predicted, num_classes=3)
    expected = np.array([[1, 1, 0], [0, 1, 0], [1, 0, 2]])
    np.testing.assert_array_equal(matrix, expected)


def test_confusion_matrix_accepts_one_hot_and_scores() -> None:
    one_hot = np.eye(3)[[0, 2]]
    scores = np.array([[0.1, 0.7, 0.2], [0.0, 0.1, 0.9]])
    matrix = evaluation.confusion_matrix(one_hot, scores, num_classes=3)
    np.testing.assert_array_equal(matrix, [[0, 1, 0], [0, 0, 0], [0, 0, 1]])


@pytest.mark.parametrize(
    ("truth", "predicted", "match"),
    [
        ([0, 1], [0], "differ in length"),
        ([0, 3], [0, 1], "y_true must hold labels 0 to 2"),
        ([0.5, 1.0], [0, 1], "y_true must be integer labels"),
        (np.zeros((2, 4)), [0, 1], "y_true has 4 columns"),
    ],
)
def test_confusion_matrix_rejects_bad_labels(truth: object, predicted: object, match: str) -> None:
    with pytest.raises(ValueError, match=match):
        evaluation.confusion_matrix(truth, predicted, num_classes=3)  # type: ignore[arg-type]


def test_per_class_accuracy() -> None:
    matrix = np.array([[3, 1, 0], [0, 0, 0], [1, 1, 2]])
    accuracy = evaluation.per_class_accuracy(matrix)
    np.testing.assert_allclose(accuracy[[0, 2]], [0.75, 0.5])
    assert np.isnan(accuracy[1])
    with pytest.raises(ValueError, match="square"):
        evaluation.per_class_accuracy(np.zeros((2, 3), dtype=int))


def test_most_confident_mistakes_order_and_fields() -> None:
    probabilities = np.array(
        [
            [0.9, 0.1, 0.0],  # right
            [0.2, 0.7, 0.1],  # wrong (true 0), 0.7
            [0.05, 0.05, 0.9],  # wrong (true 1), 0.9
            [0.4, 0.6, 0.0],  # wrong (true 2), 0.6
        ]
    )
    mistakes = evaluation.most_confident_mistakes(probabilities, [0, 0, 1, 2], count=2)
    np.testing.assert_array_equal(mistakes.indices, [2, 1])
    np.testing.assert_array_equal(mistakes.true_labels, [1, 0])
    np.testing.assert_array_equal(mistakes.predicted_labels, [2, 1])
    np.testing.assert_allclose(mistakes.confidences, [0.9, 0.7])
    assert mistakes.titles() == ["true 1, said 2\n90.0%", "true 0, said 1\n70.0%"]


def test_most_confident_mistakes_with_none_wrong() -> None:
    mistakes = evaluation.most_confident_mistakes(np.eye(3), [0, 1, 2])
    assert mistakes.indices.size == 0


@pytest.mark.parametrize(
    ("probabilities", "truth", "count", "match"),
    [
        (np.zeros(3), [0, 1, 2], 5, "probabilities must have shape"),
        (np.eye(3), [0, 1], 5, "2 labels for 3 predictions"),
        (np.eye(3), [0, 1, 2], 0, "count must be an int >= 1"),
    ],
)
def test_most_confident_mistakes_rejects_bad_input(
    probabilities: np.ndarray, truth: list[int], count: int, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        evaluation.most_confident_mistakes(probabilities, truth, count=count)


# --------------------------------------------------------------------------- ties and properties


def test_most_confident_mistakes_keeps_ties_in_data_set_order() -> None:
    # Many mistakes at few confidence levels: only a stable sort keeps each tie in
    # index order (numpy's default sort reorders ties in arrays this long).
    levels = np.array([0.6, 0.7, 0.9])
    rng = np.random.default_rng(0)
    chosen_levels = levels[rng.integers(0, 3, size=300)]
    probabilities = np.zeros((300, 3))
    probabilities[:, 1] = chosen_levels  # predicted class 1 ...
    probabilities[:, 0] = 1 - chosen_levels
    truth = np.zeros(300, dtype=np.int64)  # ... where the truth is 0: all wrong

    mistakes = evaluation.most_confident_mistakes(probabilities, truth, count=300)

    expected = sorted(range(300), key=lambda index: -chosen_levels[index])  # stable
    assert mistakes.indices.tolist() == expected
    assert mistakes.indices.dtype == np.int64


@st.composite
def _predictions(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, int]:
    size = draw(st.integers(1, 40))
    classes = draw(st.integers(2, 5))
    # Few distinct values, so that ties are common.
    weights = draw(
        hnp.arrays(np.float64, (size, classes), elements=st.sampled_from([0.0, 1.0, 2.0, 5.0]))
    )
    weights[:, 0] += 0.5  # no all-zero rows
    probabilities = weights / weights.sum(axis=1, keepdims=True)
    truth = draw(hnp.arrays(np.int64, size, elements=st.integers(0, classes - 1)))
    count = draw(st.integers(1, size + 2))
    return probabilities, truth, count


@given(_predictions())
def test_most_confident_mistakes_properties(case: tuple[np.ndarray, np.ndarray, int]) -> None:
    probabilities, truth, count = case
    mistakes = evaluation.most_confident_mistakes(probabilities, truth, count=count)

    predicted = [int(np.argmax(row)) for row in probabilities]
    wrong = [index for index in range(len(truth)) if predicted[index] != truth[index]]
    # Most confident first; ties in data-set order (Python's sort is stable).
    expected = sorted(wrong, key=lambda index: -probabilities[index].max())[:count]
    assert mistakes.indices.tolist() == expected
    assert mistakes.true_labels.tolist() == [int(truth[index]) for index in expected]
    assert mistakes.predicted_labels.tolist() == [predicted[index] for index in expected]
    assert mistakes.confidences.tolist() == [probabilities[index].max() for index in expected]
    for array in (mistakes.indices, mistakes.true_labels, mistakes.predicted_labels):
        assert array.dtype == np.int64
    assert len(mistakes.titles()) == len(expected)


@given(_predictions())
def test_confusion_matrix_properties(case: tuple[np.ndarray, np.ndarray, int]) -> None:
    probabilities, truth, _count = case
    classes = probabilities.shape[1]
    predicted = probabilities.argmax(axis=1)

    matrix = evaluation.confusion_matrix(truth, probabilities, num_classes=classes)

    expected = np.zeros((classes, classes), dtype=np.int64)
    for true, guess in zip(truth, predicted, strict=True):
        expected[true, guess] += 1
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64
    # One-hot truth gives the same matrix as integer labels.
    one_hot = np.eye(classes)[truth]
    np.testing.assert_array_equal(
        evaluation.confusion_matrix(one_hot, predicted, num_classes=classes), expected
    )
    accuracy = evaluation.per_class_accuracy(matrix)
    for label in range(classes):
        total = int((truth == label).sum())
        if total:
            assert accuracy[label] == expected[label, label] / total
        else:
            assert np.isnan(accuracy[label])


def test_mistake_titles_spell_out_label_prediction_and_confidence() -> None:
    mistakes = evaluation.Mistakes(
        indices=np.array([7, 3]),
        true_labels=np.array([4, 9]),
        predicted_labels=np.array([9, 4]),
        confidences=np.array([0.98765, 0.5]),
    )
    assert mistakes.titles() == ["true 4, said 9\n98.8%", "true 9, said 4\n50.0%"]


@pytest.mark.parametrize(
    ("labels", "message"),
    [
        (np.array([0, 1, 3]), "y_true must hold labels 0 to 2"),
        (np.array([0, -1, 2]), "y_true must hold labels 0 to 2"),
        (np.zeros((2, 2, 3), dtype=np.int64), "y_true must be integer labels"),
        (np.array([[0.2, 0.8]]), "y_true has 2 columns, expected 3"),
        (np.array(["a", "b"]), "y_true must be integer labels"),
    ],
)
def test_labels_are_checked(labels: np.ndarray, message: str) -> None:
    with pytest.raises(ValueError, match=f"^{message}") as caught:
        evaluation.confusion_matrix(labels, np.zeros(len(labels), dtype=np.int64), num_classes=3)
    assert "y_pred" not in str(caught.value)


def test_predictions_are_checked_by_name() -> None:
    with pytest.raises(ValueError, match=r"^y_pred must hold labels 0 to 2$"):
        evaluation.confusion_matrix([0, 1], [0, 3], num_classes=3)


def test_empty_labels_are_allowed() -> None:
    matrix = evaluation.confusion_matrix(
        np.array([], dtype=np.int64), np.array([], dtype=np.int64), num_classes=3
    )
    np.testing.assert_array_equal(matrix, np.zeros((3, 3)))


@pytest.mark.parametrize("count", [True, 2.0, "2", -1])
def test_most_confident_mistakes_count_must_be_a_positive_int(count: object) -> None:
    with pytest.raises(ValueError, match=r"^count must be an int >= 1, got "):
        evaluation.most_confident_mistakes(np.eye(3), [1, 2, 0], count=count)  # type: ignore[arg-type]


def test_defaults_are_the_ten_digits_and_twenty_mistakes() -> None:
    truth = np.arange(30) % 10
    matrix = evaluation.confusion_matrix(truth, truth)
    assert matrix.shape == (10, 10)
    np.testing.assert_array_equal(matrix, 3 * np.eye(10))

    probabilities = np.eye(10)[(truth + 1) % 10]  # all 30 wrong
    assert evaluation.most_confident_mistakes(probabilities, truth).indices.size == 20


def test_a_single_mistake_can_be_asked_for() -> None:
    probabilities = np.array([[0.2, 0.8], [0.4, 0.6], [0.9, 0.1]])
    mistakes = evaluation.most_confident_mistakes(probabilities, [0, 0, 0], count=1)
    assert mistakes.indices.tolist() == [0]


def test_integer_scores_give_float_confidences() -> None:
    mistakes = evaluation.most_confident_mistakes([[0, 1], [1, 0], [0, 1]], [0, 0, 0])
    assert mistakes.indices.tolist() == [0, 2]
    assert mistakes.confidences.dtype == np.float64
    assert mistakes.titles() == ["true 0, said 1\n100.0%", "true 0, said 1\n100.0%"]


def test_most_confident_mistakes_checks_its_labels_by_name() -> None:
    scores = np.full((4, 3), 1 / 3)
    with pytest.raises(ValueError, match=r"^y_true has 3 labels for 4 predictions$"):
        evaluation.most_confident_mistakes(scores, [0, 1, 2])
    with pytest.raises(ValueError, match=r"^y_true must hold labels 0 to 2$"):
        evaluation.most_confident_mistakes(scores, [0, 1, 2, 3])


def test_titles_refuse_fields_of_different_lengths() -> None:
    mistakes = evaluation.Mistakes(
        indices=np.array([1, 2]),
        true_labels=np.array([4, 9]),
        predicted_labels=np.array([9]),
        confidences=np.array([0.9, 0.8]),
    )
    with pytest.raises(ValueError, match="zip"):
        mistakes.titles()


@pytest.mark.parametrize(
    ("num_classes", "error"),
    [(1, ValueError), (0, ValueError), (True, TypeError), (3.0, TypeError)],
)
def test_confusion_matrix_checks_num_classes(num_classes: object, error: type) -> None:
    with pytest.raises(error, match=r"^num_classes must be an int >= 2, got "):
        evaluation.confusion_matrix([0], [0], num_classes=num_classes)  # type: ignore[arg-type]


def test_confusion_matrix_keeps_the_rows_of_absent_classes_in_order() -> None:
    # Only classes 3 and 1 occur; sklearn alone would make a 2 x 2 matrix of them.
    matrix = evaluation.confusion_matrix([3, 3, 1], [1, 3, 1], num_classes=4)
    expected = np.zeros((4, 4), dtype=np.int64)
    expected[3, 1] = expected[3, 3] = expected[1, 1] = 1
    np.testing.assert_array_equal(matrix, expected)
    assert matrix.dtype == np.int64


# --------------------------------------------------------------------------- calibration

# Four images, three classes, two bins [0, 0.5] and (0.5, 1]:
#   confidence 0.4 right, 0.5 wrong (on the inner edge: lower bin), 0.9 right, 0.8 wrong.
FOUR = np.array(
    [[0.4, 0.3, 0.3], [0.3, 0.2, 0.5], [0.9, 0.05, 0.05], [0.1, 0.8, 0.1]], dtype=np.float64
)
FOUR_LABELS = [0, 1, 0, 2]


def test_calibration_by_hand() -> None:
    result = evaluation.calibration(FOUR, FOUR_LABELS, n_bins=2)
    np.testing.assert_array_equal(result.bin_edges, [0.0, 0.5, 1.0])
    np.testing.assert_array_equal(result.bin_count, [2, 2])
    assert result.bin_count.dtype == np.int64
    np.testing.assert_allclose(result.bin_confidence, [0.45, 0.85])
    np.testing.assert_allclose(result.bin_accuracy, [0.5, 0.5])
    assert result.confidence == pytest.approx(0.65)
    assert result.accuracy == 0.5
    assert result.over_confidence == pytest.approx(0.15)
    # 2/4 * |0.5 - 0.45| + 2/4 * |0.5 - 0.85|
    assert result.expected_calibration_error == pytest.approx(0.2)


def test_an_inner_edge_goes_to_the_lower_bin_as_in_sklearn() -> None:
    from sklearn.calibration import calibration_curve

    # np.histogram would put 0.5 in the upper bin: counts [1, 3] and ECE 0.45.
    result = evaluation.calibration(FOUR, FOUR_LABELS, n_bins=2)
    assert result.bin_count.tolist() == [2, 2]
    correct = (FOUR.argmax(axis=1) == FOUR_LABELS).astype(int)
    accuracy, confidence = calibration_curve(correct, FOUR.max(axis=1), n_bins=2)
    np.testing.assert_allclose(result.bin_accuracy, accuracy)
    np.testing.assert_allclose(result.bin_confidence, confidence)
    # With ten bins, 0.9 is linspace's edge 9 exactly: bin 8, (0.8, 0.9].
    edge = evaluation.calibration([[0.9, 0.1]], [0], n_bins=10)
    assert edge.bin_count.tolist() == [0] * 8 + [1, 0]
    # The first bin holds 0 itself; the last, 1.
    ends = evaluation.calibration([[1.0, 0.0, 0.0]], [0], n_bins=3)
    assert ends.bin_count.tolist() == [0, 0, 1]


def test_a_perfectly_calibrated_model_has_no_calibration_error() -> None:
    # Confidence 0.75 on four images, three of them right; 0.45 on twenty, nine right.
    probabilities = np.array([[0.75, 0.25, 0.0]] * 4 + [[0.45, 0.3, 0.25]] * 20)
    labels = [0, 0, 0, 1] + [0] * 9 + [2] * 11
    result = evaluation.calibration(probabilities, labels, n_bins=4)
    # 0.75 is the edge of the bins (0.5, 0.75] and (0.75, 1]: the lower one.
    np.testing.assert_array_equal(result.bin_count, [0, 20, 4, 0])
    np.testing.assert_allclose(result.bin_accuracy[[1, 2]], [0.45, 0.75])
    np.testing.assert_allclose(result.bin_confidence[[1, 2]], [0.45, 0.75])
    assert result.expected_calibration_error == pytest.approx(0, abs=1e-12)
    assert result.over_confidence == pytest.approx(0, abs=1e-12)
    assert np.isnan(result.bin_accuracy[[0, 3]]).all()
    assert np.isnan(result.bin_confidence[[0, 3]]).all()


def test_an_over_confident_model_has_a_known_calibration_error() -> None:
    # Ten images at 0.95, six right (0.35 too sure); five at 0.55, all right (0.45 too unsure).
    probabilities = np.array([[0.95, 0.05]] * 10 + [[0.55, 0.45]] * 5)
    labels = [0] * 6 + [1] * 4 + [0] * 5
    result = evaluation.calibration(probabilities, labels)
    assert result.bin_count.tolist() == [0, 0, 0, 0, 0, 5, 0, 0, 0, 10]
    # Each bin weighs by its images; errors of opposite signs add up, they do not cancel.
    assert result.expected_calibration_error == pytest.approx(10 / 15 * 0.35 + 5 / 15 * 0.45)
    assert result.confidence == pytest.approx((10 * 0.95 + 5 * 0.55) / 15)
    assert result.accuracy == pytest.approx(11 / 15)
    assert result.over_confidence == pytest.approx(0.95 * 10 / 15 + 0.55 * 5 / 15 - 11 / 15)
    assert result.over_confidence > 0


def test_calibration_of_all_wrong_predictions() -> None:
    result = evaluation.calibration([[0.8, 0.2], [0.3, 0.7]], [1, 0], n_bins=2)
    assert result.accuracy == 0
    np.testing.assert_allclose(result.bin_accuracy, [np.nan, 0.0])
    assert result.expected_calibration_error == pytest.approx(0.75)


def test_calibration_takes_one_hot_labels_and_float32_softmax() -> None:
    rng = np.random.default_rng(1)
    logits = rng.normal(size=(50, 10)).astype(np.float32)
    probabilities = np.exp(logits) / np.exp(logits).sum(axis=1, keepdims=True)
    labels = rng.integers(0, 10, size=50)
    from_integers = evaluation.calibration(probabilities, labels, n_bins=5)
    from_one_hot = evaluation.calibration(probabilities, np.eye(10)[labels], n_bins=5)
    for field in dataclasses.fields(evaluation.Calibration):
        np.testing.assert_array_equal(
            getattr(from_integers, field.name), getattr(from_one_hot, field.name)
        )
    assert from_integers.accuracy == np.mean(probabilities.argmax(axis=1) == labels)
    assert from_integers.bin_edges.shape == (6,)


def test_calibration_takes_integer_one_hot_labels_and_integer_probabilities() -> None:
    labels = np.array([0, 1, 2, 1])
    predicted = np.array([0, 1, 1, 1])
    one_hot_labels = np.eye(3, dtype=np.int64)[labels]
    certain = np.eye(3, dtype=np.int64)[predicted]  # a model that is always sure
    from_integers = evaluation.calibration(certain, one_hot_labels, n_bins=2)
    from_floats = evaluation.calibration(certain.astype(np.float64), labels, n_bins=2)
    for field in dataclasses.fields(evaluation.Calibration):
        np.testing.assert_array_equal(
            getattr(from_integers, field.name), getattr(from_floats, field.name)
        )
    assert from_integers.accuracy == 0.75
    assert from_integers.expected_calibration_error == 0.25


def test_probabilities_are_not_renormalised_within_the_tolerance() -> None:
    result = evaluation.calibration([[0.6004, 0.4]], [0], n_bins=2)
    assert result.confidence == 0.6004


@pytest.mark.parametrize(
    ("probabilities", "labels", "message"),
    [
        (np.array([0.5, 0.5]), [0], "probabilities must have shape (N, classes)"),
        (np.zeros((0, 3)), [], "probabilities must have shape (N, classes)"),
        (np.ones((2, 1)), [0, 0], "probabilities must have shape (N, classes)"),
        (np.array([["a", "b"]]), [0], "probabilities must be numbers"),
        (np.array([[1.2, -0.2]]), [0], "probabilities must lie within [0, 1]; row 0"),
        (np.array([[0.5, 0.5], [np.nan, 1.0]]), [0, 0], "must lie within [0, 1]; row 1"),
        (np.array([[0.5, 0.3]]), [0], "each row of probabilities must sum to 1"),
        (np.array([[0.4, 0.4]] * 2), [0, 1], "row 0 sums to 0.8"),
        (np.array([[0.6011, 0.4]]), [0], "must sum to 1 (within 0.001)"),
        (np.eye(2), [0], "labels has 1 labels for 2 predictions"),
        (np.eye(2), [0, 2], "labels must hold labels 0 to 1"),
        (np.eye(2), [0.0, 1.0], "labels must be integer labels of shape (N,) or one-hot"),
        (np.eye(2), np.array([[1, 1], [0, 1]]), "a single 1 in each row"),
        (np.eye(2), np.array([[0.3, 0.7], [1, 0]]), "a single 1 in each row"),
        (np.eye(2), np.eye(3)[:2], "one-hot rows of shape (N, 2)"),
        (np.eye(2), np.zeros((2, 2, 2), dtype=int), "labels must be integer labels"),
    ],
)
def test_calibration_rejects_bad_input(
    probabilities: np.ndarray, labels: object, message: str
) -> None:
    with pytest.raises(ValueError, match=re.escape(message)):
        evaluation.calibration(probabilities, labels, n_bins=2)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    ("n_bins", "error"), [(0, ValueError), (True, TypeError), (2.0, TypeError)]
)
def test_calibration_checks_n_bins(n_bins: object, error: type) -> None:
    with pytest.raises(error, match=r"^n_bins must be an int >= 1, got "):
        evaluation.calibration(np.eye(2), [0, 1], n_bins=n_bins)  # type: ignore[arg-type]


def test_one_bin_is_the_overall_gap() -> None:
    result = evaluation.calibration(FOUR, FOUR_LABELS, n_bins=1)
    assert result.bin_count.tolist() == [4]
    assert result.expected_calibration_error == pytest.approx(abs(result.over_confidence))


def test_calibration_refuses_bins_that_do_not_line_up_with_sklearns(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    def histogram_binned(
        correct: np.ndarray, confidence: np.ndarray, **_: object
    ) -> tuple[np.ndarray, np.ndarray]:
        # np.histogram's rule: an inner edge belongs to the upper bin.
        ids = np.digitize(confidence, [0.5])
        counts = np.bincount(ids, minlength=2)
        filled = counts > 0
        return (
            np.bincount(ids, weights=correct, minlength=2)[filled] / counts[filled],
            np.bincount(ids, weights=confidence, minlength=2)[filled] / counts[filled],
        )

    monkeypatch.setattr(evaluation, "calibration_curve", histogram_binned)
    with pytest.raises(RuntimeError, match="bins confidences differently"):
        evaluation.calibration(FOUR, FOUR_LABELS, n_bins=2)
    # Where no confidence is on an edge, the two rules agree.
    evaluation.calibration(FOUR[[0, 2, 3]], [0, 0, 2], n_bins=2)


def test_calibration_is_frozen() -> None:
    result = evaluation.calibration(FOUR, FOUR_LABELS, n_bins=2)
    with pytest.raises(AttributeError):
        result.confidence = 1.0  # type: ignore[misc]
