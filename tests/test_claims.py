"""Tests for mnist_tutorial.claims."""

from __future__ import annotations

import warnings
from pathlib import Path

import pytest

from mnist_tutorial import claims


def test_true_claim_passes(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    accuracy = 0.98
    claims.check(accuracy > 0.9, "accuracy is above 0.9")


def test_false_claim_raises_with_its_words(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    accuracy = 0.9
    with pytest.raises(claims.ClaimError, match="claim does not hold: lr = 1 stays near chance"):
        claims.check(accuracy < 0.2, "lr = 1 stays near chance")


def test_false_claim_only_warns_in_draft_mode(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    with pytest.warns(claims.ClaimWarning, match="draft build: not enforced"):
        claims.check(condition=False, claim="momentum helps")


@pytest.mark.parametrize("strict", [None, "0"])
def test_false_claim_only_warns_outside_a_strict_site_build(
    monkeypatch: pytest.MonkeyPatch, strict: str | None
) -> None:
    # A reader running a downloaded script: numbers may differ a little.
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    if strict is None:
        monkeypatch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
    else:
        monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", strict)
    with pytest.warns(claims.ClaimWarning, match="checks this strictly"):
        claims.check(condition=False, claim="momentum helps")


@pytest.mark.parametrize("draft", ["0", "1"])
def test_true_claim_never_warns(monkeypatch: pytest.MonkeyPatch, draft: str) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", draft)
    monkeypatch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        claims.check(condition=True, claim="momentum helps")


@pytest.mark.parametrize("claim", ["", "   ", None])
def test_claim_must_be_described(claim: object) -> None:
    with pytest.raises(TypeError, match="claim must be a non-empty string"):
        claims.check(condition=True, claim=claim)  # type: ignore[arg-type]


# --------------------------------------------------------------------------- issue 12


def _warnings_of_check(condition: object, claim: str) -> list[warnings.WarningMessage]:
    """Run a check that must not raise; return the warnings it issued."""
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        assert claims.check(condition, claim) is None
    return caught


@pytest.mark.parametrize("condition", [True, 1, 0.5, "yes", [0]])
@pytest.mark.parametrize(("draft", "strict"), [("0", "0"), ("0", "1"), ("1", "0"), ("1", "1")])
def test_true_claim_passes_silently_in_every_mode(
    monkeypatch: pytest.MonkeyPatch, condition: object, draft: str, strict: str
) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", draft)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", strict)
    assert _warnings_of_check(condition, "accuracy is above 0.9") == []


@pytest.mark.parametrize("condition", [False, 0, 0.0, "", [], None])
def test_false_claim_in_a_strict_build_raises_exactly(
    monkeypatch: pytest.MonkeyPatch, condition: object
) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    with pytest.raises(claims.ClaimError) as caught:
        claims.check(condition, "lr = 1 stays near chance")
    assert str(caught.value) == "claim does not hold: lr = 1 stays near chance"
    # A failed claim fails the build as an assertion would.
    assert isinstance(caught.value, AssertionError)


@pytest.mark.parametrize(
    ("draft", "strict", "note"),
    [
        ("1", "1", "draft build: not enforced"),
        ("1", "0", "draft build: not enforced"),
        (
            "0",
            "0",
            (
                "the site's build checks this strictly; your numbers may differ a little "
                "from the site's"
            ),
        ),
    ],
)
def test_false_claim_warning_says_why_and_points_at_the_page(
    monkeypatch: pytest.MonkeyPatch, draft: str, strict: str, note: str
) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", draft)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", strict)
    (warning,) = _warnings_of_check(False, "momentum helps")
    assert warning.category is claims.ClaimWarning
    assert issubclass(claims.ClaimWarning, UserWarning)
    assert str(warning.message) == f"claim does not hold: momentum helps ({note})"
    # The warning points at the page's check (stacklevel), not at the claims module.
    # (Not "== __file__": mutation testing wraps check() in frames of its own.)
    assert Path(warning.filename).resolve() != Path(claims.__file__).resolve()


@pytest.mark.parametrize("name", ["MNIST_TUTORIAL_DRAFT", "MNIST_TUTORIAL_STRICT_CLAIMS"])
def test_an_invalid_setting_is_an_error_not_a_pass(
    monkeypatch: pytest.MonkeyPatch, name: str
) -> None:
    monkeypatch.setenv(name, "maybe")
    with pytest.raises(ValueError, match=name):
        claims.check(condition=False, claim="momentum helps")


@pytest.mark.parametrize("claim", ["\n\t", 3, b"bytes"])
@pytest.mark.parametrize("condition", [True, False])
def test_claim_must_be_a_described_string(claim: object, condition: bool) -> None:
    with pytest.raises(TypeError, match=r"^claim must be a non-empty string describing the claim$"):
        claims.check(condition=condition, claim=claim)  # type: ignore[arg-type]
