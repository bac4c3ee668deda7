"""Tests for tools/quiet_tensorflow.py: TensorFlow's start-up lines are dropped, nothing else."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

import pytest

TOOLS = Path(__file__).resolve().parent.parent / "tools"
sys.path.insert(0, str(TOOLS))

import quiet_tensorflow

STARTUP = [
    b"WARNING: All log messages before absl::InitializeLog() is called are written to STDERR\n",
    (
        b"E0000 00:00:1795949588.619758    6732 cuda_executor.cc:1228] failed call to cuInit: "
        b"INTERNAL: CUDA error: Failed call to cuInit: UNKNOWN ERROR (303)\n"
    ),
    (
        b"I0000 00:00:1795949588.620247    6732 cudart_stub.cc:31] Could not find cuda drivers "
        b"on your machine, GPU will not be used.\n"
    ),
]
KEPT = [
    b"Traceback (most recent call last):\n",
    b"UserWarning: something the reader should see\n",
    b"Epoch 1/2 \r 10/63 loss 0.5\r 63/63 loss 0.3\n",
    b"I think this line is prose\n",
]


@pytest.mark.parametrize("line", STARTUP)
def test_startup_lines_are_recognised(line: bytes) -> None:
    assert quiet_tensorflow.is_startup_line(line)


@pytest.mark.parametrize("line", KEPT)
def test_other_lines_are_not(line: bytes) -> None:
    assert not quiet_tensorflow.is_startup_line(line)


def filtered(chunks: list[bytes]) -> tuple[bytes, int]:
    read, write = os.pipe()
    with os.fdopen(write, "wb") as writer:
        for chunk in chunks:
            writer.write(chunk)
    target = io.BytesIO()
    with os.fdopen(read, "rb") as reader:
        dropped = quiet_tensorflow.filter_stream(reader, target)
    return target.getvalue(), dropped


def test_filter_keeps_everything_else_in_order() -> None:
    text = b"".join([KEPT[0], STARTUP[0], KEPT[1], STARTUP[1], STARTUP[2], KEPT[2], b"tail"])
    output, dropped = filtered([text])
    assert output == KEPT[0] + KEPT[1] + KEPT[2] + b"tail"
    assert dropped == 3


def test_filter_drops_a_line_split_across_chunks() -> None:
    output, dropped = filtered([STARTUP[1][:10], STARTUP[1][10:40], STARTUP[1][40:], KEPT[1]])
    assert output == KEPT[1]
    assert dropped == 1


def test_the_command_runs_with_its_exit_status(tmp_path: Path) -> None:
    script = tmp_path / "noisy.py"
    script.write_text(
        "import os, sys\n"
        f"os.write(2, {STARTUP[0] + STARTUP[1]!r})\n"
        "print('to stdout')\n"
        "print('a real error', file=sys.stderr)\n"
        "sys.exit(3)\n"
    )
    result = subprocess.run(
        [sys.executable, str(TOOLS / "quiet_tensorflow.py"), sys.executable, str(script)],
        capture_output=True,
        check=False,
    )
    assert result.returncode == 3
    assert result.stdout == b"to stdout\n"
    assert result.stderr == b"a real error\n"
