"""The noxfile's choice of Python for its sessions (loaded with a stand-in for nox)."""

from __future__ import annotations

import importlib.util
import sys
import tomllib
import types
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="module")
def noxfile() -> types.ModuleType:
    """The noxfile, imported with a stand-in ``nox`` that records nothing."""
    stand_in = types.ModuleType("nox")
    stand_in.session = lambda *args, **kwargs: lambda function: function  # type: ignore[attr-defined]
    stand_in.options = types.SimpleNamespace()  # type: ignore[attr-defined]
    stand_in.Session = object  # type: ignore[attr-defined]
    saved = sys.modules.get("nox")
    sys.modules["nox"] = stand_in
    try:
        spec = importlib.util.spec_from_file_location("noxfile_under_test", ROOT / "noxfile.py")
        assert spec is not None
        assert spec.loader is not None
        module = importlib.util.module_from_spec(spec)
        spec.loader.exec_module(module)
    finally:
        if saved is None:
            del sys.modules["nox"]
        else:
            sys.modules["nox"] = saved
    return module


def test_a_supported_python_runs_the_sessions_itself(noxfile: types.ModuleType) -> None:
    assert noxfile.session_python((3, 12), lambda name: None) is None


def test_elsewhere_the_newest_supported_python_on_the_path_is_used(
    noxfile: types.ModuleType,
) -> None:
    found = {"python3.12", "python3.11"}
    assert noxfile.session_python((3, 14), lambda name: name if name in found else None) == "3.12"


def test_with_none_on_the_path_the_session_stops_with_one_sentence(
    noxfile: types.ModuleType,
) -> None:
    assert noxfile.session_python((3, 14), lambda name: None) == ""
    sentence = noxfile.unsupported_python((3, 14))
    assert sentence.startswith("mnist-tutorial needs Python 3.11, 3.12, 3.13 ")
    assert "nox runs on Python 3.14" in sentence
    assert "\n" not in sentence


def test_the_supported_pythons_are_those_pyproject_allows(noxfile: types.ModuleType) -> None:
    requires = tomllib.loads((ROOT / "pyproject.toml").read_text())["project"]["requires-python"]
    low, high = (int(part.split(".")[1]) for part in requires.replace(">=", "").split(",<"))
    assert sorted(noxfile.SUPPORTED_PYTHONS) == [f"3.{minor}" for minor in range(low, high)]
