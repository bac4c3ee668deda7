"""Tests for mnist_tutorial.claims."""

from __future__ import annotations

import warnings

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
