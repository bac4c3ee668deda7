"""No stale pages: every example runs again when an input it shares with the others changes.

sphinx-gallery re-runs an example only when its own file's md5 changes. At
``builder-inited`` this module hashes the other inputs into a stamp and
drops sphinx-gallery's records when the stamp differs.

Settings (in ``conf.py``): ``course_stamp_sources``,
``course_stamp_distributions``, ``course_stamp_settings``, and the
package's ``course_draft``.
"""

from __future__ import annotations

import hashlib
import importlib.metadata
import re
from pathlib import Path
from typing import Any

from sphinx.errors import ExtensionError
from sphinx.util import logging as sphinx_logging

from course_site import GALLERY_DIR

LOGGER = sphinx_logging.getLogger(__name__)
# In sphinx-gallery's output folder: the stamp of the last build's shared inputs.
_STAMP_FILE = ".inputs-stamp"


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
    if not stamp_changed(gallery_dir, stamp):
        return False
    for record in gallery_dir.rglob("*.md5"):
        record.unlink()
    gallery_dir.mkdir(parents=True, exist_ok=True)
    (gallery_dir / _STAMP_FILE).write_text(stamp)
    return True


def stamp_changed(gallery_dir: Path, stamp: str) -> bool:
    """Return whether ``stamp`` differs from the last build's (or there was none)."""
    stamp_file = gallery_dir / _STAMP_FILE
    return not (stamp_file.exists() and stamp_file.read_text() == stamp)


def examples_left_out(examples: list[str], filename_pattern: str) -> list[str]:
    """Return the examples that sphinx-gallery's ``filename_pattern`` does not run.

    Parameters
    ----------
    examples : list of str
        The examples' paths, as sphinx-gallery matches them.
    filename_pattern : str
        The regular expression of ``sphinx_gallery_conf``.
    """
    pattern = re.compile(filename_pattern)
    return [example for example in examples if not pattern.search(example)]


def check_partial_build(stamp_changed: bool, left_out: list[str]) -> None:
    """Refuse a build that would publish pages without their output.

    When the shared inputs changed (draft mode, the package, the library
    versions, a setting), every page must run again; a build that runs only
    some of them (a ``filename_pattern``) would leave the others with no
    output, or with a draft's.

    Raises
    ------
    sphinx.errors.ExtensionError
        If the stamp changed and some examples would not run.
    """
    if stamp_changed and left_out:
        shown = ", ".join(Path(example).stem for example in left_out[:3])
        more = f" and {len(left_out) - 3} more" if len(left_out) > 3 else ""
        raise ExtensionError(
            "course_site: the shared inputs changed since the last build (draft mode, the "
            "package, the library versions or a setting), so every page must run again, but "
            f"the filename_pattern leaves out {shown}{more}. Build every page first "
            "(`nox -s docs`, or `nox -s docs -- --draft` for a draft), then one page"
        )


def _builder_inited(app: Any) -> None:
    config = app.config
    root = Path(app.confdir).parent
    stamp = inputs_stamp(
        [root / source for source in config.course_stamp_sources],
        list(config.course_stamp_distributions),
        draft=config.course_draft,
        settings=dict(config.course_stamp_settings),
    )
    gallery_dir = Path(app.srcdir) / GALLERY_DIR
    changed = stamp_changed(gallery_dir, stamp)
    gallery = getattr(config, "sphinx_gallery_conf", None) or {}
    if "filename_pattern" in gallery:
        examples = [
            str(path)
            for source in _as_list(gallery.get("examples_dirs", []))
            for path in sorted(Path(app.confdir, source).rglob("plot_*.py"))
        ]
        check_partial_build(changed, examples_left_out(examples, gallery["filename_pattern"]))
    if invalidate_stale_examples(gallery_dir, stamp):
        LOGGER.info("course_site: shared inputs changed; every example will run again")


def _as_list(value: Any) -> list[str]:
    # sphinx-gallery takes one folder or a list of them.
    return [str(value)] if isinstance(value, str | Path) else [str(item) for item in value]


def setup(app: Any) -> dict[str, Any]:
    """Register the stamp's settings; check the stamp before sphinx-gallery runs anything."""
    app.add_config_value("course_stamp_sources", [], "env", types=(list, tuple))
    app.add_config_value("course_stamp_distributions", [], "env", types=(list, tuple))
    app.add_config_value("course_stamp_settings", {}, "env", types=(dict,))
    # sphinx-gallery runs the examples at builder-inited, priority 500.
    app.connect("builder-inited", _builder_inited, priority=100)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
