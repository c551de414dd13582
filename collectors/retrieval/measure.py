"""Measure: the retrieval side's files as configured: the ingestion scripts' text, the sources
that are missing or empty, and the index files that are pickles. Raw results only; judge.py
judges them. Never loads an index: a pickle is recognised by its name or its first two bytes.
"""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aima_ci.plugin import CollectorContext, InputError

from .settings import RetrievalSettings

PICKLE_EXTS = (".pkl", ".pickle")
MAX_SCRIPT = 1 << 20


@dataclass(frozen=True)
class Retrieval:
    indexes: list[Path]
    scripts: list[Path]
    sources: list[Path]
    texts: dict[Path, str]  # the ingestion scripts that exist, read
    empty_sources: list[Path]  # named sources with no file in them
    pickles: list[Path]  # index files that are pickles


def measure(ctx: CollectorContext, settings: RetrievalSettings) -> Retrieval:
    indexes = [ctx.path(p, "indexes", must_exist=False) for p in settings.indexes]
    scripts = [ctx.path(p, "ingest", must_exist=False) for p in settings.ingest]
    sources = [ctx.path(p, "sources", must_exist=False) for p in settings.sources]
    texts = {s: _read(s) for s in scripts if s.is_file()}
    empty = [s for s in sources if not _has_files(s)]
    pickles = [p for p in _files(indexes) if p.suffix.lower() in PICKLE_EXTS or _pickle_magic(p)]
    return Retrieval(indexes, scripts, sources, texts, empty, pickles)


def _read(path: Path) -> str:
    if path.stat().st_size > MAX_SCRIPT:
        raise InputError(f"{path.name} is larger than {MAX_SCRIPT} bytes")
    return path.read_bytes().decode("utf-8", "replace")


def _files(paths: list[Path]) -> list[Path]:
    out: list[Path] = []
    for p in paths:
        if p.is_file():
            out.append(p)
        elif p.is_dir():
            out += sorted(f for f in p.rglob("*") if f.is_file() and not f.is_symlink())
    return out


def _has_files(path: Path) -> bool:
    return path.is_file() or (path.is_dir() and any(f.is_file() for f in path.rglob("*")))


def _pickle_magic(path: Path) -> bool:
    """Protocol 2+ pickles start with 0x80 and the protocol number."""
    try:
        with open(path, "rb") as fh:
            head = fh.read(2)
    except OSError:
        return False
    return len(head) == 2 and head[0] == 0x80 and 2 <= head[1] <= 5
