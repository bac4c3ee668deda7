"""Each API entry ends with the gallery examples that use it."""

from __future__ import annotations

from typing import Any


def _add_backreferences(
    app: Any, what: str, name: str, obj: object, options: object, lines: list[str]
) -> None:
    """End each function's and class's entry with the examples that use it."""
    del app, obj, options
    if what in {"function", "class", "exception"} and name.startswith("mnist_tutorial."):
        short = name.rsplit(".", 1)[-1]
        lines += [
            "",
            f".. minigallery:: {name}",
            f"   :add-heading: Examples using ``{short}``",
            "",
        ]


def setup(app: Any) -> dict[str, Any]:
    """Connect the handler."""
    app.connect("autodoc-process-docstring", _add_backreferences)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
