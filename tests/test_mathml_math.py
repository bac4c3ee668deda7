"""Tests for docs/_ext/mathml_math.py, the build-time MathML renderer (marker ``docs``)."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import pytest

pytest.importorskip("sphinx")
pytest.importorskip("latex2mathml")

from sphinx.errors import ExtensionError

EXTENSIONS = Path(__file__).resolve().parent.parent / "docs" / "_ext"
sys.path.insert(0, str(EXTENSIONS))

import mathml_math

pytestmark = pytest.mark.docs


def test_inline_formula_becomes_inline_mathml() -> None:
    mathml = mathml_math.to_mathml(r"\eta = 10^{-5}", display=False)
    assert mathml.startswith("<math")
    assert 'display="inline"' in mathml
    # η is U+03B7; the exponent is a superscript, not the text "^{-5}".
    assert "&#x003B7;" in mathml
    assert "<msup><mn>10</mn>" in mathml
    assert "^" not in mathml


def test_displayed_formula_becomes_block_mathml() -> None:
    mathml = mathml_math.to_mathml(r"\frac{\partial L}{\partial w}", display=True)
    assert 'display="block"' in mathml
    assert "<mfrac>" in mathml


def test_empty_formula_is_an_error() -> None:
    with pytest.raises(ExtensionError, match="empty formula"):
        mathml_math.to_mathml("  ", display=True)


def test_unreadable_formula_names_itself() -> None:
    with pytest.raises(
        ExtensionError, match=r"cannot render '\\\\left\( x' as MathML: .*ExtraLeftOrMissingRight"
    ):
        mathml_math.to_mathml(r"\left( x", display=False)


def test_a_page_carries_mathml_and_no_script(tmp_path: Path) -> None:
    source = tmp_path / "source"
    source.mkdir()
    (source / "conf.py").write_text(
        f"import sys\nsys.path.insert(0, {str(EXTENSIONS)!r})\n"
        'extensions = ["mathml_math"]\n'
        'html_theme = "basic"\n'
    )
    (source / "index.rst").write_text(
        "Title\n=====\n\n"
        "The rate :math:`\\eta` sets the step.\n\n"
        ".. math::\n   :label: update\n\n"
        "   w \\leftarrow w - \\eta \\, g\n\n"
        # One equation on two lines, as Part 3 writes its update: one formula.
        "   z = \\beta z + g, \\qquad\n"
        "   w = w - \\eta z\n"
    )
    output = tmp_path / "html"
    subprocess.run(
        [sys.executable, "-m", "sphinx", "-b", "html", "-W", "-q", str(source), str(output)],
        check=True,
        capture_output=True,
        text=True,
    )
    page = (output / "index.html").read_text()
    assert '<span class="math notranslate"><math' in page
    # One directive with two equations (the second on two lines): two
    # displayed formulas, numbered once.
    assert page.count('<math xmlns="http://www.w3.org/1998/Math/MathML" display="block">') == 2
    assert '<span class="eqno">(1)' in page
    assert "mathjax" not in page.lower()
    assert not list(output.rglob("*mathjax*"))
