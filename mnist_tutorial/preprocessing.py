"""Prepare MNIST's arrays for Keras: reshape, scale, one-hot encode, fingerprint.

:func:`preprocess` turns the uint8 arrays of
:func:`mnist_tutorial.data.load_mnist` into a :class:`Dataset` of float32
arrays, with a :func:`fingerprint` that identifies them in cache keys.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from typing import Any

import numpy as np
import numpy.typing as npt

__all__ = ["Dataset", "fingerprint", "preprocess"]

UInt8Array = npt.NDArray[np.uint8]


@dataclass(frozen=True)
class Dataset:
    """Preprocessed MNIST, ready for :meth:`keras.Model.fit`.

    Attributes
    ----------
    x_train, x_test : numpy.ndarray
        float32 images of shape (N, 28, 28, 1) scaled to [0, 1].
    y_train, y_test : numpy.ndarray
        float32 one-hot labels of shape (N, 10).
    fingerprint : str
        sha256 of all four arrays (see :func:`fingerprint`), computed once
        when the dataset is made; a cache key for results computed from it.
    """

    x_train: npt.NDArray[np.float32]
    y_train: npt.NDArray[np.float32]
    x_test: npt.NDArray[np.float32]
    y_test: npt.NDArray[np.float32]
    fingerprint: str = field(init=False)

    def __post_init__(self) -> None:
        digest = fingerprint(self.x_train, self.y_train, self.x_test, self.y_test)
        object.__setattr__(self, "fingerprint", digest)

    def __repr__(self) -> str:
        return (
            f"Dataset(train={self.x_train.shape[0]}, test={self.x_test.shape[0]}, "
            f"fingerprint={self.fingerprint[:12]})"
        )


def fingerprint(*arrays: npt.NDArray[Any]) -> str:
    """Return a sha256 hex digest identifying the given arrays.

    It covers each array's dtype, shape and bytes, in order, so it serves as a
    cache key for anything computed from the data.
    """
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    return digest.hexdigest()


def _check_subset_size(name: str, value: int | None, available: int) -> int:
    if value is None:
        return available
    if isinstance(value, bool) or not isinstance(value, int | np.integer):
        raise TypeError(f"{name} must be an int or None, got {type(value).__name__}")
    if not 1 <= value <= available:
        raise ValueError(f"{name} must be between 1 and {available}, got {value}")
    return int(value)


def _check_images(name: str, images: npt.NDArray[Any]) -> None:
    if not isinstance(images, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(images).__name__}")
    if images.dtype != np.uint8:
        raise TypeError(f"{name} must have dtype uint8, got {images.dtype}")
    if images.ndim != 3 or images.shape[1:] != (28, 28):
        raise ValueError(f"{name} must have shape (N, 28, 28), got {images.shape}")


def _check_labels(name: str, labels: npt.NDArray[Any], expected_length: int) -> None:
    if not isinstance(labels, np.ndarray):
        raise TypeError(f"{name} must be a numpy array, got {type(labels).__name__}")
    if not np.issubdtype(labels.dtype, np.integer):
        raise TypeError(f"{name} must have an integer dtype, got {labels.dtype}")
    if labels.shape != (expected_length,):
        raise ValueError(
            f"{name} must have shape ({expected_length},) to match the images, got {labels.shape}"
        )
    if labels.size and (labels.min() < 0 or labels.max() > 9):
        raise ValueError(
            f"{name} must hold class labels 0 to 9, got values from "
            f"{labels.min()} to {labels.max()}"
        )


def preprocess(
    x_train: UInt8Array,
    y_train: npt.NDArray[np.integer[Any]],
    x_test: UInt8Array,
    y_test: npt.NDArray[np.integer[Any]],
    *,
    n_train: int | None = None,
    n_test: int | None = None,
) -> Dataset:
    """Reshape, scale and one-hot encode MNIST for a convolutional network.

    Images become float32 of shape (N, 28, 28, 1) divided by 255; labels
    become float32 one-hot rows of length 10.

    Parameters
    ----------
    x_train, x_test : ndarray of uint8, shape (N, 28, 28)
        Images.
    y_train, y_test : ndarray of int, shape (N,)
        Labels from 0 to 9.
    n_train, n_test : int, optional
        Keep only the first ``n_train`` training and ``n_test`` test
        examples. The subset is deterministic, for fast drafts and tests.

    Returns
    -------
    Dataset
        The arrays, with a :attr:`~Dataset.fingerprint` for cache keys.

    Raises
    ------
    TypeError
        If an array is not a NumPy array of the expected dtype.
    ValueError
        If a shape does not match, a label is outside 0 to 9, or a subset
        size is out of range.
    """
    _check_images("x_train", x_train)
    _check_images("x_test", x_test)
    _check_labels("y_train", y_train, x_train.shape[0])
    _check_labels("y_test", y_test, x_test.shape[0])
    train_size = _check_subset_size("n_train", n_train, x_train.shape[0])
    test_size = _check_subset_size("n_test", n_test, x_test.shape[0])

    def images(values: UInt8Array, size: int) -> npt.NDArray[np.float32]:
        return values[:size].reshape(size, 28, 28, 1).astype(np.float32) / np.float32(255.0)

    def one_hot(labels: npt.NDArray[np.integer[Any]], size: int) -> npt.NDArray[np.float32]:
        encoded: npt.NDArray[np.float32] = np.eye(10, dtype=np.float32)[labels[:size]]
        return encoded

    return Dataset(
        x_train=images(x_train, train_size),
        y_train=one_hot(y_train, train_size),
        x_test=images(x_test, test_size),
        y_test=one_hot(y_test, test_size),
    )
