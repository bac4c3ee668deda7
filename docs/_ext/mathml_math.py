"""Render the site's math as MathML when the pages are built.

The pages carry their formulas as MathML, which current Chromium, Firefox
and Safari draw natively (MathML Core), so a page needs no script, no
JavaScript package and no Node to build it, and makes no request to load a
renderer. Screen readers read MathML directly. ``latex2mathml`` turns the
LaTeX of ``:math:`` roles and ``.. math::`` directives into MathML.

Use: add ``"mathml_math"`` to ``extensions`` in place of
``sphinx.ext.mathjax``; the extension selects itself as
``html_math_renderer``.
"""

from __future__ import annotations

from typing import Any

from docutils import nodes
from latex2mathml.converter import convert
from sphinx.errors import ExtensionError
from sphinx.locale import _
from sphinx.util.math import get_node_equation_number

#: The name this renderer registers under (``html_math_renderer``).
RENDERER = "mathml"


def to_mathml(latex: str, *, display: bool) -> str:
    """Return the MathML for one LaTeX formula.

    Parameters
    ----------
    latex : str
        The formula, without delimiters, as written in the reST source.
    display : bool
        True for a displayed (block) formula, False for one inside text.

    Returns
    -------
    str
        A ``<math>`` element.

    Raises
    ------
    sphinx.errors.ExtensionError
        If the formula is empty or ``latex2mathml`` cannot read it; the
        message quotes the formula.
    """
    if not latex.strip():
        raise ExtensionError("mathml_math: an empty formula cannot be rendered")
    try:
        return convert(latex, display="block" if display else "inline")
    except Exception as error:
        # latex2mathml raises several of its own types; the author needs the formula.
        raise ExtensionError(
            f"mathml_math: cannot render {latex!r} as MathML: {type(error).__name__} {error}"
        ) from error


def _visit_inline(translator: Any, node: nodes.Element) -> None:
    translator.body.append(translator.starttag(node, "span", "", CLASS="math notranslate"))
    translator.body.append(to_mathml(node.astext(), display=False))
    translator.body.append("</span>")
    raise nodes.SkipNode


def _visit_block(translator: Any, node: nodes.Element) -> None:
    translator.body.append(translator.starttag(node, "div", CLASS="math notranslate"))
    if node["number"]:
        number = get_node_equation_number(translator, node)
        translator.body.append(f'<span class="eqno">({number})')
        translator.add_permalink_ref(node, _("Link to this equation"))
        translator.body.append("</span>")
    # A blank line separates the equations of one directive, as in LaTeX's gather.
    equations = [part for part in node.astext().split("\n\n") if part.strip()]
    translator.body.extend(to_mathml(equation, display=True) for equation in equations)
    translator.body.append("</div>\n")
    raise nodes.SkipNode


def _select_renderer(app: Any, config: Any) -> None:
    del app
    config.html_math_renderer = RENDERER


def setup(app: Any) -> dict[str, Any]:
    """Register the MathML renderer and select it."""
    app.add_html_math_renderer(RENDERER, (_visit_inline, None), (_visit_block, None))
    app.connect("config-inited", _select_renderer)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
