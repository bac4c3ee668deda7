"""Tests for docs/_ext/run_records.py, which publishes the site's run records (marker ``docs``)."""

from __future__ import annotations

import json
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sphinx")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_ext"))

import run_records

from mnist_tutorial import config, published

pytestmark = pytest.mark.docs

RECORD: dict[str, Any] = {
    "format": 1,
    "key": "k0",
    "configuration": "c0",
    "settings": {"seed": 7, "validation_examples": 10000, "architecture": {"big": "x" * 50}},
    "history": {name: [0.5, 0.25] for name in published.METRICS},
    "final_weights_sha256": "f",
}


def test_each_page_starts_with_an_empty_record_file(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.delenv(config.ENV_PUBLISH_RUNS, raising=False)
    stale = run_records.page_file(tmp_path, "plot_01_baseline.py")
    stale.parent.mkdir(parents=True)
    stale.write_text("old")
    run_records.start_page({"src_dir": str(tmp_path)}, "plot_01_baseline.py")
    assert not stale.exists()
    assert (
        config.published_runs_file() == tmp_path / "_generated" / "runs" / "plot_01_baseline.json"
    )
    # Entering a folder of examples names no page.
    run_records.start_page({"src_dir": str(tmp_path)}, None)
    assert config.published_runs_file() == stale


def test_the_notebook_cell_hands_the_records_to_the_package(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setattr(published, "_SITE_RECORDS", [])
    cell = run_records.notebook_cell([RECORD])
    assert cell.startswith(run_records.CELL_MARKER)
    exec(compile(cell, "<cell>", "exec"), {})  # noqa: S102
    [carried] = published.site_records()
    # Only what the comparison needs travels with the notebook.
    assert carried == {
        "key": "k0",
        "configuration": "c0",
        "settings": {"seed": 7, "validation_examples": 10000},
        "history": RECORD["history"],
    }


def write_notebook(path: Path, first_cell_type: str = "code") -> None:
    cells = [
        {"cell_type": "markdown", "metadata": {}, "source": "# Title"},
        {"cell_type": first_cell_type, "metadata": {}, "source": "%matplotlib inline"},
        {"cell_type": "code", "metadata": {}, "source": "print(1)"},
    ]
    path.write_text(json.dumps({"cells": cells, "metadata": {}, "nbformat": 4}))


def test_the_records_cell_follows_the_set_up_cell_once(tmp_path: Path) -> None:
    notebook = tmp_path / "plot_01_baseline.ipynb"
    write_notebook(notebook)
    run_records.add_records_to_notebook(notebook, [RECORD])
    run_records.add_records_to_notebook(notebook, [{**RECORD, "key": "k1"}])
    cells = json.loads(notebook.read_text())["cells"]
    sources = ["".join(cell["source"]) for cell in cells]
    assert sources[:2] == ["# Title", "%matplotlib inline"]
    assert sources[2].startswith(run_records.CELL_MARKER)
    assert '"key": "k1"' in sources[2]
    assert sources[3] == "print(1)"
    assert len(cells) == 4


def test_the_records_table_links_each_page() -> None:
    table = run_records.records_table(
        [("sphx_glr_auto_examples_plot_01_baseline.py", "plot_01_baseline", 3)]
    )
    assert "   * - :ref:`sphx_glr_auto_examples_plot_01_baseline.py`\n     - 3\n" in table
    assert "`plot_01_baseline.json <runs/plot_01_baseline.json>`__" in table
    assert run_records.records_table([]) == "No page of this build has published runs yet.\n"


class App:
    def __init__(self, srcdir: Path) -> None:
        self.srcdir = str(srcdir)


@pytest.mark.parametrize(
    ("docname", "link"),
    [
        ("auto_examples/plot_01_baseline", "../runs/plot_01_baseline.json"),
        ("auto_examples/more/plot_05_range", "../../runs/plot_05_range.json"),
    ],
)
def test_a_page_links_its_records_above_the_downloads(
    tmp_path: Path, docname: str, link: str
) -> None:
    page = docname.rsplit("/", 1)[1]
    record_file = run_records.page_file(tmp_path, page)
    record_file.parent.mkdir(parents=True)
    record_file.write_text("{}")
    source = ["Title\n=====\n\nText.\n\n.. _sphx_glr_download_x:\n\nDownloads\n"]
    run_records._source_read(App(tmp_path), docname, source)
    text = source[0]
    assert f"`{page}.json <{link}>`__" in text
    assert text.index(link) < text.index(".. _sphx_glr_download_x:")


def test_pages_without_records_and_other_pages_get_no_link(tmp_path: Path) -> None:
    for docname in ("auto_examples/plot_01_baseline", "reproducibility"):
        source = ["Text.\n"]
        run_records._source_read(App(tmp_path), docname, source)
        assert source == ["Text.\n"]


def test_a_build_whose_records_hold_one_training_twice_warns(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    folder = tmp_path / "_generated" / "runs"
    folder.mkdir(parents=True)
    for page, key in (("plot_01_a", "k1" * 32), ("plot_02_b", "k2" * 32)):
        content = {"format": published.FORMAT_VERSION, "records": [{**RECORD, "key": key}]}
        (folder / f"{page}.json").write_text(json.dumps(content))

    class App:
        srcdir = str(tmp_path)

    with caplog.at_level("WARNING"):
        run_records._builder_inited(App())
    [warning] = [record.getMessage() for record in caplog.records]
    assert warning.startswith("run records: one training under 2 keys: k1k1k1k1k1k1 on plot_01_a")
    assert warning.endswith("(a run must be trained once per build)")
