"""Links from the site to the repository: source, Colab and edit links, and the notebooks' first cell.

The repository is the one ``[project.urls]`` in ``pyproject.toml`` names,
else the one GitHub Actions names in ``GITHUB_REPOSITORY``; a build that
knows neither links to none.

Settings (in ``conf.py``): ``course_repository`` (None: found as above),
``course_branch``, ``course_commit``.
"""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from pathlib import Path
from typing import Any

from course_site import GALLERY_DIR
from course_site.notebook_publishing import NOTEBOOK_DIR

_GITHUB = re.compile(
    r"^(?P<server>https://[\w.-]+)/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$"
)
_PLACEHOLDERS = ("example", "your-", "user/", "owner/", "<", "{", "todo", "changeme")
_EXAMPLE_PAGE = re.compile(rf"{GALLERY_DIR}/((?:\w+/)?plot_\w+)")
_TITLE_UNDERLINE = re.compile(r"^=+\n", re.MULTILINE)


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


def pages_url(repository: str | None) -> str | None:
    """Return where GitHub Pages publishes a repository's site, or None.

    The publishing workflow deploys the site to the repository's GitHub
    Pages: ``https://OWNER.github.io/REPO/`` (``https://OWNER.github.io/``
    for a repository named ``OWNER.github.io``). A repository on another
    server, or none, has no known address.

    Parameters
    ----------
    repository : str or None
        The repository URL from :func:`repository_url`.

    Returns
    -------
    str or None
        The site's address, with a final slash.
    """
    match = _GITHUB.match(repository or "")
    if match is None or match["server"] != "https://github.com":
        return None
    owner, repo = match["owner"], match["repo"]
    if repo.lower() == f"{owner.lower()}.github.io":
        return f"https://{repo.lower()}/"
    return f"https://{owner.lower()}.github.io/{repo}/"


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


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    add_example_links(docname, source, app.config.course_repository, app.config.course_branch)


def _html_page_context(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    """Point furo's "edit" and "view" buttons of gallery pages at the examples' sources."""
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


def setup(app: Any) -> dict[str, Any]:
    """Register the repository settings and connect the handlers."""
    app.add_config_value("course_repository", None, "env", types=(str, type(None)))
    app.add_config_value("course_branch", "main", "env", types=(str,))
    app.add_config_value("course_commit", None, "env", types=(str, type(None)))
    app.connect("config-inited", _config_inited, priority=5)
    app.connect("source-read", _source_read)
    app.connect("html-page-context", _html_page_context)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
