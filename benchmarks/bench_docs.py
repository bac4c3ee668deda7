"""Time the site's builds: cold, unchanged, and after a one-sentence prose edit.

Each build runs ``nox -R -s docs`` (the docs environment must already exist:
run ``nox -s docs --install-only`` once). The cold build starts from an empty
data and run cache and no previous output; its wall time is compared with the
training time recorded in the run records it creates. The run cache's lookup
log counts cache misses against the distinct configurations, so a
configuration trained twice would show.

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


def build(environment: dict[str, str], log: Path) -> float:
    """Run one docs build, write its output to ``log``, and return its wall time."""
    start = time.perf_counter()
    with log.open("w") as handle:
        result = subprocess.run(
            [sys.executable, "-m", "nox", "-R", "-s", "docs"],
            cwd=ROOT,
            env=environment,
            stdout=handle,
            stderr=subprocess.STDOUT,
            check=False,
        )
    seconds = time.perf_counter() - start
    if result.returncode != 0:
        raise SystemExit(f"docs build failed (exit {result.returncode}); see {log}")
    return seconds


def clean_outputs() -> None:
    """Remove everything a previous build left in docs/."""
    for generated in ("_build", "auto_examples", "gen_modules", "_generated"):
        shutil.rmtree(DOCS / generated, ignore_errors=True)
    (DOCS / "sg_execution_times.rst").unlink(missing_ok=True)


def records(run_cache: Path) -> list[dict[str, object]]:
    """Return every run record in the run cache."""
    return [json.loads(path.read_text()) for path in sorted(run_cache.glob("*/record.json"))]


def read_events(run_cache: Path) -> list[dict[str, str]]:
    """Return the run cache's lookup log (see mnist_tutorial.runcache.read_events)."""
    log = run_cache / "events.jsonl"
    if not log.exists():
        return []
    return [json.loads(line) for line in log.read_text().splitlines() if line]


def cold_build(environment: dict[str, str], logs: Path, run_cache: Path) -> None:
    """Build from nothing and compare the wall time with the recorded training."""
    clean_outputs()
    cold = build(environment, logs / "cold.log")
    runs = records(run_cache)
    training_seconds = sum(float(run["total_seconds"]) for run in runs)
    events = read_events(run_cache)
    misses = [event for event in events if event["event"] == "miss"]
    hits = [event for event in events if event["event"] == "hit"]
    distinct = {event["key"] for event in events}
    epochs = sum(len(run["epoch_seconds"]) for run in runs)  # type: ignore[arg-type]
    print(f"Cold full build:            {cold:8.1f} s")
    print(f"  training in its records:  {training_seconds:8.1f} s  ({len(runs)} runs)")
    print(f"  epochs trained:           {epochs:8d}")
    print(f"  epochs per wall second:   {epochs / cold:8.4f}  (2026-11-28: 86 in 2691 s, 0.0320)")
    print(
        f"  training time / wall time: {training_seconds / cold:7.2f}  "
        "(above 1 when runs train in parallel)"
    )
    print(
        f"  cache misses: {len(misses)} for {len(distinct)} distinct configurations, "
        f"{len(hits)} hits (a configuration trained twice would show as misses > distinct)",
        flush=True,
    )


def main() -> None:
    """Run the three builds and print the figures the issue asks for."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--cache", type=Path, help="cache folder (default: a new temporary one)")
    parser.add_argument("--logs", type=Path, default=ROOT / "benchmarks" / "results")
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
        cold_build(environment, arguments.logs, run_cache)
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
