"""Tests for tools/new_page.py: the template a new page starts from."""

from __future__ import annotations

import importlib.util
import re
from collections.abc import Callable
from pathlib import Path
from types import ModuleType

import pytest
import test_examples

ROOT = Path(__file__).parent.parent
HIDDEN = re.compile(r"# sphinx_gallery_start_ignore.*?# sphinx_gallery_end_ignore", re.DOTALL)


def load_tool() -> ModuleType:
    spec = importlib.util.spec_from_file_location("new_page", ROOT / "tools" / "new_page.py")
    assert spec is not None
    assert spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


new_page = load_tool()


@pytest.fixture
def examples(tmp_path: Path) -> Path:
    folder = tmp_path / "examples"
    (folder / "beyond_the_homework").mkdir(parents=True)
    (folder / "plot_04_second_conv_layer.py").write_text("")
    (folder / "beyond_the_homework" / "plot_07_results.py").write_text("")
    return folder


def test_a_new_page_is_numbered_after_the_last_and_named_by_its_title(examples: Path) -> None:
    target = new_page.write_page("Dropout against the baseline!", examples)
    assert target == examples / "beyond_the_homework" / "plot_08_dropout_against_the_baseline.py"
    text = target.read_text()
    assert text.startswith('r"""\nDropout against the baseline!\n=============================\n')
    assert new_page.write_page("Second", examples).name == "plot_09_second.py"


def test_the_template_shows_the_keras_a_student_writes_and_a_checked_claim(
    examples: Path,
) -> None:
    text = new_page.write_page("A page", examples).read_text()
    visible = HIDDEN.sub("", text)
    for code in ("keras.Sequential(", "layers.Conv2D(", "model.compile(", "model.fit("):
        assert code in visible
    hidden = "".join(HIDDEN.findall(text))
    assert "claims.at_least(" in hidden
    compile(text, "page.py", "exec")
    # What the gallery's own tests ask of every page.
    assert test_examples.undefined_names(visible) == set()
    assert test_examples.stray_output(text) == []


INDEX = """\
The four parts
--------------

.. minigallery::
   ../examples/plot_01_baseline.py
   ../examples/plot_04_second_conv_layer.py

Beyond the homework
-------------------

.. minigallery::
   ../examples/beyond_the_homework/plot_07_results.py

Run it yourself
"""


def test_a_new_page_is_listed_after_the_last_page_of_its_folder(
    examples: Path, tmp_path: Path
) -> None:
    index = tmp_path / "index.rst"
    index.write_text(INDEX)
    target = new_page.write_page("Dropout against the baseline", examples)
    new_page.add_to_index(target, index, examples)
    assert index.read_text() == INDEX.replace(
        "   ../examples/beyond_the_homework/plot_07_results.py\n",
        "   ../examples/beyond_the_homework/plot_07_results.py\n"
        "   ../examples/beyond_the_homework/plot_08_dropout_against_the_baseline.py\n",
    )
    with pytest.raises(ValueError, match=r"lists \.\./examples/beyond_the_homework/plot_08_"):
        new_page.add_to_index(target, index, examples)
    (examples / "elsewhere").mkdir()
    stray = new_page.write_page("Stray", examples, folder="elsewhere")
    with pytest.raises(ValueError, match=r"has no list of the pages in \.\./examples/elsewhere/"):
        new_page.add_to_index(stray, index, examples)


@pytest.mark.parametrize(
    ("title", "folder", "match"),
    [
        ("", "beyond_the_homework", "one non-empty line"),
        ("two\nlines", "beyond_the_homework", "one non-empty line"),
        ("!!!", "beyond_the_homework", "letters or digits"),
        ("A page", "no_such_folder", "folder must be"),
    ],
)
def test_a_bad_title_or_folder_is_refused(
    examples: Path, title: str, folder: str, match: str
) -> None:
    with pytest.raises(ValueError, match=match):
        new_page.write_page(title, examples, folder)


@pytest.mark.docs
@pytest.mark.training
@pytest.mark.real_data
def test_the_new_pages_visible_code_runs(
    examples: Path, run_visible_code: Callable[[str, Path], None], tmp_path: Path
) -> None:
    page = new_page.write_page("A page", examples)
    run_visible_code(HIDDEN.sub("", page.read_text()), tmp_path / page.name)


def test_the_home_page_has_the_list_a_new_page_joins(tmp_path: Path) -> None:
    index = tmp_path / "index.rst"
    index.write_text(new_page.INDEX.read_text())
    page = new_page.EXAMPLES / "beyond_the_homework" / "plot_99_new.py"
    new_page.add_to_index(page, index)
    lines = [line.strip() for line in index.read_text().splitlines()]
    listed = [line for line in lines if line.startswith("../examples/beyond_the_homework/")]
    assert listed[-1] == "../examples/beyond_the_homework/plot_99_new.py"
    assert (
        len(listed) == len(list((new_page.EXAMPLES / "beyond_the_homework").glob("plot_*.py"))) + 1
    )
