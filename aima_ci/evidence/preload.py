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


def _inside(path: str | None, root: str) -> bool:
    if not path:
        return False
    real = os.path.realpath(path)
    return real == root or real.startswith(root + os.sep)


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
    for name in names:
        module = sys.modules.get(name)
        if module is None:
            continue
        spec = getattr(module, "__spec__", None)
        places = [getattr(module, "__file__", None), getattr(spec, "origin", None)]
        for place in places:
            if isinstance(place, str) and _inside(place, root):
                recorder.note_read(place)
        for folder in getattr(module, "__path__", None) or ():
            if isinstance(folder, str) and _inside(folder, root):
                recorder.note_listing(folder)
    for entry in sys.path:
        if isinstance(entry, str) and entry and _inside(entry, root):
            recorder.note_listing(entry)
