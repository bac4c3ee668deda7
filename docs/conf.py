"""Sphinx configuration for the mnist-tutorial course site."""

from __future__ import annotations

import hashlib
import importlib.metadata
import os
import platform
import re
import shutil
import sys
import zlib
from pathlib import Path

HERE = Path(__file__).parent.resolve()
ROOT = HERE.parent
sys.path.insert(0, str(HERE / "_ext"))

import gallery_hooks

from mnist_tutorial import config as mnist_config

# -- Project ------------------------------------------------------------------
project = "mnist-tutorial"
author = "The mnist-tutorial developers"
copyright = "2026, The mnist-tutorial developers"
release = importlib.metadata.version("mnist-tutorial")
version = ".".join(release.split(".")[:2])

DRAFT = mnist_config.draft_mode()
# The site's build is where a false claim must fail; a reader's run only warns.
os.environ[mnist_config.ENV_STRICT_CLAIMS] = "1"
# The GitHub repository from pyproject.toml's [project.urls]; None when it is
# blank or a placeholder, and then no page links to it.
REPOSITORY = gallery_hooks.repository_url(ROOT / "pyproject.toml")

extensions = [
    "sphinx.ext.autodoc",
    "sphinx.ext.napoleon",
    "sphinx.ext.intersphinx",
    "sphinx.ext.mathjax",
    "sphinx.ext.viewcode",
    "sphinx_copybutton",
    # Folds the exercises' answers away: ``.. admonition::`` with ``:class: dropdown``.
    "sphinx_togglebutton",
    "sphinx_gallery.gen_gallery",
]

exclude_patterns = ["_build", "_generated", "Thumbs.db", ".DS_Store"]
root_doc = "index"

# -- Cross-references ---------------------------------------------------------
# Each project's inventory is fetched from its site. Offline (as on CI
# machines without internet access) Sphinx falls back to a small local
# inventory of the names these docs use, written below, so that the build
# neither fails nor loses those links.
FALLBACK_INVENTORIES = {
    "python": {
        "callable": ("py:function", "library/functions.html#callable"),
        "pickle.Unpickler": ("py:class", "library/pickle.html#pickle.Unpickler"),
        "pickle.UnpicklingError": ("py:exception", "library/pickle.html#pickle.UnpicklingError"),
        "UserWarning": ("py:exception", "library/exceptions.html#UserWarning"),
        "AssertionError": ("py:exception", "library/exceptions.html#AssertionError"),
        "ValueError": ("py:exception", "library/exceptions.html#ValueError"),
        "RuntimeError": ("py:exception", "library/exceptions.html#RuntimeError"),
        "TypeError": ("py:exception", "library/exceptions.html#TypeError"),
    },
    "numpy": {
        "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
    },
    "matplotlib": {
        "matplotlib.figure.Figure": (
            "py:class",
            "api/_as_gen/matplotlib.figure.Figure.html#matplotlib.figure.Figure",
        ),
        "matplotlib.pyplot": ("py:module", "api/pyplot_summary.html#module-matplotlib.pyplot"),
        "matplotlib.pyplot.show": (
            "py:function",
            "api/_as_gen/matplotlib.pyplot.show.html#matplotlib.pyplot.show",
        ),
    },
}
INTERSPHINX_URLS = {
    "python": "https://docs.python.org/3",
    "numpy": "https://numpy.org/doc/stable",
    "matplotlib": "https://matplotlib.org/stable",
}


def _write_fallback_inventory(name: str) -> str:
    """Write a Sphinx v2 inventory of FALLBACK_INVENTORIES[name]; return its path."""
    lines = "".join(
        f"{target} {role} 1 {uri} -\n"
        for target, (role, uri) in sorted(FALLBACK_INVENTORIES[name].items())
    )
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {name} (offline fallback)\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path = HERE / "_build" / "fallback-inventories" / f"{name}.inv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return str(path)


intersphinx_mapping = {
    name: (url, (None, _write_fallback_inventory(name))) for name, url in INTERSPHINX_URLS.items()
}
intersphinx_timeout = 5

autodoc_typehints = "none"
autodoc_member_order = "bysource"
autodoc_default_options = {"members": True, "show-inheritance": True}
napoleon_google_docstring = False
napoleon_numpy_docstring = True
# Types stay plain text: numpydoc type strings such as "ndarray, shape (N,)"
# or "mapping of str to float" are descriptions, not reference targets.
napoleon_use_param = False
napoleon_use_rtype = False
napoleon_preprocess_types = False

nitpicky = True
# Keras and TensorFlow publish no Sphinx inventory, so their names cannot
# resolve; every other unresolved reference is still an error.
nitpick_ignore_regex = [
    (r"py:.*", r"keras(\..*)?"),
    (r"py:.*", r"tensorflow(\..*)?"),
]

# -- HTML ---------------------------------------------------------------------
html_theme = "furo"
html_title = f"MNIST with Keras {version}"
html_static_path = ["_static"]
html_css_files = ["custom.css"]
html_theme_options: dict[str, object] = {}
if DRAFT:
    html_theme_options["announcement"] = (
        "<strong>Draft build:</strong> numbers are not the real ones "
        "(small data subset, few epochs)."
    )


# -- Stale gallery pages --------------------------------------------------------
def _inputs_stamp() -> str:
    """Hash everything besides an example's own file that its page depends on."""
    digest = hashlib.sha256()
    for path in sorted((ROOT / "mnist_tutorial").rglob("*.py")):
        digest.update(path.relative_to(ROOT).as_posix().encode())
        digest.update(path.read_bytes())
    for distribution in ("tensorflow", "keras", "numpy", "matplotlib", "sphinx-gallery"):
        digest.update(f"{distribution}=={importlib.metadata.version(distribution)}".encode())
    # The data checksums live in mnist_tutorial/data.py, hashed above.
    digest.update(f"draft={DRAFT}".encode())
    return digest.hexdigest()


def _invalidate_stale_examples(gallery_dir: Path) -> None:
    """Make sphinx-gallery re-run every example when a shared input changed.

    sphinx-gallery re-runs an example only when its own file's md5 changes.
    A change to the helper package, the library versions, the data checksums
    or draft mode must also re-run it, so those are hashed into a stamp and
    the md5 records are dropped when the stamp differs. An unchanged tree
    rebuilds without running anything; a prose edit re-runs one example,
    which replays its training from the run cache.
    """
    stamp_file = gallery_dir / ".inputs-stamp"
    stamp = _inputs_stamp()
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return
    for record in gallery_dir.rglob("*.md5"):
        record.unlink()
    gallery_dir.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(stamp)


_invalidate_stale_examples(HERE / "auto_examples")

# -- sphinx-gallery -------------------------------------------------------------
sphinx_gallery_conf = {
    "examples_dirs": str(ROOT / "examples"),
    "gallery_dirs": "auto_examples",
    "filename_pattern": r"/plot_",
    "within_subsection_order": "FileNameSortKey",
    "abort_on_example_error": True,
    "reset_modules": ("matplotlib", "gallery_hooks.reset_keras"),
    "reset_modules_order": "before",
    "download_all_examples": True,
    "doc_module": ("mnist_tutorial",),
    "backreferences_dir": "gen_modules/backreferences",
    "reference_url": {"mnist_tutorial": None},
    "capture_repr": ("_repr_html_", "__repr__"),
    # Figures, SourceCode and plain results are shown; bare return values of
    # Keras and Matplotlib calls are not.
    "ignore_repr_types": r"matplotlib|keras|History|RunRecord|NoneType",
    "first_notebook_cell": gallery_hooks.first_notebook_cell(REPOSITORY),
    "remove_config_comments": True,
    "show_memory": False,
    "min_reported_time": 0,
    "matplotlib_animations": False,
    "image_srcset": ["2x"],
}


# -- Reproducibility page ---------------------------------------------------------
def _list_table(title: str, header: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    """Return the lines of a two-column reST list-table."""
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for first, second in [header, *rows]:
        lines += [f"   * - {first}", f"     - {second}"]
    return [*lines, ""]


def _write_environment_page(app: object) -> None:
    """Write the library versions, machine and data checksums for reproducibility.rst."""
    del app
    from mnist_tutorial import data as mnist_data

    rows = [("Python", platform.python_version())]
    for distribution in (
        "mnist-tutorial",
        "tensorflow",
        "keras",
        "numpy",
        "matplotlib",
        "sphinx",
        "sphinx-gallery",
        "furo",
    ):
        rows.append((distribution, importlib.metadata.version(distribution)))
    machine = [
        ("Platform", platform.platform()),
        ("Processor", platform.machine()),
        ("CPU cores", str(os.cpu_count())),
        (
            "Build mode",
            "draft (subset, few epochs)" if DRAFT else "full (60,000/10,000, all epochs)",
        ),
    ]
    checksums = [
        (f"``{name}``", f"``{value}``") for name, value in mnist_data.EXPECTED_SHA256.items()
    ]
    checksums.append(
        (
            f"mirror wheel ``{mnist_data.MIRROR_REQUIREMENT}``",
            f"``{mnist_data.MIRROR_WHEEL_SHA256}``",
        )
    )
    lines = [
        *_list_table("Library versions", ("Package", "Version"), rows),
        *_list_table("Build machine", ("Item", "Value"), machine),
        *_list_table(
            "MNIST checksums (sha256 of each array's bytes)", ("Array", "sha256"), checksums
        ),
    ]
    target = HERE / "_generated" / "environment.rst"
    target.parent.mkdir(exist_ok=True)
    text = "\n".join(lines) + "\n"
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def _add_backreferences(
    app: object, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """End each function's and class's entry with the examples that use it."""
    del app, obj, options
    if what in {"function", "class", "exception"} and name.startswith("mnist_tutorial."):
        short = name.rsplit(".", 1)[-1]
        lines += [
            "",
            f".. minigallery:: {name}",
            f"   :add-heading: Examples using ``{short}``",
            "",
        ]


_TITLE_UNDERLINE = re.compile(r"^=+\n", re.MULTILINE)


def _add_example_links(app: object, docname: str, source: list[str]) -> None:
    """Put "View source" and "Open in Colab" links under each example's title."""
    del app
    match = re.fullmatch(r"auto_examples/((?:\w+/)?plot_\w+)", docname)
    if match is None:
        return
    links = gallery_hooks.example_links(f"{match[1]}.py", REPOSITORY)
    title = _TITLE_UNDERLINE.search(source[0], source[0].find("sphx-glr-example-title"))
    if links and title is not None:
        source[0] = source[0][: title.end()] + "\n" + links + source[0][title.end() :]


_TIMES_SCRIPTS = re.compile(
    r"^  \.\. raw:: html\n.*?(?=^  \.\. list-table::)", re.DOTALL | re.MULTILINE
)


def _offline_execution_times(app: object, docname: str, source: list[str]) -> None:
    """Drop the CDN scripts from sphinx-gallery's execution-times tables.

    They load jQuery and DataTables from third-party CDNs only to make the
    table sortable; offline they fail with console errors. The table itself
    stays.
    """
    del app
    if docname.endswith("sg_execution_times"):
        source[0] = _TIMES_SCRIPTS.sub("", source[0])


def _publish_notebooks(app: object, exception: Exception | None) -> None:
    """Copy the notebooks to a stable path on the site, for the Colab links."""
    if exception is not None or getattr(app, "builder").format != "html":  # noqa: B009
        return
    target = Path(getattr(app, "outdir")) / gallery_hooks.NOTEBOOK_DIR  # noqa: B009
    target.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((HERE / "auto_examples").rglob("*.ipynb")):
        shutil.copy2(notebook, target / notebook.name)


def setup(app: object) -> None:
    """Connect this site's build hooks."""
    app.connect("builder-inited", _write_environment_page)  # type: ignore[attr-defined]
    app.connect("autodoc-process-docstring", _add_backreferences)  # type: ignore[attr-defined]
    app.connect("source-read", _add_example_links)  # type: ignore[attr-defined]
    app.connect("source-read", _offline_execution_times)  # type: ignore[attr-defined]
    app.connect("build-finished", _publish_notebooks)  # type: ignore[attr-defined]
