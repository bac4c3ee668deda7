"""Tests for mnist_tutorial.display."""

from __future__ import annotations

import pytest

from mnist_tutorial import display, models


def example_function(value: int) -> int:
    """Return twice the value."""
    return 2 * value


def test_show_source_returns_the_code_without_docstring() -> None:
    source = display.show_source(example_function)
    assert repr(source).splitlines() == [
        "def example_function(value: int) -> int:",
        "    return 2 * value",
    ]
    assert "```python\ndef example_function" in source._repr_markdown_()


def test_show_source_can_keep_the_docstring() -> None:
    source = display.show_source(example_function, docstring=True)
    assert repr(source).splitlines() == [
        "def example_function(value: int) -> int:",
        '    """Return twice the value."""',
        "    return 2 * value",
    ]


def no_docstring(value: int) -> int:
    return value + 1


def test_show_source_without_a_docstring_is_unchanged() -> None:
    assert repr(display.show_source(no_docstring)).splitlines()[1] == "    return value + 1"


def test_html_is_highlighted_with_theme_classes_only() -> None:
    rendered = display.show_source(example_function)._repr_html_()
    assert rendered.startswith('<div class="highlight-python notranslate">')
    assert '<span class="k">def</span>' in rendered
    assert "style=" not in rendered


def test_html_escapes_without_pygments(monkeypatch: pytest.MonkeyPatch) -> None:
    import builtins

    real_import = builtins.__import__

    def no_pygments(name: str, *args: object, **kwargs: object) -> object:
        if name.startswith("pygments"):
            raise ImportError(name)
        return real_import(name, *args, **kwargs)  # type: ignore[arg-type]

    monkeypatch.setattr(builtins, "__import__", no_pygments)
    rendered = display.SourceCode("a < b")._repr_html_()
    assert "<pre>a &lt; b</pre>" in rendered


def test_shows_the_package_model_code() -> None:
    code = repr(display.show_source(models.add_conv_block))
    assert "layers.Conv2D(" in code
    assert "layers.MaxPooling2D(pool_size=(2, 2))" in code


@pytest.mark.parametrize(
    ("value", "match"), [(42, "must be a callable"), (len, "no Python source")]
)
def test_rejects_objects_without_source(value: object, match: str) -> None:
    with pytest.raises(TypeError, match=match):
        display.show_source(value)  # type: ignore[arg-type]
