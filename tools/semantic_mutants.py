"""Plant hand-made bugs one at a time and check that the tests catch each.

mutmut's mutants are operator changes (``<`` for ``<=``, a string
changed); these are bugs a maintainer could actually write, each one a
patch (file, old text, new text) with the tests that must fail on it.
Run by ``nox -s mutants -- --semantic [FILE ...]`` (FILE: a file that holds
mutants, such as ``mnist_tutorial/lr_range.py``; all of them by default).

The script copies the repository (without ``.git``, ``.nox`` and build
output) into a temporary folder and runs everything there, with that copy
first on ``PYTHONPATH``, so the working tree is never changed. It first runs
the selected tests on the unchanged copy, which must pass; then it plants
each mutant in turn, runs its tests, and restores the file. It prints one
line per mutant, ``killed`` or ``SURVIVED``, and exits with 1 if any
survived (2 if the tests could not run or a patch no longer applies).
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
# Not copied: version control, environments, build output and caches.
_NOT_COPIED = shutil.ignore_patterns(
    ".git",
    ".nox",
    ".venv",
    "mutants",
    "_build",
    "auto_examples",
    "gen_modules",
    "node_modules",
    "__pycache__",
    ".hypothesis",
    ".pytest_cache",
    ".mypy_cache",
    ".ruff_cache",
)


@dataclass(frozen=True)
class Mutant:
    """A bug: ``old`` (found exactly once in ``path``) becomes ``new``; ``tests`` must fail."""

    name: str
    path: str
    old: str
    new: str
    tests: tuple[str, ...]


TRAINING = "tests/test_training.py"
RECORDS = "tests/test_records.py"
FITTING = "tests/test_fitting.py"
RUNNER = "tests/test_runner.py"

MUTANTS = (
    Mutant(
        "run key without the loss and the metrics",
        "mnist_tutorial/records.py",
        '"compile": _plain(compile_config),',
        '"compile": _plain({"optimizer": compile_config["optimizer"]}),',
        (f"{RECORDS}::test_the_key_covers_the_loss_and_the_metrics",),
    ),
    Mutant(
        "fitting code hashed without the model's preparation and the thread pinning",
        "mnist_tutorial/fitting.py",
        "for item in (fit_model, ready_for_fit, pin_threads):",
        "for item in (fit_model,):",
        (f"{FITTING}::test_an_edit_to_any_piece_of_the_fitting_path_changes_its_digest",),
    ),
    Mutant(
        "steps_per_execution dropped from the model's preparation",
        "mnist_tutorial/fitting.py",
        "    model.steps_per_execution = STEPS_PER_EXECUTION\n",
        "",
        (f"{FITTING}::test_the_trainer_runs_many_steps_per_call",),
    ),
    Mutant(
        "the model not prepared before the fit",
        "mnist_tutorial/runner.py",
        "    ready_for_fit(model)\n",
        "",
        (f"{RUNNER}::test_the_trainer_prepares_the_model_for_any_fit",),
    ),
    Mutant(
        "the worker builds a shipped run again instead of unpickling its model",
        "mnist_tutorial/runner.py",
        "        built = _unpacked(built, dataset)\n",
        "        built = build_run(built.run, dataset, built.epochs, pin_threads(built.threads))\n",
        (f"{RUNNER}::test_a_miss_is_built_once_though_a_worker_trains_it",),
    ),
    Mutant(
        "the worker unpickles the model before pinning TensorFlow's threads",
        "mnist_tutorial/runner.py",
        "    in_effect = pin_threads(built.threads)\n",
        "    pickle.loads(built.model)  # noqa: S301\n    in_effect = pin_threads(built.threads)\n",
        (f"{RUNNER}::test_a_miss_is_built_once_though_a_worker_trains_it",),
    ),
    Mutant(
        "draft mode caps a page's own fit",
        "mnist_tutorial/training.py",
        "run.epochs if run.fit is not None else min(",
        "min(",
        (f"{TRAINING}::test_draft_mode_caps_the_epochs_of_the_package_fit_only",),
    ),
    Mutant(
        "initializer seeds drawn from Python's shared random, which other threads use",
        "mnist_tutorial/runner.py",
        "        random.randint = private.randint\n",
        "",
        (f"{RUNNER}::test_a_build_gets_its_weights_however_other_threads_draw_from_random",),
    ),
    Mutant(
        "range test suggestion from the raw losses",
        "mnist_tutorial/lr_range.py",
        "suggestion=suggest_learning_rate(learning_rates, smoothed),",
        "suggestion=suggest_learning_rate(learning_rates, losses),",
        ("tests/test_lr_range.py::test_the_suggestion_comes_from_the_smoothed_curve",),
    ),
    Mutant(
        "range test divergence rule on the raw losses",
        "mnist_tutorial/lr_range.py",
        "best = min(best, value)\n"
        "            if not math.isfinite(value) or value > divergence * best:",
        "best = min(best, loss)\n"
        "            if not math.isfinite(loss) or loss > divergence * best:",
        ("tests/test_lr_range.py::test_divergence_is_judged_on_the_smoothed_loss",),
    ),
    Mutant(
        "confusion-matrix colours on the whole matrix's scale, which the diagonal swamps",
        "mnist_tutorial/evaluation_plots.py",
        "    display.im_.autoscale()\n",
        "",
        ("tests/test_evaluation_plots.py::test_confusion_matrix_text_stays_readable",),
    ),
    Mutant(
        "reliability diagram with confidence and accuracy swapped",
        "mnist_tutorial/evaluation_plots.py",
        "                run.bin_confidence[filled],\n                run.bin_accuracy[filled],",
        "                run.bin_accuracy[filled],\n                run.bin_confidence[filled],",
        (
            "tests/test_evaluation_plots.py::test_plot_reliability_draws_each_seed_against_the_diagonal",
        ),
    ),
    Mutant(
        "calibration counts a confidence on an inner edge in the upper bin (np.histogram's rule)",
        "mnist_tutorial/evaluation.py",
        'np.searchsorted(edges[1:-1], confidence, side="left")',
        'np.searchsorted(edges[1:-1], confidence, side="right")',
        ("tests/test_evaluation.py::test_an_inner_edge_goes_to_the_lower_bin_as_in_sklearn",),
    ),
    Mutant(
        "expected calibration error without the bin weights",
        "mnist_tutorial/evaluation.py",
        "float(np.sum(weights * np.abs(",
        "float(np.mean(np.abs(",
        ("tests/test_evaluation.py::test_an_over_confident_model_has_a_known_calibration_error",),
    ),
    Mutant(
        "seeds left out of the page stamp",
        "mnist_tutorial/config.py",
        '    return {"seeds": repr(seeds()), "threads": repr(training_threads())}',
        '    return {"threads": repr(training_threads())}',
        (
            "tests/test_docs_conf.py::test_a_setting_that_changes_the_results_changes_the_page_stamp",
        ),
    ),
)


def _pytest(copy: Path, tests: list[str]) -> tuple[int, str]:
    """Run ``tests`` in the copy, importing its package; return pytest's status and output."""
    environment = {
        **os.environ,
        "PYTHONPATH": str(copy),
        "TF_CPP_MIN_LOG_LEVEL": "3",
        # A mutant and its restored original can share a size and a second of
        # modification time, which is all a cached .pyc is checked against.
        "PYTHONDONTWRITEBYTECODE": "1",
    }
    # The marker override of tests/conftest.py would deselect named tests.
    environment.pop("MNIST_TUTORIAL_TEST_MARKERS", None)
    command = [sys.executable, "-m", "pytest", "-p", "no:cacheprovider", "-q", "-x", *tests]
    result = subprocess.run(
        command, cwd=copy, env=environment, capture_output=True, text=True, check=False
    )
    return result.returncode, result.stdout + result.stderr


def _selected(files: list[str]) -> list[Mutant]:
    known = sorted({mutant.path for mutant in MUTANTS})
    unknown = sorted(set(files) - set(known))
    if unknown:
        raise SystemExit(f"no mutants in {', '.join(unknown)}; files with mutants: {known}")
    return [mutant for mutant in MUTANTS if not files or mutant.path in files]


def main() -> int:
    """Plant each selected mutant in a copy of the repository; return 1 if one survives."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("files", nargs="*", help="only the mutants of these files")
    parser.add_argument(
        "--verbose", action="store_true", help="also print the failures that killed each mutant"
    )
    arguments = parser.parse_args()
    mutants = _selected(arguments.files)

    with tempfile.TemporaryDirectory(prefix="semantic-mutants-") as temporary:
        copy = Path(temporary) / "repository"
        shutil.copytree(ROOT, copy, ignore=_NOT_COPIED)
        for mutant in mutants:
            count = (copy / mutant.path).read_text().count(mutant.old)
            if count != 1:
                print(f"error: {mutant.name}: its text is found {count} times in {mutant.path}")
                return 2
        tests = sorted({test for mutant in mutants for test in mutant.tests})
        status, output = _pytest(copy, tests)
        if status != 0:
            print(output)
            print("error: the tests fail without any mutant; fix them first")
            return 2
        print(f"the tests that must catch them pass on the unchanged code ({len(tests)} selected)")

        survived = 0
        for mutant in mutants:
            path = copy / mutant.path
            original = path.read_text()
            path.write_text(original.replace(mutant.old, mutant.new))
            start = time.perf_counter()
            try:
                status, output = _pytest(copy, list(mutant.tests))
            finally:
                path.write_text(original)
            seconds = time.perf_counter() - start
            if status not in {0, 1}:
                print(output)
                print(f"error: {mutant.name}: pytest exited with {status}")
                return 2
            verdict = "killed" if status == 1 else "SURVIVED"
            survived += status == 0
            print(f"{verdict:8}  {mutant.name} ({mutant.path}, {seconds:.0f} s)")
            if arguments.verbose:
                failures = [line for line in output.splitlines() if line.startswith("FAILED ")]
                print("\n".join(f"          {line}" for line in failures))
    print(f"{len(mutants) - survived} of {len(mutants)} mutants killed")
    return 1 if survived else 0


if __name__ == "__main__":
    sys.exit(main())
