"""Tests for mnist_tutorial.preprocessing on tiny synthetic arrays."""

from __future__ import annotations

import hashlib
import re
from typing import Any

import hypothesis.extra.numpy as hnp
import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from mnist_tutorial import data, preprocessing


def test_data_re_exports_the_preprocessing() -> None:
    # Pages and the package call them as data.preprocess and the like.
    for name in preprocessing.__all__:
        assert getattr(data, name) is getattr(preprocessing, name)
        assert name in data.__all__


def _raw_split(
    n_train: int = 6, n_test: int = 4, seed: int = 0
) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Small uint8 images (with 0 and 255 present) and int64 labels."""
    rng = np.random.default_rng(seed)
    x_train = rng.integers(0, 256, size=(n_train, 28, 28), dtype=np.uint8)
    x_test = rng.integers(0, 256, size=(n_test, 28, 28), dtype=np.uint8)
    x_train[0, 0, :2] = (0, 255)
    x_test[0, 0, :2] = (255, 0)
    y_train = np.arange(n_train, dtype=np.int64) % 10
    y_test = (np.arange(n_test, dtype=np.int64) * 3 + 1) % 10
    return x_train, y_train, x_test, y_test


_X_TRAIN, _Y_TRAIN, _X_TEST, _Y_TEST = _raw_split()


def _one_hot_by_hand(labels: np.ndarray) -> np.ndarray:
    expected = np.zeros((len(labels), 10), dtype=np.float32)
    for row, label in enumerate(labels):
        expected[row, int(label)] = 1.0
    return expected


@pytest.mark.parametrize("label_dtype", [np.uint8, np.int32, np.int64])
def test_preprocess_shapes_dtypes_and_values(label_dtype: type) -> None:
    x_train, y_train, x_test, y_test = _raw_split()
    dataset = preprocessing.preprocess(
        x_train, y_train.astype(label_dtype), x_test, y_test.astype(label_dtype)
    )

    assert dataset.x_train.shape == (6, 28, 28, 1)
    assert dataset.x_test.shape == (4, 28, 28, 1)
    assert dataset.y_train.shape == (6, 10)
    assert dataset.y_test.shape == (4, 10)
    for array in (dataset.x_train, dataset.y_train, dataset.x_test, dataset.y_test):
        assert array.dtype == np.float32

    np.testing.assert_allclose(
        dataset.x_train[..., 0], x_train.astype(np.float64) / 255.0, rtol=1e-6, atol=0
    )
    np.testing.assert_allclose(
        dataset.x_test[..., 0], x_test.astype(np.float64) / 255.0, rtol=1e-6, atol=0
    )
    assert dataset.x_train.min() == 0.0
    assert dataset.x_train.max() == 1.0
    assert dataset.x_train[0, 0, 1, 0] == 1.0  # the 255 pixel
    np.testing.assert_array_equal(dataset.y_train, _one_hot_by_hand(y_train))
    np.testing.assert_array_equal(dataset.y_test, _one_hot_by_hand(y_test))


def test_preprocess_does_not_modify_inputs() -> None:
    x_train, y_train, x_test, y_test = _raw_split()
    copies = [array.copy() for array in (x_train, y_train, x_test, y_test)]
    preprocessing.preprocess(x_train, y_train, x_test, y_test, n_train=2, n_test=1)
    for original, copy in zip((x_train, y_train, x_test, y_test), copies, strict=True):
        np.testing.assert_array_equal(original, copy)


@pytest.mark.parametrize(("n_train", "n_test"), [(1, 1), (3, 2), (6, 4), (np.int64(2), None)])
def test_preprocess_subset_is_the_first_rows(n_train: Any, n_test: Any) -> None:
    x_train, y_train, x_test, y_test = _raw_split()
    dataset = preprocessing.preprocess(
        x_train, y_train, x_test, y_test, n_train=n_train, n_test=n_test
    )
    kept_train = int(n_train)
    kept_test = 4 if n_test is None else int(n_test)

    assert dataset.x_train.shape == (kept_train, 28, 28, 1)
    assert dataset.x_test.shape == (kept_test, 28, 28, 1)
    np.testing.assert_allclose(
        dataset.x_train[..., 0], x_train[:kept_train] / 255.0, rtol=1e-6, atol=0
    )
    np.testing.assert_allclose(
        dataset.x_test[..., 0], x_test[:kept_test] / 255.0, rtol=1e-6, atol=0
    )
    np.testing.assert_array_equal(dataset.y_train, _one_hot_by_hand(y_train[:kept_train]))
    np.testing.assert_array_equal(dataset.y_test, _one_hot_by_hand(y_test[:kept_test]))

    again = preprocessing.preprocess(
        x_train, y_train, x_test, y_test, n_train=n_train, n_test=n_test
    )
    assert again.fingerprint == dataset.fingerprint


def _replace(position: int, value: Any) -> list[Any]:
    arrays: list[Any] = list(_raw_split())
    arrays[position] = value
    return arrays


@pytest.mark.parametrize(
    ("arrays", "error", "name"),
    [
        pytest.param(_replace(0, _X_TRAIN.astype(np.float32)), TypeError, "x_train", id="x-float"),
        pytest.param(_replace(2, _X_TEST.astype(np.int16)), TypeError, "x_test", id="x-int16"),
        pytest.param(_replace(0, _X_TRAIN[:, :, :27]), ValueError, "x_train", id="x-27-cols"),
        pytest.param(_replace(2, _X_TEST.reshape(4, 784)), ValueError, "x_test", id="x-flat"),
        pytest.param(_replace(0, _X_TRAIN[..., None]), ValueError, "x_train", id="x-4d"),
        pytest.param(_replace(0, _X_TRAIN.tolist()), TypeError, "x_train", id="x-list"),
        pytest.param(_replace(1, _Y_TRAIN.tolist()), TypeError, "y_train", id="y-list"),
        pytest.param(_replace(3, _Y_TEST.astype(np.float32)), TypeError, "y_test", id="y-float"),
        pytest.param(_replace(1, _Y_TRAIN[:5]), ValueError, "y_train", id="y-too-short"),
        pytest.param(_replace(3, np.arange(5) % 10), ValueError, "y_test", id="y-too-long"),
        pytest.param(_replace(1, _Y_TRAIN[:, None]), ValueError, "y_train", id="y-2d"),
        pytest.param(_replace(1, np.array([0, 1, 2, 3, 4, 10])), ValueError, "y_train", id="y-10"),
        pytest.param(_replace(3, np.array([0, -1, 2, 3])), ValueError, "y_test", id="y-neg"),
    ],
)
def test_preprocess_rejects_bad_arrays(arrays: list[Any], error: type, name: str) -> None:
    with pytest.raises(error, match=rf"\b{name}\b"):
        preprocessing.preprocess(*arrays)


@pytest.mark.parametrize(
    ("sizes", "error", "name"),
    [
        ({"n_train": 0}, ValueError, "n_train"),
        ({"n_train": -1}, ValueError, "n_train"),
        ({"n_train": 7}, ValueError, "n_train"),
        ({"n_test": 5}, ValueError, "n_test"),
        ({"n_test": 0}, ValueError, "n_test"),
        ({"n_train": True}, TypeError, "n_train"),
        ({"n_test": False}, TypeError, "n_test"),
        ({"n_test": np.True_}, TypeError, "n_test"),
        ({"n_train": 2.0}, TypeError, "n_train"),
        ({"n_train": "2"}, TypeError, "n_train"),
    ],
)
def test_preprocess_rejects_bad_subset_sizes(sizes: dict[str, Any], error: type, name: str) -> None:
    with pytest.raises(error, match=rf"\b{name}\b"):
        preprocessing.preprocess(*_raw_split(), **sizes)


@pytest.mark.parametrize(
    ("arrays", "sizes", "message"),
    [
        (_replace(0, _X_TRAIN.tolist()), {}, "x_train must be a numpy array, got list"),
        (_replace(3, tuple(_Y_TEST)), {}, "y_test must be a numpy array, got tuple"),
        (_raw_split(), {"n_train": "2"}, "n_train must be an int or None, got str"),
    ],
)
def test_a_wrong_type_is_named_in_the_message(
    arrays: list[Any], sizes: dict[str, Any], message: str
) -> None:
    with pytest.raises(TypeError, match=f"^{re.escape(message)}$"):
        preprocessing.preprocess(*arrays, **sizes)


def test_fingerprint_equal_for_equal_arrays() -> None:
    first = _raw_split()
    second = tuple(array.copy() for array in first)
    assert preprocessing.fingerprint(*first) == preprocessing.fingerprint(*second)
    assert re.fullmatch(r"[0-9a-f]{64}", preprocessing.fingerprint(*first))
    assert (
        preprocessing.preprocess(*first).fingerprint
        == preprocessing.preprocess(*second).fingerprint
    )
    # Layout does not matter, only the values.
    image = first[0][0]
    assert preprocessing.fingerprint(image.T) == preprocessing.fingerprint(
        np.ascontiguousarray(image.T)
    )


@pytest.mark.parametrize("position", [0, 1, 2, 3])
def test_fingerprint_changes_when_one_value_changes(position: int) -> None:
    arrays = list(_raw_split())
    before = preprocessing.fingerprint(*arrays)
    dataset_before = preprocessing.preprocess(*arrays).fingerprint

    changed = arrays[position].copy()
    flat = changed.reshape(-1)
    flat[-1] = (int(flat[-1]) + 1) % (256 if changed.dtype == np.uint8 else 10)
    arrays[position] = changed

    assert preprocessing.fingerprint(*arrays) != before
    assert preprocessing.preprocess(*arrays).fingerprint != dataset_before


def test_fingerprint_covers_dtype_shape_and_order() -> None:
    images = _raw_split()[0]
    base = preprocessing.fingerprint(images)
    assert preprocessing.fingerprint(images.view(np.int8)) != base  # same bytes, other dtype
    assert preprocessing.fingerprint(images.reshape(6, 784)) != base  # same bytes, other shape
    assert preprocessing.fingerprint(images.reshape(-1)) != base
    first, second = images[:3], images[3:]
    assert preprocessing.fingerprint(first, second) != preprocessing.fingerprint(second, first)
    assert preprocessing.fingerprint(first, second) != preprocessing.fingerprint(images)


def test_dataset_fingerprint_depends_on_the_subset() -> None:
    arrays = _raw_split()
    full = preprocessing.preprocess(*arrays)
    subset = preprocessing.preprocess(*arrays, n_train=5)
    assert subset.fingerprint != full.fingerprint
    assert repr(full) == f"Dataset(train=6, test=4, fingerprint={full.fingerprint[:12]})"
    assert repr(subset) == f"Dataset(train=5, test=4, fingerprint={subset.fingerprint[:12]})"


@st.composite
def _mnist_like(draw: st.DrawFn) -> tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray]:
    """Any small uint8 images and integer labels 0 to 9, in the shapes preprocess takes."""
    n_train = draw(st.integers(1, 4))
    n_test = draw(st.integers(1, 3))
    label_dtype = draw(st.sampled_from([np.uint8, np.int32, np.int64]))
    images = hnp.arrays(np.uint8, (n_train + n_test, 28, 28), elements=st.integers(0, 255))
    labels = hnp.arrays(label_dtype, n_train + n_test, elements=st.integers(0, 9))
    x, y = draw(images), draw(labels)
    return x[:n_train], y[:n_train], x[n_train:], y[n_train:]


@settings(max_examples=30)  # each example is thousands of pixels: keep the suite quick
@given(_mnist_like())
def test_preprocess_round_trips_pixels_and_labels(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray],
) -> None:
    x_train, y_train, x_test, y_test = arrays
    dataset = preprocessing.preprocess(x_train, y_train, x_test, y_test)
    for images, original in ((dataset.x_train, x_train), (dataset.x_test, x_test)):
        assert images.dtype == np.float32
        assert images.shape == (*original.shape, 1)
        assert float(images.min()) >= 0.0
        assert float(images.max()) <= 1.0
        # Scaling by 1/255 loses nothing: the pixels come back exactly.
        np.testing.assert_array_equal(np.rint(images[..., 0] * 255).astype(np.uint8), original)
    for one_hot, labels in ((dataset.y_train, y_train), (dataset.y_test, y_test)):
        assert one_hot.dtype == np.float32
        assert one_hot.shape == (len(labels), 10)
        assert set(np.unique(one_hot).tolist()) <= {0.0, 1.0}
        np.testing.assert_array_equal(one_hot.sum(axis=1), 1.0)
        np.testing.assert_array_equal(one_hot.argmax(axis=1), labels)


@settings(max_examples=30)
@given(_mnist_like(), st.data())
def test_preprocess_subset_is_a_prefix_of_the_full_set(
    arrays: tuple[np.ndarray, np.ndarray, np.ndarray, np.ndarray], draw: st.DataObject
) -> None:
    full = preprocessing.preprocess(*arrays)
    n_train = draw.draw(st.integers(1, len(arrays[0])), label="n_train")
    n_test = draw.draw(st.integers(1, len(arrays[2])), label="n_test")
    subset = preprocessing.preprocess(*arrays, n_train=n_train, n_test=n_test)
    np.testing.assert_array_equal(subset.x_train, full.x_train[:n_train])
    np.testing.assert_array_equal(subset.y_train, full.y_train[:n_train])
    np.testing.assert_array_equal(subset.x_test, full.x_test[:n_test])
    np.testing.assert_array_equal(subset.y_test, full.y_test[:n_test])
    expected = preprocessing.fingerprint(
        subset.x_train, subset.y_train, subset.x_test, subset.y_test
    )
    assert subset.fingerprint == expected


_ARRAYS = hnp.arrays(
    st.sampled_from([np.dtype(np.uint8), np.dtype(np.int64), np.dtype(np.float32)]),
    hnp.array_shapes(min_dims=1, max_dims=3, min_side=1, max_side=4),
    elements={"allow_nan": False, "min_value": 0, "max_value": 100},
)


@given(st.lists(_ARRAYS, min_size=1, max_size=3))
def test_fingerprint_is_stable_across_copies_and_memory_layouts(arrays: list[np.ndarray]) -> None:
    first = preprocessing.fingerprint(*arrays)
    assert re.fullmatch(r"[0-9a-f]{64}", first)
    assert preprocessing.fingerprint(*[array.copy() for array in arrays]) == first
    assert preprocessing.fingerprint(*[np.asfortranarray(array) for array in arrays]) == first
    # By hand: dtype, shape and C-order bytes of each array, in order.
    digest = hashlib.sha256()
    for array in arrays:
        digest.update(f"{array.dtype.str}{array.shape}".encode())
        digest.update(np.ascontiguousarray(array).tobytes())
    assert first == digest.hexdigest()


@given(st.lists(_ARRAYS, min_size=1, max_size=3), st.data())
def test_fingerprint_changes_when_any_one_value_changes(
    arrays: list[np.ndarray], draw: st.DataObject
) -> None:
    before = preprocessing.fingerprint(*arrays)
    which = draw.draw(st.integers(0, len(arrays) - 1), label="array")
    changed = arrays[which].copy()
    flat = changed.reshape(-1)
    position = draw.draw(st.integers(0, flat.size - 1), label="position")
    flat[position] = flat[position] + 1
    arrays[which] = changed
    assert preprocessing.fingerprint(*arrays) != before
