"""The command line's cache of dataclass methods (aima_ci/cli/codecache.py): a class built from
cached code is the same class as one Python compiles itself, the second start compiles nothing,
and a file that is not the cache's (another Python, damage) is ignored rather than trusted."""

from __future__ import annotations

import dataclasses
import inspect
import marshal
import subprocess
import sys
from dataclasses import FrozenInstanceError, dataclass, field
from typing import ClassVar

import pytest

from aima_ci.cli import codecache
from aima_ci.cli.codecache import CodeCache


def _declare() -> type:
    """A frozen dataclass with every kind of field dataclasses writes code for."""

    @dataclass(frozen=True)
    class Record:
        """Doc."""

        name: str
        level: int = 1
        tags: tuple[str, ...] = ()
        extra: dict[str, int] = field(default_factory=dict, compare=False)
        note: str = field(default="", repr=False)
        KIND: ClassVar[str] = "record"

    return Record


def _build(cache: CodeCache | None, monkeypatch: pytest.MonkeyPatch) -> type:
    if cache is not None:
        monkeypatch.setattr(dataclasses, "exec", cache.exec, raising=False)
    try:
        return _declare()
    finally:
        monkeypatch.delattr(dataclasses, "exec", raising=False)


def _behaviour(cls: type) -> dict[str, object]:
    a = cls("x", 2, ("t",), {"k": 1}, "n")
    b = cls("x", 2, ("t",), {"other": 2}, "n")
    with pytest.raises(FrozenInstanceError):
        a.name = "y"
    with pytest.raises(FrozenInstanceError):
        del a.level
    with pytest.raises(TypeError):
        cls()
    return {
        "repr": repr(a),
        "eq": a == b,
        "ne": a == cls("y"),
        "hash": hash(a) == hash(b),
        "defaults": (cls("z").level, cls("z").tags, cls("z").extra),
        "fresh_factory": cls("z").extra is not cls("z").extra,
        "fields": [(f.name, f.compare, f.repr) for f in dataclasses.fields(cls)],
        "replace": repr(dataclasses.replace(a, level=3)),
        "signature": str(inspect.signature(cls)),
        "init_annotations": cls.__init__.__annotations__,
        "doc": cls.__doc__,
    }


def test_a_class_from_cached_code_is_the_class_python_builds(tmp_path, monkeypatch):
    plain = _behaviour(_build(None, monkeypatch))
    path = tmp_path / "methods.bin"
    first = CodeCache(path)
    compiled = _behaviour(_build(first, monkeypatch))
    assert first.added >= 5  # init, repr, eq, hash, setattr, delattr were compiled here
    first.save()
    assert path.is_file()

    second = CodeCache(path)
    served = _behaviour(_build(second, monkeypatch))
    assert second.added == 0  # every method came from the file: nothing compiled again
    assert compiled == plain
    assert served == plain


def test_the_cached_code_carries_no_future_flags_of_the_cache_module(tmp_path, monkeypatch):
    """This module and codecache.py use ``from __future__ import annotations``; exec(source)
    in dataclasses does not, so __init__'s annotations must stay objects, not strings."""
    cache = CodeCache(tmp_path / "methods.bin")
    cls = _build(cache, monkeypatch)
    assert cache.added
    assert cls.__init__.__annotations__["return"] is None  # a string "None" with the flag


@pytest.mark.parametrize(
    "content",
    [
        b"",
        b"not marshal at all",
        marshal.dumps((b"\x00\x00\r\n", {"x": compile("1", "<string>", "exec")})),  # other magic
        marshal.dumps((codecache._magic(), ["a list, not a mapping"])),
        marshal.dumps((codecache._magic(), {"source": "a string, not code"})),
    ],
    ids=["empty", "garbage", "other-python", "not-a-mapping", "not-code"],
)
def test_a_file_that_is_not_the_cache_is_ignored(tmp_path, monkeypatch, content):
    path = tmp_path / "methods.bin"
    path.write_bytes(content)
    cache = CodeCache(path)
    assert cache.codes == {}
    assert _behaviour(_build(cache, monkeypatch)) == _behaviour(_build(None, monkeypatch))


def test_nothing_is_written_where_python_writes_no_bytecode(tmp_path, monkeypatch):
    path = tmp_path / "methods.bin"
    cache = CodeCache(path, writable=False)
    _build(cache, monkeypatch)
    assert cache.added
    cache.save()
    assert not path.exists()


def test_the_command_line_fills_the_cache_and_then_compiles_nothing(tmp_path):
    """Two real starts of the command line's entry point with a cache file of their own."""
    path = tmp_path / "methods.bin"
    probe = (
        "import sys\n"
        "from pathlib import Path\n"
        "from aima_ci.cli import codecache\n"
        f"cache = codecache.enable(Path({str(path)!r}))\n"
        "import aima_ci.assess.assessment\n"
        "print(len(cache.codes), cache.added)\n"
    )
    runs = []
    for _ in range(2):
        done = subprocess.run(
            [sys.executable, "-c", probe],
            capture_output=True,
            text=True,
            env=_environ(),  # bytecode (and so this cache) may be written
            check=True,
        )
        runs.append(tuple(int(n) for n in done.stdout.split()))
    (known_before, compiled_first), (known_after, compiled_second) = runs
    assert known_before == compiled_first > 20 * 5  # the data model's classes, from scratch
    assert compiled_second == 0 and known_after == known_before


def _environ() -> dict[str, str]:
    import os

    env = dict(os.environ)
    env.pop("PYTHONDONTWRITEBYTECODE", None)
    return env


def test_a_cache_grown_past_its_bound_keeps_only_what_was_used(tmp_path, monkeypatch):
    path = tmp_path / "methods.bin"
    stale = {f"x = {n}\n": compile(f"x = {n}\n", "<string>", "exec") for n in range(5)}
    path.write_bytes(marshal.dumps((codecache._magic(), stale)))
    monkeypatch.setattr(codecache, "MAX_ENTRIES", 3)
    cache = CodeCache(path)
    assert len(cache.codes) == 5
    _build(cache, monkeypatch)
    cache.save()
    kept = CodeCache(path).codes
    assert kept and not set(kept) & set(stale)  # the class's methods, none of the stale ones
    assert set(kept) == cache.used
