"""Cross-references that survive an offline build, reported in one line.

Offline (as on CI machines without internet access), intersphinx cannot
fetch the projects' inventories. At ``config-inited`` this module points
each project of ``intersphinx_mapping`` that names no inventory at a small
local one, written from :data:`FALLBACK_INVENTORIES`, which Sphinx falls
back to, so that the build neither fails nor loses those links. It also
folds intersphinx's per-inventory log lines into one.
"""

from __future__ import annotations

import logging
import zlib
from pathlib import Path
from typing import Any

from sphinx.util import logging as sphinx_logging

LOGGER = sphinx_logging.getLogger(__name__)

#: A small local inventory per intersphinx project, of the names these docs use.
FALLBACK_INVENTORIES: dict[str, dict[str, tuple[str, str]]] = {
    "python": {
        "callable": ("py:function", "library/functions.html#callable"),
        "collections.abc.Callable": (
            "py:class",
            "library/collections.abc.html#collections.abc.Callable",
        ),
        "functools.partial": ("py:class", "library/functools.html#functools.partial"),
        "pathlib.Path": ("py:class", "library/pathlib.html#pathlib.Path"),
        "pickle.Unpickler": ("py:class", "library/pickle.html#pickle.Unpickler"),
        "pickle.UnpicklingError": ("py:exception", "library/pickle.html#pickle.UnpicklingError"),
        "UserWarning": ("py:exception", "library/exceptions.html#UserWarning"),
        "AssertionError": ("py:exception", "library/exceptions.html#AssertionError"),
        "ValueError": ("py:exception", "library/exceptions.html#ValueError"),
        "RuntimeError": ("py:exception", "library/exceptions.html#RuntimeError"),
        "TypeError": ("py:exception", "library/exceptions.html#TypeError"),
    },
    "numpy": {
        "numpy.ndarray": ("py:class", "reference/generated/numpy.ndarray.html#numpy.ndarray"),
    },
    "matplotlib": {
        "matplotlib.figure.Figure": (
            "py:class",
            "api/_as_gen/matplotlib.figure.Figure.html#matplotlib.figure.Figure",
        ),
        "matplotlib.pyplot": ("py:module", "api/pyplot_summary.html#module-matplotlib.pyplot"),
        "matplotlib.pyplot.show": (
            "py:function",
            "api/_as_gen/matplotlib.pyplot.show.html#matplotlib.pyplot.show",
        ),
    },
    "scipy": {
        "scipy.stats.binomtest": (
            "py:function",
            "reference/generated/scipy.stats.binomtest.html#scipy.stats.binomtest",
        ),
    },
    "sklearn": {
        "sklearn.metrics.confusion_matrix": (
            "py:function",
            (
                "modules/generated/sklearn.metrics.confusion_matrix.html"
                "#sklearn.metrics.confusion_matrix"
            ),
        ),
        "sklearn.metrics.ConfusionMatrixDisplay": (
            "py:class",
            (
                "modules/generated/sklearn.metrics.ConfusionMatrixDisplay.html"
                "#sklearn.metrics.ConfusionMatrixDisplay"
            ),
        ),
        "sklearn.calibration.calibration_curve": (
            "py:function",
            (
                "modules/generated/sklearn.calibration.calibration_curve.html"
                "#sklearn.calibration.calibration_curve"
            ),
        ),
    },
}


class _IntersphinxDigest(logging.Filter):
    """Swallow intersphinx's per-inventory lines, noting the projects that fell back."""

    def __init__(self) -> None:
        super().__init__()
        self.fell_back: set[str] = set()
        self.loaded: set[str] = set()

    def filter(self, record: logging.LogRecord) -> bool:
        message = str(record.msg)
        args = record.args if isinstance(record.args, tuple) else ()
        if message.startswith("loading intersphinx inventory") and len(args) >= 2:
            self.loaded.add(str(args[0]))
            if "://" not in str(args[1]):
                self.fell_back.add(str(args[0]))
            return False
        return not message.startswith(
            (
                "encountered some issues with some of the inventories",
                "intersphinx inventory %r not fetchable",
            )
        )


_DIGEST = _IntersphinxDigest()


def _install_intersphinx_digest(app: Any) -> None:
    del app
    logger = logging.getLogger("sphinx.sphinx.ext.intersphinx")
    _DIGEST.fell_back.clear()
    _DIGEST.loaded.clear()
    if _DIGEST not in logger.filters:
        logger.addFilter(_DIGEST)


def _report_intersphinx(app: Any) -> None:
    del app
    if not _DIGEST.loaded:
        return
    offline = ", ".join(sorted(_DIGEST.fell_back))
    note = f" (unreachable, so from the local fallback: {offline})" if offline else ""
    LOGGER.info("intersphinx: loaded %s%s", ", ".join(sorted(_DIGEST.loaded)), note)


def _write_fallback_inventory(name: str, folder: Path) -> str:
    """Write a Sphinx v2 inventory of ``FALLBACK_INVENTORIES[name]``; return its path."""
    lines = "".join(
        f"{target} {role} 1 {uri} -\n"
        for target, (role, uri) in sorted(FALLBACK_INVENTORIES[name].items())
    )
    header = (
        "# Sphinx inventory version 2\n"
        f"# Project: {name} (offline fallback)\n"
        "# Version: \n"
        "# The remainder of this file is compressed using zlib.\n"
    )
    path = folder / f"{name}.inv"
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_bytes(header.encode() + zlib.compress(lines.encode()))
    return str(path)


def _config_inited(app: Any, config: Any) -> None:
    build = Path(app.outdir).parent
    mapping = {}
    for name, value in config.intersphinx_mapping.items():
        url, inventory = value
        if name in FALLBACK_INVENTORIES and inventory is None:
            fallback = _write_fallback_inventory(name, build / "fallback-inventories")
            inventory = (None, fallback)
        mapping[name] = (url, inventory)
    config.intersphinx_mapping = mapping


def setup(app: Any) -> dict[str, Any]:
    """Add the fallbacks before intersphinx reads its mapping; digest its inventory lines."""
    # intersphinx validates the mapping at config-inited, priority 800.
    app.connect("config-inited", _config_inited, priority=5)
    # intersphinx loads the inventories at builder-inited, priority 500.
    app.connect("builder-inited", _install_intersphinx_digest, priority=1)
    app.connect("builder-inited", _report_intersphinx, priority=900)
    return {"version": "1", "parallel_read_safe": True, "parallel_write_safe": True}
