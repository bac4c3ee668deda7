"""The reproducibility page's tables: library versions, build machine, MNIST checksums.

At ``builder-inited`` this module writes ``_generated/environment.rst``,
which ``reproducibility.rst`` includes, and notes the installed packages
whose versions ``uv.lock`` does not have.

Settings (in ``conf.py``): ``course_environment_distributions``, and the
package's ``course_draft``.
"""

from __future__ import annotations

import importlib.metadata
import os
import platform
import re
import tomllib
from pathlib import Path
from typing import Any

from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)


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


def _builder_inited(app: Any) -> None:
    config = app.config
    root = Path(app.confdir).parent
    text, unlocked = environment_page(
        list(config.course_environment_distributions), root / "uv.lock", draft=config.course_draft
    )
    if unlocked:
        LOGGER.info("course_site: not the locked versions: %s", ", ".join(unlocked))
    target = Path(app.srcdir) / "_generated" / "environment.rst"
    target.parent.mkdir(exist_ok=True)
    # Rewritten only when it changed, so that Sphinx does not re-read the page.
    if not target.exists() or target.read_text() != text:
        target.write_text(text)


def setup(app: Any) -> dict[str, Any]:
    """Register the page's setting; write its tables before Sphinx reads the pages."""
    app.add_config_value("course_environment_distributions", [], "env", types=(list, tuple))
    app.connect("builder-inited", _builder_inited, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
