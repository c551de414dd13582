"""Importing a collector's tool before the read recorder starts, without blinding the cache.

The recorder's audit hook (readlog) is called for every audit event of the worker; importing
pandas and evidently raises about a million of them, and the hook's cost alone put the evidently
collector at 1.2-1.5x its bare script. A collector may therefore name modules to import first
(``Collector.preload``). That is only safe because such an import reads installed library files,
never the repository; these functions keep it so:

- a module whose top-level spec resolves inside the repository root (a ``pandas.py`` committed
  into a folder on PYTHONPATH) is not imported early: it is left to the collector, under the
  recorder, as before;
- any module the preload did bring in from inside the root anyway (a shadowed dependency) is
  recorded as a read, and so is every folder on ``sys.path`` inside the root (adding a module
  there changes what an import finds), so the cache key still changes when either changes.
"""

from __future__ import annotations

import importlib
import importlib.util
import os
import sys
from collections.abc import Iterable
from pathlib import Path

from aima_ci.evidence.readlog import Recorder


def _resolved_inside(
    path: str | None, root: str, folders: dict[str, str] | None = None
) -> str | None:
    """``path`` with symlinks resolved, if that is ``root`` or below it (else None).

    ``folders`` caches the resolved form of each folder: the preload brings in about 3,000
    modules from about 400 folders, and resolving every path from scratch (an ``lstat`` per
    component) cost a tenth of a second or more. The last component is still checked on its
    own, so a module file that is itself a symlink into the root is found as before.
    """
    if not path:
        return None
    folder, name = os.path.split(os.path.abspath(path))
    if folders is None or name in ("", ".", "..") or ".." in path.split(os.sep):
        # ("a/link/../b": abspath would drop "link" before resolving it; realpath does not)
        real = os.path.realpath(path)
    else:
        real_folder = folders.get(folder)
        if real_folder is None:
            real_folder = folders[folder] = os.path.realpath(folder)
        real = os.path.join(real_folder, name)
        if os.path.islink(real):
            real = os.path.realpath(real)
    return real if real == root or real.startswith(root + os.sep) else None


def _inside(path: str | None, root: str) -> bool:
    return _resolved_inside(path, root) is not None


def import_early(modules: Iterable[str], root: Path) -> set[str]:
    """Import ``modules`` now; the names newly in ``sys.modules``. ModuleNotFoundError (or any
    import error) propagates: the worker reports it as it would from ``collect``."""
    real_root = os.path.realpath(root)
    before = set(sys.modules)
    for name in modules:
        top = name.partition(".")[0]
        if top not in sys.modules:
            spec = importlib.util.find_spec(top)  # locates only: runs no module code
            if spec is None:
                raise ModuleNotFoundError(f"No module named {top!r}", name=top)
            places = [spec.origin, *(spec.submodule_search_locations or ())]
            if any(_inside(p, real_root) for p in places):
                continue  # from the repository: import it under the recorder, not here
        importlib.import_module(name)
    return set(sys.modules) - before


def record_preloaded(recorder: Recorder, names: Iterable[str]) -> None:
    """Note as read what the early imports took from inside the repository root."""
    root = str(recorder.root)
    folders: dict[str, str] = {}
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            continue
        spec = getattr(module, "__spec__", None)
        places = {getattr(module, "__file__", None), getattr(spec, "origin", None)}
        # The resolved path is noted: a module reached through a symlink from outside the
        # root is recorded as the repository file it really is.
        for place in places:
            real = _resolved_inside(place, root, folders) if isinstance(place, str) else None
            if real is not None:
                recorder.note_read(real)
        for folder in getattr(module, "__path__", None) or ():
            real = _resolved_inside(folder, root, folders) if isinstance(folder, str) else None
            if real is not None:
                recorder.note_listing(real)
    for entry in sys.path:
        real = _resolved_inside(entry, root) if isinstance(entry, str) and entry else None
        if real is not None:
            recorder.note_listing(real)
