#!/usr/bin/env python3
# /// script
# requires-python = ">=3.11"
# dependencies = ["nox[uv]>=2025.2.9"]
# ///
"""Developer tasks: ``nox -s tests``, ``nox -s lint``, ``nox -s docs``, ``nox -s bench``.

Every session installs the exact versions of ``uv.lock`` into its own
environment, so each command works from a fresh clone with only Python and
nox installed (``uv run noxfile.py`` or ``pipx run noxfile.py`` also works).
The README's quick start installs nox into ``.venv`` first, which works with
a distribution's externally managed Python (PEP 668). Update the lock with
``uv lock --upgrade``.
"""

from __future__ import annotations

import argparse
import os
import shutil
import sys
from collections.abc import Callable
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv"

ROOT = Path(__file__).parent

#: The Pythons that the locked TensorFlow has wheels for (pyproject.toml's
#: requires-python says the same).
SUPPORTED_PYTHONS = ("3.13", "3.12", "3.11")


def session_python(running: tuple[int, int], which: Callable[[str], str | None]) -> str | None:
    """Return the Python the sessions run on: None for nox's own, if it is supported.

    Where nox runs on another Python (3.14, say), the newest supported one
    that ``which`` finds on the PATH is used instead; "" where there is none
    (then :func:`_install` stops the session with a sentence that says so).
    """
    if f"{running[0]}.{running[1]}" in SUPPORTED_PYTHONS:
        return None
    for version in SUPPORTED_PYTHONS:
        if which(f"python{version}"):
            return version
    return ""


def unsupported_python(running: tuple[int, int]) -> str:
    """Return the one sentence that stops a session where no supported Python is found."""
    return (
        f"mnist-tutorial needs Python {', '.join(reversed(SUPPORTED_PYTHONS))} (the versions "
        f"the locked TensorFlow has wheels for); nox runs on Python {running[0]}.{running[1]} "
        "and finds none of them on the PATH: install one (with your package manager, or "
        "`uv python install 3.13`) and run the command again"
    )


PYTHON = session_python(sys.version_info[:2], shutil.which)
DOCS_BUILD = ROOT / "docs" / "_build"
# The browser tests drive the system Chromium, not a Playwright download.
CHROMIUM = Path("/usr/bin/chromium")
#: What a build writes into docs/ (all ignored by git); ``nox -s clean`` removes it.
GENERATED = ("_build", "auto_examples", "gen_modules", "_generated", "_stamp")
GENERATED_FILES = ("sg_execution_times.rst",)

# TensorFlow's C++ logging stays quiet below errors. Its start-up lines
# (absl's "All log messages before absl::InitializeLog()", "E0000 ... failed
# call to cuInit") ignore that setting, so _run filters them out.
ENV = {"TF_CPP_MIN_LOG_LEVEL": "3"}
QUIET = ROOT / "tools" / "quiet_tensorflow.py"
#: The checks of the built site: build, links, browser, downloads.
SITE_CHECKS = "site_checks"


def _install(
    session: nox.Session, *groups: str, project: bool = True, editable: bool = True
) -> None:
    """Install the locked versions of ``groups`` (and of the project) into the session."""
    if PYTHON == "":
        session.error(unsupported_python(sys.version_info[:2]))
    options = [f"--group={group}" for group in groups]
    if not project:
        options = [f"--only-group={group}" for group in groups]
    elif not editable:
        options.append("--no-editable")
    # --locked fails when uv.lock is out of date with pyproject.toml, so CI
    # never installs anything but the committed versions. Precompiled
    # bytecode halves TensorFlow's import time on every run.
    session.run_install(
        "uv",
        "sync",
        "--locked",
        "--no-default-groups",
        "--compile-bytecode",
        f"--python={session.virtualenv.location}",
        *options,
        env={"UV_PROJECT_ENVIRONMENT": session.virtualenv.location},
        silent=True,
    )


def _run(session: nox.Session, *args: str, env: dict[str, str] | None = None) -> None:
    """Run a command in the session without TensorFlow's C++ start-up lines on stderr."""
    session.run("python", str(QUIET), *args, env={**ENV, **(env or {})})


@nox.session(default=True, python=PYTHON or None)
def tests(session: nox.Session) -> None:
    """Run the test suite (extra arguments go to pytest), one process per core."""
    _install(session, "test")
    # pytest-xdist: the slow tests train or start processes, and wait on
    # them as often as they compute; "worksteal" evens out the long ones.
    _run(session, "pytest", "-m", "not docs", "-n", "auto", "--dist", "worksteal", *session.posargs)


@nox.session(default=False, python=PYTHON or None)
def docs_tests(session: nox.Session) -> None:
    """Build the site in scratch folders: determinism, false claims, clean pages.

    Also runs the tests of the site's extensions (marker ``docs`` in tests/).
    Naming test files narrows the run: ``-- tests/test_course_site.py``.
    """
    _install(session, "test", "docs")
    named = any(Path(argument.split("::")[0]).suffix == ".py" for argument in session.posargs)
    paths = [] if named else ["tests", f"{SITE_CHECKS}/test_build.py"]
    _run(session, "pytest", "-m", "docs", *paths, *session.posargs)


@nox.session(default=True, python=PYTHON or None)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff, types with mypy, the workflow with zizmor."""
    _install(session, "lint", "test")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    session.run("mypy")
    # The workflow's security audit; offline, so it needs no GitHub token.
    session.run("zizmor", "--offline", "--min-severity=low", ".github")
    session.run("codespell")
    session.run("validate-pyproject", "pyproject.toml")


@nox.session(default=False, python=PYTHON or None)
def fix(session: nox.Session) -> None:
    """Fix what ruff can in place: import order, formatting, simple lint findings."""
    _install(session, "lint", project=False)
    session.run("ruff", "check", "--fix", ".")
    session.run("ruff", "format", ".")


def _docs_arguments(session: nox.Session) -> tuple[argparse.Namespace, list[str]]:
    """Split ``nox -s docs -- ...`` into this session's options and sphinx-build's."""
    parser = argparse.ArgumentParser(
        prog="nox -s docs --",
        description="Options not listed here (-v, -E, -D name=value, ...) go to sphinx-build.",
    )
    parser.add_argument(
        "--draft",
        action="store_true",
        help="train on a small subset for a few epochs: a quick preview, not the real numbers",
    )
    parser.add_argument("--builder", default="html", help="Sphinx builder (default: html)")
    parser.add_argument(
        "--serve",
        action="store_true",
        help="rebuild on every edit of docs/, examples/ or mnist_tutorial/ and serve the site "
        "on http://127.0.0.1:8000 (sphinx-autobuild)",
    )
    return parser.parse_known_args(session.posargs)


# Reused: a rebuild syncs the environment in well under a second instead of
# making it anew.
@nox.session(default=False, reuse_venv=True, python=PYTHON or None)
def docs(session: nox.Session) -> None:
    """Build the course site into docs/_build/html (``-- --draft`` for a quick preview).

    Options it does not know go to sphinx-build: ``nox -s docs -- -E -v``, or
    ``nox -s docs -- -D sphinx_gallery_conf.filename_pattern=plot_03`` to run
    only the examples whose path matches.
    """
    arguments, sphinx_options = _docs_arguments(session)
    _install(session, "docs")
    env = {"MNIST_TUTORIAL_DRAFT": "1" if arguments.draft else "0"}
    output = DOCS_BUILD / arguments.builder
    options = ["-b", arguments.builder, "-W", "--keep-going", "-n", "-j", "1", *sphinx_options]
    if arguments.serve:
        # Generated folders are written by the build itself; watching them would loop.
        ignored = [f"--ignore={ROOT / 'docs' / name}" for name in GENERATED + GENERATED_FILES]
        _run(
            session,
            "sphinx-autobuild",
            *options,
            "--watch",
            str(ROOT / "examples"),
            "--watch",
            str(ROOT / "mnist_tutorial"),
            *ignored,
            "--host",
            "127.0.0.1",
            "--port",
            "8000",
            "docs",
            str(output),
            env=env,
        )
        return
    _run(session, "sphinx-build", *options, "docs", str(output), env=env)
    mode = "DRAFT build (numbers are not the real ones)" if arguments.draft else "full build"
    session.log(f"{mode}: open {output / 'index.html'}")


@nox.session(default=False, venv_backend="none")
def new_page(session: nox.Session) -> None:
    """Start a new gallery page from the template: ``nox -s new_page -- "Title"``."""
    # nox's own Python: the script needs only the standard library.
    session.run(sys.executable, str(ROOT / "tools" / "new_page.py"), *session.posargs)


@nox.session(default=False, venv_backend="none")
def ledger(session: nox.Session) -> None:
    """Print one page's claims after a build, the closest calls first: ``-- plot_08_name``.

    A failing row is printed as FAILS (normal after a draft build); the
    session itself fails only when it cannot read a ledger.

    Without an argument, every page's. The ledger module needs only the
    standard library, so this runs on nox's own Python, with no install.
    """
    folder = ROOT / "docs" / "_generated" / "claims"
    pages = session.posargs or sorted(path.stem for path in folder.glob("plot_*.json"))
    if not pages:
        session.error(f"no page ledger in {folder}: build the site first (nox -s docs)")
    for page in pages:
        # Status 1 is a failing row, which `show` prints: normal after a draft build.
        session.run(
            sys.executable,
            "-m",
            "mnist_tutorial.ledger",
            "show",
            str(folder / f"{Path(page).stem}.json"),
            env={"PYTHONPATH": str(ROOT)},
            success_codes=[0, 1],
        )


@nox.session(default=False, venv_backend="none")
def clean(session: nox.Session) -> None:
    """Remove the built site and everything else a docs build writes into docs/.

    The run cache is kept: ``python -m mnist_tutorial.runcache --help`` shows
    how to inspect and prune it.
    """
    docs_folder = ROOT / "docs"
    for name in GENERATED:
        if (docs_folder / name).exists():
            session.log(f"removing docs/{name}")
            shutil.rmtree(docs_folder / name)
    for name in GENERATED_FILES:
        if (docs_folder / name).exists():
            session.log(f"removing docs/{name}")
            (docs_folder / name).unlink()


@nox.session(default=False, reuse_venv=True, python=PYTHON or None)
def ledger_column(session: nox.Session) -> None:
    """Build every page at a seed offset and write its ledger column: ``-- OFFSET``.

    The column (``docs/claims/seeds-OFFSET.json``) records the commit, each
    page's digest, the versions and the machine that measured it; the site
    shows it beside its own seeds, marked stale once a page or the package
    changes. The build checks claims without stopping at a failing one, so
    that every row is measured; the session fails after writing the column
    if a row fails. Commit the column as it is: it is never edited by hand.
    """
    if len(session.posargs) != 1 or not session.posargs[0].isdigit():
        session.error(
            "usage: nox -s ledger_column -- OFFSET (a whole number >= 1, the seed offset)"
        )
    offset = int(session.posargs[0])
    if offset < 1:
        session.error("the offset must be >= 1: offset 0 is the site's own build")
    _install(session, "docs")
    # The commit the pages are built from: the column refuses a later one.
    built_at = str(
        session.run("git", "-C", str(ROOT), "rev-parse", "HEAD", silent=True, external=True)
    ).strip()
    env = {
        "MNIST_TUTORIAL_DRAFT": "0",
        "MNIST_TUTORIAL_SEED_OFFSET": str(offset),
        "MNIST_TUTORIAL_STRICT_CLAIMS": "0",
    }
    output = DOCS_BUILD / f"offset-{offset}"
    # A build whose ledger has failing rows stops with an error (status 2) at its very end,
    # after every page has recorded its rows: the column is written all the same, and
    # `show` below says which rows fail.
    build = ["sphinx-build", "-b", "html", "-W", "--keep-going", "-n", "-j", "1", "docs"]
    session.run(
        "python", str(QUIET), *build, str(output), env={**ENV, **env}, success_codes=[0, 1, 2]
    )
    column = ROOT / "docs" / "claims" / f"seeds-{offset}.json"
    _run(
        session,
        "python",
        "-m",
        "mnist_tutorial.ledger",
        "column",
        str(ROOT / "docs" / "_generated" / "claims"),
        "-o",
        str(column),
        "--repository",
        str(ROOT),
        "--built-at",
        built_at,
        env=env,
    )
    _run(session, "python", "-m", "mnist_tutorial.ledger", "show", str(column))


@nox.session(default=False, python=PYTHON or None)
def verify(session: nox.Session) -> None:
    """Retrain published runs from scratch and compare them with the site's records.

    ``nox -s verify -- [PAGE | RUN-ID ...] [--sample N] [--site SITE-OR-URL]``
    (``-- --help`` says more).
    """
    _install(session, "test")
    _run(session, "python", "-m", "mnist_tutorial.verification", *session.posargs)


@nox.session(default=False, python=PYTHON or None)
def downloads(session: nox.Session) -> None:
    """Run every script and notebook the built site offers, as a reader would.

    In full mode they replay the runs the full build cached; ``-- --draft``
    runs them in draft mode (small data, two epochs), quick on a cold cache.
    """
    # Not editable: the downloads must work with the project as installed.
    _install(session, "downloads", editable=False)
    _run(session, "python", f"{SITE_CHECKS}/run_downloads.py", *session.posargs)


def _chromium(posargs: list[str]) -> list[str] | None:
    """Return the ``--chromium`` option to add ([] if none is needed), or None if none is found."""
    if any(arg.startswith("--chromium") for arg in posargs) or CHROMIUM.is_file():
        return []
    for name in ("chromium", "chromium-browser"):
        found = shutil.which(name)
        if found:
            return [f"--chromium={found}"]
    return None


@nox.session(default=False, python=PYTHON or None)
def browser(session: nox.Session) -> None:
    """Test every page of the built site in headless Chromium: requests, axe, phone size, themes."""
    chromium = _chromium(session.posargs)
    if chromium is None:
        session.error(
            "no Chromium found (looked for /usr/bin/chromium, `chromium` and `chromium-browser`). "
            "On Debian or Ubuntu: `sudo apt-get install chromium`. Elsewhere, name any "
            "Chromium or Chrome: `nox -s browser -- --chromium=PATH`, for example "
            '--chromium="/Applications/Google Chrome.app/Contents/MacOS/Google Chrome" on macOS, '
            "or the one `python -m playwright install chromium` downloads."
        )
    # The tests need nothing from the project, only their own locked group.
    _install(session, "browser", project=False)
    # Two browsers at once (pytest-xdist): each page's checks wait on its own
    # page loads, so one browser leaves a core idle much of the time.
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "-n",
        "2",
        f"{SITE_CHECKS}/test_browser.py",
        *chromium,
        *session.posargs,
    )


@nox.session(default=False, python=PYTHON or None)
def lighthouse(session: nox.Session) -> None:
    """Lighthouse's accessibility, best-practices and SEO audits of a sample of the built site.

    Needs Node and npm (the only check that does) and a Chromium; installs
    the Lighthouse that ``site_checks/lighthouse/package-lock.json`` pins.
    """
    if shutil.which("npm") is None or shutil.which("node") is None:
        session.error(
            "Lighthouse is a Node program: install Node.js and npm (on Debian or Ubuntu: "
            "`sudo apt-get install nodejs npm`) to run this check; nothing else needs them"
        )
    chromium = _chromium(session.posargs)
    if chromium is None:
        session.error("no Chromium found: see `nox -s browser`, which needs one too")
    # pytest, for the check's own test; nothing from the project.
    _install(session, "browser", project=False)
    session.run("pytest", "-p", "no:cacheprovider", "-q", f"{SITE_CHECKS}/test_run_lighthouse.py")
    session.run(
        "npm",
        "ci",
        "--prefix",
        str(ROOT / SITE_CHECKS / "lighthouse"),
        "--no-audit",
        "--no-fund",
        "--ignore-scripts",
        "--loglevel=error",
        external=True,
    )
    session.run("python", f"{SITE_CHECKS}/run_lighthouse.py", *chromium, *session.posargs)


@nox.session(default=False, python=PYTHON or None)
def linkcheck(session: nox.Session) -> None:
    """Check the built site: internal links and anchors offline, each page head, its HTML (Nu).

    pytest-check-links follows the links; the Nu HTML checker (Java) validates each page.
    """
    _install(session, "linkcheck", project=False)
    # First, that each check itself still finds what it looks for.
    session.run(
        "pytest",
        "-p",
        "no:cacheprovider",
        "-q",
        f"{SITE_CHECKS}/test_check_links.py",
        f"{SITE_CHECKS}/test_check_html.py",
    )
    session.run("python", f"{SITE_CHECKS}/check_links.py", *session.posargs)
    session.run("python", f"{SITE_CHECKS}/check_html.py", *session.posargs)


@nox.session(default=False, python=PYTHON or None)
def bench(session: nox.Session) -> None:
    """Training throughput against plain ``model.fit``, and epochs against the hardware's floor.

    ``nox -s bench -- --breakdown`` then takes one epoch apart
    (``benchmarks/epoch_breakdown.py``).
    """
    _install(session, "test")
    epochs = os.environ.get("BENCH_EPOCHS", "2")
    arguments = [argument for argument in session.posargs if argument != "--breakdown"]
    _run(session, "python", "benchmarks/bench_training.py", "--epochs", epochs, *arguments)
    if "--breakdown" in session.posargs:
        _run(session, "python", "benchmarks/epoch_breakdown.py")


# Mutants of the modules on the training path are run against the tests that
# train tiny models too (marker `training`), which the unit-test selection of
# [tool.mutmut] leaves out: most of their code runs only there.
TRAINING_MODULES = (
    "mnist_tutorial/training.py",
    "mnist_tutorial/runner.py",
    "mnist_tutorial/records.py",
    "mnist_tutorial/fitting.py",
    "mnist_tutorial/progress.py",
)

#: The modules whose mutation score the tests are held to (at least 90%).
MUTANT_MODULES = (
    "mnist_tutorial/config.py",
    "mnist_tutorial/claims.py",
    "mnist_tutorial/ledger.py",
    "mnist_tutorial/evaluation.py",
    "mnist_tutorial/data.py",
    "mnist_tutorial/preprocessing.py",
    "mnist_tutorial/_mirror.py",
    "mnist_tutorial/models.py",
    "mnist_tutorial/lr_range.py",
    "mnist_tutorial/runcache.py",
    "mnist_tutorial/cache_maintenance.py",
    "mnist_tutorial/replicates.py",
    "mnist_tutorial/identity.py",
    *TRAINING_MODULES,
)


@nox.session(default=False, python=PYTHON or None)
def mutants(session: nox.Session) -> None:
    """Mutation-test the package with mutmut; print each module's score and the survivors.

    ``nox -s mutants -- mnist_tutorial/claims.py`` tests one module (or several).
    ``nox -s mutants -- --semantic [FILE ...]`` plants the hand-made bugs of
    ``tools/semantic_mutants.py`` instead (minutes in all).
    """
    if "--semantic" in session.posargs:
        _install(session, "mutants")
        files = [argument for argument in session.posargs if argument != "--semantic"]
        _run(session, "python", "tools/semantic_mutants.py", *files)
        return
    modules = session.posargs or list(MUTANT_MODULES)
    patterns = []
    for module in modules:
        path = Path(module)
        if path.suffix != ".py" or path.parts[0] != "mnist_tutorial" or not (ROOT / path).is_file():
            session.error(
                f"{module}: expected a module of the package, e.g. mnist_tutorial/data.py"
            )
        # mutmut names mutants <dotted module>.<function>__mutmut_<n>.
        patterns.append(".".join(path.with_suffix("").parts) + ".*")
    # mutmut imports the mutated copy of the package in mutants/: it drops the
    # project folder (where the editable install points) from sys.path.
    _install(session, "mutants")
    # The folder must exist before mutmut starts: Python caches "no importer"
    # for a PYTHONPATH entry that is missing at start-up, and mutmut puts the
    # same path on sys.path later, so a first run could not import the package.
    (ROOT / "mutants").mkdir(exist_ok=True)
    # Tests that start Python processes (two-process cache tests, joblib workers)
    # must import the same mutated copy, which mutmut keeps in mutants/.
    env = {**ENV, "PYTHONPATH": str(ROOT / "mutants")}
    if set(TRAINING_MODULES) & {Path(module).as_posix() for module in modules}:
        # Read by tests/conftest.py: every test except the docs and real-data ones.
        env["MNIST_TUTORIAL_TEST_MARKERS"] = "not docs and not real_data"
    session.run("mutmut", "run", *patterns, env=env)
    session.run("python", "tools/mutation_score.py", *modules)


@nox.session(default=False, venv_backend="none")
def bench_docs(session: nox.Session) -> None:
    """Time cold, unchanged and prose-edit docs builds (run ``nox -s docs`` once first).

    The cold build is timed beside the previous commit's, in the same run
    (``-- --against REV`` for another commit, ``-- --against none`` for none).
    """
    # The interpreter nox runs on: Debian, for one, has no `python` command.
    session.run(sys.executable, "benchmarks/bench_docs.py", *session.posargs)


@nox.session(default=False, venv_backend="none")
def serve(session: nox.Session) -> None:
    """Serve the built site on http://127.0.0.1:8000 (build it with ``nox -s docs``)."""
    site = DOCS_BUILD / "html"
    if not (site / "index.html").exists():
        session.error(f"{site} has no site yet: run `nox -s docs` (or `nox -s docs -- --draft`)")
    session.run(
        sys.executable,
        "-m",
        "http.server",
        "--bind",
        "127.0.0.1",
        "--directory",
        str(site),
        "8000",
    )


if __name__ == "__main__":
    nox.main()
