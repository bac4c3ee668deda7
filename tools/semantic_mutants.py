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
LEDGER = "tests/test_ledger.py"
RECORDS = "tests/test_records.py"
FITTING = "tests/test_fitting.py"
RUNNER = "tests/test_runner.py"
VERIFICATION = "tests/test_verification.py"
PUBLISHED = "tests/test_published.py"
CACHE_MAINTENANCE = "tests/test_cache_maintenance.py"
RUNCACHE = "tests/test_runcache.py"
CLAIMS = "tests/test_claims.py"

MUTANTS = (
    Mutant(
        "run key without the loss and the metrics",
        "mnist_tutorial/records.py",
        '"compile": _plain(compile_config, "compile settings (model.get_compile_config())"),',
        '"compile": _plain({"optimizer": compile_config["optimizer"]}, "compile settings"),',
        (f"{RECORDS}::test_the_key_covers_the_loss_and_the_metrics",),
    ),
    Mutant(
        "training code hashed without the fit that makes the record",
        "mnist_tutorial/fitting.py",
        '    ("mnist_tutorial.runner", "_fit"),\n',
        "",
        (f"{FITTING}::test_an_edit_to_any_piece_of_the_training_path_changes_its_digest",),
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
    # (Unpickling a shipped model before pinning the threads is no longer a
    # bug: importing the package, which unpickling the task does, pins them.)
    Mutant(
        "the threads not pinned when the package is imported",
        "mnist_tutorial/fitting.py",
        "\n\n_pin_on_import()\n",
        "\n",
        (f"{FITTING}::test_importing_the_package_pins_the_threads_before_tensorflow_runs",),
    ),
    Mutant(
        "draft mode does not stop a page's own fit",
        "mnist_tutorial/runner.py",
        "        return [_StopAfter(built.epochs)]\n",
        "        return []\n",
        (f"{RUNNER}::test_draft_mode_stops_a_page_fit_after_the_draft_epochs",),
    ),
    Mutant(
        "a draft build keys a capped page fit by the epochs its code states",
        "mnist_tutorial/records.py",
        '        calls = [{**call, "epochs": min(call["epochs"], epochs)} for call in calls]\n',
        "        pass\n",
        (f"{RUNNER}::test_draft_mode_stops_a_page_fit_after_the_draft_epochs",),
    ),
    Mutant(
        "initializer seeds drawn from Python's shared random, which other threads use",
        "mnist_tutorial/runner.py",
        "        random.randint = randint\n",
        "",
        (f"{RUNNER}::test_a_build_gets_its_weights_however_other_threads_draw_from_random",),
    ),
    Mutant(
        "Keras's private seed generator shared with every thread of the process",
        "mnist_tutorial/runner.py",
        "            if threading.get_ident() == builder:\n",
        "            if True:\n",
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
        "range test keyed without its own loop's code (an edit replays the old result)",
        "mnist_tutorial/lr_range.py",
        '    ("mnist_tutorial.lr_range", "_run"),\n',
        "",
        ("tests/test_lr_range.py::test_an_edit_to_the_range_tests_code_is_a_new_range_test",),
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
        "mnist_tutorial/identity.py",
        '        "seeds": repr(config.seeds()),\n',
        "",
        (
            "tests/test_docs_conf.py::test_a_setting_that_changes_the_results_changes_the_page_stamp",
        ),
    ),
    # The kinds of bug a review found getting through (issue 29), and others
    # like them in the newest code.
    Mutant(
        "verify replays from the user's run cache instead of retraining",
        "mnist_tutorial/verification.py",
        "        os.environ[config.ENV_RUN_CACHE] = cache\n",
        "",
        (f"{VERIFICATION}::test_verify_retrains_in_a_fresh_cache_whatever_the_users_settings",),
    ),
    Mutant(
        "verify keeps the user's draft setting",
        "mnist_tutorial/verification.py",
        '        os.environ[config.ENV_DRAFT] = "0"\n',
        "",
        (f"{VERIFICATION}::test_verify_retrains_in_a_fresh_cache_whatever_the_users_settings",),
    ),
    Mutant(
        "verify ignores the final weights above tolerance 0",
        "mnist_tutorial/verification.py",
        "        if not self.same_key or self.same_weights is False:\n            return False\n"
        "        if tolerance == 0:\n            return self.difference.identical\n",
        "        if tolerance == 0:\n"
        "            return self.same_key and self.same_weights is not False"
        " and self.difference.identical\n",
        (f"{VERIFICATION}::test_another_key_or_other_weights_fail_at_any_tolerance",),
    ),
    Mutant(
        "--tolerance read as a percentage",
        "mnist_tutorial/verification.py",
        "        return check_tolerance(float(text))\n",
        "        return check_tolerance(float(text) / 100)\n",
        (
            f"{VERIFICATION}::test_the_command_line_refuses_a_bad_tolerance",
            f"{VERIFICATION}::test_the_command_line_reads_the_tolerance_as_a_difference_in_the_metrics",
        ),
    ),
    Mutant(
        "--prune DAYS read as hours",
        "mnist_tutorial/runcache.py",
        "dt.timedelta(days=options.prune)",
        "dt.timedelta(hours=options.prune)",
        (f"{RUNCACHE}::test_main_reads_prune_as_days",),
    ),
    Mutant(
        "the reader's runs paired by an id recomputed from a notebook's trimmed settings",
        "mnist_tutorial/published.py",
        '    by_run = {(record["configuration"], record["settings"]["seed"]): record'
        " for record in records}",
        '    by_run = {(configuration_id(record["settings"]), record["settings"]["seed"]): record'
        " for record in records}",
        (f"{PUBLISHED}::test_the_records_a_notebook_carries_pair_and_compare_like_the_full_ones",),
    ),
    Mutant(
        "the site's spread taken over every configuration of the page",
        "mnist_tutorial/published.py",
        '            for record in records\n            if record["configuration"] == configuration\n',
        "            for record in records\n",
        (f"{PUBLISHED}::test_the_spread_is_over_the_seeds_of_the_runs_configuration_alone",),
    ),
    Mutant(
        "a site record listed twice counted as two seeds",
        "mnist_tutorial/published.py",
        '        kept.setdefault(record["key"], record)\n',
        '        kept[f"{len(kept)}"] = record\n',
        (f"{PUBLISHED}::test_a_record_listed_twice_is_one_seed",),
    ),
    Mutant(
        "a bad site record is kept (a traceback in the reader's notebook)",
        "mnist_tutorial/published.py",
        "        if not _comparable(record):\n",
        "        if False:\n",
        (f"{PUBLISHED}::test_a_bad_record_is_skipped_with_one_line_never_a_traceback",),
    ),
    Mutant(
        "the fragile-claim report written to the page instead of the terminal",
        "mnist_tutorial/claims.py",
        "    terminal = sys.__stderr__\n",
        "    terminal = sys.stderr\n",
        (f"{CLAIMS}::test_a_fragile_claim_is_reported_on_the_terminal",),
    ),
    Mutant(
        "the training lock removed: tasks in threads reset each other's seeds",
        "mnist_tutorial/runner.py",
        "        with _TRAINING:\n            return function(*args, **kwargs)\n",
        "        return function(*args, **kwargs)\n",
        (f"{RUNNER}::test_two_tasks_in_threads_of_one_process_get_their_numbers_alone",),
    ),
    Mutant(
        "a run keyed with TensorFlow's 0 (its machine-dependent default threads)",
        "mnist_tutorial/fitting.py",
        "        if 0 in current:\n",
        "        if False:\n",
        (
            f"{FITTING}::test_a_process_where_tensorflow_runs_with_its_defaults_refuses_to_key_a_run",
        ),
    ),
    Mutant(
        "a key accepts a thread count of 0",
        "mnist_tutorial/records.py",
        "    if min(threads) < 1:\n",
        "    if min(threads) < 0:\n",
        (f"{RECORDS}::test_a_key_needs_the_thread_counts_a_run_really_uses",),
    ),
    Mutant(
        "a record's JSON deep-copies its model (dataclasses.asdict)",
        "mnist_tutorial/records.py",
        "        content = {\n"
        "            item.name: getattr(self, item.name)\n"
        "            for item in fields(self)\n"
        '            if item.name not in {"directory", "_model", "replayed"}\n'
        "        }\n",
        "        content = __import__('dataclasses').asdict(self)\n"
        '        for name in ("directory", "_model", "replayed"):\n'
        "            content.pop(name)\n",
        (f"{RECORDS}::test_serializing_a_record_copies_no_model",),
    ),
    Mutant(
        "a model file loaded without checking its sha256 again",
        "mnist_tutorial/records.py",
        "        if recorded != file_sha256(model_path):\n",
        "        if False:\n",
        (
            "tests/test_training.py::test_a_model_file_changed_after_its_entry_was_read_is_not_loaded",
        ),
    ),
    Mutant(
        "prune removes an entry that another process holds",
        "mnist_tutorial/cache_maintenance.py",
        '        with filelock.FileLock(root / f"{entry.name}.lock", timeout=0):\n',
        "        with __import__('contextlib').nullcontext():\n",
        (f"{CACHE_MAINTENANCE}::test_prune_skips_an_entry_another_process_holds",),
    ),
    Mutant(
        "one torn line of the lookup log breaks reading it",
        "mnist_tutorial/cache_maintenance.py",
        "    except ValueError:\n        return None\n",
        "    except ValueError:\n        raise\n",
        (f"{CACHE_MAINTENANCE}::test_read_events_skips_and_counts_lines_it_cannot_read",),
    ),
    Mutant(
        "a range test fits without waiting for the training task of another thread",
        "mnist_tutorial/lr_range.py",
        "@runner.one_task_at_a_time\ndef lr_range_test(",
        "def lr_range_test(",
        ("tests/test_lr_range.py::test_a_range_test_waits_for_a_training_task_of_another_thread",),
    ),
    Mutant(
        "'ahead' holds at a difference equal to its minimum (a tie)",
        "mnist_tutorial/claims.py",
        "    holds = margin > 0 if strict else margin >= 0\n",
        "    holds = margin >= 0\n",
        ("tests/test_claims.py::test_ahead_is_strict_and_records_its_differences",),
    ),
    Mutant(
        "a page may call a gap a result and a wider one a tie",
        "mnist_tutorial/ledger.py",
        '        if entry["kind"] == "ahead" and min(entry["values"]) <= widest_tie\n',
        '        if entry["kind"] == "ahead" and min(entry["values"]) < widest_tie\n',
        (f"{LEDGER}::test_a_page_may_not_call_a_gap_a_result_and_a_wider_one_a_tie",),
    ),
    Mutant(
        "a column goes stale only when a page changes, not the package",
        "mnist_tutorial/ledger.py",
        '    if recorded["package"] != _package_digest():\n',
        "    if False:\n",
        (f"{LEDGER}::test_a_column_names_its_commit_and_goes_stale_when_a_page_changes",),
    ),
    Mutant(
        "a column names a commit made while its pages were built",
        "mnist_tutorial/ledger.py",
        '    if built_at is not None and commit != git("rev-parse", built_at):\n',
        "    if False:\n",
        (f"{LEDGER}::test_a_column_refuses_a_commit_made_during_its_build",),
    ),
    Mutant(
        "a column whose page left the gallery stops the site instead of going stale",
        "mnist_tutorial/ledger.py",
        '            stale.append(f"{page} (not one script in the gallery)")\n            continue\n',
        "            raise\n",
        (f"{LEDGER}::test_a_column_names_its_commit_and_goes_stale_when_a_page_changes",),
    ),
    Mutant(
        "a page's name joins what makes a measurement, so no repeat across pages is found",
        "mnist_tutorial/ledger.py",
        '            measurement = json.dumps([entry["kind"], entry["values"], entry["limit"]])\n',
        '            measurement = json.dumps([page["page"], entry["values"], entry["limit"]])\n',
        (f"{LEDGER}::test_one_measurement_on_two_rows_is_reported_once_per_repeat",),
    ),
    Mutant(
        "a published configuration that includes the machine: a reader on another processor "
        "is never compared with the site",
        "mnist_tutorial/identity.py",
        '    kept = names_of("configuration")\n',
        '    kept = names_of("configuration") + names_of("machine")\n',
        (f"{PUBLISHED}::test_a_configuration_is_its_runs_configuration_settings",),
    ),
    Mutant(
        "an instruction set that ignores oneDNN's cap (ONEDNN_MAX_CPU_ISA=AVX2 on an "
        "AVX-512 machine computes other digits under the same key)",
        "mnist_tutorial/identity.py",
        "            family = capped\n",
        "            pass\n",
        ("tests/test_identity.py::test_onednn_settings_enter_the_instruction_set",),
    ),
    Mutant(
        "a run key without the instruction set: a cache carried to another processor "
        "replays digits this one would not compute",
        "mnist_tutorial/records.py",
        '        "instruction_set": identity.instruction_set(new_process=in_worker),\n',
        "",
        (f"{RECORDS}::test_the_settings_name_every_input_of_the_key",),
    ),
    Mutant(
        "verify names no setting when a retrained run's key differs",
        "mnist_tutorial/verification.py",
        "published_settings.get(name) != settings.get(name)",
        "published_settings.get(name) != published_settings.get(name)",
        (f"{VERIFICATION}::test_a_run_trained_with_a_pages_own_fit_is_verified_with_fit_model",),
    ),
    Mutant(
        "oneDNN read from the variable the package set for the workers, not from what "
        "TensorFlow started with here: in-process runs keyed with kernels they do not use",
        "mnist_tutorial/identity.py",
        "    if mnist_tutorial.TENSORFLOW_STARTED_FIRST and not new_process:\n",
        "    if False:\n",
        (
            "tests/test_identity.py::test_where_tensorflow_started_first_its_setting_at_start_counts",
        ),
    ),
    Mutant(
        "a worker that trains with other kernels than its run was keyed with keeps the key",
        "mnist_tutorial/runner.py",
        ' or built.settings["instruction_set"] != instruction_set()',
        "",
        (f"{RUNNER}::test_a_run_keyed_with_other_kernels_is_keyed_again_where_it_trains",),
    ),
    # Issue 29's cache and identity fixes that had no hand-made bug of their own.
    Mutant(
        "prune removes the lock files of the entries it removes: a process waiting on one "
        "holds a lock nobody else sees",
        "mnist_tutorial/cache_maintenance.py",
        "            shutil.rmtree(entry)\n",
        '            shutil.rmtree(entry)\n            (root / f"{entry.name}.lock").unlink()\n',
        (f"{CACHE_MAINTENANCE}::test_prune_removes_what_no_lookup_used_within_the_window",),
    ),
    Mutant(
        "staging folders left by killed processes are never removed",
        "mnist_tutorial/cache_maintenance.py",
        "                shutil.rmtree(staging, ignore_errors=True)\n",
        "                pass\n",
        (f"{CACHE_MAINTENANCE}::test_prune_removes_staging_folders_only_once_they_are_old",),
    ),
    Mutant(
        "prune reads and rewrites the log without the lock appends take: a line appended "
        "in between is lost",
        "mnist_tutorial/cache_maintenance.py",
        "    # rewrite: no line appended meanwhile is lost, and the log is read once.\n"
        "    with filelock.FileLock(root / _EVENTS_LOCK):\n",
        "    # rewrite: no line appended meanwhile is lost, and the log is read once.\n"
        "    if True:\n",
        (f"{CACHE_MAINTENANCE}::test_a_line_appended_while_prune_waits_for_the_log_is_kept",),
    ),
    Mutant(
        "log lines appended in two writes without the log's lock: processes interleave them",
        "mnist_tutorial/cache_maintenance.py",
        "    with filelock.FileLock(root / _EVENTS_LOCK):\n"
        "        # One write() of the whole line, to a file opened for appending.\n"
        "        descriptor = os.open(root / EVENTS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)\n"
        "        try:\n"
        "            os.write(descriptor, line)\n",
        "    if True:\n"
        "        descriptor = os.open(root / EVENTS_FILE, os.O_WRONLY | os.O_APPEND | os.O_CREAT, 0o644)\n"
        "        try:\n"
        "            for start in range(0, len(line), 1000):\n"
        "                os.write(descriptor, line[start : start + 1000])\n"
        "                os.sched_yield()\n",
        (f"{CACHE_MAINTENANCE}::test_append_event_writes_whole_lines_from_many_processes",),
    ),
    Mutant(
        "an event line whose time prune cannot read is kept, and prune fails on it for good",
        "mnist_tutorial/cache_maintenance.py",
        '        and _utc_time(event["time"]) is not None\n',
        "",
        (f"{CACHE_MAINTENANCE}::test_read_events_skips_and_counts_lines_it_cannot_read",),
    ),
    Mutant(
        "commit_entry replaces an entry without the key's lock",
        "mnist_tutorial/runcache.py",
        '    with filelock.FileLock(root / f"{key}.lock"):\n        return _commit(root, key, write)\n',
        "    return _commit(root, key, write)\n",
        (f"{RUNCACHE}::test_commit_entry_waits_for_the_keys_lock_held_by_another_process",),
    ),
    Mutant(
        "a failed replace leaves its half-written hidden file behind",
        "mnist_tutorial/_files.py",
        "        temporary.unlink(missing_ok=True)\n",
        "",
        ("tests/test_files.py::test_a_failed_write_leaves_the_old_file_and_no_hidden_one",),
    ),
    Mutant(
        "a replaced file is left readable by its owner only (mkstemp's mode)",
        "mnist_tutorial/_files.py",
        "        temporary.chmod(0o644)\n",
        "",
        ("tests/test_files.py::test_the_file_is_replaced_once_complete_and_readable_by_everyone",),
    ),
    Mutant(
        "a setting JSON cannot encode is turned into its text (a memory address in a key)",
        "mnist_tutorial/records.py",
        "json.dumps(value, default=_as_text)",
        "json.dumps(value, default=str)",
        (f"{RECORDS}::test_a_setting_json_cannot_encode_is_refused_not_turned_into_text",),
    ),
    Mutant(
        "a layer Keras cannot load back trains with the cache on, and is lost at the write",
        "mnist_tutorial/runner.py",
        "        if unloadable and (root is not None or scratch is not None):\n",
        "        if False:\n",
        (
            f"{RUNNER}::test_a_layer_keras_cannot_load_back_is_refused_before_training_with_the_cache_on",
        ),
    ),
    Mutant(
        "runs bound for workers keyed with this process's kernels, not the workers': where "
        "keras was imported first, every cached run misses and is shipped to a worker",
        "mnist_tutorial/training.py",
        'options["threads"], in_worker=True)',
        'options["threads"])',
        (f"{TRAINING}::test_a_cached_batch_is_replayed_here_without_starting_workers",),
    ),
    Mutant(
        "a worker's kernels read from what this process started with",
        "mnist_tutorial/identity.py",
        "onednn_on(new_process=new_process)",
        "onednn_on()",
        (
            "tests/test_identity.py::test_where_tensorflow_started_first_its_setting_at_start_counts",
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
