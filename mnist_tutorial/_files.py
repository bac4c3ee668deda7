"""Replacing a file whole: readers see the old file or the new one, never half of one."""

from __future__ import annotations

import contextlib
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

__all__ = ["replaced_whole"]


@contextlib.contextmanager
def replaced_whole(target: Path, *, binary: bool = False) -> Iterator[IO[Any]]:
    """Write ``target`` through a hidden file beside it, renamed over it once complete.

    The file is named ``.{target.name}.*.tmp`` in the same folder (so that
    the rename stays on one file system, where it is atomic, and no glob for
    ``*.json`` picks it up half-written), flushed to disk, made readable by
    everyone (``0o644``, as any other cache or site file) and renamed. If
    the block raises, the hidden file is removed and ``target`` is left as
    it was.

    Parameters
    ----------
    target : Path
        The file to replace; its folder is created if need be.
    binary : bool, default False
        Open the file in binary mode instead of UTF-8 text.
    """
    target.parent.mkdir(parents=True, exist_ok=True)
    descriptor, name = tempfile.mkstemp(dir=target.parent, prefix=f".{target.name}.", suffix=".tmp")
    temporary = Path(name)
    try:
        # mkstemp's descriptor: text in UTF-8 unless bytes are asked for.
        stream: IO[Any] = (
            os.fdopen(descriptor, "wb") if binary else os.fdopen(descriptor, "w", encoding="utf-8")
        )
        with stream:
            yield stream
            stream.flush()
            os.fsync(stream.fileno())
        temporary.chmod(0o644)
        temporary.replace(target)
    except BaseException:
        temporary.unlink(missing_ok=True)
        raise
