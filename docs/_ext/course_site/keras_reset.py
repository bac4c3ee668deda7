"""A fresh Keras session for each gallery example.

sphinx-gallery calls :func:`reset_keras` before each example, as
``conf.py``'s ``sphinx_gallery_conf["reset_modules"]`` asks; no Sphinx event
is involved, so this module has no ``setup``.
"""

from __future__ import annotations

from typing import Any


def reset_keras(gallery_conf: dict[str, Any], fname: str) -> None:
    """Give each example a fresh Keras session, a fixed seed and no open figures.

    Examples run in one process; without this, layer names, random state and
    memory would carry over from one page to the next.
    """
    del gallery_conf, fname
    import keras
    import matplotlib.pyplot as plt

    keras.backend.clear_session()
    keras.utils.set_random_seed(0)
    plt.close("all")
