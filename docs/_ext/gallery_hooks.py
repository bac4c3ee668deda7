"""sphinx-gallery hooks and page links for this site, importable from conf.py."""

from __future__ import annotations

import re
import tomllib
from pathlib import Path
from typing import Any

#: Where the published notebooks live on the site (copied there at build end),
#: so that "Open in Colab" can point at a stable path on the Pages branch.
NOTEBOOK_DIR = "notebooks"
_GITHUB = re.compile(r"^https://github\.com/(?P<owner>[\w.-]+)/(?P<repo>[\w.-]+?)(?:\.git)?/?$")
_PLACEHOLDERS = ("example", "your-", "user/", "owner/", "<", "{", "todo", "changeme")


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


def repository_url(pyproject: Path) -> str | None:
    """Return the project's GitHub URL from ``[project.urls]``, or None.

    ``Source`` is preferred, then ``Repository`` and ``Homepage``. A blank,
    non-GitHub or placeholder value gives None, so that no page links to a
    repository that does not exist.
    """
    urls = tomllib.loads(pyproject.read_text()).get("project", {}).get("urls", {})
    for name in ("Source", "Repository", "Homepage"):
        value = str(urls.get(name, "")).strip()
        if not value or any(marker in value.lower() for marker in _PLACEHOLDERS):
            continue
        if _GITHUB.match(value):
            return value.rstrip("/").removesuffix(".git")
    return None


def example_links(example: str, repository: str | None, *, branch: str = "main") -> str:
    """Return the reST block of "View source" and "Open in Colab" links for an example.

    Parameters
    ----------
    example : str
        File name of the example, such as ``plot_01_baseline.py``.
    repository : str or None
        The GitHub URL from :func:`repository_url`; None gives no links.
    branch : str
        Branch that holds the source. The notebooks are read from the
        ``gh-pages`` branch that the publishing workflow deploys.
    """
    if repository is None:
        return ""
    match = _GITHUB.match(repository)
    if match is None:
        raise ValueError(
            f"repository must be a https://github.com/OWNER/REPO URL, got {repository!r}"
        )
    owner, repo = match["owner"], match["repo"]
    notebook = Path(example).with_suffix(".ipynb").name
    source = f"{repository}/blob/{branch}/examples/{example}"
    colab = (
        f"https://colab.research.google.com/github/{owner}/{repo}/blob/gh-pages/"
        f"{NOTEBOOK_DIR}/{notebook}"
    )
    return (
        ".. container:: example-links\n\n"
        f"   `View source on GitHub <{source}>`__ | `Open in Colab <{colab}>`__\n\n"
    )


def first_notebook_cell(repository: str | None) -> str:
    """Return the first cell of every downloaded notebook.

    It turns on inline plots and installs ``mnist_tutorial`` from the
    repository when it is missing, so a notebook runs on its own (in Colab,
    say). Without a repository URL it says how to install the package.
    """
    if repository is None:
        install = (
            '    raise ImportError("This notebook needs the mnist_tutorial package: '
            'run `python -m pip install .` in a clone of the course repository.") from None'
        )
    else:
        install = (
            "    import subprocess\n"
            "    import sys\n\n"
            "    subprocess.check_call(\n"
            f'        [sys.executable, "-m", "pip", "install", "mnist-tutorial @ git+{repository}"]\n'
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
