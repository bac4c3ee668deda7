"""Time the site's builds: cold, unchanged, and after a one-sentence prose edit.

Each build runs ``nox -R -s docs`` (the docs environment must already exist:
run ``nox -s docs --install-only`` once). The cold build starts from an empty
data and run cache and no previous output; its wall time is compared with the
training time recorded in the run records it creates. The run cache's lookup
log counts cache misses against the distinct configurations, so a
configuration trained twice would show.

Beside it, in the same run and just before it, the same cold build of an
earlier commit (``--against``, default ``HEAD~1``; ``--against none``
skips it): a clone of this repository checked out at that commit, with its
own docs environment (installed untimed) and its own empty cache. The two
figures are then measured on the same machine, minutes apart.

Run with ``nox -s bench_docs`` or ``python benchmarks/bench_docs.py``.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOCS = ROOT / "docs"
EDITED_EXAMPLE = ROOT / "examples" / "plot_03_momentum.py"
EDITED_SENTENCE = "**Yes, by a wide margin, against the baseline.**"


def build(environment: dict[str, str], log: Path, tree: Path = ROOT) -> float:
    """Run one docs build of ``tree``, write its output to ``log``, and return its wall time."""
    start = time.perf_counter()
    with log.open("w") as handle:
        result = subprocess.run(
            [sys.executable, "-m", "nox", "-R", "-s", "docs"],
            cwd=tree,
            env=environment,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"docs build failed (exit {result.returncode}); see {log}")
    return seconds


def clean_outputs(docs: Path = DOCS) -> None:
    """Remove everything a previous build left in ``docs``."""
    for generated in ("_build", "auto_examples", "gen_modules", "_generated"):
        shutil.rmtree(docs / generated, ignore_errors=True)
    (docs / "sg_execution_times.rst").unlink(missing_ok=True)


def records(run_cache: Path) -> list[dict[str, object]]:
    """Return every run record in the run cache."""
    return [json.loads(path.read_text()) for path in sorted(run_cache.glob("*/record.json"))]


def read_events(run_cache: Path) -> list[dict[str, str]]:
    """Return the run cache's lookup log (see mnist_tutorial.runcache.read_events)."""
    log = run_cache / "events.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def cold_build(environment: dict[str, str], log: Path, tree: Path = ROOT) -> dict[str, float]:
    """Build ``tree`` from nothing; return its wall time and what its run cache recorded."""
    clean_outputs(tree / "docs")
    cold = build(environment, log, tree)
    run_cache = Path(environment["MNIST_TUTORIAL_CACHE"]) / "runs"
    runs = records(run_cache)
    events = read_events(run_cache)
    epochs = sum(len(run["epoch_seconds"]) for run in runs)  # type: ignore[arg-type]
    return {
        "wall s": cold,
        "training s in the records": sum(float(run["total_seconds"]) for run in runs),
        "runs": len(runs),
        "epochs trained": epochs,
        "epochs per wall second": epochs / cold,
        "cache misses": sum(event["event"] == "miss" for event in events),
        "distinct configurations": len({event["key"] for event in events}),
        "cache hits": sum(event["event"] == "hit" for event in events),
    }


def earlier_tree(revision: str, parent: Path) -> tuple[Path, str]:
    """Clone this repository into ``parent`` at ``revision``, with its docs environment."""
    tree = parent / "earlier"
    git = ["git", "-c", "advice.detachedHead=false"]
    subprocess.run([*git, "clone", "--quiet", "--shared", str(ROOT), str(tree)], check=True)
    subprocess.run([*git, "-C", str(tree), "checkout", "--quiet", revision], check=True)
    commit = subprocess.run(
        ["git", "-C", str(tree), "rev-parse", "--short", "HEAD"],
        check=True,
        capture_output=True,
        text=True,
    ).stdout.strip()
    subprocess.run(
        [sys.executable, "-m", "nox", "-s", "docs", "--install-only"],
        cwd=tree,
        check=True,
        stdout=subprocess.DEVNULL,
    )
    return tree, commit


def print_cold(figures: dict[str, dict[str, float]]) -> None:
    """Print the cold builds' figures side by side, and each against the first."""
    names = list(figures)
    print("Cold full build".ljust(28) + "".join(f"{name:>22s}" for name in names))
    for row in figures[names[0]]:
        cells = "".join(
            f"{figures[name][row]:22.{3 if row == 'epochs per wall second' else 1}f}"
            if isinstance(figures[name][row], float)
            else f"{figures[name][row]:22d}"
            for name in names
        )
        print(f"  {row:26s}{cells}")
    first = figures[names[0]]["wall s"]
    for name in names[1:]:
        print(f"  {name}: {figures[name]['wall s'] / first:.2f}x the wall time of {names[0]}")
    print(
        "  (a configuration trained twice shows as cache misses > distinct configurations;"
        " the training in the records is above the wall time when runs train in parallel)",
        flush=True,
    )


def main() -> None:
    """Run the three builds and print the figures the issue asks for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="cache folder (default: a new temporary one)")
    parser.add_argument("--logs", type=Path, default=ROOT / "benchmarks" / "results")
    parser.add_argument(
        "--against",
        default="HEAD~1",
        help="the commit whose cold build is timed beside this tree's ('none': skip it)",
    )
    parser.add_argument(
        "--warm",
        action="store_true",
        help="skip the cold build: reuse --cache and the current outputs",
    )
    arguments = parser.parse_args()

    cache = arguments.cache or Path(tempfile.mkdtemp(prefix="mnist-docs-bench-"))
    if arguments.warm and arguments.cache is None:
        raise SystemExit("--warm needs --cache: the cache of an earlier build")
    if not arguments.warm:
        shutil.rmtree(cache, ignore_errors=True)
        cache.mkdir(parents=True)
    arguments.logs.mkdir(parents=True, exist_ok=True)
    environment = {
        **os.environ,
        "MNIST_TUTORIAL_CACHE": str(cache),
        "MNIST_TUTORIAL_DRAFT": "0",
    }
    environment.pop("MNIST_TUTORIAL_RUN_CACHE", None)
    run_cache = cache / "runs"

    if arguments.warm:
        # Settle: bring the outputs up to date with the tree, untimed.
        build(environment, arguments.logs / "settle.log")
    else:
        figures = {}
        if arguments.against != "none":
            with tempfile.TemporaryDirectory(prefix="mnist-docs-bench-earlier-") as scratch:
                tree, commit = earlier_tree(arguments.against, Path(scratch))
                (Path(scratch) / "cache").mkdir()
                earlier = {**environment, "MNIST_TUTORIAL_CACHE": str(Path(scratch) / "cache")}
                figures[f"{arguments.against} ({commit})"] = cold_build(
                    earlier, arguments.logs / "cold-earlier.log", tree
                )
        figures["this tree"] = cold_build(environment, arguments.logs / "cold.log")
        print_cold(figures)
    runs = records(run_cache)

    unchanged = build(environment, arguments.logs / "unchanged.log")

    original = EDITED_EXAMPLE.read_text()
    if EDITED_SENTENCE not in original:
        raise SystemExit(f"cannot find the sentence to edit in {EDITED_EXAMPLE}")
    events_before_edit = len(read_events(run_cache))
    try:
        EDITED_EXAMPLE.write_text(original.replace(EDITED_SENTENCE, "**Yes, clearly.**", 1))
        edited = build(environment, arguments.logs / "prose-edit.log")
    finally:
        EDITED_EXAMPLE.write_text(original)
    # The lookups made while the edited page re-ran are the runs it uses.
    page_keys = {event["key"] for event in read_events(run_cache)[events_before_edit:]}
    default_rerun = sum(float(run["total_seconds"]) for run in runs if run["key"] in page_keys)
    # Put the page back as committed (itself another prose-edit rebuild).
    restored = build(environment, arguments.logs / "restore.log")

    print(f"No-change rebuild:          {unchanged:8.1f} s  (target <= 30 s)")
    print(f"Prose edit in one example:  {edited:8.1f} s  (target <= 30 s)")
    print(f"  restore of that edit:     {restored:8.1f} s")
    print(
        f"  without the run cache, sphinx-gallery's re-run of {EDITED_EXAMPLE.name} "
        f"would train its {len(page_keys)} runs for {default_rerun:.1f} s"
    )
    print(f"Logs in {arguments.logs}; caches in {cache}")


if __name__ == "__main__":
    main()
