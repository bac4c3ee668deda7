"""Tests for docs/_ext/course_site/, the site's Sphinx extension (marker ``docs``).

One section per module of the package, in the package's order.
"""

from __future__ import annotations

import builtins
import importlib
import importlib.metadata
import logging
import re
import subprocess
import sys
from pathlib import Path
from typing import Any

import pytest

pytest.importorskip("sphinx")

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "docs" / "_ext"))

import course_site
from course_site import (
    execution_times,
    offline_intersphinx,
    repository_links,
    reproducibility_page,
    stale_pages,
    unique_ids,
)
from sphinx.errors import ExtensionError

pytestmark = pytest.mark.docs

REPOSITORY = "https://github.com/course/mnist-tutorial"


# -- the package -------------------------------------------------------------------


def setup_calls() -> tuple[list[str], list[str]]:
    """Run the package's ``setup`` on a recorder; return the modules it loaded and the settings."""
    loaded: list[str] = []
    settings: list[str] = []

    class Recorder:
        def setup_extension(self, name: str) -> None:
            if name not in loaded:
                loaded.append(name)
                importlib.import_module(name).setup(self)

        def add_config_value(self, name: str, *args: object, **kwargs: object) -> None:
            settings.append(name)

        def connect(self, *args: object, **kwargs: object) -> None:
            pass

        def add_post_transform(self, transform: object) -> None:
            pass

    course_site.setup(Recorder())
    return loaded, settings


def test_the_package_loads_every_module_that_connects_handlers() -> None:
    folder = Path(course_site.__file__).parent
    with_setup = {
        f"course_site.{path.stem}"
        for path in folder.glob("*.py")
        if path.stem != "__init__"
        and hasattr(importlib.import_module(f"course_site.{path.stem}"), "setup")
    }
    loaded, _ = setup_calls()
    assert sorted(loaded) == sorted(with_setup)
    assert len(loaded) >= 8


def test_every_course_setting_of_conf_py_is_registered_once() -> None:
    conf = (Path(course_site.__file__).parents[2] / "conf.py").read_text()
    # Sphinx silently ignores a conf.py value that no extension registers.
    in_conf = set(re.findall(r"^(course_\w+) =", conf, re.MULTILINE))
    _, settings = setup_calls()
    assert len(settings) == len(set(settings))
    assert in_conf <= set(settings)
    assert "course_stamp_settings" in in_conf


def test_the_keras_reset_named_in_conf_py_exists() -> None:
    conf = (Path(course_site.__file__).parents[2] / "conf.py").read_text()
    (name,) = re.findall(r'"(course_site\.[\w.]+)"', conf)
    module, function = name.rsplit(".", 1)
    assert callable(getattr(importlib.import_module(module), function))


# -- repository_links --------------------------------------------------------------


def write_pyproject(tmp_path: Path, urls: dict[str, str] | None) -> Path:
    lines = ["[project]", 'name = "x"']
    if urls is not None:
        lines.append("[project.urls]")
        lines += [f'{name} = "{value}"' for name, value in urls.items()]
    path = tmp_path / "pyproject.toml"
    path.write_text("\n".join(lines) + "\n")
    return path


@pytest.mark.parametrize(
    ("urls", "expected"),
    [
        ({"Source": REPOSITORY}, REPOSITORY),
        ({"Source": f"{REPOSITORY}.git/"}, REPOSITORY),
        ({"Homepage": "https://github.com/course/site"}, "https://github.com/course/site"),
        ({"Source": "", "Homepage": ""}, None),
        ({"Source": "https://github.com/OWNER/REPO"}, None),
        ({"Source": "https://github.com/your-name/mnist-tutorial"}, None),
        ({"Source": "https://example.com/course"}, None),
        ({"Source": "https://gitlab.com/course/site"}, None),
        (None, None),
    ],
)
def test_repository_url_from_pyproject(
    tmp_path: Path, urls: dict[str, str] | None, expected: str | None
) -> None:
    assert repository_links.repository_url(write_pyproject(tmp_path, urls), {}) == expected


@pytest.mark.parametrize(
    ("repository", "expected"),
    [
        (REPOSITORY, "https://course.github.io/mnist-tutorial/"),
        ("https://github.com/Course/Course.github.io", "https://course.github.io/"),
        ("https://gitlab.com/course/mnist-tutorial", None),
        (None, None),
    ],
)
def test_the_sites_address_on_github_pages(repository: str | None, expected: str | None) -> None:
    assert repository_links.pages_url(repository) == expected


@pytest.mark.parametrize(
    ("environ", "expected"),
    [
        ({"GITHUB_REPOSITORY": "course/site"}, "https://github.com/course/site"),
        (
            {"GITHUB_REPOSITORY": "course/site", "GITHUB_SERVER_URL": "https://git.example.org/"},
            "https://git.example.org/course/site",
        ),
        ({"GITHUB_REPOSITORY": "course"}, None),
        ({"GITHUB_REPOSITORY": "/site"}, None),
        ({"GITHUB_REPOSITORY": ""}, None),
        ({}, None),
    ],
)
def test_repository_url_from_github_actions(
    tmp_path: Path, environ: dict[str, str], expected: str | None
) -> None:
    pyproject = write_pyproject(tmp_path, {"Source": ""})
    assert repository_links.repository_url(pyproject, environ) == expected


def test_pyproject_wins_over_github_actions(tmp_path: Path) -> None:
    pyproject = write_pyproject(tmp_path, {"Source": REPOSITORY})
    assert (
        repository_links.repository_url(pyproject, {"GITHUB_REPOSITORY": "fork/copy"}) == REPOSITORY
    )


def test_example_links_from_a_configured_url() -> None:
    block = repository_links.example_links("plot_03_momentum.py", REPOSITORY)
    assert block.startswith(".. container:: example-links\n")
    assert (
        f"`View source on GitHub <{REPOSITORY}/blob/main/examples/plot_03_momentum.py>`__"
    ) in block
    assert (
        "`Open in Colab <https://colab.research.google.com/github/course/mnist-tutorial/"
        "blob/gh-pages/notebooks/plot_03_momentum.ipynb>`__"
    ) in block


def test_example_links_off_github_have_no_colab_link() -> None:
    block = repository_links.example_links("plot_01.py", "https://git.example.org/a/b")
    assert "https://git.example.org/a/b/blob/main/examples/plot_01.py" in block
    assert "colab" not in block


def test_no_links_without_a_url() -> None:
    assert repository_links.example_links("plot_03_momentum.py", None) == ""


def test_example_links_reject_a_malformed_url() -> None:
    with pytest.raises(ValueError, match="repository must be"):
        repository_links.example_links("plot_01.py", "github.com/x")


EXAMPLE_SOURCE = (
    ".. _sphx_glr_auto_examples_plot_01_baseline.py:\n\n"
    ".. rst-class:: sphx-glr-example-title\n\nPart 1\n======\n\nText.\n"
)


def test_link_injection_with_a_repository() -> None:
    source = [EXAMPLE_SOURCE]
    repository_links.add_example_links("auto_examples/plot_01_baseline", source, REPOSITORY)
    assert source[0].index("Part 1\n======\n") < source[0].index("example-links")
    assert "Open in Colab" in source[0]
    assert source[0].endswith("Text.\n")


def test_link_injection_in_a_subfolder() -> None:
    source = [EXAMPLE_SOURCE]
    repository_links.add_example_links(
        "auto_examples/beyond_the_homework/plot_05_lr_range_test", source, REPOSITORY
    )
    assert "examples/beyond_the_homework/plot_05_lr_range_test.py" in source[0]


@pytest.mark.parametrize(
    ("docname", "repository"),
    [
        ("auto_examples/plot_01_baseline", None),
        ("auto_examples/index", REPOSITORY),
        ("index", REPOSITORY),
    ],
)
def test_no_link_injection(docname: str, repository: str | None) -> None:
    source = [EXAMPLE_SOURCE]
    repository_links.add_example_links(docname, source, repository)
    assert source == [EXAMPLE_SOURCE]


def run_first_cell(
    cell: str, monkeypatch: pytest.MonkeyPatch, import_error: type[Exception] | None
) -> list[list[str]]:
    """Execute the cell's Python; return the commands it ran through subprocess.check_call."""
    magic, *python = cell.splitlines()[1:]
    assert magic == "%matplotlib inline"  # IPython's; the rest is plain Python
    calls: list[list[str]] = []
    monkeypatch.setattr(subprocess, "check_call", calls.append)
    real_import = builtins.__import__

    def fake_import(name: str, *args: Any, **kwargs: Any) -> Any:
        if name == "mnist_tutorial" and import_error is not None:
            raise import_error("no mnist_tutorial here")
        return real_import(name, *args, **kwargs)

    namespace: dict[str, Any] = {"__builtins__": {**vars(builtins), "__import__": fake_import}}
    exec(compile("\n".join(python), "<first cell>", "exec"), namespace)  # noqa: S102
    return calls


def test_first_cell_installs_from_the_repository(monkeypatch: pytest.MonkeyPatch) -> None:
    cell = repository_links.first_notebook_cell(REPOSITORY)
    calls = run_first_cell(cell, monkeypatch, ModuleNotFoundError)
    assert calls == [[sys.executable, "-m", "pip", "install", f"mnist-tutorial @ git+{REPOSITORY}"]]


def test_first_cell_installs_the_commit_that_built_the_page(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    commit = "0123456789abcdef0123456789abcdef01234567"
    cell = repository_links.first_notebook_cell(REPOSITORY, commit)
    calls = run_first_cell(cell, monkeypatch, ModuleNotFoundError)
    assert calls == [
        [sys.executable, "-m", "pip", "install", f"mnist-tutorial @ git+{REPOSITORY}@{commit}"]
    ]


def test_first_cell_installs_nothing_when_the_package_is_there(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    assert run_first_cell(repository_links.first_notebook_cell(REPOSITORY), monkeypatch, None) == []


@pytest.mark.parametrize("repository", [REPOSITORY, None])
def test_first_cell_catches_only_import_errors(
    monkeypatch: pytest.MonkeyPatch, repository: str | None
) -> None:
    with pytest.raises(RuntimeError, match="no mnist_tutorial here"):
        run_first_cell(repository_links.first_notebook_cell(repository), monkeypatch, RuntimeError)


def test_first_cell_without_a_repository_explains_the_install(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    cell = repository_links.first_notebook_cell(None)
    assert "git+" not in cell
    with pytest.raises(ImportError, match=r"python -m pip install \."):
        run_first_cell(cell, monkeypatch, ModuleNotFoundError)


class FakeConfig:
    course_repository = REPOSITORY
    course_branch = "main"


class FakeApp:
    config = FakeConfig()


@pytest.mark.parametrize(
    ("pagename", "path"),
    [
        ("auto_examples/plot_01_baseline", "examples/plot_01_baseline.py"),
        (
            "auto_examples/beyond_the_homework/plot_07_results",
            "examples/beyond_the_homework/plot_07_results.py",
        ),
        ("auto_examples/index", "examples/GALLERY_HEADER.rst"),
        (
            "auto_examples/beyond_the_homework/index",
            "examples/beyond_the_homework/GALLERY_HEADER.rst",
        ),
    ],
)
def test_gallery_edit_links_point_at_the_examples(pagename: str, path: str) -> None:
    context: dict[str, Any] = {}
    repository_links._html_page_context(FakeApp(), pagename, "page.html", context, None)
    assert context["theme_source_edit_link"] == f"{REPOSITORY}/edit/main/{path}"
    assert context["theme_source_view_link"] == f"{REPOSITORY}/blob/main/{path}"


def test_generated_pages_get_no_edit_link() -> None:
    context: dict[str, Any] = {"theme_source_repository": f"{REPOSITORY}/"}
    repository_links._html_page_context(
        FakeApp(), "auto_examples/sg_execution_times", "", context, None
    )
    assert context["theme_source_repository"] == ""


# -- stale_pages -------------------------------------------------------------------


@pytest.fixture
def package(tmp_path: Path) -> Path:
    source = tmp_path / "mnist_tutorial"
    source.mkdir()
    (source / "data.py").write_text("CHECKSUM = 'a'\n")
    return source


def test_a_partial_build_after_a_change_of_shared_inputs_is_refused() -> None:
    examples = ["/x/examples/plot_01_baseline.py", "/x/examples/more/plot_05_range.py"]
    assert stale_pages.examples_left_out(examples, r"/plot_") == []
    left_out = stale_pages.examples_left_out(examples, "plot_05")
    assert left_out == ["/x/examples/plot_01_baseline.py"]
    # Nothing changed: one page may run alone, the others keep their output.
    stale_pages.check_partial_build(False, left_out)
    # Draft mode (or the package) changed: every page must run again.
    with pytest.raises(ExtensionError, match=r"filename_pattern leaves out plot_01_baseline\."):
        stale_pages.check_partial_build(True, left_out)
    stale_pages.check_partial_build(True, [])


def test_stamp_covers_the_package_source(package: Path) -> None:
    before = stale_pages.inputs_stamp([package], ["numpy"], draft=False)
    assert stale_pages.inputs_stamp([package], ["numpy"], draft=False) == before
    (package / "data.py").write_text("CHECKSUM = 'b'\n")
    assert stale_pages.inputs_stamp([package], ["numpy"], draft=False) != before
    (package / "data.py").write_text("CHECKSUM = 'a'\n")
    (package / "new.py").write_text("")
    assert stale_pages.inputs_stamp([package], ["numpy"], draft=False) != before


def test_stamp_covers_library_versions(package: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    before = stale_pages.inputs_stamp([package], ["numpy"], draft=False)
    real_version = importlib.metadata.version
    monkeypatch.setattr(
        importlib.metadata,
        "version",
        lambda name: "0.0.1" if name == "numpy" else real_version(name),
    )
    assert stale_pages.inputs_stamp([package], ["numpy"], draft=False) != before


def test_stamp_covers_draft_mode(package: Path) -> None:
    assert stale_pages.inputs_stamp([package], [], draft=True) != stale_pages.inputs_stamp(
        [package], [], draft=False
    )


def test_a_changed_stamp_drops_the_gallery_records(tmp_path: Path) -> None:
    gallery = tmp_path / "auto_examples"
    (gallery / "sub").mkdir(parents=True)
    records = [gallery / "plot_01.py.md5", gallery / "sub" / "plot_05.py.md5"]
    for record in records:
        record.write_text("md5")
    assert stale_pages.invalidate_stale_examples(gallery, "one")
    assert not any(record.exists() for record in records)
    records[0].write_text("md5")
    assert not stale_pages.invalidate_stale_examples(gallery, "one")
    assert records[0].exists()
    assert stale_pages.invalidate_stale_examples(gallery, "two")
    assert not records[0].exists()


def test_stamp_covers_the_settings_that_change_results(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    package.mkdir()
    (package / "module.py").write_text("x = 1\n")
    seeds = {"seeds": "(0, 1, 2)", "threads": "(1, 2)"}
    before = stale_pages.inputs_stamp([package], [], draft=False, settings=seeds)
    assert stale_pages.inputs_stamp([package], [], draft=False, settings=dict(seeds)) == before
    for name, value in (("seeds", "(100, 101, 102)"), ("threads", "(2, 2)")):
        changed = {**seeds, name: value}
        assert stale_pages.inputs_stamp([package], [], draft=False, settings=changed) != before


# -- reproducibility_page ----------------------------------------------------------


def test_locked_versions(tmp_path: Path) -> None:
    lock = tmp_path / "uv.lock"
    lock.write_text(
        'version = 1\n[[package]]\nname = "Sphinx_Gallery"\nversion = "0.22.1"\n'
        '[[package]]\nname = "sphinx"\nversion = "9.0.4"\n'
        '[[package]]\nname = "sphinx"\nversion = "9.2.0"\n'
        '[[package]]\nname = "mnist-tutorial"\nsource = { editable = "." }\n'
    )
    assert reproducibility_page.locked_versions(lock) == {
        "sphinx-gallery": ["0.22.1"],
        "sphinx": ["9.0.4", "9.2.0"],
    }


def test_environment_page_lists_the_locked_versions(tmp_path: Path) -> None:
    pytest.importorskip("tensorflow")
    lock = tmp_path / "uv.lock"
    pytest_version = importlib.metadata.version("pytest")
    lock.write_text(
        f'version = 1\n[[package]]\nname = "pytest"\nversion = "{pytest_version}"\n'
        '[[package]]\nname = "sphinx"\nversion = "0.0.0"\n'
    )
    text, unlocked = reproducibility_page.environment_page(["numpy"], lock, draft=True)
    assert f"   * - pytest\n     - {pytest_version}" in text
    assert "Every package of this build, as locked in uv.lock" in text
    assert "draft (subset, few epochs)" in text
    assert unlocked == [f"sphinx=={importlib.metadata.version('sphinx')}"]


# -- offline_intersphinx -----------------------------------------------------------


def record(message: str, *args: object) -> logging.LogRecord:
    return logging.LogRecord(
        "sphinx.sphinx.ext.intersphinx", logging.INFO, "", 0, message, args, None
    )


def test_offline_intersphinx_lines_fold_into_one() -> None:
    digest = offline_intersphinx._IntersphinxDigest()
    lines = [
        record("loading intersphinx inventory '%s' from %s ...", "python", "https://x/objects.inv"),
        record("loading intersphinx inventory '%s' from %s ...", "numpy", "https://y/objects.inv"),
        record("encountered some issues with some of the inventories, but they had working"),
        record("intersphinx inventory %r not fetchable due to %s: %s", "https://x/objects.inv"),
        record("loading intersphinx inventory '%s' from %s ...", "python", "/build/python.inv"),
    ]
    assert not any(digest.filter(line) for line in lines)
    assert digest.loaded == {"python", "numpy"}
    assert digest.fell_back == {"python"}
    assert digest.filter(record("failed to reach any of the inventories"))


# -- unique_ids --------------------------------------------------------------------


def test_wrappers_lose_the_ids_of_what_they_wrap() -> None:
    from docutils import nodes
    from docutils.utils import new_document

    document = new_document("page")
    table = nodes.table(ids=["id1"])
    wrapper = nodes.container(classes=["table-wrapper"], ids=["id1", "own"])
    wrapper.append(table)
    other = nodes.container(classes=["other"], ids=["id2"])
    other.append(nodes.paragraph(ids=["id2"]))
    document.extend([wrapper, other])
    unique_ids.UniqueWrapperIds(document).run()
    assert wrapper["ids"] == ["own"]
    assert table["ids"] == ["id1"]
    assert other["ids"] == ["id2"]


def test_gallery_html_gets_valid_attributes_and_one_tag_list_id() -> None:
    first = (
        "<div id='sg-tag-list' class='sphx-glr-tag-list'></div>"
        '<div class="sphx-glr-thumbcontainer" tooltip="A summary">'
    )
    html, seen = unique_ids.valid_gallery_html(first, tag_list_seen=False)
    assert html == (
        "<div id='sg-tag-list' class='sphx-glr-tag-list'></div>"
        '<div class="sphx-glr-thumbcontainer" data-tooltip="A summary">'
    )
    assert seen
    again, _ = unique_ids.valid_gallery_html(first, tag_list_seen=True)
    assert "id='sg-tag-list'" not in again
    assert "class='sphx-glr-tag-list'" in again
    # Anything else is left alone.
    assert unique_ids.valid_gallery_html('<p tooltip="x">', tag_list_seen=False) == (
        '<p tooltip="x">',
        False,
    )


def test_a_list_leaves_the_paragraph_that_held_it() -> None:
    from docutils import nodes
    from docutils.utils import new_document

    document = new_document("page")
    bullets = nodes.bullet_list()
    bullets.append(nodes.list_item("", nodes.paragraph(text="one")))
    holder = nodes.paragraph()
    holder.append(bullets)
    plain = nodes.paragraph(text="text")
    document.extend([holder, plain])
    unique_ids.NoListInParagraph(document).run()
    assert document.children == [bullets, plain]


def test_viewcode_blocks_inside_pre_become_spans() -> None:
    body = (
        '<div class="highlight"><pre><span></span><div class="viewcode-block" id="f">'
        '<a class="viewcode-back" href="../api.html#f">[docs]</a>def f(): pass</div>\n'
        "</pre></div>"
    )
    assert unique_ids.phrasing_viewcode_blocks(body) == (
        '<div class="highlight"><pre><span></span><span class="viewcode-block" id="f">'
        '<a class="viewcode-back" href="../api.html#f">[docs]</a>def f(): pass</span>\n'
        "</pre></div>"
    )


# -- execution_times ---------------------------------------------------------------


def test_execution_times_load_no_third_party_script() -> None:
    table = "  .. list-table::\n   :header-rows: 1\n\n   * - Example\n"
    script = '  .. raw:: html\n\n    <script src="https://code.jquery.com/jquery.js"></script>\n\n'
    source = [f"Computation times\n=================\n\n.. container::\n\n{script}{table}"]
    execution_times._source_read(None, "sg_execution_times", source)
    assert source == ["Computation times\n=================\n\n.. container::\n\n" + table]
    page = ["  .. raw:: html\n\n    <p>kept</p>\n\n  .. list-table::\n"]
    execution_times._source_read(None, "auto_examples/plot_01", page)
    assert "kept" in page[0]
