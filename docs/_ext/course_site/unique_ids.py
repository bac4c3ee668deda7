"""Each HTML id on one element: furo copies a table's or formula's ids to its wrapper."""

from __future__ import annotations

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


def setup(app: Any) -> dict[str, Any]:
    """Register the post-transform."""
    app.add_post_transform(UniqueWrapperIds)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
