"""The CI script, the GitHub workflow and the README agree (``.ci/run``, the table of paths)."""

from __future__ import annotations

import itertools
import re
import shlex
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
CI_RUN = (ROOT / ".ci" / "run").read_text()
WORKFLOW = (ROOT / ".github" / "workflows" / "docs.yml").read_text()
README = (ROOT / "README.md").read_text()


def ci_stages() -> list[str]:
    match = re.search(r"^STAGES=\(([^)]*)\)$", CI_RUN, re.MULTILINE)
    assert match is not None, ".ci/run lists no STAGES"
    return match[1].split()


def ci_command(name: str) -> str:
    match = re.search(rf"^{name}='([^']*)'$", CI_RUN, re.MULTILINE)
    assert match is not None, f".ci/run defines no {name}"
    return match[1]


def test_every_stage_has_a_function() -> None:
    for stage in ci_stages():
        assert re.search(rf"^stage_{stage}\(\) \{{", CI_RUN, re.MULTILINE), stage


def test_the_workflow_runs_every_stage_in_order() -> None:
    steps = re.findall(r"^\s+run: bash \.ci/run (\S+)$", WORKFLOW, re.MULTILINE)
    assert steps == ci_stages()


def test_the_workflow_saves_the_run_cache_even_when_a_stage_fails() -> None:
    save = WORKFLOW[WORKFLOW.index("uses: actions/cache/save@") :]
    step = WORKFLOW[: WORKFLOW.index("uses: actions/cache/save@")].rsplit("- name:", 1)[1]
    assert "if: always()" in step
    assert "key: ${{ steps.restore.outputs.cache-primary-key }}" in save.split("- uses:")[0]
    restore = WORKFLOW.index("uses: actions/cache/restore@")
    assert restore < WORKFLOW.index("run: bash .ci/run tests")


def test_only_pull_requests_cancel_a_running_build() -> None:
    assert "cancel-in-progress: ${{ github.event_name == 'pull_request' }}" in WORKFLOW


def test_the_readme_shows_the_commands_ci_runs() -> None:
    quick_start = README[README.index("## Quick start") : README.index("### Locked versions")]
    shown = [line for line in quick_start.splitlines() if line.startswith("python3 ")]
    assert shown == [ci_command("README_TESTS"), ci_command("README_DOCS")]
    # The tests stage and the docs stage run them exactly.
    assert 'stage_tests() { as_a_user "$README_TESTS"; }' in CI_RUN
    docs_stage = CI_RUN[CI_RUN.index("stage_docs() {") :].split("\n}", 1)[0]
    assert '\n  as_a_user "$README_DOCS"\n' in docs_stage + "\n"


def test_the_readme_commands_need_no_pip_outside_a_virtual_environment() -> None:
    # PEP 668: a distribution's python3 refuses `python3 -m pip install`.
    for name in ("README_TESTS", "README_DOCS"):
        words = shlex.split(ci_command(name))
        assert words[:4] == ["python3", "-m", "venv", ".venv"]
        assert "pip" not in words[: words.index("&&")]
        assert ("-m", "pip") not in set(itertools.pairwise(words))


def test_the_readme_table_of_paths_names_what_is_there() -> None:
    start = README.index("| path | what it is |")
    table = README[start : README.index("\n\n", start)]
    rows = dict(re.findall(r"^\| `([^`]+)` \| (.*) \|$", table, re.MULTILINE))
    assert {"tests/", "tools/", "site_checks/"} <= set(rows)
    for path, description in rows.items():
        assert (ROOT / path).exists(), path
        # These rows name each Python file of their folder, and no other.
        if path in {"tools/", "site_checks/"}:
            named = set(re.findall(r"`([\w.]+\.py)`", description))
            assert named == {file.name for file in (ROOT / path).glob("*.py")}, path


def test_the_pre_commit_hooks_run_the_versions_uv_lock_pins() -> None:
    config = (ROOT / ".pre-commit-config.yaml").read_text()
    lock = (ROOT / "uv.lock").read_text()
    for repo, package in (
        ("astral-sh/ruff-pre-commit", "ruff"),
        ("codespell-project/codespell", "codespell"),
        ("zizmorcore/zizmor-pre-commit", "zizmor"),
    ):
        rev = re.search(rf"{re.escape(repo)}\n\s+rev: v?(\S+)", config)
        locked = re.search(rf'\nname = "{package}"\nversion = "([^"]+)"', lock)
        assert rev is not None, f"no rev for {repo} in .pre-commit-config.yaml"
        assert locked is not None, f"{package} is not in uv.lock"
        assert rev.group(1) == locked.group(1), (
            f"{package}: pre-commit has {rev.group(1)}, uv.lock {locked.group(1)}"
        )
