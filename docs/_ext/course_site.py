"""The course site's Sphinx extension: what ``conf.py`` would otherwise do in code.

It acts on Sphinx events only:

``config-inited``
    Finds the GitHub repository (``[project.urls]``, else GitHub Actions'
    ``GITHUB_REPOSITORY``), sets furo's source links and the notebooks'
    first cell from it, and adds the offline fallback inventories to
    ``intersphinx_mapping``.
``builder-inited``
    Drops sphinx-gallery's records of pages whose shared inputs changed (the
    stale-page stamp), and writes the reproducibility page's tables.
``source-read``
    Puts "View source" and "Open in Colab" links under each example's title,
    and drops the third-party scripts of the execution-times tables.
``html-page-context``
    Points furo's "edit" and "view" buttons of gallery pages at the example's
    ``.py`` file.
``autodoc-process-docstring``
    Ends each API entry with the examples that use it.
``build-finished``
    Publishes the notebooks at a stable path, for the Colab links.

Settings (in ``conf.py``): ``course_draft``, ``course_stamp_sources``,
``course_stamp_distributions``, ``course_environment_distributions``,
``course_branch``, ``course_commit``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import logging
import os
import platform
import re
import shutil
import tomllib
import zlib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform
from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)

#: Where the published notebooks live on the site (copied there at build end),
#: so that "Open in Colab" can point at a stable path on the Pages branch.
NOTEBOOK_DIR = "notebooks"
#: The gallery's output folder, relative to the Sphinx source folder.
GALLERY_DIR = "auto_examples"

_GITHUB = re.compile(
    r"^(?P<server>https://[\w.-]+)/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$"
)
_PLACEHOLDERS = ("example", "your-", "user/", "owner/", "<", "{", "todo", "changeme")
_EXAMPLE_PAGE = re.compile(rf"{GALLERY_DIR}/((?:\w+/)?plot_\w+)")
_TITLE_UNDERLINE = re.compile(r"^=+\n", re.MULTILINE)
_TIMES_SCRIPTS = re.compile(
    r"^  \.\. raw:: html\n.*?(?=^  \.\. list-table::)", re.DOTALL | re.MULTILINE
)

# -- Offline cross-references -------------------------------------------------
#: A small local inventory per intersphinx project, of the names these docs
#: use: offline (as on CI machines without internet access) Sphinx falls back
#: to it, so that the build neither fails nor loses those links.
FALLBACK_INVENTORIES: dict[str, dict[str, tuple[str, str]]] = {
    "python": {
        "callable": ("py:function", "library/functions.html#callable"),
        "pathlib.Path": ("py:class", "library/pathlib.html#pathlib.Path"),
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


def reset_keras(gallery_conf: dict[str, Any], fname: str) -> None:
    """Give each example a fresh Keras session, a fixed seed and no open figures.

    Examples run in one process; without this, layer names, random state and
    memory would carry over from one page to the next.
    """
    del gallery_conf, fname
    import keras
    import matplotlib.pyplot as plt

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    plt.close("all")


# -- The repository -----------------------------------------------------------
def repository_url(pyproject: Path, environ: Mapping[str, str] | None = None) -> str | None:
    """Return the project's repository URL, or None when there is none.

    ``[project.urls]`` in ``pyproject.toml`` comes first (``Source``, then
    ``Repository`` and ``Homepage``); a blank or placeholder value is skipped.
    Without one, GitHub Actions' ``GITHUB_REPOSITORY`` (``OWNER/REPO``) on
    ``GITHUB_SERVER_URL`` (``https://github.com`` by default) is used.

    Parameters
    ----------
    pyproject : Path
        The project's ``pyproject.toml``.
    environ : mapping of str to str, optional
        The environment variables; ``os.environ`` by default.

    Returns
    -------
    str or None
        Such as ``https://github.com/OWNER/REPO``, without a final slash.
    """
    environ = os.environ if environ is None else environ
    urls = tomllib.loads(pyproject.read_text()).get("project", {}).get("urls", {})
    for name in ("Source", "Repository", "Homepage"):
        value = str(urls.get(name, "")).strip()
        if not value or any(marker in value.lower() for marker in _PLACEHOLDERS):
            continue
        if _GITHUB.match(value) and value.startswith("https://github.com/"):
            return value.rstrip("/").removesuffix(".git")
    slug = environ.get("GITHUB_REPOSITORY", "").strip().strip("/")
    if slug.count("/") == 1 and all(slug.split("/")):
        server = environ.get("GITHUB_SERVER_URL", "").strip().rstrip("/") or "https://github.com"
        url = f"{server}/{slug}"
        if _GITHUB.match(url):
            return url
    return None


def example_links(example: str, repository: str | None, *, branch: str = "main") -> str:
    """Return the reST block of "View source" and "Open in Colab" links for an example.

    Parameters
    ----------
    example : str
        Path of the example under ``examples/``, such as ``plot_01_baseline.py``.
    repository : str or None
        The repository URL from :func:`repository_url`; None gives no links.
    branch : str
        Branch that holds the source. The notebooks are read from the
        ``gh-pages`` branch that the publishing workflow deploys.

    Returns
    -------
    str
        The block, or ``""`` without a repository. Colab opens notebooks
        from github.com only, so another server gets the source link alone.
    """
    if repository is None:
        return ""
    match = _GITHUB.match(repository)
    if match is None:
        raise ValueError(f"repository must be a https://SERVER/OWNER/REPO URL, got {repository!r}")
    links = [f"`View source on GitHub <{repository}/blob/{branch}/examples/{example}>`__"]
    if match["server"] == "https://github.com":
        notebook = Path(example).with_suffix(".ipynb").name
        links.append(
            f"`Open in Colab <https://colab.research.google.com/github/{match['owner']}/"
            f"{match['repo']}/blob/gh-pages/{NOTEBOOK_DIR}/{notebook}>`__"
        )
    return f".. container:: example-links\n\n   {' | '.join(links)}\n\n"


def first_notebook_cell(repository: str | None, commit: str | None = None) -> str:
    """Return the first cell of every downloaded notebook.

    It turns on inline plots and installs ``mnist_tutorial`` from the
    repository when it is missing, so a notebook runs on its own (in Colab,
    say). Without a repository URL it says how to install the package. Only
    an :class:`ImportError` is caught: a package that fails otherwise shows
    its own error.

    Parameters
    ----------
    repository : str or None
        The repository URL from :func:`repository_url`.
    commit : str or None
        The commit the site is built from (GitHub Actions' ``GITHUB_SHA``):
        the notebook installs the package as it was at that commit, so that
        it runs the code its page ran. None installs the default branch.

    Returns
    -------
    str
        The cell's code, an IPython magic on its second line.
    """
    if repository is None:
        install = (
            '    raise ImportError("This notebook needs the mnist_tutorial package: '
            'run `python -m pip install .` in a clone of the course repository.") from None'
        )
    else:
        target = repository if commit is None else f"{repository}@{commit}"
        install = (
            "    import subprocess\n"
            "    import sys\n\n"
            "    subprocess.check_call(\n"
            f'        [sys.executable, "-m", "pip", "install", "mnist-tutorial @ git+{target}"]\n'
            "    )"
        )
    return (
        "# Set up: plots inline, and the course's helper package.\n"
        "%matplotlib inline\n"
        "try:\n"
        "    import mnist_tutorial\n"
        "except ImportError:\n"
        f"{install}"
    )


# -- Stale gallery pages --------------------------------------------------------
def inputs_stamp(
    sources: list[Path],
    distributions: list[str],
    *,
    draft: bool,
    settings: dict[str, str] | None = None,
) -> str:
    """Hash everything besides an example's own file that its page depends on.

    Parameters
    ----------
    sources : list of Path
        Folders whose ``*.py`` files are hashed (the helper package; its
        data checksums live in its source).
    distributions : list of str
        Installed distributions whose versions are hashed.
    draft : bool
        The build mode.
    settings : dict of str to str, optional
        Other settings that change the pages' results, such as the seed
        offset and the training threads.

    Returns
    -------
    str
        A sha256 hex digest.
    """
    digest = hashlib.sha256()
    for folder in sources:
        for path in sorted(folder.rglob("*.py")):
            digest.update(path.relative_to(folder.parent).as_posix().encode())
            digest.update(path.read_bytes())
    for distribution in distributions:
        digest.update(f"{distribution}=={importlib.metadata.version(distribution)}".encode())
    digest.update(f"draft={draft}".encode())
    for name, value in sorted((settings or {}).items()):
        digest.update(f"{name}={value}".encode())
    return digest.hexdigest()


def invalidate_stale_examples(gallery_dir: Path, stamp: str) -> bool:
    """Make sphinx-gallery re-run every example when a shared input changed.

    sphinx-gallery re-runs an example only when its own file's md5 changes.
    A change to the helper package, the library versions, the data checksums
    or draft mode must also re-run it, so those are hashed into a stamp and
    the md5 records are dropped when the stamp differs. An unchanged tree
    rebuilds without running anything; a prose edit re-runs one example,
    which replays its training from the run cache.

    Parameters
    ----------
    gallery_dir : Path
        sphinx-gallery's output folder.
    stamp : str
        The current :func:`inputs_stamp`.

    Returns
    -------
    bool
        Whether the records were dropped.
    """
    stamp_file = gallery_dir / ".inputs-stamp"
    if stamp_file.exists() and stamp_file.read_text() == stamp:
        return False
    for record in gallery_dir.rglob("*.md5"):
        record.unlink()
    gallery_dir.mkdir(parents=True, exist_ok=True)
    stamp_file.write_text(stamp)
    return True


# -- Reproducibility page -------------------------------------------------------
def list_table(title: str, header: tuple[str, str], rows: list[tuple[str, str]]) -> list[str]:
    """Return the lines of a two-column reST list-table."""
    lines = [f".. list-table:: {title}", "   :header-rows: 1", ""]
    for first, second in [header, *rows]:
        lines += [f"   * - {first}", f"     - {second}"]
    return [*lines, ""]


def locked_versions(lock: Path) -> dict[str, list[str]]:
    """Return each package's versions in ``uv.lock``.

    Parameters
    ----------
    lock : Path
        The lock file.

    Returns
    -------
    dict of str to list of str
        Normalised package name to its locked versions (one per Python
        version range the lock splits on, usually one).
    """
    versions: dict[str, list[str]] = {}
    for package in tomllib.loads(lock.read_text()).get("package", []):
        if "version" in package:
            name = re.sub(r"[-_.]+", "-", package["name"]).lower()
            versions.setdefault(name, []).append(package["version"])
    return versions


def environment_page(distributions: list[str], lock: Path, *, draft: bool) -> tuple[str, list[str]]:
    """Return the reproducibility page's tables, and the packages that are not as locked.

    Parameters
    ----------
    distributions : list of str
        The libraries to list by name at the top.
    lock : Path
        ``uv.lock``; every locked package installed in this environment is
        listed with its version.
    draft : bool
        The build mode.

    Returns
    -------
    text : str
        The reST tables.
    unlocked : list of str
        ``name==version`` of installed packages whose version the lock does
        not have.
    """
    from mnist_tutorial import _mirror
    from mnist_tutorial import data as mnist_data

    locked = locked_versions(lock) if lock.is_file() else {}
    rows = [("Python", platform.python_version())]
    rows += [(name, importlib.metadata.version(name)) for name in distributions]
    installed = {
        re.sub(r"[-_.]+", "-", dist.metadata["Name"]).lower(): dist.version
        for dist in importlib.metadata.distributions()
    }
    locked_rows = sorted((name, version) for name, version in installed.items() if name in locked)
    unlocked = [
        f"{name}=={version}" for name, version in locked_rows if version not in locked[name]
    ]
    machine = [
        ("Platform", platform.platform()),
        ("Processor", platform.machine()),
        ("CPU cores", str(os.cpu_count())),
        (
            "Build mode",
            "draft (subset, few epochs)" if draft else "full (60,000/10,000, all epochs)",
        ),
    ]
    checksums = [
        (f"``{name}``", f"``{value}``") for name, value in mnist_data.EXPECTED_SHA256.items()
    ]
    checksums.append(
        (
            f"mirror wheel ``{_mirror.MIRROR_REQUIREMENT}``",
            f"``{_mirror.MIRROR_WHEEL_SHA256}``",
        )
    )
    lines = [
        *list_table("Library versions", ("Package", "Version"), rows),
        *list_table("Build machine", ("Item", "Value"), machine),
        *list_table(
            "MNIST checksums (sha256 of each array's bytes)", ("Array", "sha256"), checksums
        ),
    ]
    if locked_rows:
        lines += list_table(
            "Every package of this build, as locked in uv.lock", ("Package", "Version"), locked_rows
        )
    return "\n".join(lines) + "\n", unlocked


# -- Offline intersphinx, in one line ---------------------------------------------
class _IntersphinxDigest(logging.Filter):
    """Swallow intersphinx's per-inventory lines, noting the projects that fell back."""

    def __init__(self) -> None:
        super().__init__()
        self.fell_back: set[str] = set()
        self.loaded: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        if message.startswith("loading intersphinx inventory") and len(args) >= 2:
            self.loaded.add(str(args[0]))
            if "://" not in str(args[1]):
                self.fell_back.add(str(args[0]))
            return False
        return not message.startswith(
            (
                "encountered some issues with some of the inventories",
                "intersphinx inventory %r not fetchable",
            )
        )


_DIGEST = _IntersphinxDigest()


def _install_intersphinx_digest(app: Any) -> None:
    del app
    logger = logging.getLogger("sphinx.sphinx.ext.intersphinx")
    _DIGEST.fell_back.clear()
    _DIGEST.loaded.clear()
    if _DIGEST not in logger.filters:
        logger.addFilter(_DIGEST)


def _report_intersphinx(app: Any) -> None:
    del app
    if not _DIGEST.loaded:
        return
    offline = ", ".join(sorted(_DIGEST.fell_back))
    note = f" (unreachable, so from the local fallback: {offline})" if offline else ""
    LOGGER.info("intersphinx: loaded %s%s", ", ".join(sorted(_DIGEST.loaded)), note)


class UniqueWrapperIds(SphinxPostTransform):
    """Keep each id on one element: furo copies a table's ids to the wrapper it adds.

    Duplicate ids make ``#id1`` links ambiguous. This runs after furo's
    transform (priority 500) and leaves the ids on the table or equation.
    """

    formats = ("html",)
    default_priority = 510

    def run(self, **kwargs: Any) -> None:
        """Drop from each wrapper the ids its first child also has."""
        del kwargs
        for wrapper in self.document.findall(nodes.container):
            classes = set(wrapper["classes"])
            if classes & {"table-wrapper", "math-wrapper"} and wrapper.children:
                inner = wrapper.children[0]
                if isinstance(inner, nodes.Element):
                    wrapper["ids"] = [name for name in wrapper["ids"] if name not in inner["ids"]]


# -- Event handlers -------------------------------------------------------------
def _write_fallback_inventory(name: str, folder: Path) -> str:
    """Write a Sphinx v2 inventory of ``FALLBACK_INVENTORIES[name]``; return its path."""
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
    path = folder / f"{name}.inv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return str(path)


def _config_inited(app: Any, config: Any) -> None:
    root = Path(app.confdir).parent
    if config.course_repository is None:
        config.course_repository = repository_url(root / "pyproject.toml")
    repository = config.course_repository
    # Before sphinx-gallery fills in its defaults (priority 10).
    config.sphinx_gallery_conf["first_notebook_cell"] = first_notebook_cell(
        repository, config.course_commit
    )
    if repository is not None:
        config.html_theme_options = {
            "source_repository": f"{repository}/",
            "source_branch": config.course_branch,
            "source_directory": "docs/",
            **config.html_theme_options,
        }
    build = Path(app.outdir).parent
    mapping = {}
    for name, value in config.intersphinx_mapping.items():
        url, inventory = value
        if name in FALLBACK_INVENTORIES and inventory is None:
            fallback = _write_fallback_inventory(name, build / "fallback-inventories")
            inventory = (None, fallback)
        mapping[name] = (url, inventory)
    config.intersphinx_mapping = mapping


def _builder_inited(app: Any) -> None:
    config = app.config
    root = Path(app.confdir).parent
    stamp = inputs_stamp(
        [root / source for source in config.course_stamp_sources],
        list(config.course_stamp_distributions),
        draft=config.course_draft,
        settings=dict(config.course_stamp_settings),
    )
    if invalidate_stale_examples(Path(app.srcdir) / GALLERY_DIR, stamp):
        LOGGER.info("course_site: shared inputs changed; every example will run again")
    text, unlocked = environment_page(
        list(config.course_environment_distributions), root / "uv.lock", draft=config.course_draft
    )
    if unlocked:
        LOGGER.info("course_site: not the locked versions: %s", ", ".join(unlocked))
    target = Path(app.srcdir) / "_generated" / "environment.rst"
    target.parent.mkdir(exist_ok=True)
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def add_example_links(
    docname: str, source: list[str], repository: str | None, branch: str = "main"
) -> None:
    """Put "View source" and "Open in Colab" links under an example page's title.

    Parameters
    ----------
    docname : str
        The page, such as ``auto_examples/plot_01_baseline``; other pages are
        left alone.
    source : list of str
        Sphinx's one-item list of the page's reST, changed in place.
    repository : str or None
        The repository URL; None adds nothing.
    branch : str
        The branch the source links point at.
    """
    match = _EXAMPLE_PAGE.fullmatch(docname)
    if match is None:
        return
    links = example_links(f"{match[1]}.py", repository, branch=branch)
    title = _TITLE_UNDERLINE.search(source[0], source[0].find("sphx-glr-example-title"))
    if links and title is not None:
        source[0] = source[0][: title.end()] + "\n" + links + source[0][title.end() :]


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    add_example_links(docname, source, app.config.course_repository, app.config.course_branch)
    # sphinx-gallery's execution-times tables load jQuery and DataTables from
    # third-party CDNs only to make the table sortable; the table stays.
    if docname.endswith("sg_execution_times"):
        source[0] = _TIMES_SCRIPTS.sub("", source[0])


def _html_page_context(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    del templatename, doctree
    if app.config.course_repository is None or not pagename.startswith(f"{GALLERY_DIR}/"):
        return
    match = _EXAMPLE_PAGE.fullmatch(pagename)
    repository, branch = app.config.course_repository, app.config.course_branch
    if match is not None:
        path = f"examples/{match[1]}.py"
    elif pagename.endswith("/index"):
        folder = pagename.removeprefix(GALLERY_DIR).removesuffix("index").strip("/")
        path = "/".join(part for part in ("examples", folder, "GALLERY_HEADER.rst") if part)
    else:
        # Generated pages (execution times) have no source in the repository.
        context["theme_source_repository"] = ""
        context["theme_source_edit_link"] = ""
        context["theme_source_view_link"] = ""
        return
    context["theme_source_edit_link"] = f"{repository}/edit/{branch}/{path}"
    context["theme_source_view_link"] = f"{repository}/blob/{branch}/{path}"


def _add_backreferences(
    app: Any, what: str, name: str, obj: object, options: object, lines: list[str]
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


def _publish_notebooks(app: Any, exception: Exception | None) -> None:
    """Copy the notebooks to a stable path on the site, for the Colab links."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / NOTEBOOK_DIR
    target.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((Path(app.srcdir) / GALLERY_DIR).rglob("*.ipynb")):
        shutil.copy2(notebook, target / notebook.name)


def setup(app: Any) -> dict[str, Any]:
    """Register the settings and connect the handlers."""
    app.add_config_value("course_repository", None, "env", types=(str, type(None)))
    app.add_config_value("course_branch", "main", "env", types=(str,))
    app.add_config_value("course_commit", None, "env", types=(str, type(None)))
    app.add_config_value("course_draft", False, "env", types=(bool,))
    app.add_config_value("course_stamp_sources", [], "env", types=(list, tuple))
    app.add_config_value("course_stamp_distributions", [], "env", types=(list, tuple))
    app.add_config_value("course_stamp_settings", {}, "env", types=(dict,))
    app.add_config_value("course_environment_distributions", [], "env", types=(list, tuple))
    app.add_post_transform(UniqueWrapperIds)
    app.connect("config-inited", _config_inited, priority=5)
    app.connect("builder-inited", _install_intersphinx_digest, priority=1)
    app.connect("builder-inited", _builder_inited, priority=100)
    app.connect("builder-inited", _report_intersphinx, priority=900)
    app.connect("source-read", _source_read)
    app.connect("html-page-context", _html_page_context)
    app.connect("autodoc-process-docstring", _add_backreferences)
    app.connect("build-finished", _publish_notebooks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
