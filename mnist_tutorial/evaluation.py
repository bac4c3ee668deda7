"""Measure what a trained classifier gets right and wrong on labelled images."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Mistakes", "confusion_matrix", "most_confident_mistakes", "per_class_accuracy"]

IntArray = npt.NDArray[np.int64]


def _labels(name: str, values: npt.ArrayLike, num_classes: int) -> IntArray:
    array = np.asarray(values)
    if array.ndim == 2:
        # One-hot rows or class probabilities: take the most likely class.
        if array.shape[1] != num_classes:
            raise ValueError(f"{name} has {array.shape[1]} columns, expected {num_classes}")
        array = array.argmax(axis=1)
    if array.ndim != 1 or not np.issubdtype(array.dtype, np.integer):
        raise ValueError(
            f"{name} must be integer labels of shape (N,) or scores of shape (N, "
            f"{num_classes}), got dtype {array.dtype} and shape {array.shape}"
        )
    if array.size and (array.min() < 0 or array.max() >= num_classes):
        raise ValueError(f"{name} must hold labels 0 to {num_classes - 1}")
    return array.astype(np.int64)


def confusion_matrix(
    y_true: npt.ArrayLike, y_pred: npt.ArrayLike, *, num_classes: int = 10
) -> IntArray:
    """Count how often each true class was predicted as each class.

    Parameters
    ----------
    y_true, y_pred : array-like
        Integer labels of shape (N,), or one-hot rows / class scores of
        shape (N, num_classes), from which the argmax is taken.
    num_classes : int, default 10

    Returns
    -------
    numpy.ndarray
        ``matrix[i, j]`` is the number of examples of class ``i`` predicted
        as class ``j``; shape (num_classes, num_classes).
    """
    truth = _labels("y_true", y_true, num_classes)
    predicted = _labels("y_pred", y_pred, num_classes)
    if truth.shape != predicted.shape:
        raise ValueError(f"y_true and y_pred differ in length: {truth.size} and {predicted.size}")
    counts = np.bincount(truth * num_classes + predicted, minlength=num_classes**2)
    matrix: IntArray = counts.reshape(num_classes, num_classes)
    return matrix


def per_class_accuracy(matrix: npt.NDArray[np.integer[Any]]) -> npt.NDArray[np.float64]:
    """Return each class's accuracy (recall) from a confusion matrix.

    Classes with no examples get NaN.
    """
    matrix = np.asarray(matrix)
    if matrix.ndim != 2 or matrix.shape[0] != matrix.shape[1]:
        raise ValueError(f"matrix must be square, got shape {matrix.shape}")
    totals = matrix.sum(axis=1).astype(np.float64)
    with np.errstate(invalid="ignore", divide="ignore"):
        accuracy: npt.NDArray[np.float64] = np.diag(matrix) / totals
    return accuracy


@dataclass(frozen=True)
class Mistakes:
    """Misclassified examples, most confident first.

    Attributes
    ----------
    indices : numpy.ndarray
        Positions of the examples in the evaluated set.
    true_labels, predicted_labels : numpy.ndarray
        Their true and predicted classes.
    confidences : numpy.ndarray
        The probability the model gave its (wrong) prediction.
    """

    indices: IntArray
    true_labels: IntArray
    predicted_labels: IntArray
    confidences: npt.NDArray[np.float64]

    def titles(self) -> list[str]:
        """One short title per mistake: true label, prediction and confidence."""
        return [
            f"true {true}, said {predicted}\n{confidence:.1%}"
            for true, predicted, confidence in zip(
                self.true_labels, self.predicted_labels, self.confidences, strict=True
            )
        ]


def most_confident_mistakes(
    probabilities: npt.ArrayLike, y_true: npt.ArrayLike, *, count: int = 20
) -> Mistakes:
    """Find the misclassified examples the model was most sure about.

    Parameters
    ----------
    probabilities : array-like, shape (N, num_classes)
        Predicted class probabilities, such as ``model.predict(x)``.
    y_true : array-like
        True labels, as integers of shape (N,) or one-hot rows.
    count : int, default 20
        Most mistakes to return (fewer if there are fewer).

    Returns
    -------
    Mistakes
    """
    scores = np.asarray(probabilities, dtype=np.float64)
    if scores.ndim != 2:
        raise ValueError(f"probabilities must have shape (N, classes), got {scores.shape}")
    given: object = count
    if isinstance(given, bool) or not isinstance(given, int) or given < 1:
        raise ValueError(f"count must be an int >= 1, got {count!r}")
    truth = _labels("y_true", y_true, scores.shape[1])
    if truth.size != scores.shape[0]:
        raise ValueError(f"y_true has {truth.size} labels for {scores.shape[0]} predictions")
    predicted = scores.argmax(axis=1)
    confidence = scores.max(axis=1)
    wrong = np.flatnonzero(predicted != truth)
    # Stable sort, so ties keep their order in the data set.
    chosen = wrong[np.argsort(-confidence[wrong], kind="stable")][:count]
    return Mistakes(
        indices=chosen.astype(np.int64),
        true_labels=truth[chosen],
        predicted_labels=predicted[chosen].astype(np.int64),
        confidences=confidence[chosen],
    )
