"""Print the mutation score of each module from mutmut's results in ``mutants/``.

Run by ``nox -s mutants`` after ``mutmut run``; with ``--markdown`` it prints a
table for ``tests/MUTANTS.md``. The score is mutmut's own (as in ``mutmut
badge``): killed and timed-out mutants over all mutants that were not skipped.
A mutant that no test covers ("no tests") counts as surviving. Timed-out
mutants are also listed, with a strict score that does not count them: a
timeout is usually a mutant that made a loop endless, but a test process
that hangs for another reason is reported the same way.
"""

from __future__ import annotations

import argparse
import json
from collections import Counter
from pathlib import Path

from mutmut.stats import status_by_exit_code

KILLED = {"killed", "timeout", "caught by type check"}


def _module_results(module: Path) -> dict[str, str]:
    meta = Path("mutants") / f"{module}.meta"
    if not meta.is_file():
        raise SystemExit(f"{meta} not found: run `mutmut run` first (nox -s mutants does)")
    codes = json.loads(meta.read_text())["exit_code_by_key"]
    return {name: status_by_exit_code[code] for name, code in sorted(codes.items())}


def main() -> int:
    """Print the scores (and survivors); return 1 if a module is under --fail-under."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("modules", nargs="+", type=Path, help="e.g. mnist_tutorial/claims.py")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    parser.add_argument(
        "--fail-under", type=float, default=None, help="exit 1 if a module scores below this (%%)"
    )
    arguments = parser.parse_args()

    rows: list[tuple[str, int, int, float, Counter[str]]] = []
    survivors: list[tuple[str, str]] = []
    timeouts: list[str] = []
    for module in arguments.modules:
        results = _module_results(module)
        counts = Counter(results.values())
        tested = len(results) - counts["skipped"]
        killed = sum(counts[status] for status in KILLED)
        score = 100.0 * killed / tested if tested else 100.0
        rows.append((str(module), killed, tested, score, counts))
        survivors += [
            (name, status)
            for name, status in results.items()
            if status not in KILLED and status != "skipped"
        ]
        timeouts += [name for name, status in results.items() if status == "timeout"]

    if arguments.markdown:
        print("| module | killed | mutants | score | strict score (timeouts not counted) |")
        print("|---|---:|---:|---:|---:|")
        for module, killed, tested, score, counts in rows:
            strict = 100.0 * (killed - counts["timeout"]) / tested if tested else 100.0
            print(f"| `{module}` | {killed} | {tested} | {score:.1f}% | {strict:.1f}% |")
    else:
        print("\nMutation score (killed or timed out / mutants):")
        for module, killed, tested, score, counts in rows:
            detail = ", ".join(f"{count} {status}" for status, count in sorted(counts.items()))
            print(f"  {module:34} {killed:4}/{tested:<4} {score:5.1f}%   ({detail})")
        total_killed = sum(row[1] for row in rows)
        total_tested = sum(row[2] for row in rows)
        if len(rows) > 1 and total_tested:
            print(
                f"  {'all':34} {total_killed:4}/{total_tested:<4} "
                f"{100.0 * total_killed / total_tested:5.1f}%"
            )
        print(f"\nSurviving mutants ({len(survivors)}); see one with `mutmut show NAME`:")
        for name, status in survivors:
            print(f"  {name}  [{status}]")
        if timeouts:
            print(f"\nTimed out, counted as killed ({len(timeouts)}):")
            for name in timeouts:
                print(f"  {name}")

    if arguments.fail_under is not None and any(row[3] < arguments.fail_under for row in rows):
        return 1
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
