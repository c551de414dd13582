"""The methods Python writes for each dataclass, compiled once instead of at every start.

``@dataclass`` builds ``__init__``, ``__repr__``, ``__eq__``, ``__hash__``, ``__setattr__`` and
``__delattr__`` of every class as source text and compiles it when the class is created: for the
27 classes ``aima-ci score`` needs, 162 sources (69 KB) parsed and compiled at every start, about
a third of what score costs beyond a bare Python start. The command line keeps the compiled code
of each source in a file beside the package's bytecode (``__pycache__``), keyed by the exact
source text, and hands ``dataclasses`` the stored code instead of the text. The code is what
``exec`` would have compiled from that text (same file name ``<string>``, no inherited
``__future__`` flags, the interpreter's optimisation level), so every class is the same as
without the cache; a text not in the file is compiled as before and added to it.

Trust: the file is read and written exactly where Python keeps the package's ``.pyc`` files,
under the same rules (never written under ``PYTHONDONTWRITEBYTECODE`` or a ``pycache_prefix``),
so whoever could change it could already change the bytecode Python runs from there. A file
written by another Python version or damaged is ignored.
"""

from __future__ import annotations

import builtins
import contextlib
import marshal
import sys
from pathlib import Path
from types import CodeType
from typing import Any

# Past this many sources (dataclasses edited many times in a checkout, plugins that make classes
# on the fly), the file keeps only those this process used: every command of aima-ci together
# needs a few hundred, and a bigger file would cost its reading more than it saves.
MAX_ENTRIES = 1000


class CodeCache:
    """Compiled dataclass sources: those read from ``path`` and those compiled since.
    ``writable``: whether ``save`` may write ``path`` (False where Python writes no bytecode)."""

    def __init__(self, path: Path | None, *, writable: bool = True) -> None:
        self.path = path
        self.writable = writable and path is not None
        self.codes: dict[str, CodeType] = _read(path) if path is not None else {}
        self.used: set[str] = set()
        self.added = 0

    def exec(self, source: Any, globals: Any = None, locals: Any = None, /) -> None:
        """``exec`` as dataclasses calls it, with the compiled form of a known source."""
        if not isinstance(source, str):
            builtins.exec(source, globals, locals)
            return
        code = self.codes.get(source)
        if code is None:
            # What exec(source) compiles: "<string>", none of this module's __future__ flags.
            code = compile(source, "<string>", "exec", dont_inherit=True)
            self.codes[source] = code
            self.added += 1
        self.used.add(source)
        builtins.exec(code, globals, locals)

    def save(self) -> None:
        """Write the file again when this process compiled a source it did not hold. A cache:
        a failure to write it (a read-only install) changes nothing but the next start's time."""
        if not self.writable or not self.added or self.path is None:
            return
        keep = self.codes
        if len(keep) > MAX_ENTRIES:
            keep = {s: c for s, c in keep.items() if s in self.used}
        from aima_ci.safety.atomic import atomic_write

        with contextlib.suppress(OSError, ValueError):
            self.path.parent.mkdir(exist_ok=True)
            atomic_write(self.path, marshal.dumps((_magic(), keep)))
        self.added = 0


def _magic() -> bytes:
    from importlib.util import MAGIC_NUMBER

    return MAGIC_NUMBER


def _read(path: Path) -> dict[str, CodeType]:
    try:
        with open(path, "rb") as fh:
            magic, codes = marshal.loads(fh.read())
    except (OSError, ValueError, EOFError, TypeError):
        return {}
    if magic != _magic() or not isinstance(codes, dict):
        return {}
    return {s: c for s, c in codes.items() if isinstance(s, str) and isinstance(c, CodeType)}


def default_path() -> Path | None:
    """``aima_ci/__pycache__/dataclass-methods.<tag>.bin``, or None where Python keeps the
    package's bytecode elsewhere (a ``pycache_prefix``) or has no cache tag."""
    tag = sys.implementation.cache_tag
    if tag is None or sys.pycache_prefix is not None:
        return None
    opt = f".opt-{sys.flags.optimize}" if sys.flags.optimize else ""
    package = Path(__file__).resolve().parent.parent
    return package / "__pycache__" / f"dataclass-methods.{tag}{opt}.bin"


def enable(path: Path | None = None) -> CodeCache | None:
    """Serve dataclasses' compiled methods from the cache for the rest of this process, and
    save what it compiled at exit. Only the command line calls this: a program that imports
    aima_ci as a library keeps Python's own behaviour."""
    import atexit
    import dataclasses

    if not isinstance(getattr(dataclasses, "_create_fn", None), type(enable)):
        return None  # a Python whose dataclasses builds methods otherwise: leave it alone
    cache = CodeCache(path or default_path(), writable=not sys.dont_write_bytecode)
    dataclasses.exec = cache.exec  # type: ignore[attr-defined]
    atexit.register(cache.save)
    return cache
