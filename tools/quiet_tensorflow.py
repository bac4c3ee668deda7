"""Run a command with TensorFlow's C++ start-up lines removed from its stderr.

TensorFlow writes absl log lines straight to file descriptor 2 while it is
imported, before ``TF_CPP_MIN_LOG_LEVEL`` takes effect::

    WARNING: All log messages before absl::InitializeLog() is called are written to STDERR
    E0000 00:00:1717000000.000000    1234 cuda_executor.cc:1234] failed call to cuInit: ...

No setting turns them off, so the nox sessions run their commands through
this filter: ``python tools/quiet_tensorflow.py COMMAND [ARGUMENTS ...]``.
Every other byte of stderr, partial lines and carriage returns included,
passes through as soon as it arrives; stdout is not touched. The exit status
is the command's.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from typing import BinaryIO

# absl's format: severity letter, MMDD, time, thread id, file:line] message.
ABSL_LINE = re.compile(rb"^[IWEF]\d{4} [\d:.]+\s+\d+ [\w./-]+:\d+\] ")
ABSL_PREAMBLE = b"WARNING: All log messages before absl::InitializeLog() is called"
# The longest prefix that must be seen before a partial line can be judged.
_JUDGE_AFTER = 64


def is_startup_line(line: bytes) -> bool:
    """Return whether ``line`` is one of TensorFlow's C++ log lines.

    Parameters
    ----------
    line : bytes
        One line of stderr, with or without its newline.

    Returns
    -------
    bool
        True for an absl log line or absl's "before InitializeLog" notice.
    """
    return line.startswith(ABSL_PREAMBLE) or ABSL_LINE.match(line) is not None


def _could_become_startup_line(partial: bytes) -> bool:
    """Return whether a line still being written may turn out to be a log line."""
    if len(partial) >= _JUDGE_AFTER:
        return is_startup_line(partial)
    if ABSL_PREAMBLE.startswith(partial) or partial.startswith(ABSL_PREAMBLE):
        return True
    # A short prefix of an absl line: a severity letter, then digits and spaces.
    return re.fullmatch(rb"[IWEF][\d :.]*", partial) is not None or is_startup_line(partial)


def filter_stream(source: BinaryIO, target: BinaryIO) -> int:
    """Copy ``source`` to ``target`` without TensorFlow's log lines.

    Parameters
    ----------
    source : binary file
        The command's stderr, read until its end.
    target : binary file
        Where everything else goes, flushed after each chunk.

    Returns
    -------
    int
        How many lines were dropped.
    """
    dropped = 0
    pending = b""
    while chunk := os.read(source.fileno(), 65536):
        pending += chunk
        *lines, pending = pending.split(b"\n")
        kept = []
        for line in lines:
            if is_startup_line(line):
                dropped += 1
            else:
                kept.append(line + b"\n")
        # Progress output without a newline yet (a "\r" bar) goes out now.
        if pending and not _could_become_startup_line(pending):
            kept.append(pending)
            pending = b""
        if kept:
            target.write(b"".join(kept))
            target.flush()
    if pending and not is_startup_line(pending):
        target.write(pending)
        target.flush()
    return dropped


def main(argv: list[str]) -> int:
    """Run ``argv`` as a command with its stderr filtered; return its exit status.

    Parameters
    ----------
    argv : list of str
        The command and its arguments.

    Returns
    -------
    int
        The command's exit status.
    """
    if not argv:
        print("usage: python tools/quiet_tensorflow.py COMMAND [ARGUMENTS ...]", file=sys.stderr)
        return 2
    with subprocess.Popen(argv, stderr=subprocess.PIPE) as process:
        assert process.stderr is not None  # noqa: S101 (stderr=PIPE guarantees it)
        try:
            filter_stream(process.stderr, sys.stderr.buffer)
        except KeyboardInterrupt:
            process.wait()
            raise
    return process.returncode


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
