"""Tests of mnist_tutorial._files: replacing a file whole."""

from __future__ import annotations

from pathlib import Path

import pytest

from mnist_tutorial._files import replaced_whole


def test_the_file_is_replaced_once_complete_and_readable_by_everyone(tmp_path: Path) -> None:
    target = tmp_path / "new" / "page.json"
    with replaced_whole(target) as stream:
        stream.write("first half ")
        # Nothing at the target, and only a hidden file beside it, until the block ends.
        assert not target.exists()
        (hidden,) = target.parent.iterdir()
        assert hidden.name.startswith(".page.json.")
        assert hidden.suffix == ".tmp"
        stream.write("second half")
    assert target.read_text(encoding="utf-8") == "first half second half"
    assert target.stat().st_mode & 0o777 == 0o644
    assert [path.name for path in target.parent.iterdir()] == ["page.json"]


def test_a_failed_write_leaves_the_old_file_and_no_hidden_one(tmp_path: Path) -> None:
    target = tmp_path / "page.json"
    target.write_text("old", encoding="utf-8")

    def write_half() -> None:
        with replaced_whole(target) as stream:
            stream.write("half")
            raise KeyboardInterrupt

    with pytest.raises(KeyboardInterrupt):
        write_half()
    assert target.read_text(encoding="utf-8") == "old"
    assert [path.name for path in tmp_path.iterdir()] == ["page.json"]


def test_binary_mode_writes_bytes(tmp_path: Path) -> None:
    target = tmp_path / "arrays.npz"
    with replaced_whole(target, binary=True) as stream:
        stream.write(b"\x00\x01")
    assert target.read_bytes() == b"\x00\x01"
