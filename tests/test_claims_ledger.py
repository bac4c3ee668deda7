"""Tests for docs/_ext/claims_ledger.py, the site's claims ledger (marker ``docs``)."""

from __future__ import annotations

import json
import os
import re
import shutil
import subprocess
import sys
import warnings
from collections.abc import Callable
from pathlib import Path

import pytest

pytest.importorskip("sphinx")

EXTENSIONS = Path(__file__).resolve().parent.parent / "docs" / "_ext"
sys.path.insert(0, str(EXTENSIONS))

import claims_ledger

from mnist_tutorial import claims, config, ledger

pytestmark = pytest.mark.docs


def test_each_page_starts_with_an_empty_ledger(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config.ENV_CLAIMS_LEDGER, raising=False)
    stale = claims_ledger.page_file(tmp_path, "plot_01_baseline.py")
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    claims_ledger.start_page({"src_dir": str(tmp_path)}, "plot_01_baseline.py")
    assert not stale.exists()
    assert (
        config.claims_ledger_file() == tmp_path / "_generated" / "claims" / "plot_01_baseline.json"
    )
    # Entering a folder of examples names no page.
    claims_ledger.start_page({"src_dir": str(tmp_path)}, None)
    assert config.claims_ledger_file() == stale


def record(
    ledger: Path, monkeypatch: pytest.MonkeyPatch, checks: Callable[[], None], offset: str = "0"
) -> None:
    """Run a page's claim checks the way a build does, failures only warning."""
    with monkeypatch.context() as patch, warnings.catch_warnings():
        warnings.simplefilter("ignore", claims.ClaimWarning)
        patch.setenv(config.ENV_CLAIMS_LEDGER, str(ledger))
        patch.setenv(config.ENV_SEED_OFFSET, offset)
        patch.delenv("MNIST_TUTORIAL_DRAFT", raising=False)
        patch.delenv("MNIST_TUTORIAL_STRICT_CLAIMS", raising=False)
        checks()


def baseline_checks() -> None:
    # margin / spread: 2.0, holds
    claims.at_least([0.99, 0.98], 0.96, "robust accuracy")
    # margin / spread: 0.5, fragile
    claims.at_most([0.1, 0.3], 0.4, "fragile loss")
    # a value no seed moves: spread 0, after those with a spread
    claims.within(0.5, 0.25, 0.75, "single value", spread=0.0)
    claims.check(condition=True, claim="an ordering that holds")
    # margin / spread: -1, fails
    claims.at_least([0.5, 0.7], 0.8, "failing accuracy")


def range_checks() -> None:
    # margin / spread: 0.1 / 0.35, fragile (closer than the baseline's)
    claims.within([0.25, 0.6], 0.15, 0.75, "fragile *range*")
    # margin / spread: 4.0, holds
    claims.at_least([1.0, 1.25], 0.0, "robust_steps")
    claims.check(condition=False, claim="a failing ordering")


def line_of(sentence: str) -> int:
    """Return the line of this file that checks ``sentence``."""
    lines = Path(__file__).read_text().splitlines()
    return next(
        number
        for number, line in enumerate(lines, start=1)
        if "claims." in line and f'"{sentence}"' in line
    )


def test_the_ledger_sorts_the_closest_calls_first(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    record(tmp_path / "plot_01_baseline.json", monkeypatch, baseline_checks)
    record(tmp_path / "plot_05_range.json", monkeypatch, range_checks)
    merged = ledger.merge_ledgers(sorted(tmp_path.glob("*.json")))
    documents = {
        "plot_01_baseline": "auto_examples/plot_01_baseline",
        "plot_05_range": "auto_examples/more/plot_05_range",
    }
    table = claims_ledger.claims_table(merged, documents, [])
    first_table = table.split("\n\n.. list-table::")[0]
    rows = [row.split("\n     - ") for row in first_table.split("\n   * - ")[2:]]
    assert all(len(row) == 8 for row in rows)
    order = [row[2] for row in rows]
    assert order == [
        "a failing ordering",
        "failing accuracy",
        "fragile \\*range\\*",
        "fragile loss",
        "robust accuracy",
        "robust\\_steps",
        "single value",
        "an ordering that holds",
    ]
    # Each row: page, line, sentence, check, worst seed, margin, seed spread, status.
    assert (
        "   * - :doc:`/auto_examples/plot_01_baseline`\n"
        f"     - {line_of('failing accuracy')}\n"
        "     - failing accuracy\n"
        "     - ≥ 0.8000\n"
        "     - 0.5000\n"
        "     - -0.3000\n"
        "     - 0.2000\n"
        "     - **FAILS**\n"
    ) in table
    assert (
        "   * - :doc:`/auto_examples/more/plot_05_range`\n"
        f"     - {line_of('fragile *range*')}\n"
        "     - fragile \\*range\\*\n"
        "     - 0.1500 to 0.7500\n"
        "     - 0.2500\n"
        "     - 0.1000\n"
        "     - 0.3500\n"
        "     - fragile\n"
    ) in table
    assert "     - an ordering that holds\n     - ordering\n     - —\n     - —\n     - —\n" in table
    # The orderings, counted per page.
    assert table.endswith(
        "   * - :doc:`/auto_examples/plot_01_baseline`\n     - 1\n     - 1\n"
        "   * - :doc:`/auto_examples/more/plot_05_range`\n     - 1\n     - 0\n\n"
    )


def test_an_empty_build_and_no_other_offsets_say_so() -> None:
    empty = ledger.merge_ledgers([])
    assert claims_ledger.claims_table(empty, {}, []) == (
        "No page of this build has checked a claim yet.\n"
    )
    assert claims_ledger.offsets_text([], Path()).startswith(
        "No ledger of another seed offset is committed"
    )


@pytest.mark.parametrize(
    ("sentence", "text"),
    [
        ("plain words", "plain words"),
        ("- not a list", "\\- not a list"),
        ("1. not a list", "\\1. not a list"),
        ("a `role` and |sub| and x_", "a \\`role\\` and \\|sub\\| and x\\_"),
        ("two\n  lines", "two lines"),
    ],
)
def test_a_sentence_stays_plain_text_in_its_cell(sentence: str, text: str) -> None:
    assert claims_ledger._text(sentence) == text


@pytest.mark.parametrize(
    ("seeds", "label"), [([100, 101, 102], "100-102"), ([7], "7"), ([1, 5], "1, 5"), ([], "none")]
)
def test_seed_labels(seeds: list[int], label: str) -> None:
    assert claims_ledger.seeds_label(seeds) == label


def write_project(source: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A tiny site: two gallery pages with ledgers, a stale ledger, one committed offset."""
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXTENSIONS)!r})\n"
        'extensions = ["claims_ledger"]\n'
        'exclude_patterns = ["_generated"]\n'
        'html_theme = "basic"\n'
        f"claims_ledger_examples = {str(source.parent / 'repo' / 'examples')!r}\n"
    )
    (source / "index.rst").write_text(
        "Site\n====\n\n.. toctree::\n\n"
        "   auto_examples/plot_01_baseline\n   auto_examples/more/plot_05_range\n   claims\n"
    )
    (source / "claims.rst").write_text(
        "Claims ledger\n=============\n\n`claims.json <claims.json>`__\n\n"
        ".. include:: _generated/claims.rst\n\n"
        "Other seed offsets\n------------------\n\n"
        ".. include:: _generated/claims_offsets.rst\n"
    )
    for document, title in [
        ("auto_examples/plot_01_baseline", "Baseline"),
        ("auto_examples/more/plot_05_range", "Range test"),
    ]:
        page = source / document
        page.parent.mkdir(parents=True, exist_ok=True)
        page.with_suffix(".rst").write_text(f"{title}\n{'=' * len(title)}\n\nText.\n")
        page.with_suffix(".py").write_text('"""The example."""\n')
    ledgers = source / "_generated" / "claims"
    record(ledgers / "plot_01_baseline.json", monkeypatch, baseline_checks)
    record(ledgers / "plot_05_range.json", monkeypatch, range_checks)
    # An example removed from the gallery leaves its ledger behind.
    record(ledgers / "plot_09_removed.json", monkeypatch, lambda: claims.check(False, "gone"))
    # A build at seeds 100-102 that measured one sentence less.
    other = source / "other"
    record(
        other / "plot_01_baseline.json",
        monkeypatch,
        lambda: (
            claims.at_least([0.97, 0.985], 0.96, "robust accuracy"),
            claims.at_least([0.85], 0.75, "failing accuracy", spread=0.0),
            claims.check(condition=False, claim="an ordering that holds"),
        ),
        offset="100",
    )
    # The column is built from a commit of the examples it measured.
    examples = source.parent / "repo" / "examples"
    examples.mkdir(parents=True)
    for name in ("plot_01_baseline", "plot_05_range"):
        (examples / f"{name}.py").write_text('"""The example."""\n')
    git = shutil.which("git") or "git"
    identity = ["-c", "user.name=t", "-c", "user.email=t@t"]
    for arguments in (["init", "-q"], ["add", "."], [*identity, "commit", "-q", "-m", "pages"]):
        subprocess.run([git, "-C", str(examples.parent), *arguments], check=True)
    committed = source / "claims" / "seeds-100.json"
    column = ["column", str(other), "-o", str(committed), "--repository", str(examples.parent)]
    assert ledger.main(column) == 0


def test_a_site_shows_the_ledger_and_publishes_it(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    source = tmp_path / "source"
    source.mkdir()
    write_project(source, monkeypatch)
    output = tmp_path / "html"
    command = [sys.executable, "-m", "sphinx", "-b", "html", "-W", str(source), str(output)]
    # A full build refuses to publish failing rows; a draft build shows them.
    full = subprocess.run(
        command,
        check=False,
        capture_output=True,
        text=True,
        env={**os.environ, config.ENV_DRAFT: "0"},
    )
    assert full.returncode != 0
    assert "claims ledger: a full build must not publish" in full.stderr
    assert "2 failing rows (" in full.stderr
    result = subprocess.run(
        command,
        check=True,
        capture_output=True,
        text=True,
        env={**os.environ, config.ENV_DRAFT: "1"},
    )
    assert "claims ledger: 8 claims, 2 fragile, 2 failing" in result.stdout
    page = (output / "claims.html").read_text()
    rows = re.findall(r"<tr class=\"row-(?:odd|even)\">(.*?)</tr>", page, flags=re.DOTALL)
    cells = [re.findall(r"<td><p>(.*?)</p></td>", row, flags=re.DOTALL) for row in rows]
    table = [row for row in cells if len(row) == 9]
    # The committed ledger of another offset is a column, matched by page and sentence.
    assert [(row[2], row[7], row[8]) for row in table] == [
        ("a failing ordering", "<strong>FAILS</strong>", "not recorded"),
        # The bound differs from this build's: changed after that column was measured.
        ("failing accuracy", "<strong>FAILS</strong>", "0.1000 (bound changed since)"),
        # The sentence is text, not markup.
        ("fragile *range*", "fragile", "not recorded"),
        ("fragile loss", "fragile", "not recorded"),
        ("robust accuracy", "holds", "0.0100 (fragile)"),
        ("robust_steps", "holds", "not recorded"),
        ("single value", "holds", "not recorded"),
        ("an ordering that holds", "holds", "FAILS"),
    ]
    assert "margin at seeds 100-102" in page
    # Each page's link is its title; the removed example is not listed.
    assert '<span class="doc">Baseline</span>' in page
    assert '<span class="doc">Range test</span>' in page
    assert "gone" not in page
    assert "docs/claims/seeds-100.json" in page
    assert "Measured at commit" in page
    assert "No page and no module of the package has changed since." in page
    # A page edited after the column was measured makes it stale.
    (source.parent / "repo" / "examples" / "plot_01_baseline.py").write_text("edited\n")
    subprocess.run(
        [*command, "-E"], check=True, capture_output=True, env={**os.environ, config.ENV_DRAFT: "1"}
    )
    assert (
        "changed since it was measured: plot_01_baseline." in (output / "claims.html").read_text()
    )
    published = json.loads((output / "claims.json").read_text())
    assert [ledger["page"] for ledger in published["pages"]] == [
        "plot_01_baseline",
        "plot_05_range",
    ]
    assert published["seeds"] == [0, 1, 2]


def test_a_sentence_about_one_seed_matches_the_seed_in_the_same_place_at_another_offset(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    def checks(first: int) -> Callable[[], None]:
        def page() -> None:
            claims.at_least(
                [0.9 + first / 1000], 0.8, f"seed {first + 1}: one seed's accuracy", spread=0.0
            )
            claims.at_least(
                [0.6 + first / 10000], 0.5, f"seed {first}: one seed's accuracy", spread=0.0
            )

        return page

    record(tmp_path / "this" / "plot_01_baseline.json", monkeypatch, checks(0))
    record(tmp_path / "other" / "plot_01_baseline.json", monkeypatch, checks(100), offset="100")
    this, other = (
        ledger.merge_ledgers(sorted((tmp_path / name).glob("*.json"))) for name in ("this", "other")
    )
    table = claims_ledger.claims_table(
        this, {"plot_01_baseline": "auto_examples/plot_01_baseline"}, [("seeds-100.json", other)]
    )
    rows = [
        row.split("\n     - ")
        for row in table.split("\n\n.. list-table::")[0].split("\n   * - ")[2:]
    ]
    # Sentence and the other offset's margin: seed 1 is seed 101 there, seed 0 is seed 100.
    assert sorted((row[2], row[8].strip()) for row in rows) == [
        ("seed 0: one seed's accuracy", "0.1100"),
        ("seed 1: one seed's accuracy", "0.2000"),
    ]


def _row(page: str, *, draft: bool = False, holds: bool = True) -> dict[str, object]:
    return {
        "page": page,
        "line": 1,
        "claim": f"a claim of {page}",
        "margin": 0.5 if holds else -0.5,
        "spread": 0.1,
        "holds": holds,
        "fragile": False,
        "draft": draft,
    }


def test_a_full_build_refuses_a_drafts_rows_and_failing_rows() -> None:
    assert claims_ledger.full_build_problems([_row("plot_01"), _row("plot_02")]) == []
    [problem] = claims_ledger.full_build_problems([_row("plot_01"), _row("plot_02", draft=True)])
    assert problem.startswith("rows of a draft build (plot_02): build every page again")
    [problem] = claims_ledger.full_build_problems([_row("plot_03", holds=False)])
    assert problem == "1 failing rows (plot_03: a claim of plot_03)"
