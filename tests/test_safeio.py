"""aima_ci.safety.safeio: reading files whoever opened the pull request controls.

Each test plants the hostile input (an escaping symlink, a FIFO, a huge file, bytes that are not
text, a YAML bomb, duplicate keys) and asserts the refusal names the file and, where there is
one, the line.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

from aima_ci.safety.safeio import (
    FileProblem,
    inside,
    line_of,
    load_yaml,
    parse_yaml,
    read_text,
    rel,
    strict_yaml,
)


def test_read_text_drops_a_bom_and_refuses_what_is_not_text(tmp_path: Path):
    ok = tmp_path / "ok.txt"
    ok.write_bytes(b"\xef\xbb\xbfhello\n")
    assert read_text(ok, "ok.txt") == "hello\n"

    latin = tmp_path / "latin.txt"
    latin.write_bytes(b"line one\ncaf\xe9\n")
    with pytest.raises(FileProblem, match=r"latin\.txt:2: not UTF-8"):
        read_text(latin, "latin.txt")

    binary = tmp_path / "model.bin"
    binary.write_bytes(b"a\nb\n\x00\x01")
    with pytest.raises(FileProblem, match=r"model\.bin:3: binary data"):
        read_text(binary, "model.bin")


def test_read_text_enforces_the_size_limit_and_regular_files(tmp_path: Path):
    big = tmp_path / "big.txt"
    big.write_text("x" * 101)
    with pytest.raises(FileProblem, match="101 bytes is over the 100-byte limit"):
        read_text(big, "big.txt", max_bytes=100)
    assert read_text(big, "big.txt", max_bytes=101) == "x" * 101

    fifo = tmp_path / "pipe"
    os.mkfifo(fifo)
    with pytest.raises(FileProblem, match="not a regular file"):
        read_text(fifo, "pipe")  # would block forever if opened

    with pytest.raises(FileProblem, match="cannot read"):
        read_text(tmp_path / "missing.txt", "missing.txt")


def test_a_symlink_out_of_the_root_is_refused_only_when_a_root_is_given(tmp_path: Path):
    root = tmp_path / "repo"
    root.mkdir()
    secret = tmp_path / "secret.txt"
    secret.write_text("token")
    link = root / "notes.txt"
    link.symlink_to(secret)
    assert not inside(root, link)
    assert inside(root, root) and inside(root, root / "new-file")
    with pytest.raises(FileProblem, match="outside the repository root"):
        read_text(link, "notes.txt", root=root)
    assert read_text(link, "notes.txt") == "token"  # ctx.path callers already checked


def test_rel_is_repository_relative_or_just_the_name(tmp_path: Path):
    root = tmp_path / "repo"
    (root / "data").mkdir(parents=True)
    assert rel(root, root / "data" / "train.csv") == "data/train.csv"
    assert rel(root, root / "data" / ".." / "x.csv") == "x.csv"
    assert rel(root, tmp_path / "elsewhere" / "y.csv") == "y.csv"  # never an absolute path


def test_strict_yaml_refuses_aliases_duplicates_and_complex_keys():
    with pytest.raises(FileProblem, match=r"aima\.yaml:3: invalid YAML: YAML aliases"):
        strict_yaml("a: &x 1\nb: 2\nc: *x\n", "aima.yaml")
    with pytest.raises(FileProblem, match=r"aima\.yaml:2: invalid YAML: duplicate key 'a'"):
        strict_yaml("a: 1\na: 2\n", "aima.yaml")
    with pytest.raises(FileProblem, match="a mapping key must be a plain value"):
        strict_yaml("? [1, 2]\n: x\n", "aima.yaml")


def test_strict_yaml_keeps_dates_as_text_and_records_lines():
    data = strict_yaml("owner: me\nlist:\n  - expires: 2027-01-31\n", "w.yaml", first_line=5)
    assert data["list"][0]["expires"] == "2027-01-31"
    assert line_of(data) == 1 and line_of(data["list"]) == 3 and line_of(data["list"][0]) == 3
    assert line_of("plain") is None
    with pytest.raises(FileProblem, match=r"w\.yaml:6: invalid YAML: mapping values"):
        strict_yaml("a: 1\nb: 2: 3\n", "w.yaml", first_line=5)  # line 2 of the text


def test_parse_yaml_allows_aliases_but_bounds_their_expansion():
    assert parse_yaml("a: &x [1, 2]\nb: *x\n", "tool.yaml") == {"a": [1, 2], "b": [1, 2]}
    bomb = "a: &a [x, x, x, x, x, x, x, x, x, x]\n"
    for i, name in enumerate("bcdefg"):
        prev = "abcdefg"[i]
        bomb += f"{name}: &{name} [{', '.join([f'*{prev}'] * 10)}]\n"
    with pytest.raises(FileProblem, match=r"tool\.yaml"):
        parse_yaml(bomb, "tool.yaml")  # 10**7 nodes once expanded


def test_parse_yaml_documents(tmp_path: Path):
    assert parse_yaml("a: 1\n---\nb: 2\n", "m.yaml", multi=True) == [{"a": 1}, {"b": 2}]
    with pytest.raises(FileProblem, match=r"m\.yaml"):
        parse_yaml("a: 1\n---\nb: 2\n", "m.yaml")
    path = tmp_path / "tool.yaml"
    path.write_text("x: !!python/object:os.system ls\n")
    with pytest.raises(FileProblem, match="invalid YAML"):
        load_yaml(path, "tool.yaml")  # no Python object construction, ever
