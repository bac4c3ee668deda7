"""The course site's own Sphinx extension: what ``conf.py`` would otherwise do in code.

One module per job, each connecting its own handlers in its ``setup(app)``,
as in scikit-learn's ``doc/sphinxext/``:

``repository_links``
    "View source" and "Open in Colab" links under each example's title,
    furo's edit and view buttons, and the notebooks' first cell, all from
    the repository that ``[project.urls]`` or GitHub Actions names.
``stale_pages``
    Re-runs every example when an input it shares changes (the helper
    package, library versions, build mode, seeds), not only its own file.
``reproducibility_page``
    Writes the reproducibility page's tables: versions, machine, checksums.
``offline_intersphinx``
    Local fallback inventories for cross-references when the build is
    offline, and intersphinx's per-project lines folded into one.
``unique_ids``
    Keeps each HTML id on one element (furo copies some to wrappers).
``execution_times``
    Drops the third-party scripts of the execution-times tables.
``api_backreferences``
    Ends each API entry with the examples that use it.
``notebook_publishing``
    Copies the notebooks to a stable path on the site, for the Colab links.
``keras_reset``
    Not a Sphinx extension: sphinx-gallery calls its ``reset_keras`` before
    each example (``reset_modules`` in ``conf.py``).

Settings (in ``conf.py``): ``course_draft`` (here, read by two modules), and
each module's own ``course_*`` values.
"""

from __future__ import annotations

from typing import Any

#: The gallery's output folder, relative to the Sphinx source folder.
GALLERY_DIR = "auto_examples"

#: The modules that connect handlers, loaded in this order.
EXTENSIONS = (
    "course_site.repository_links",
    "course_site.offline_intersphinx",
    "course_site.stale_pages",
    "course_site.reproducibility_page",
    "course_site.unique_ids",
    "course_site.execution_times",
    "course_site.api_backreferences",
    "course_site.notebook_publishing",
)


def setup(app: Any) -> dict[str, Any]:
    """Register the shared build-mode setting and load every module of the package."""
    # Read by stale_pages and reproducibility_page; a value is registered once.
    app.add_config_value("course_draft", False, "env", types=(bool,))
    for extension in EXTENSIONS:
        app.setup_extension(extension)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
