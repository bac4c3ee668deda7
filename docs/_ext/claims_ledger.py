"""Show how far each claim on the site is from failing (``mnist_tutorial.claims``).

- Before each example runs, :func:`start_page` names the ledger file its
  claim checks record into (``_generated/claims/<page>.json``, kept between
  builds, so a page that is not re-run keeps its ledger) and empties it.
- ``builder-inited`` (after sphinx-gallery has run the examples) writes the
  Claims ledger page's tables: ``_generated/claims.rst``, every claim sorted
  by its margin in units of its seed spread, with a column for each merged
  ledger committed in ``docs/claims/`` (builds at other seed offsets), and
  ``_generated/claims_offsets.rst``, which lists those files.
- ``build-finished`` publishes this build's merged ledger as ``claims.json``
  at the site's root, and logs how many claims are fragile or failing.
"""

from __future__ import annotations

import json
import re
from collections import Counter
from pathlib import Path
from typing import Any

import run_records
from sphinx.errors import ExtensionError
from sphinx.util import logging as sphinx_logging

from mnist_tutorial import config
from mnist_tutorial.ledger import (
    format_number,
    merge_ledgers,
    read_ledger,
    repeated_measurements,
    sort_key,
    stale_pages,
    status,
    tie_conflicts,
)

LOGGER = sphinx_logging.getLogger(__name__)

#: Where the page ledgers are kept in the source folder.
LEDGER_DIR = Path("_generated") / "claims"
#: Merged ledgers of builds at other seed offsets, committed (``python -m mnist_tutorial.ledger``).
OTHER_OFFSETS_DIR = Path("claims")
#: The generated parts of ``claims.rst``.
TABLE_FILE = Path("_generated") / "claims.rst"
OFFSETS_FILE = Path("_generated") / "claims_offsets.rst"
#: This build's merged ledger, at the site's root.
SITE_FILE = "claims.json"
GALLERY_DIR = run_records.GALLERY_DIR
#: What a cell shows where a quantity does not apply.
NOTHING = "—"


def page_file(source_dir: Path, example: str) -> Path:
    """Return the ledger file of an example page.

    Parameters
    ----------
    source_dir : Path
        The Sphinx source folder.
    example : str
        The example's file name or path, such as ``plot_01_baseline.py``.
    """
    return run_records.page_file(source_dir, example, LEDGER_DIR)


def start_page(gallery_conf: dict[str, Any], fname: str | None) -> None:
    """Point the claim checks of the example about to run at its ledger, emptied.

    A ``reset_modules`` hook of sphinx-gallery: it runs before each example.
    """
    run_records.name_page_file(gallery_conf, fname, LEDGER_DIR, config.ENV_CLAIMS_LEDGER)


def check_text(entry: dict[str, Any]) -> str:
    """Return what a claim is checked against: ``≥ 0.9700``, ``0.9700 to 0.9800``, ``ordering``."""
    kind, limit = entry["kind"], entry["limit"]
    if kind == "at_least":
        return f"≥ {format_number(limit)}"
    if kind == "at_most":
        return f"≤ {format_number(limit)}"
    if kind == "within":
        return f"{format_number(limit[0])} to {format_number(limit[1])}"
    if kind == "ahead":
        return f"difference > {format_number(limit)}"
    if kind == "tied":
        return f"difference within ±{format_number(limit)}"
    return "ordering"


def worst_value(entry: dict[str, Any]) -> float | None:
    """Return the seed's value closest to the claim's limit, or None for an ordering."""
    values = entry["values"]
    if entry["kind"] in ("at_least", "ahead"):
        return float(min(values))
    if entry["kind"] in ("at_most", "tied"):
        return float(max(values))
    if entry["kind"] == "within":
        low, high = entry["limit"]
        return float(min(values) if min(values) - low <= high - max(values) else max(values))
    return None


def seeds_label(seeds: list[int]) -> str:
    """Return a set of seeds as a column title reads it: ``100-102`` or ``1, 5``."""
    if not seeds:
        return "none"
    if seeds == list(range(seeds[0], seeds[0] + len(seeds))):
        return str(seeds[0]) if len(seeds) == 1 else f"{seeds[0]}-{seeds[-1]}"
    return ", ".join(str(seed) for seed in seeds)


def _number(value: float | None) -> str:
    return NOTHING if value is None else format_number(value)


def _text(sentence: str) -> str:
    """Return a sentence as literal reST text in a table cell."""
    text = re.sub(r"([\\`*_|])", r"\\\1", " ".join(sentence.split()))
    # A cell that starts with "-", "#." or "1." would be read as a list.
    return text if text[:1].isalpha() or text[:1] == "\\" else "\\" + text


def _entries(merged: dict[str, Any]) -> list[dict[str, Any]]:
    """Return every claim of a merged ledger, each with its page and its occurrence.

    The occurrence tells apart a sentence that a page checks more than once.
    """
    entries = []
    for page in merged["pages"]:
        seen: Counter[str] = Counter()
        for entry in page["claims"]:
            seen[entry["claim"]] += 1
            entries.append({**entry, "page": page["page"], "occurrence": seen[entry["claim"]]})
    return entries


#: A sentence about one seed, such as ``seed 7: the loss finally shoots up``.
_ONE_SEED = re.compile(r"^seed (\d+): ")


def _identity(entry: dict[str, Any]) -> tuple[str, str, int]:
    """Match a claim across builds: its page, its sentence and its occurrence.

    A sentence about one seed is matched by the seed's place among its
    build's seeds (``seed 7:`` at seeds 7-9 is ``seed 0:`` at seeds 0-2).
    """
    claim = entry["claim"]
    match = _ONE_SEED.match(claim)
    seeds = list(entry.get("seeds") or [])
    if match is not None and int(match.group(1)) in seeds:
        claim = f"seed #{seeds.index(int(match.group(1))) + 1}: {claim[match.end() :]}"
    return entry["page"], claim, entry["occurrence"]


def _other_cell(entry: dict[str, Any] | None, current: dict[str, Any]) -> str:
    if entry is None:
        return "not recorded"
    # A bound that differs from this build's was changed after that column was measured.
    changed = (
        " (bound changed since)"
        if (entry["kind"], entry["limit"]) != (current["kind"], current["limit"])
        else ""
    )
    if entry["margin"] is None:
        return status(entry) + changed
    margin, note = _number(entry["margin"]), status(entry)
    return (margin if note == "holds" else f"{margin} ({note})") + changed


def _other_titles(others: list[tuple[str, dict[str, Any]]]) -> list[str]:
    labels = [seeds_label(merged["seeds"]) for _, merged in others]
    repeated = {label for label in labels if labels.count(label) > 1}
    return [
        f"margin at seeds {label}" + (f" ({name})" if label in repeated else "")
        for label, (name, _) in zip(labels, others, strict=True)
    ]


def claims_table(
    merged: dict[str, Any],
    documents: dict[str, str],
    others: list[tuple[str, dict[str, Any]]],
) -> str:
    """Return the reST of the claims ledger: every claim, then the orderings per page.

    Parameters
    ----------
    merged : dict
        This build's merged ledger (:func:`mnist_tutorial.ledger.merge_ledgers`).
    documents : dict of str to str
        Each page's name to its document (``auto_examples/plot_01_baseline``).
    others : list of (str, dict)
        The merged ledgers of builds at other seed offsets, with their file
        names: each adds a column of its margins, matched by page and sentence.
    """
    entries = sorted(_entries(merged), key=sort_key)
    if not entries:
        return "No page of this build has checked a claim yet.\n"
    other_entries = [
        {_identity(entry): entry for entry in _entries(ledger)} for _, ledger in others
    ]
    header = ["Page", "Line", "Sentence", "Check", "Worst seed", "Margin", "Seed spread", "Status"]
    seeds = seeds_label(merged["seeds"])
    lines = [
        f".. list-table:: Every claim of this build (seeds {seeds}), the closest calls first",
        "   :header-rows: 1",
        "",
    ]
    rows = [[*header, *_other_titles(others)]]
    for entry in entries:
        rows.append(
            [
                f":doc:`/{documents[entry['page']]}`",
                str(entry["line"]),
                _text(entry["claim"]),
                check_text(entry),
                _number(worst_value(entry)),
                _number(entry["margin"]),
                _number(entry["spread"]),
                f"**{status(entry)}**" if entry["holds"] is False else status(entry),
                *(_other_cell(other.get(_identity(entry)), entry) for other in other_entries),
            ]
        )
    for row in rows:
        lines += [f"   * - {row[0]}", *(f"     - {cell}" for cell in row[1:])]
    return "\n".join([*lines, "", *_orderings_table(merged, documents)]) + "\n"


def _orderings_table(merged: dict[str, Any], documents: dict[str, str]) -> list[str]:
    rows = []
    for page in merged["pages"]:
        orderings = [entry for entry in page["claims"] if entry["kind"] == "check"]
        if orderings:
            holding = sum(entry["holds"] for entry in orderings)
            rows.append((page["page"], len(orderings), holding))
    if not rows:
        return []
    lines = [
        ".. list-table:: Claims with no quantity (orderings), per page",
        "   :header-rows: 1",
        "",
        "   * - Page",
        "     - Checks",
        "     - Hold",
    ]
    for page, count, holding in rows:
        lines += [f"   * - :doc:`/{documents[page]}`", f"     - {count}", f"     - {holding}"]
    return [*lines, ""]


def offsets_text(others: list[tuple[str, dict[str, Any]]], examples: Path) -> str:
    """Return the reST that lists the committed ledgers of other seed offsets.

    Each names the commit, date, versions and machine that measured it, and
    whether a page or the package changed since (then it is stale).

    Parameters
    ----------
    others : list of (str, dict)
        The merged ledgers in ``docs/claims/``, with their file names.
    examples : Path
        The gallery's source folder, whose scripts the columns' digests
        are compared with.
    """
    if not others:
        return (
            f"No ledger of another seed offset is committed yet (``docs/{OTHER_OFFSETS_DIR}/`` "
            "holds no ``.json`` file), so the table shows this build's seeds only.\n"
        )
    lines = []
    for (name, merged), title in zip(others, _other_titles(others), strict=True):
        entries = _entries(merged)
        counts = Counter(status(entry) for entry in entries)
        pages = len(merged["pages"])
        # A draft build's numbers come from a small subset: say so next to them.
        draft = " A draft build: its numbers are not the real ones." * any(
            entry["draft"] for entry in entries
        )
        measured = merged["provenance"]
        versions = ", ".join(f"{key} {value}" for key, value in measured["versions"].items())
        changed = stale_pages(merged, examples)
        stale = (
            f" **Stale:** changed since it was measured: {', '.join(changed)}."
            if changed
            else " No page and no module of the package has changed since."
        )
        lines.append(
            f"- ``docs/{OTHER_OFFSETS_DIR}/{name}``: column *{title}*, {len(entries)} claims "
            f"on {pages} {'page' if pages == 1 else 'pages'}, {counts['fragile']} fragile, "
            f"{counts['FAILS']} failing. Measured at commit ``{measured['commit'][:7]}`` on "
            f"{measured['date']} ({versions}; {measured['machine']}).{draft}{stale}"
        )
    return "\n".join(lines) + "\n"


def _build_ledgers(source_dir: Path) -> tuple[dict[str, Any], dict[str, str]]:
    """Return the merged ledger of this build's pages, and each page's document.

    A ledger whose example is no longer in the gallery is left out.
    """
    documents = {}
    for path in sorted((source_dir / LEDGER_DIR).glob("plot_*.json")):
        # The gallery's copy of the example: auto_examples/<subfolder>/<page>.py.
        for example in sorted((source_dir / GALLERY_DIR).rglob(f"{path.stem}.py")):
            documents[path.stem] = example.relative_to(source_dir).with_suffix("").as_posix()
    files = [page_file(source_dir, page) for page in documents]
    return merge_ledgers(files), documents


def _other_ledgers(source_dir: Path) -> list[tuple[str, dict[str, Any]]]:
    folder = source_dir / OTHER_OFFSETS_DIR
    others = []
    for path in sorted(folder.glob("*.json")):
        ledger = read_ledger(path)
        if "pages" not in ledger:
            raise ValueError(f"{path}: a page's ledger; commit a merged one (see claims.rst)")
        if "provenance" not in ledger:
            raise ValueError(
                f"{path}: a column without its provenance; build it with "
                "`nox -s ledger_column -- OFFSET` (see claims.rst)"
            )
        others.append((path.name, ledger))
    return others


def _write_if_changed(target: Path, text: str) -> None:
    # An unchanged include keeps Sphinx from reading the page again.
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _builder_inited(app: Any) -> None:
    source_dir = Path(app.srcdir)
    merged, documents = _build_ledgers(source_dir)
    others = _other_ledgers(source_dir)
    _write_if_changed(source_dir / TABLE_FILE, claims_table(merged, documents, others))
    # The scripts the committed columns' page digests are compared with.
    examples = Path(
        app.config.claims_ledger_examples or app.config.sphinx_gallery_conf["examples_dirs"]
    )
    if not examples.is_absolute():
        examples = source_dir / examples
    _write_if_changed(source_dir / OFFSETS_FILE, offsets_text(others, examples))


def _build_finished(app: Any, exception: Exception | None) -> None:
    if exception is not None:
        return
    merged, _ = _build_ledgers(Path(app.srcdir))
    entries = _entries(merged)
    counts = Counter(status(entry) for entry in entries)
    LOGGER.info(
        "claims ledger: %d claims, %d fragile, %d failing",
        len(entries),
        counts["fragile"],
        counts["FAILS"],
    )
    if app.builder.format == "html":
        target = Path(app.outdir) / SITE_FILE
        target.write_text(json.dumps(merged, indent=1) + "\n")
    conflicts = [line for page in merged["pages"] for line in tie_conflicts(page)]
    repeats = repeated_measurements(merged["pages"])
    if config.draft_mode():
        for line in conflicts:
            LOGGER.info("claims ledger (draft): a result narrower than the page's tie: %s", line)
        for line in repeats:
            LOGGER.info("claims ledger (draft): one measurement, two rows: %s", line)
    else:
        problems = (
            full_build_problems(entries)
            + [f"a result narrower than its page's tie: {line}" for line in conflicts]
            + [f"one measurement counted twice: {line}" for line in repeats]
        )
        if problems:
            raise ExtensionError(
                "claims ledger: a full build must not publish " + "; ".join(problems)
            )


def full_build_problems(entries: list[dict[str, Any]]) -> list[str]:
    """Return what a full build's ledger must not hold: draft rows and failing rows.

    A page that did not run in this build keeps the ledger of the build
    that last ran it, a draft preview's, say; a full build that published
    it would show a draft's numbers, or failing rows, as the site's.

    Parameters
    ----------
    entries : list of dict
        The ledger's rows (:func:`_entries`).
    """
    problems = []
    drafts = sorted({entry["page"] for entry in entries if entry.get("draft")})
    if drafts:
        problems.append(
            f"rows of a draft build ({', '.join(drafts)}): build every page again, without "
            "a filename_pattern (`nox -s docs`)"
        )
    failing = [entry for entry in entries if status(entry) == "FAILS"]
    if failing:
        problems.append(
            f"{len(failing)} failing rows ("
            + "; ".join(f"{entry['page']}: {entry['claim']}" for entry in failing[:3])
            + (", ..." if len(failing) > 3 else "")
            + ")"
        )
    return problems


def setup(app: Any) -> dict[str, Any]:
    """Connect the handlers."""
    # After sphinx-gallery has run the examples (its handler has priority 500).
    app.add_config_value("claims_ledger_examples", None, "env", types=(str,))
    app.connect("builder-inited", _builder_inited, priority=900)
    app.connect("build-finished", _build_finished)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
