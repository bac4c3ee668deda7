"""Tests for mnist_tutorial.claims."""

from __future__ import annotations

import io
import json
import math
import sys
import types
import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from mnist_tutorial import claims, config
from mnist_tutorial.ledger import format_number, read_ledger


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
    assert warning.filename == __file__


@pytest.mark.parametrize(
    ("module", "points_at"), [("mutmut.mutation.trampoline", __file__), ("wrappers", "<wrapper>")]
)
def test_only_a_mutation_testing_trampoline_is_skipped_on_the_way_to_the_page(
    monkeypatch: pytest.MonkeyPatch, module: str, points_at: str
) -> None:
    # mutmut calls each function through a trampoline in a module of its own; any
    # other wrapper is the caller the warning points at.
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")

    def forward(*args: object) -> None:
        check(*args)  # type: ignore[name-defined]  # noqa: F821 (the wrapper's globals)

    wrapper = types.FunctionType(
        forward.__code__.replace(co_filename="<wrapper>"),
        {"__name__": module, "check": claims.check},
    )
    with warnings.catch_warnings(record=True) as caught:
        warnings.simplefilter("always")
        wrapper(False, "momentum helps")
    (warning,) = caught
    assert warning.filename == points_at


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


# --------------------------------------------------------------------------- issue 17: the ledger


@pytest.fixture(autouse=True)
def _no_ledger(monkeypatch: pytest.MonkeyPatch) -> None:
    """Run every test outside a site build unless it names a ledger (see ``ledger``)."""
    monkeypatch.delenv(config.ENV_CLAIMS_LEDGER, raising=False)


@pytest.fixture
def ledger(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """Name a page's ledger, as the site build does, in a build that warns instead of failing."""
    target = tmp_path / "claims" / "plot_01_baseline.json"
    monkeypatch.setenv(config.ENV_CLAIMS_LEDGER, str(target))
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    monkeypatch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
    monkeypatch.delenv(config.ENV_SEED_OFFSET, raising=False)
    return target


def measure(kind: str, values: object, limits: tuple[float, ...], claim: str = "it holds") -> float:
    """Call the helper ``kind`` with any warning of a failed claim silenced."""
    helper = {"at_least": claims.at_least, "at_most": claims.at_most, "within": claims.within}[kind]
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", claims.ClaimWarning)
        return helper(values, *limits, claim, **one_value(values))  # type: ignore[operator]


def one_value(values: object) -> dict[str, float]:
    """The spread a claim on one value states: here 0, as for a value no seed moves."""
    return {"spread": 0.0} if np.size(values) == 1 else {}


# kind, values, limits, margin, spread, holds, fragile
Measure = tuple[str, object, tuple[float, ...], float, float, bool, bool]
# Binary fractions, so that every margin and spread is exact.
MEASURES: list[Measure] = [
    ("at_least", [2.0, 1.5, 2.5], (1.0,), 0.5, 1.0, True, True),
    ("at_least", [2.0, 2.5], (1.0,), 1.0, 0.5, True, False),
    # A margin equal to the spread is not smaller than it.
    ("at_least", [2.0, 3.0], (1.0,), 1.0, 1.0, True, False),
    # On the limit holds; a single value has no spread.
    ("at_least", 1.0, (1.0,), 0.0, 0.0, True, False),
    ("at_least", [0.5, 2.0], (1.0,), -0.5, 1.5, False, False),
    ("at_most", [1.0, 1.5], (2.0,), 0.5, 0.5, True, False),
    ("at_most", (1.0, 1.75), (2.0,), 0.25, 0.75, True, True),
    ("at_most", [2.0], (2.0,), 0.0, 0.0, True, False),
    ("at_most", np.array([2.5, 1.0]), (2.0,), -0.5, 1.5, False, False),
    ("within", [1.25, 1.5], (1.0, 2.0), 0.25, 0.25, True, False),
    ("within", [1.25, 1.75], (1.0, 2.0), 0.25, 0.5, True, True),
    # The nearer bound decides: here the upper one.
    ("within", [1.5, 1.875], (1.0, 2.0), 0.125, 0.375, True, True),
    ("within", [1.0, 2.0], (1.0, 2.0), 0.0, 1.0, True, True),
    ("within", [0.5, 1.5], (1.0, 2.0), -0.5, 1.0, False, False),
    ("within", np.float64(2.5), (1.0, 2.0), -0.5, 0.0, False, False),
]


@pytest.mark.parametrize("case", MEASURES)
def test_each_helper_returns_and_records_its_margin(ledger: Path, case: Measure) -> None:
    kind, values, limits, margin, spread, holds, fragile = case
    assert measure(kind, values, limits) == margin
    [entry] = read_ledger(ledger)["claims"]
    assert entry["kind"] == kind
    assert entry["values"] == np.atleast_1d(values).tolist()
    assert entry["limit"] == (list(limits) if kind == "within" else limits[0])
    assert (entry["margin"], entry["spread"]) == (margin, spread)
    assert (entry["holds"], entry["fragile"]) == (holds, fragile)


@pytest.mark.parametrize("case", MEASURES)
def test_a_quantity_fails_like_check_when_its_margin_is_negative(
    monkeypatch: pytest.MonkeyPatch, case: Measure
) -> None:
    kind, values, limits, margin, _, holds, _ = case
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    helper = {"at_least": claims.at_least, "at_most": claims.at_most, "within": claims.within}[kind]
    if holds:
        # A fragile claim does not fail the build either.
        with warnings.catch_warnings():
            warnings.simplefilter("error")
            assert helper(values, *limits, "it holds", **one_value(values)) == margin  # type: ignore[operator]
        return
    with pytest.raises(claims.ClaimError, match=r"^claim does not hold: it holds \(") as caught:
        helper(values, *limits, "it holds", **one_value(values))  # type: ignore[operator]
    assert f"margin {format_number(margin)})" in str(caught.value)


def test_a_failed_quantity_says_where_its_worst_seed_is(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    with pytest.raises(claims.ClaimError) as caught:
        claims.at_least([0.98, 0.965, 0.99], 0.97, "accuracy stays above 0.97")
    assert str(caught.value) == (
        "claim does not hold: accuracy stays above 0.97 (worst seed 0.9650, margin -0.0050)"
    )
    with pytest.raises(claims.ClaimError) as caught:
        claims.within([0.5, 0.75], 0.6, 1.0, "about two thirds")
    assert str(caught.value) == (
        "claim does not hold: about two thirds (seeds from 0.5000 to 0.7500, margin -0.1000)"
    )


@pytest.mark.parametrize(
    ("draft", "strict", "note"),
    [("1", "1", "draft build: not enforced"), ("0", "0", "the site's build checks this strictly")],
)
def test_a_failed_quantity_only_warns_outside_a_strict_build_and_points_at_the_page(
    monkeypatch: pytest.MonkeyPatch, draft: str, strict: str, note: str
) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", draft)
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", strict)
    for call in (
        lambda: claims.at_least([1.0, 2.0], 1.5, "big"),
        lambda: claims.at_most([1.0, 2.0], 1.5, "big"),
        lambda: claims.within([1.0, 2.0], 1.5, 1.75, "big"),
    ):
        with warnings.catch_warnings(record=True) as caught:
            warnings.simplefilter("always")
            assert call() == -0.5
        [warning] = caught
        assert warning.category is claims.ClaimWarning
        assert str(warning.message).startswith("claim does not hold: big (")
        assert note in str(warning.message)
        assert Path(warning.filename).resolve() == Path(__file__).resolve()


@pytest.mark.parametrize(
    ("values", "error", "message"),
    [
        ([], ValueError, "values must not be empty"),
        (np.array([]), ValueError, "values must not be empty"),
        ([[1.0, 2.0]], ValueError, r"values must be a float or a 1-D .* shape \(1, 2\)"),
        ([[1.0], [1.0, 2.0]], ValueError, "values must be a float or a 1-D"),
        ([1.0, math.nan], ValueError, "values must be finite"),
        (math.inf, ValueError, "values must be finite"),
        ("0.98", TypeError, "values must be a float or a 1-D"),
        (
            None,
            TypeError,
            r"^values must be a float or a 1-D array-like of floats \(one per seed\), got None$",
        ),
        ([1.0, None], TypeError, "values must be a float or a 1-D"),
        (True, TypeError, "values must be a float or a 1-D"),
        (np.array([True]), TypeError, "values must be a float or a 1-D"),
        ([1 + 2j], TypeError, "values must be a float or a 1-D"),
        # A dict's keys would be read as the values.
        ({0: 0.9}, TypeError, "got a mapping: pass its values()"),
    ],
)
def test_values_must_be_finite_numbers_one_per_seed(
    ledger: Path, values: object, error: type[Exception], message: str
) -> None:
    for call in (
        lambda: claims.at_least(values, 0.5, "c"),  # type: ignore[arg-type]
        lambda: claims.at_most(values, 0.5, "c"),  # type: ignore[arg-type]
        lambda: claims.within(values, 0.5, 1.0, "c"),  # type: ignore[arg-type]
    ):
        with pytest.raises(error, match=message):
            call()
    # A call that is not a claim records nothing.
    assert not ledger.exists()


@pytest.mark.parametrize(
    ("limit", "error"),
    [
        (math.nan, ValueError),
        (-math.inf, ValueError),
        ("0.9", TypeError),
        (None, TypeError),
        (True, TypeError),
        (np.array(0.9), TypeError),
    ],
)
def test_limits_must_be_finite_numbers(limit: object, error: type[Exception]) -> None:
    with pytest.raises(error, match=r"^limit must be a finite real number, got "):
        claims.at_least(1.0, limit, "c", spread=0.0)  # type: ignore[arg-type]
    with pytest.raises(error, match=r"^limit must be a finite real number, got "):
        claims.at_most(1.0, limit, "c", spread=0.0)  # type: ignore[arg-type]
    with pytest.raises(error, match=r"^low must be a finite real number, got "):
        claims.within(1.0, limit, 2.0, "c", spread=0.0)  # type: ignore[arg-type]
    with pytest.raises(error, match=r"^high must be a finite real number, got "):
        claims.within(1.0, 0.0, limit, "c", spread=0.0)  # type: ignore[arg-type]


@pytest.mark.parametrize(("low", "high"), [(1.0, 1.0), (2.0, 1.0)])
def test_a_range_must_have_its_low_end_first(low: float, high: float) -> None:
    with pytest.raises(ValueError, match=r"^low must be below high, got low=.* and high="):
        claims.within(1.5, low, high, "c", spread=0.0)


def test_numpy_and_integer_inputs_are_measurements(ledger: Path) -> None:
    assert claims.at_least(np.array([3, 4], dtype=np.int64), np.float32(2.5), "c") == 0.5
    assert claims.at_most(np.float32(0.5), 1, "c", spread=0.0) == 0.5
    assert claims.within((1, 2), np.int64(0), 3, "c") == 1.0
    by_seed = {0: 0.75, 1: 0.5}
    assert claims.at_least(by_seed.values(), 0.25, "c") == 0.25
    assert claims.at_most((value for value in by_seed.values()), 1, "c") == 0.25
    assert [entry["values"] for entry in read_ledger(ledger)["claims"]] == [
        [3.0, 4.0],
        [0.5],
        [1.0, 2.0],
        [0.75, 0.5],
        [0.75, 0.5],
    ]


@pytest.mark.parametrize("claim", ["", "  ", None, 3])
def test_every_helper_needs_its_sentence(ledger: Path, claim: object) -> None:
    for call in (
        lambda: claims.at_least(1.0, 0.5, claim, spread=0.0),  # type: ignore[arg-type]
        lambda: claims.at_most(1.0, 0.5, claim, spread=0.0),  # type: ignore[arg-type]
        lambda: claims.within(1.0, 0.5, 2.0, claim, spread=0.0),  # type: ignore[arg-type]
    ):
        with pytest.raises(TypeError, match=r"^claim must be a non-empty string"):
            call()
    assert not ledger.exists()


def test_the_ledger_records_every_check_in_order(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv(config.ENV_SEED_OFFSET, "100")
    first = sys._getframe().f_lineno + 1
    claims.at_least([0.98, 0.99], 0.97, "accuracy is above 0.97")
    claims.check(
        first > 0,
        "an ordering, over two lines",
    )
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", claims.ClaimWarning)
        claims.check(condition=False, claim="an ordering that fails")
    content = read_ledger(ledger)
    assert (content["format"], content["page"], content["seeds"]) == (
        2,
        "plot_01_baseline",
        [100, 101, 102],
    )
    at_least, ordering, failing = content["claims"]
    assert at_least == {
        "claim": "accuracy is above 0.97",
        "kind": "at_least",
        "values": [0.98, 0.99],
        "limit": 0.97,
        "margin": 0.98 - 0.97,
        "spread": 0.99 - 0.98,
        "holds": True,
        "fragile": False,
        "line": first,
        "seeds": [100, 101, 102],
        "draft": False,
    }
    # The line is where the page's call starts, not where the claims module runs.
    assert ordering == {
        "claim": "an ordering, over two lines",
        "kind": "check",
        "values": None,
        "limit": None,
        "margin": None,
        "spread": None,
        "holds": True,
        "fragile": False,
        "line": first + 1,
        "seeds": [100, 101, 102],
        "draft": False,
    }
    assert (failing["holds"], failing["line"]) == (False, first + 7)
    # Written whole each time: no temporary file is left behind.
    assert [path.name for path in ledger.parent.iterdir()] == [ledger.name]


def test_a_failing_claim_is_recorded_before_it_fails_the_build(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_STRICT_CLAIMS", "1")
    with pytest.raises(claims.ClaimError):
        claims.at_most([0.5, 0.25], 0.375, "the loss is below 0.375")
    [entry] = read_ledger(ledger)["claims"]
    assert (entry["holds"], entry["margin"]) == (False, -0.125)


def test_a_draft_build_says_so_in_each_entry(ledger: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("MNIST_TUTORIAL_DRAFT", "1")
    claims.at_least(1.0, 0.5, "c", spread=0.0)
    [entry] = read_ledger(ledger)["claims"]
    assert entry["draft"] is True


def test_a_fragile_claim_is_reported_on_the_terminal(
    ledger: Path, capfd: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    # What sphinx-gallery does while a page runs: sys.stdout and sys.stderr go to the page.
    page = io.StringIO()
    monkeypatch.setattr(sys, "stdout", page)
    monkeypatch.setattr(sys, "stderr", page)
    with warnings.catch_warnings():
        warnings.simplefilter("error")
        assert claims.at_least([0.9715, 0.9704, 0.9712], 0.97, "above 0.97") == pytest.approx(
            0.0004
        )
        claims.at_least([0.99, 0.98], 0.97, "robust")
    monkeypatch.undo()
    captured = capfd.readouterr()
    # Not on the page: sphinx-gallery captures sys.stdout and sys.stderr, not the terminal.
    assert page.getvalue() == ""
    assert captured.out == ""
    assert captured.err == "claim is fragile (margin 0.0004 < seed spread 0.0011): above 0.97\n"
    assert [entry["fragile"] for entry in read_ledger(ledger)["claims"]] == [True, False]


def test_a_fragile_claim_without_a_terminal_is_only_recorded(
    ledger: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(sys, "__stderr__", None)
    assert claims.at_most([1.0, 1.75], 2.0, "below two") == 0.25
    [entry] = read_ledger(ledger)["claims"]
    assert entry["fragile"] is True


def test_outside_a_site_build_nothing_is_written_or_reported(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch, capfd: pytest.CaptureFixture[str]
) -> None:
    monkeypatch.chdir(tmp_path)
    # Unreadable settings that only a recorded entry would read.
    monkeypatch.setenv(config.ENV_SEED_OFFSET, "minus one")
    monkeypatch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
    assert claims.at_least([2.0, 1.5, 2.5], 1.0, "fragile") == 0.5
    assert claims.at_most(1.0, 2.0, "c", spread=0.0) == 1.0
    assert claims.within(1.5, 1.0, 2.0, "c", spread=0.0) == 0.5
    claims.check(condition=True, claim="c")
    assert list(tmp_path.iterdir()) == []
    assert capfd.readouterr() == ("", "")


def test_a_stale_ledger_of_another_kind_is_an_error(ledger: Path) -> None:
    ledger.parent.mkdir(parents=True)
    ledger.write_text(json.dumps({"format": 2, "seeds": [], "pages": []}))
    with pytest.raises(ValueError, match="a merged ledger, not the page's own"):
        claims.check(condition=True, claim="c")


def test_ahead_is_strict_and_records_its_differences(ledger: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", claims.ClaimWarning)
        assert claims.ahead([1.0, 2.0], [0.5, 1.0], "a is ahead") == 0.5
        # A difference of exactly the minimum is a tie, not a lead.
        assert claims.ahead([1.0, 2.0], [0.5, 1.0], "a is ahead by half", by=0.5) == 0.0
    lead, level = read_ledger(ledger)["claims"]
    assert (lead["kind"], lead["values"], lead["limit"], lead["spread"]) == (
        "ahead",
        [0.5, 1.0],
        0.0,
        0.5,
    )
    assert (lead["holds"], level["holds"]) == (True, False)


def test_tied_holds_within_the_tie_either_way(ledger: Path) -> None:
    half = claims.TIE
    # A difference of exactly the tie's width, either way, is a tie.
    assert claims.tied([half, 0.0], [0.0, half], "tied") == 0.0
    assert claims.tied([0.25, 0.25], [0.25, 0.25], "equal") == half
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", claims.ClaimWarning)
        assert claims.tied([1.0], [1.0 + 2 * half], "not tied") == pytest.approx(-half)
    tied, _, apart = read_ledger(ledger)["claims"]
    assert (tied["kind"], tied["limit"], tied["holds"]) == ("tied", half, True)
    assert apart["holds"] is False


@pytest.mark.parametrize(
    ("call", "error", "match"),
    [
        (lambda: claims.ahead([1.0, 2.0], [1.0], "c"), ValueError, "one value per seed each"),
        (lambda: claims.ahead([1.0], [0.0], "c", by=-0.1), ValueError, "by must be >= 0"),
        (lambda: claims.ahead([1.0], [0.0], "c", by=math.nan), ValueError, "by must be"),
        (lambda: claims.tied([1.0], ["a"], "c"), TypeError, "values must be"),
        (lambda: claims.at_least(1.0, 0.0, "c"), ValueError, "pass spread="),
        (lambda: claims.at_least([1.0, 2.0], 0.0, "c", spread=0.1), ValueError, "only for"),
        (lambda: claims.at_most(1.0, 2.0, "c", spread=-1.0), ValueError, "spread must be >= 0"),
        (lambda: claims.within(1.0, 0.0, 2.0, "c", spread="x"), TypeError, "spread must be"),
    ],
)
def test_comparisons_and_spreads_refuse_bad_input(
    call: Callable[[], object], error: type[Exception], match: str
) -> None:
    with pytest.raises(error, match=match):
        call()


def test_a_stated_spread_ranks_a_one_value_claim(ledger: Path) -> None:
    with warnings.catch_warnings():
        warnings.simplefilter("error")  # a fragile claim does not warn
        claims.within(0.0015, 0.0014, 0.0016, "about 0.15 points", spread=0.0002)
    [entry] = read_ledger(ledger)["claims"]
    assert entry["spread"] == 0.0002
    assert entry["fragile"] is True
