"""Valid HTML from the theme and the gallery: each id on one element, no invented attributes.

Furo copies a table's or formula's ids to its wrapper; sphinx-gallery writes
``id='sg-tag-list'`` once per gallery section and a ``tooltip`` attribute,
which HTML does not have, on each thumbnail (its CSS reads it); napoleon
puts a list of several return values inside a paragraph; viewcode wraps
each documented function's source in a ``div`` inside ``pre``. The Nu HTML
checker reports each as an error.
"""

from __future__ import annotations

import re
from typing import Any

from docutils import nodes
from sphinx.transforms.post_transforms import SphinxPostTransform


class UniqueWrapperIds(SphinxPostTransform):
    """Keep each id on one element: furo copies a table's ids to the wrapper it adds.

    Duplicate ids make ``#id1`` links ambiguous. This runs after furo's
    transform (priority 500) and leaves the ids on the table or equation.
    """

    formats = ("html",)
    default_priority = 510

    def run(self, **kwargs: Any) -> None:
        """Drop from each wrapper the ids its first child also has."""
        del kwargs
        for wrapper in self.document.findall(nodes.container):
            classes = set(wrapper["classes"])
            if classes & {"table-wrapper", "math-wrapper"} and wrapper.children:
                inner = wrapper.children[0]
                if isinstance(inner, nodes.Element):
                    wrapper["ids"] = [name for name in wrapper["ids"] if name not in inner["ids"]]


_TOOLTIP = re.compile(r"(<div class=\"sphx-glr-thumbcontainer\") tooltip=")
_TAG_LIST_ID = "id='sg-tag-list' "


def valid_gallery_html(html: str, *, tag_list_seen: bool) -> tuple[str, bool]:
    """Return a gallery's raw HTML made valid, and whether the tag list's id is now taken.

    The thumbnails' ``tooltip`` becomes ``data-tooltip`` (``custom.css``
    shows it as sphinx-gallery's CSS did); the tag list keeps its id the
    first time on a page (sphinx-gallery's script looks it up by id) and
    loses it after.
    """
    html = _TOOLTIP.sub(r"\1 data-tooltip=", html)
    if _TAG_LIST_ID in html:
        if tag_list_seen:
            html = html.replace(_TAG_LIST_ID, "")
        tag_list_seen = True
    return html, tag_list_seen


class ValidGalleryHtml(SphinxPostTransform):
    """Apply :func:`valid_gallery_html` to a page's raw HTML blocks, in order."""

    formats = ("html",)
    default_priority = 510

    def run(self, **kwargs: Any) -> None:
        """Rewrite each raw HTML node that holds gallery markup."""
        del kwargs
        seen = False
        for raw in self.document.findall(nodes.raw):
            if "html" not in raw.get("format", "").split():
                continue
            text, seen = valid_gallery_html(raw.astext(), tag_list_seen=seen)
            if text != raw.astext():
                raw.children = [nodes.Text(text)]


class NoListInParagraph(SphinxPostTransform):
    """Lift a list out of the paragraph that holds it (HTML's ``p`` holds no ``ul``)."""

    formats = ("html",)
    default_priority = 510

    def run(self, **kwargs: Any) -> None:
        """Replace each paragraph that holds a list with its children."""
        del kwargs
        for paragraph in list(self.document.findall(nodes.paragraph)):
            lists = (nodes.bullet_list, nodes.enumerated_list)
            if any(isinstance(child, lists) for child in paragraph.children):
                paragraph.replace_self(paragraph.children)


_VIEWCODE_BLOCK = re.compile(r'<div class="viewcode-block"([^>]*)>')
_PRE = re.compile(r"<pre>.*?</pre>", re.DOTALL)


def phrasing_viewcode_blocks(body: str) -> str:
    """Return a source page's body with viewcode's blocks inside ``pre`` as ``span``.

    Pygments writes no ``div`` in ``pre``: every ``div`` there is viewcode's.
    """

    def spans(match: re.Match[str]) -> str:
        text = _VIEWCODE_BLOCK.sub(r'<span class="viewcode-block"\1>', match.group(0))
        return text.replace("</div>", "</span>")

    return _PRE.sub(spans, body)


def _valid_source_page(
    app: Any, pagename: str, templatename: str, context: dict[str, Any], doctree: Any
) -> None:
    del app, templatename, doctree
    if pagename.startswith("_modules/") and isinstance(context.get("body"), str):
        context["body"] = phrasing_viewcode_blocks(context["body"])


def setup(app: Any) -> dict[str, Any]:
    """Register the post-transforms and the source pages' rewrite."""
    app.add_post_transform(UniqueWrapperIds)
    app.add_post_transform(ValidGalleryHtml)
    app.add_post_transform(NoListInParagraph)
    app.connect("html-page-context", _valid_source_page)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
