"""The execution-times pages load no third-party script."""

from __future__ import annotations

import re
from typing import Any

# sphinx-gallery's execution-times tables load jQuery and DataTables from
# third-party CDNs only to make the table sortable; the table stays.
_TIMES_SCRIPTS = re.compile(
    r"^  \.\. raw:: html\n.*?(?=^  \.\. list-table::)", re.DOTALL | re.MULTILINE
)


def _source_read(app: Any, docname: str, source: list[str]) -> None:
    del app
    if docname.endswith("sg_execution_times"):
        source[0] = _TIMES_SCRIPTS.sub("", source[0])


def setup(app: Any) -> dict[str, Any]:
    """Connect the handler."""
    app.connect("source-read", _source_read)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
