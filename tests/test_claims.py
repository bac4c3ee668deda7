"""Tests for mnist_tutorial.claims."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from mnist_tutorial import claims


@pytest.fixture
def full_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)


@pytest.fixture
def draft_build(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")


@pytest.mark.parametrize("condition", [True, 1, 0.5, "yes", [0]])
@pytest.mark.parametrize("build", ["full_build", "draft_build"])
def test_true_claim_passes_silently(
    condition: object, build: str, request: pytest.FixtureRequest
) -> None:
    request.getfixturevalue(build)
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert claims.check(condition, "accuracy is above 0.9") is None
    assert caught == []


@pytest.mark.usefixtures("full_build")
@pytest.mark.parametrize("condition", [False, 0, 0.0, "", [], None])
def test_false_claim_raises_with_its_words(condition: object) -> None:
    with pytest.raises(claims.ClaimError) as caught:
        claims.check(condition, "lr = 1 stays near chance")
    assert str(caught.value) == "claim does not hold: lr = 1 stays near chance"
    # A failed claim fails the build as an assertion would.
    assert isinstance(caught.value, AssertionError)


@pytest.mark.usefixtures("draft_build")
def test_false_claim_only_warns_in_draft_mode() -> None:
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert claims.check(condition=False, claim="momentum helps") is None
    (warning,) = caught
    assert warning.category is claims.ClaimWarning
    assert issubclass(claims.ClaimWarning, UserWarning)
    assert str(warning.message) == (
        "claim does not hold: momentum helps (draft build: not enforced)"
    )
    # The warning points at the page's check (stacklevel), not at the claims module.
    # (Not "== __file__": mutation testing wraps check() in frames of its own.)
    assert Path(warning.filename).resolve() != Path(claims.__file__).resolve()


def test_an_invalid_draft_setting_is_an_error_not_a_pass(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "maybe")
    with pytest.raises(ValueError, match="MNIST_TUTORIAL_DRAFT"):
        claims.check(condition=False, claim="momentum helps")


@pytest.mark.parametrize("claim", ["", "   ", "\n\t", None, 3, b"bytes"])
@pytest.mark.parametrize("condition", [True, False])
def test_claim_must_be_described(claim: object, condition: bool) -> None:
    with pytest.raises(TypeError, match=r"^claim must be a non-empty string describing the claim$"):
        claims.check(condition=condition, claim=claim)  # type: ignore[arg-type]
