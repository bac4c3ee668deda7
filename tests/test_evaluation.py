"""Tests for mnist_tutorial.evaluation on hand-made predictions."""

from __future__ import annotations

import numpy as np
import pytest

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
