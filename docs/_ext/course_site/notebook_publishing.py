"""The notebooks, published at a stable path of the site for the "Open in Colab" links."""

from __future__ import annotations

import shutil
from pathlib import Path
from typing import Any

from course_site import GALLERY_DIR

#: Where the published notebooks live on the site (copied there at build end),
#: so that "Open in Colab" can point at a stable path on the Pages branch.
NOTEBOOK_DIR = "notebooks"


def _publish_notebooks(app: Any, exception: Exception | None) -> None:
    """Copy the notebooks to a stable path on the site, for the Colab links."""
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / NOTEBOOK_DIR
    target.mkdir(parents=True, exist_ok=True)
    for notebook in sorted((Path(app.srcdir) / GALLERY_DIR).rglob("*.ipynb")):
        shutil.copy2(notebook, target / notebook.name)


def setup(app: Any) -> dict[str, Any]:
    """Connect the handler."""
    app.connect("build-finished", _publish_notebooks)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
