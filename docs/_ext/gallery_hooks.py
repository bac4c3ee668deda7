"""sphinx-gallery hooks for this site, importable by name from conf.py."""

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
