"""Developer tasks: ``nox -s tests``, ``nox -s lint``, ``nox -s docs``, ``nox -s bench``.

Every session builds its own environment from ``pyproject.toml``, so each
command works from a fresh clone with only Python and nox installed.
"""

from __future__ import annotations

import argparse
import os
from pathlib import Path

import nox

nox.needs_version = ">=2025.2.9"
nox.options.default_venv_backend = "uv|virtualenv"
nox.options.sessions = ["lint", "tests"]

ROOT = Path(__file__).parent
PYPROJECT = nox.project.load_toml(ROOT / "pyproject.toml")
DOCS_BUILD = ROOT / "docs" / "_build"
# tools/check_site.py drives the system Chromium, not a Playwright download.
CHROMIUM = Path("/usr/bin/chromium")

# Quiet TensorFlow's C++ start-up chatter in every session's output.
ENV = {"TF_CPP_MIN_LOG_LEVEL": "2"}


def _install(session: nox.Session, *groups: str, editable: bool = True) -> None:
    requirements = [
        requirement
        for group in groups
        for requirement in nox.project.dependency_groups(PYPROJECT, group)
    ]
    project = ["-e", "."] if editable else ["."]
    # Precompiled bytecode halves TensorFlow's import time on every run.
    session.install(*project, *requirements, env={"UV_COMPILE_BYTECODE": "1"})


@nox.session(default=True)
def tests(session: nox.Session) -> None:
    """Run the test suite (extra arguments go to pytest)."""
    _install(session, "test")
    session.run("pytest", "-m", "not docs", *session.posargs, env=ENV)


@nox.session(default=False)
def docs_tests(session: nox.Session) -> None:
    """Build the site in scratch folders: determinism, false claims, clean pages."""
    _install(session, "test", "docs")
    session.run("pytest", "-m", "docs", *session.posargs, env=ENV)


@nox.session(default=True)
def lint(session: nox.Session) -> None:
    """Check style and formatting with ruff, and types with mypy."""
    session.install("ruff>=0.8")
    session.run("ruff", "check", ".")
    session.run("ruff", "format", "--check", ".")
    _install(session, "test")
    session.install("mypy>=1.11")
    session.run("mypy", env=ENV)


def _docs_arguments(session: nox.Session) -> argparse.Namespace:
    parser = argparse.ArgumentParser(prog="nox -s docs --")
    parser.add_argument(
        "--draft",
        action="store_true",
        help="train on a small subset for a few epochs: a quick preview, not the real numbers",
    )
    parser.add_argument("--builder", default="html", help="Sphinx builder (default: html)")
    return parser.parse_args(session.posargs)


@nox.session(default=False)
def docs(session: nox.Session) -> None:
    """Build the course site into docs/_build/html (``-- --draft`` for a quick preview)."""
    arguments = _docs_arguments(session)
    _install(session, "docs")
    env = {**ENV, "MNIST_TUTORIAL_DRAFT": "1" if arguments.draft else "0"}
    output = DOCS_BUILD / arguments.builder
    session.run(
        "sphinx-build",
        "-b",
        arguments.builder,
        "-W",
        "--keep-going",
        "-n",
        "-j",
        "1",
        "docs",
        str(output),
        env=env,
    )
    mode = "DRAFT build (numbers are not the real ones)" if arguments.draft else "full build"
    session.log(f"{mode}: open {output / 'index.html'}")


@nox.session(default=False)
def downloads(session: nox.Session) -> None:
    """Run every script and notebook the built site offers, as a reader would."""
    # Not editable: the downloads must work with the project as installed.
    _install(session, "downloads", editable=False)
    session.run("python", "tools/run_downloads.py", *session.posargs, env=ENV)


@nox.session(default=False)
def browser(session: nox.Session) -> None:
    """Check the built site in headless Chromium: pages, images, console, dark-mode contrast."""
    if not CHROMIUM.is_file() and not any(arg.startswith("--chromium") for arg in session.posargs):
        session.error(f"{CHROMIUM} not found: install Chromium with `apt-get install chromium`")
    # The script needs nothing from the project, only Playwright (no browser download).
    session.install(*nox.project.dependency_groups(PYPROJECT, "browser"))
    session.run("python", "tools/check_site.py", *session.posargs)


@nox.session(default=False, venv_backend="none")
def linkcheck(session: nox.Session) -> None:
    """Check every internal link and anchor of the built site, offline (stdlib only)."""
    session.run("python", "tools/check_links.py", *session.posargs)


@nox.session(default=False)
def bench(session: nox.Session) -> None:
    """Measure the training wrapper's overhead against a plain ``model.fit``."""
    _install(session, "test")
    epochs = os.environ.get("BENCH_EPOCHS", "2")
    session.run(
        "python", "benchmarks/bench_training.py", "--epochs", epochs, *session.posargs, env=ENV
    )


#: The modules whose mutation score the tests are held to (at least 90%).
MUTANT_MODULES = (
    "mnist_tutorial/config.py",
    "mnist_tutorial/claims.py",
    "mnist_tutorial/evaluation.py",
    "mnist_tutorial/data.py",
    "mnist_tutorial/_mirror.py",
    "mnist_tutorial/models.py",
    "mnist_tutorial/lr_range.py",
    "mnist_tutorial/training.py",
)


@nox.session(default=False)
def mutants(session: nox.Session) -> None:
    """Mutation-test the package with mutmut; print each module's score and the survivors.

    ``nox -s mutants -- mnist_tutorial/claims.py`` tests one module (or several).
    """
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
    # The package itself is not installed: mutmut imports its mutated copy in mutants/.
    session.install(
        *PYPROJECT["project"]["dependencies"],
        *nox.project.dependency_groups(PYPROJECT, "mutants"),
        env={"UV_COMPILE_BYTECODE": "1"},
    )
    # Tests that start Python processes (two-process cache tests, joblib workers)
    # must import the same mutated copy, which mutmut keeps in mutants/.
    session.run("mutmut", "run", *patterns, env={**ENV, "PYTHONPATH": str(ROOT / "mutants")})
    session.run("python", "tools/mutation_score.py", *modules)


@nox.session(default=False, venv_backend="none")
def bench_docs(session: nox.Session) -> None:
    """Time cold, unchanged and prose-edit docs builds (run ``nox -s docs`` once first)."""
    session.run("python", "benchmarks/bench_docs.py", *session.posargs)


@nox.session(default=False, venv_backend="none")
def serve(session: nox.Session) -> None:
    """Serve the built site on http://127.0.0.1:8000 (build it with ``nox -s docs``)."""
    site = DOCS_BUILD / "html"
    if not (site / "index.html").exists():
        session.error(f"{site} has no site yet: run `nox -s docs` (or `nox -s docs -- --draft`)")
    session.run(
        "python", "-m", "http.server", "--bind", "127.0.0.1", "--directory", str(site), "8000"
    )
