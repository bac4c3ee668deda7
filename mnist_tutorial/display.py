"""Show the package's own Keras code on a page or in a notebook.

The gallery pages must show the Keras code that each part trains without
copying it. :func:`show_source` returns an object that renders a function's
source as highlighted code in Jupyter and in sphinx-gallery output, and as
plain text elsewhere, so the code on the page is always the code that ran.
"""

from __future__ import annotations

import ast
import html
import inspect
import textwrap
from collections.abc import Callable
from typing import Any

__all__ = ["SourceCode", "show_source"]


class SourceCode:
    """Python source that displays itself as code.

    Parameters
    ----------
    code : str
        The source text.
    """

    def __init__(self, code: str) -> None:
        self.code = code

    def __repr__(self) -> str:
        return self.code

    def _repr_html_(self) -> str:
        try:
            from pygments import highlight  # noqa: PLC0415  (optional)
            from pygments.formatters import HtmlFormatter  # noqa: PLC0415
            from pygments.lexers import PythonLexer  # noqa: PLC0415
        except ImportError:
            body = f'<div class="highlight"><pre>{html.escape(self.code)}</pre></div>'
        else:
            # Class names only, no inline colours: the page's theme (light or
            # dark) styles the code like its other code blocks.
            body = highlight(self.code, PythonLexer(), HtmlFormatter(cssclass="highlight"))
        return f'<div class="highlight-python notranslate">{body}</div>'

    def _repr_markdown_(self) -> str:
        return f"```python\n{self.code}\n```"


def show_source(function: Callable[..., Any], *, docstring: bool = False) -> SourceCode:
    """Return the source of ``function`` as displayable code.

    Parameters
    ----------
    function : callable
        A function or class defined in Python source.
    docstring : bool, default False
        Keep the docstring. By default it is left out, so that the page
        shows the code itself; the API reference has the documentation.

    Returns
    -------
    SourceCode
        Renders as highlighted code when it is a cell's last expression.
    """
    if not callable(function):
        raise TypeError(f"function must be a callable, got {type(function).__name__}")
    try:
        source = textwrap.dedent(inspect.getsource(function))
    except (OSError, TypeError) as error:
        raise TypeError(f"function {function!r} has no Python source to show") from error
    if not docstring:
        source = _without_docstring(source)
    return SourceCode(source.rstrip())


def _without_docstring(source: str) -> str:
    definition = ast.parse(source).body[0]
    body = getattr(definition, "body", [])
    if not (
        body
        and isinstance(body[0], ast.Expr)
        and isinstance(body[0].value, ast.Constant)
        and isinstance(body[0].value.value, str)
    ):
        return source
    lines = source.splitlines(keepends=True)
    start, end = body[0].lineno - 1, body[0].end_lineno or body[0].lineno
    return "".join(lines[:start] + lines[end:])
