"""Build-level tests of the course site (marker ``docs``; run by ``nox -s docs_tests``).

They build copies of ``docs/`` and ``examples/`` in a temporary folder with
the real ``conf.py``, so they never touch the working tree's build.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx_gallery")

pytestmark = pytest.mark.docs

ROOT = Path(__file__).resolve().parent.parent

# Timings change from build to build; everything else must not.
TIMING_PATTERNS = [
    (re.compile(r"- \d+s - \d+ms/step -"), "- Ts - Tms/step -"),
    (re.compile(r"\((?:trained|replayed) [^)]*\)"), "(timing)"),
    (re.compile(r"\*\*Total running time of the script:\*\*.*"), "(total time)"),
    (re.compile(r"\.\. only:: html.*", re.DOTALL), ""),  # download links and footers
]
CONTROL_CHARACTERS = re.compile(r"[\r\b]|\x1b\[")
# What a page shows when the site knows its repository.
REPOSITORY_LINKS = ("View source on GitHub", "colab.research.google.com", 'rel="edit"')


def copy_sources(destination: Path, examples: list[Path] | None = None) -> Path:
    """Copy docs/ (without build output) and the given examples; return the docs path."""
    docs = destination / "docs"
    shutil.copytree(
        ROOT / "docs",
        docs,
        ignore=shutil.ignore_patterns("_build", "auto_examples", "gen_modules", "_generated"),
    )
    (docs / "sg_execution_times.rst").unlink(missing_ok=True)
    shutil.copy(ROOT / "pyproject.toml", destination / "pyproject.toml")
    shutil.copy(ROOT / "uv.lock", destination / "uv.lock")
    target = destination / "examples"
    if examples is None:
        shutil.copytree(ROOT / "examples", target)
    else:
        target.mkdir()
        shutil.copy(ROOT / "examples" / "GALLERY_HEADER.rst", target)
        for source in examples:
            shutil.copy(source, target / source.name)
        # The landing page's mini-galleries name the real examples; drop them.
        index = docs / "index.rst"
        text = re.sub(r"\.\. minigallery::\n(   \S.*\n)+", "", index.read_text())
        index.write_text(re.sub(r":ref:`([^<`]+) <sphx_glr_auto_examples_[^>]+>`", r"\1", text))
    return docs


def sphinx_build(
    docs: Path, *, draft: bool, run_cache: str, repository: str | None = None
) -> subprocess.CompletedProcess[str]:
    build = start_sphinx_build(docs, draft=draft, run_cache=run_cache, repository=repository)
    stdout, stderr = build.communicate()
    return subprocess.CompletedProcess(build.args, build.returncode, stdout, stderr)


def start_sphinx_build(
    docs: Path, *, draft: bool, run_cache: str, repository: str | None = None
) -> subprocess.Popen[str]:
    # GitHub Actions names the repository; a test names its own, or none.
    environment = {
        **{name: value for name, value in os.environ.items() if not name.startswith("GITHUB_")},
        "MNIST_TUTORIAL_DRAFT": "1" if draft else "0",
        "MNIST_TUTORIAL_RUN_CACHE": run_cache,
        "TF_CPP_MIN_LOG_LEVEL": "3",
        **({} if repository is None else {"GITHUB_REPOSITORY": repository}),
    }
    return subprocess.Popen(
        [
            sys.executable,
            "-m",
            "sphinx",
            "-b",
            "html",
            "-W",
            "--keep-going",
            "-n",
            "-q",
            str(docs),
            str(docs / "_build" / "html"),
        ],
        env=environment,
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
    )


def page_outputs(docs: Path) -> dict[str, str]:
    """Return each example page's generated reST with timings masked."""
    pages = {}
    for page in sorted((docs / "auto_examples").rglob("plot_*.rst")):
        text = page.read_text()
        for pattern, replacement in TIMING_PATTERNS:
            text = pattern.sub(replacement, text)
        pages[page.relative_to(docs / "auto_examples").as_posix()] = text
    return pages


def test_two_draft_builds_give_identical_pages(tmp_path: Path) -> None:
    first_docs = copy_sources(tmp_path / "first")
    second_docs = copy_sources(tmp_path / "second")
    # No run cache: identical pages must come from determinism, not replay. Both
    # at once, each slowing the other: the numbers must not depend on the load.
    builds = [
        start_sphinx_build(docs, draft=True, run_cache="off") for docs in (first_docs, second_docs)
    ]
    for build in builds:
        _, stderr = build.communicate()
        assert build.returncode == 0, stderr[-3000:]

    first, second = page_outputs(first_docs), page_outputs(second_docs)
    expected = sorted(
        path.relative_to(ROOT / "examples").with_suffix(".rst").as_posix()
        for path in (ROOT / "examples").rglob("plot_*.py")
    )
    assert sorted(first) == expected
    assert len(expected) >= 4
    assert "replayed from the run cache" not in "".join(first.values())
    for name in first:
        assert first[name] == second[name], f"{name} differs between two identical builds"

    html = first_docs / "_build" / "html" / "auto_examples"
    for name in first:
        page = html / name.replace(".rst", ".html")
        text = page.read_text()
        assert "Draft build" in text
        assert not CONTROL_CHARACTERS.search(text), f"{page.name} has control characters"
        images = set(re.findall(r'src="((?:\.\./)+_images/[^"]+)"', text))
        for srcset in re.findall(r'srcset="([^"]+)"', text):
            images |= {entry.split()[0] for entry in srcset.split(",")}
        local = {(page.parent / image).resolve() for image in images if "_images/" in image}
        assert local, f"{page.name} shows no figure"
        size = page.stat().st_size + sum(image.stat().st_size for image in local)
        assert size < 2 * 1024 * 1024, f"{page.name} weighs {size} bytes with its images"

    # With no repository configured, no page links to one.
    for page in (first_docs / "_build" / "html").rglob("*.html"):
        text = page.read_text()
        for link in REPOSITORY_LINKS:
            assert link not in text, f"{page.name} has {link!r} without a repository"
    notebooks = list((first_docs / "_build" / "html" / "notebooks").glob("*.ipynb"))
    assert len(notebooks) == len(expected)
    assert all("git+" not in notebook.read_text() for notebook in notebooks)


def test_a_repository_from_github_actions_links_every_example(tmp_path: Path) -> None:
    example = tmp_path / "plot_98_links.py"
    example.write_text(
        '"""\nA linked page\n=============\n\nIt draws a line.\n"""\n'
        "import matplotlib.pyplot as plt\n\n"
        "plt.plot([0, 1])\n"
    )
    docs = copy_sources(tmp_path / "site", examples=[example])
    result = sphinx_build(docs, draft=True, run_cache="off", repository="course/mnist-tutorial")
    assert result.returncode == 0, result.stderr[-3000:]
    html = docs / "_build" / "html"
    repository = "https://github.com/course/mnist-tutorial"
    page = (html / "auto_examples" / "plot_98_links.html").read_text()
    assert f'href="{repository}/blob/main/examples/plot_98_links.py"' in page
    assert (
        'href="https://colab.research.google.com/github/course/mnist-tutorial/blob/gh-pages/'
        'notebooks/plot_98_links.ipynb"'
    ) in page
    # furo's edit button points at the example, not at the generated page.
    assert f'href="{repository}/edit/main/examples/plot_98_links.py"' in page
    assert f'href="{repository}/edit/main/docs/index.rst"' in (html / "index.html").read_text()
    notebook = (html / "notebooks" / "plot_98_links.ipynb").read_text()
    assert f"mnist-tutorial @ git+{repository}" in notebook


def test_a_false_claim_fails_the_build(tmp_path: Path) -> None:
    example = tmp_path / "plot_99_false_claim.py"
    example.write_text(
        '"""\nA page with a false claim\n=========================\n\nIt claims too much.\n"""\n'
        "# %%\n"
        "# Accuracy is above 99.9 %.\n"
        "accuracy = 0.5\n"
        "# sphinx_gallery_start_ignore\n"
        "from mnist_tutorial import claims\n\n"
        'claims.check(accuracy > 0.999, "accuracy is above 99.9 %")\n'
        "# sphinx_gallery_end_ignore\n"
    )
    docs = copy_sources(tmp_path / "site", examples=[example])
    result = sphinx_build(docs, draft=False, run_cache="off")
    assert result.returncode != 0
    assert "claim does not hold: accuracy is above 99.9 %" in result.stdout + result.stderr

    # In draft mode the same claim only warns, and the page runs to its end.
    shutil.rmtree(docs / "_build")
    shutil.rmtree(docs / "auto_examples")
    draft = sphinx_build(docs, draft=True, run_cache="off")
    output = draft.stdout + draft.stderr
    assert "failed to execute" not in output
    page = (docs / "auto_examples" / "plot_99_false_claim.rst").read_text()
    assert "ClaimWarning: claim does not hold: accuracy is above 99.9 %" in page
