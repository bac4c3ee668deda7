"""Measure what a trained classifier gets right and wrong on labelled images.

The confusion matrix and the calibration curve come from scikit-learn
(:func:`sklearn.metrics.confusion_matrix`,
:func:`sklearn.calibration.calibration_curve`); this module checks the
arrays a Keras model gives and takes, and adds what the course needs on top.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

import numpy as np
import numpy.typing as npt
import sklearn
from sklearn import metrics
from sklearn.calibration import calibration_curve

__all__ = [
    "Calibration",
    "Mistakes",
    "calibration",
    "confusion_matrix",
    "most_confident_mistakes",
    "per_class_accuracy",
]

IntArray = npt.NDArray[np.int64]
FloatArray = npt.NDArray[np.float64]

# How far a row of probabilities may sum from 1: float32 softmax rounding, no more.
_PROBABILITY_TOLERANCE = 1e-3


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
        Number of classes, at least 2. Every class gets its row and column,
        also one that appears in neither ``y_true`` nor ``y_pred``.

    Returns
    -------
    numpy.ndarray
        ``matrix[i, j]`` is the number of examples of class ``i`` predicted
        as class ``j``; shape (num_classes, num_classes).

    Raises
    ------
    TypeError
        If ``num_classes`` is not an int.
    ValueError
        If ``num_classes`` is below 2, or the labels are not of the shapes
        above, not within 0 to ``num_classes - 1``, or of different lengths.

    See Also
    --------
    sklearn.metrics.confusion_matrix : which counts them.
    """
    classes: object = num_classes
    if isinstance(classes, bool) or not isinstance(classes, int):
        raise TypeError(f"num_classes must be an int >= 2, got {num_classes!r}")
    if num_classes < 2:
        raise ValueError(f"num_classes must be an int >= 2, got {num_classes!r}")
    truth = _labels("y_true", y_true, num_classes)
    predicted = _labels("y_pred", y_pred, num_classes)
    if truth.shape != predicted.shape:
        raise ValueError(f"y_true and y_pred differ in length: {truth.size} and {predicted.size}")
    if truth.size == 0:
        # scikit-learn refuses empty labels; no examples count nothing.
        return np.zeros((num_classes, num_classes), dtype=np.int64)
    # labels= keeps a row and a column for every class, in order, even an absent one.
    counts = metrics.confusion_matrix(truth, predicted, labels=np.arange(num_classes))
    matrix: IntArray = np.asarray(counts, dtype=np.int64)
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


@dataclass(frozen=True)
class Calibration:
    """How well a classifier's top-class probabilities match its accuracy.

    Made by :func:`calibration`. A calibrated model that says 90% is right
    90% of the time: in each confidence bin, ``bin_accuracy`` equals
    ``bin_confidence``, and the reliability diagram
    (:func:`mnist_tutorial.plotting.plot_reliability`) follows its diagonal.

    Attributes
    ----------
    confidence : float
        Mean top-class probability over all images.
    accuracy : float
        Share of the images whose top class is the true one.
    expected_calibration_error : float
        The sum over the bins of ``(bin_count / n) * |bin_accuracy -
        bin_confidence|``, with ``n`` the number of images: 0 for a
        perfectly calibrated model.
    bin_edges : numpy.ndarray
        The ``n_bins + 1`` edges of equal-width bins on [0, 1]. A confidence
        equal to an inner edge belongs to the lower bin (bins are ``(a, b]``,
        the first ``[0, b]``), as in :func:`sklearn.calibration.calibration_curve`.
    bin_confidence : numpy.ndarray
        Mean confidence in each bin; NaN for an empty bin.
    bin_accuracy : numpy.ndarray
        Accuracy in each bin; NaN for an empty bin.
    bin_count : numpy.ndarray
        Number of images in each bin (int64).
    """

    confidence: float
    accuracy: float
    expected_calibration_error: float
    bin_edges: FloatArray
    bin_confidence: FloatArray
    bin_accuracy: FloatArray
    bin_count: IntArray

    @property
    def over_confidence(self) -> float:
        """Mean confidence minus accuracy; above 0 when the model is over-confident."""
        return self.confidence - self.accuracy


def _probabilities(probabilities: npt.ArrayLike) -> FloatArray:
    scores = np.asarray(probabilities)
    if scores.ndim != 2 or scores.shape[0] == 0 or scores.shape[1] < 2:
        raise ValueError(
            "probabilities must have shape (N, classes) with N >= 1 and classes >= 2, "
            f"got shape {scores.shape}"
        )
    if not (np.issubdtype(scores.dtype, np.floating) or np.issubdtype(scores.dtype, np.integer)):
        raise ValueError(f"probabilities must be numbers, got dtype {scores.dtype}")
    values = scores.astype(np.float64)
    outside = ~((values >= 0) & (values <= 1))  # NaN counts as outside
    if outside.any():
        row = int(np.flatnonzero(outside.any(axis=1))[0])
        raise ValueError(
            f"probabilities must lie within [0, 1]; row {row} is {values[row].tolist()}"
        )
    sums = values.sum(axis=1)
    off = np.abs(sums - 1) > _PROBABILITY_TOLERANCE
    if off.any():
        row = int(np.flatnonzero(off)[0])
        raise ValueError(
            f"each row of probabilities must sum to 1 (within {_PROBABILITY_TOLERANCE:g}), "
            f"such as a softmax output; row {row} sums to {sums[row]:.6g}"
        )
    return values


def _true_classes(labels: npt.ArrayLike, count: int, classes: int) -> IntArray:
    array = np.asarray(labels)
    if array.ndim == 2:
        is_one_hot = (
            array.shape[1] == classes
            and (np.issubdtype(array.dtype, np.number) or array.dtype == np.bool_)
            and bool(np.isin(array, (0, 1)).all())
            and bool((array.sum(axis=1) == 1).all())
        )
        if not is_one_hot:
            raise ValueError(
                f"labels must be integer labels of shape (N,) or one-hot rows of shape "
                f"(N, {classes}) (a single 1 in each row), got dtype {array.dtype} and "
                f"shape {array.shape}"
            )
        truth: IntArray = array.argmax(axis=1).astype(np.int64)
    elif array.ndim == 1 and np.issubdtype(array.dtype, np.integer):
        truth = _labels("labels", array, classes)
    else:
        raise ValueError(
            f"labels must be integer labels of shape (N,) or one-hot rows of shape "
            f"(N, {classes}), got dtype {array.dtype} and shape {array.shape}"
        )
    if truth.size != count:
        raise ValueError(f"labels has {truth.size} labels for {count} predictions")
    return truth


def calibration(
    probabilities: npt.ArrayLike, labels: npt.ArrayLike, *, n_bins: int = 10
) -> Calibration:
    """Measure the top-label calibration of predicted probabilities.

    Each image's confidence is its largest probability; the prediction is
    right when that class is the true one. The images are put in
    ``n_bins`` equal-width confidence bins on [0, 1]; in each bin, the
    share of right predictions is compared with the mean confidence.

    Parameters
    ----------
    probabilities : array-like, shape (N, classes)
        Predicted class probabilities, such as ``model.predict(x)`` of a
        softmax output: each value within [0, 1], each row summing to 1
        within 0.001. Nothing is clipped or renormalised.
    labels : array-like
        True classes: integer labels of shape (N,), or one-hot rows of shape
        (N, classes).
    n_bins : int, default 10
        Number of equal-width bins, at least 1.

    Returns
    -------
    Calibration

    Raises
    ------
    TypeError
        If ``n_bins`` is not an int.
    ValueError
        If ``n_bins`` is below 1, ``probabilities`` is not a non-empty
        (N, classes) array of probabilities as above, or ``labels`` is not
        one of the two forms above, with one label per row.

    See Also
    --------
    sklearn.calibration.calibration_curve : which gives the accuracy and
        mean confidence of each non-empty bin.

    Examples
    --------
    >>> result = calibration([[0.9, 0.1], [0.8, 0.2]], [0, 1], n_bins=2)
    >>> round(result.confidence, 2), result.accuracy
    (0.85, 0.5)
    >>> round(result.expected_calibration_error, 2)
    0.35
    """
    bins: object = n_bins
    if isinstance(bins, bool) or not isinstance(bins, int):
        raise TypeError(f"n_bins must be an int >= 1, got {n_bins!r}")
    if n_bins < 1:
        raise ValueError(f"n_bins must be an int >= 1, got {n_bins!r}")
    scores = _probabilities(probabilities)
    truth = _true_classes(labels, scores.shape[0], scores.shape[1])
    confidence = scores.max(axis=1)
    correct = (scores.argmax(axis=1) == truth).astype(np.int64)

    # The same edges and the same rule as calibration_curve(strategy="uniform"):
    # a confidence equal to an inner edge goes to the lower bin.
    edges = np.linspace(0.0, 1.0, n_bins + 1)
    bin_ids = np.searchsorted(edges[1:-1], confidence, side="left")
    counts = np.bincount(bin_ids, minlength=n_bins).astype(np.int64)
    filled = counts > 0
    # pos_label=1: "right" is the positive class, also when every prediction is wrong.
    right_share, mean_confidence = calibration_curve(
        correct, confidence, n_bins=n_bins, strategy="uniform", pos_label=1
    )
    own_means = np.bincount(bin_ids, weights=confidence, minlength=n_bins)[filled] / counts[filled]
    if len(mean_confidence) != filled.sum() or not np.allclose(mean_confidence, own_means):
        raise RuntimeError(
            f"scikit-learn {sklearn.__version__} bins confidences differently from "
            "mnist_tutorial.evaluation.calibration; its bin counts would not match"
        )
    bin_accuracy = np.full(n_bins, np.nan)
    bin_confidence = np.full(n_bins, np.nan)
    bin_accuracy[filled] = right_share
    bin_confidence[filled] = mean_confidence
    weights = counts[filled] / confidence.size
    error = float(np.sum(weights * np.abs(bin_accuracy[filled] - bin_confidence[filled])))
    return Calibration(
        confidence=float(confidence.mean()),
        accuracy=float(correct.mean()),
        expected_calibration_error=error,
        bin_edges=edges,
        bin_confidence=bin_confidence,
        bin_accuracy=bin_accuracy,
        bin_count=counts,
    )
