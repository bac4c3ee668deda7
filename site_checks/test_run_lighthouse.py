"""The Lighthouse check's reading of a report: which categories fall short, and why."""

from __future__ import annotations

from typing import Any

import run_lighthouse


def report(scores: dict[str, float | None], audits: dict[str, tuple[float | None, int]]) -> Any:
    """A Lighthouse report with these category scores; every audit is in every category."""
    references = [{"id": name, "weight": weight} for name, (_, weight) in audits.items()]
    return {
        "categories": {
            name: {"score": score, "auditRefs": references} for name, score in scores.items()
        },
        "audits": {
            name: {"id": name, "title": f"the {name} audit", "score": score}
            for name, (score, _) in audits.items()
        },
    }


FULL = {"accessibility": 1.0, "best-practices": 1.0, "seo": 1.0}


def test_a_page_with_full_scores_has_no_shortfall() -> None:
    assert run_lighthouse.shortfalls(report(FULL, {"target-size": (1.0, 7)})) == []


def test_a_short_category_names_the_weighted_audits_that_cost_it_points() -> None:
    audits = {
        "target-size": (0.0, 7),  # fails, and counts
        "meta-description": (1.0, 1),  # passes
        "tap-targets": (0.0, 0),  # fails, but weighs nothing
        "canonical": (None, 1),  # not applicable
    }
    problems = run_lighthouse.shortfalls(report({**FULL, "accessibility": 0.96}, audits))
    assert problems == ["accessibility 96: target-size (the target-size audit)"]


def test_a_category_lighthouse_could_not_score_fails() -> None:
    problems = run_lighthouse.shortfalls(report({**FULL, "seo": None}, {"a": (None, 1)}))
    assert problems == ["seo none: no weighted audit named"]
