"""Run every script and notebook the built site offers for download.

Each ``.py`` runs with ``python`` and each ``.ipynb`` with nbclient, in a
scratch folder, as a reader runs them: in full mode, so that their runs
replay from the run cache the full build filled (``.ci/run`` builds the
site first, with the same cache). Run through ``nox -s downloads``, which
installs this project into a fresh environment first, as a reader would.
The "download all" zip files must hold every part.

``--draft`` runs them in draft mode instead (small data, two epochs): a
quick check for a draft site or a cold cache. One page is slower there:
sphinx-gallery copies a page's source to the downloadable ``.py`` as it is,
but leaves its ``sphinx_gallery_start_ignore`` blocks out of the notebook.
Part 1 takes its draft subset in such a block, so Part 1's notebook trains
two epochs on the full data even in draft mode (draft mode keeps its runs
apart from the full build's: :func:`mnist_tutorial.config.run_cache_dir`).

Two files run at a time (``--jobs``): each is its own process, with
TensorFlow's threads pinned, and in full mode they only replay runs.
"""

from __future__ import annotations

import argparse
import concurrent.futures
import os
import subprocess
import sys
import tempfile
import time
import zipfile
from pathlib import Path

import nbformat
from nbclient import NotebookClient
from nbclient.exceptions import CellExecutionError

ROOT = Path(__file__).resolve().parent.parent


def expected_parts() -> list[str]:
    """Return the example names the gallery is made of."""
    return sorted(path.stem for path in (ROOT / "examples").rglob("plot_*.py"))


def check_zips(downloads: Path, parts: list[str]) -> list[str]:
    """Check that both download-all zips hold every part; return the problems."""
    problems = []
    for suffix, archive_name in (
        (".py", "auto_examples_python.zip"),
        (".ipynb", "auto_examples_jupyter.zip"),
    ):
        archives = sorted(downloads.rglob(archive_name))
        if not archives:
            problems.append(f"no {archive_name} on the site")
            continue
        with zipfile.ZipFile(archives[0]) as archive:
            names = {Path(name).stem for name in archive.namelist() if name.endswith(suffix)}
        missing = sorted(set(parts) - names)
        if missing:
            problems.append(f"{archive_name} lacks {missing}")
    return problems


def run_script(script: Path, environment: dict[str, str]) -> str | None:
    """Run a downloaded script; return an error description or None."""
    with tempfile.TemporaryDirectory(prefix="download-") as scratch:
        result = subprocess.run(
            [sys.executable, str(script)],
            cwd=scratch,
            env=environment,
            capture_output=True,
            text=True,
            check=False,
        )
    if result.returncode != 0:
        return f"{script.name} exited with {result.returncode}:\n{result.stderr[-2000:]}"
    return None


def run_notebook(notebook: Path) -> str | None:
    """Execute a downloaded notebook; return an error description or None."""
    content = nbformat.read(notebook, as_version=4)
    with tempfile.TemporaryDirectory(prefix="download-") as scratch:
        client = NotebookClient(
            content, timeout=600, kernel_name="python3", resources={"metadata": {"path": scratch}}
        )
        try:
            client.execute()
        except CellExecutionError as error:
            return f"{notebook.name}: a cell failed:\n{str(error)[-2000:]}"
    return None


def _positive_int(text: str) -> int:
    """Parse ``--jobs``: an int >= 1."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"--jobs must be an int >= 1, got {text!r}") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"--jobs must be an int >= 1, got {value}")
    return value


def main() -> None:
    """Run the downloads and report; exit non-zero on any failure."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("site", nargs="?", type=Path, default=ROOT / "docs" / "_build" / "html")
    parser.add_argument(
        "--draft",
        action="store_true",
        help="run in draft mode (small data, two epochs): quick on a cold run cache",
    )
    parser.add_argument(
        "--jobs",
        type=_positive_int,
        default=2,
        help="files run at the same time, each in its own process (default 2)",
    )
    arguments = parser.parse_args()
    downloads = arguments.site / "_downloads"
    if not downloads.is_dir():
        raise SystemExit(f"{downloads} does not exist: build the site first (nox -s docs)")

    parts = expected_parts()
    problems = check_zips(downloads, parts)
    scripts = sorted(path for path in downloads.rglob("plot_*.py"))
    notebooks = sorted(path for path in downloads.rglob("plot_*.ipynb"))
    for kind, found in (("script", scripts), ("notebook", notebooks)):
        missing = sorted(set(parts) - {path.stem for path in found})
        if missing:
            problems.append(f"no downloadable {kind} for {missing}")

    # Set either way: a mode left over in the shell would change what runs.
    os.environ["MNIST_TUTORIAL_DRAFT"] = "1" if arguments.draft else "0"
    os.environ.setdefault("MPLBACKEND", "Agg")
    environment = dict(os.environ)

    def run(path: Path) -> str | None:
        start = time.perf_counter()
        problem = run_script(path, environment) if path.suffix == ".py" else run_notebook(path)
        status = "FAILED" if problem else "ok"
        print(f"{status:6s} {path.name:40s} {time.perf_counter() - start:6.1f} s", flush=True)
        return problem

    # Each file runs in its own process; the threads only wait for them.
    with concurrent.futures.ThreadPoolExecutor(max_workers=arguments.jobs) as pool:
        problems.extend(problem for problem in pool.map(run, scripts + notebooks) if problem)

    print(f"Ran {len(scripts)} scripts and {len(notebooks)} notebooks; zips checked.")
    if problems:
        print("\n".join(["Problems:", *problems]), file=sys.stderr)
        raise SystemExit(1)


if __name__ == "__main__":
    main()
