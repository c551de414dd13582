"""aima_ci.safety.atomic: a file is replaced whole or not at all, and no temp file is left."""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aima_ci.safety.atomic import atomic_copy, atomic_write, write_staged


def _names(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def test_atomic_write_replaces_and_creates_the_folder(tmp_path: Path):
    target = tmp_path / "new" / "a.json"
    atomic_write(target, "one")
    atomic_write(target, b"two")
    assert target.read_text() == "two" and _names(target.parent) == ["a.json"]


def test_a_writer_that_fails_leaves_the_old_file_and_no_temp(tmp_path: Path):
    target = tmp_path / "a.json"
    target.write_text("old")

    def half(fh):
        fh.write(b"half")
        raise OSError("disk full")

    with pytest.raises(OSError, match="disk full"):
        write_staged(target, half)
    assert target.read_text() == "old" and _names(tmp_path) == ["a.json"]


def test_a_writer_may_decline_to_publish(tmp_path: Path):
    target = tmp_path / "a.txt"
    target.write_text("unchanged")
    assert write_staged(target, lambda fh: False) is False
    assert target.read_text() == "unchanged" and _names(tmp_path) == ["a.txt"]
    assert write_staged(target, lambda fh: fh.write(b"new")) is True
    assert target.read_text() == "new"


def test_a_linking_publish_never_replaces_an_existing_file(tmp_path: Path):
    target = tmp_path / "key.pem"
    write_staged(target, lambda fh: fh.write(b"first"), publish=lambda tmp, p: os.link(tmp, p))
    with pytest.raises(FileExistsError):
        write_staged(target, lambda fh: fh.write(b"second"), publish=lambda t, p: os.link(t, p))
    assert target.read_bytes() == b"first" and _names(tmp_path) == ["key.pem"]


def test_atomic_copy_streams_the_whole_file(tmp_path: Path):
    source = tmp_path / "src.bin"
    source.write_bytes(os.urandom(3 << 20))
    target = tmp_path / "out" / "copy.bin"
    atomic_copy(source, target)
    assert target.read_bytes() == source.read_bytes() and _names(target.parent) == ["copy.bin"]
    with pytest.raises(FileNotFoundError):
        atomic_copy(tmp_path / "missing", target)
    assert target.read_bytes() == source.read_bytes() and _names(target.parent) == ["copy.bin"]
