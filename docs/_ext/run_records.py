"""Publish the records of every run the site shows (``mnist_tutorial.published``).

- Before each example runs, :func:`start_page` names the file its runs are
  published to (``_generated/runs/<page>.json``, kept between builds, so a
  page that is not re-run keeps its records) and empties it.
- ``builder-inited`` (after sphinx-gallery has run the examples) warns
  (and so fails the site's ``-W`` build) where the records hold one training
  under two keys (:func:`mnist_tutorial.published.trained_twice`), writes the
  Reproducibility page's list of record files, and puts a set-up cell in
  each page's notebook that hands the page's records to
  :func:`mnist_tutorial.published.use_site_records`, so that a reader's own
  runs are compared with the site's.
- ``source-read`` ends each example page with a link to its records.
- ``build-finished`` copies the records to ``runs/`` on the site, with an
  ``index.json`` that ``nox -s verify`` reads.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from pathlib import Path
from typing import Any

from sphinx.util import logging

from mnist_tutorial import config, published

logger = logging.getLogger(__name__)

#: Where the records are kept in the source folder, and published on the site.
RECORDS_DIR = Path("_generated") / "runs"
SITE_DIR = published.SITE_DIR
GALLERY_DIR = "auto_examples"
_EXAMPLE_PAGE = re.compile(rf"{GALLERY_DIR}/(?:[^/]+/)*(plot_[^/]+)")
#: Marks the notebook cell this module writes, so that a rebuild replaces it.
CELL_MARKER = "# The site's records of this page's runs"


def page_file(source_dir: Path, example: str, folder: Path = RECORDS_DIR) -> Path:
    """Return the record file of an example page.

    Parameters
    ----------
    source_dir : Path
        The Sphinx source folder.
    example : str
        The example's file name or path, such as ``plot_01_baseline.py``.
    folder : Path, default ``_generated/runs``
        The folder of these files, in the source folder.
    """
    return source_dir / folder / f"{Path(example).stem}.json"


def start_page(gallery_conf: dict[str, Any], fname: str | None) -> None:
    """Point the runs of the example about to run at its record file, emptied.

    A ``reset_modules`` hook of sphinx-gallery: it runs before each example.
    """
    name_page_file(gallery_conf, fname, RECORDS_DIR, config.ENV_PUBLISH_RUNS)


def name_page_file(
    gallery_conf: dict[str, Any], fname: str | None, folder: Path, variable: str
) -> None:
    """Name, in the environment, the file an example about to run writes, emptied.

    Parameters
    ----------
    gallery_conf : dict
        sphinx-gallery's configuration.
    fname : str or None
        The example's file name; None when sphinx-gallery enters a folder,
        which names no page.
    folder : Path
        The folder of these files, in the source folder.
    variable : str
        The environment variable that names the file.
    """
    if fname is None:
        return
    target = page_file(Path(gallery_conf["src_dir"]), str(fname), folder)
    target.unlink(missing_ok=True)
    os.environ[variable] = str(target)


def notebook_cell(records: list[dict[str, Any]]) -> str:
    """Return the set-up cell that hands a page's records to its notebook.

    Only what the comparison needs is carried
    (:func:`mnist_tutorial.published.carried`).

    Parameters
    ----------
    records : list of dict
        The page's published records.
    """
    text = json.dumps(
        {
            "format": published.FORMAT_VERSION,
            "records": [published.carried(record) for record in records],
        }
    )
    return (
        f"{CELL_MARKER}: each training call below says how yours compare.\n"
        "from mnist_tutorial import published\n\n"
        f'published.use_site_records(r"""{text}""")'
    )


def add_records_to_notebook(notebook: Path, records: list[dict[str, Any]]) -> None:
    """Put (or replace) the records cell after a notebook's first code cell.

    Parameters
    ----------
    notebook : Path
        A notebook written by sphinx-gallery.
    records : list of dict
        The page's published records.
    """
    content = json.loads(notebook.read_text())
    cells = [
        cell
        for cell in content["cells"]
        if not "".join(cell.get("source", "")).startswith(CELL_MARKER)
    ]
    first_code = next(
        (index for index, cell in enumerate(cells) if cell["cell_type"] == "code"), -1
    )
    cell = {
        "cell_type": "code",
        "execution_count": None,
        "metadata": {"collapsed": False},
        "outputs": [],
        "source": notebook_cell(records),
    }
    cells.insert(first_code + 1, cell)
    content["cells"] = cells
    notebook.write_text(json.dumps(content, indent=1) + "\n")


def records_table(rows: list[tuple[str, str, int]]) -> str:
    """Return the reST table of the published record files.

    Parameters
    ----------
    rows : list of (str, str, int)
        For each page: its sphinx-gallery label, its name (the record
        file's stem) and its number of runs.
    """
    if not rows:
        return "No page of this build has published runs yet.\n"
    lines = [
        ".. list-table:: Run records of this build",
        "   :header-rows: 1",
        "",
        "   * - Page",
        "     - Runs",
        "     - Records",
    ]
    for label, page, count in rows:
        lines += [
            f"   * - :ref:`{label}`",
            f"     - {count}",
            f"     - `{page}.json <{SITE_DIR}/{page}.json>`__",
        ]
    return "\n".join(lines) + "\n"


def _record_files(source_dir: Path) -> dict[str, Path]:
    folder = source_dir / RECORDS_DIR
    return {path.stem: path for path in sorted(folder.glob("plot_*.json"))}


def _builder_inited(app: Any) -> None:
    source_dir = Path(app.srcdir)
    rows = []
    pages = {page: published.read_page(path) for page, path in _record_files(source_dir).items()}
    for line in published.trained_twice(pages):
        logger.warning("run records: %s (a run must be trained once per build)", line)
    for page, records in pages.items():
        for example in sorted((source_dir / GALLERY_DIR).rglob(f"{page}.py")):
            # sphinx-gallery's label: the example's path, "/" turned into "_".
            relative = example.relative_to(source_dir).as_posix()
            rows.append((f"sphx_glr_{relative.replace('/', '_')}", page, len(records)))
        for notebook in (source_dir / GALLERY_DIR).rglob(f"{page}.ipynb"):
            add_records_to_notebook(notebook, records)
    target = source_dir / "_generated" / "runs.rst"
    text = records_table(rows)
    if not target.exists() or target.read_text() != text:
        target.parent.mkdir(parents=True, exist_ok=True)
        target.write_text(text)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    match = _EXAMPLE_PAGE.fullmatch(docname)
    if match is None or not page_file(Path(app.srcdir), match[1]).is_file():
        return
    link = "../" * docname.count("/") + f"{SITE_DIR}/{match[1]}.json"
    paragraph = (
        "The runs on this page, with every setting and the full history of each: "
        f"`{match[1]}.json <{link}>`__ (see :ref:`run-records`).\n\n"
    )
    # Above sphinx-gallery's download buttons, after the page's own text.
    downloads = source[0].find(".. _sphx_glr_download_")
    if downloads == -1:
        source[0] += "\n\n" + paragraph
    else:
        source[0] = source[0][:downloads] + paragraph + source[0][downloads:]


def _publish(app: Any, exception: Exception | None) -> None:
    if exception is not None or app.builder.format != "html":
        return
    target = Path(app.outdir) / SITE_DIR
    files = _record_files(Path(app.srcdir))
    target.mkdir(parents=True, exist_ok=True)
    for path in files.values():
        shutil.copy2(path, target / path.name)
    index = {"format": published.FORMAT_VERSION, "pages": {page: f"{page}.json" for page in files}}
    (target / "index.json").write_text(json.dumps(index, indent=1) + "\n")


def setup(app: Any) -> dict[str, Any]:
    """Connect the handlers."""
    # After sphinx-gallery has run the examples (its handler has priority 500).
    app.connect("builder-inited", _builder_inited, priority=900)
    app.connect("source-read", _source_read)
    app.connect("build-finished", _publish)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
