"""The probe names the installed garak knows, for a did-you-mean before any collector runs.

garak exits 0 and scans nothing when one name is unknown, so a typo used to cost a whole run.
The names are read from the plugin cache garak ships (``garak/resources/plugin_cache.json``, the
list ``garak --list_probes`` prints; some probe classes are created at import time, so the
source alone does not name them) rather than by importing garak: importing it creates folders
in the home directory and exports GARAK_LOG_FILE to every later child process. When garak is not importable here (an executable
from another environment), nothing is checked and the run's report stays the judge.
"""

from __future__ import annotations

import difflib
import functools
import importlib.util
import json
from collections.abc import Mapping
from pathlib import Path


@functools.cache
def known_probes() -> Mapping[str, frozenset[str]] | None:
    """Probe family -> its classes, from the installed garak; None when garak is not here."""
    spec = importlib.util.find_spec("garak")
    if spec is None or not spec.submodule_search_locations:
        return None
    cache = Path(next(iter(spec.submodule_search_locations))) / "resources" / "plugin_cache.json"
    try:
        names = json.loads(cache.read_text(encoding="utf-8"))["probes"]
    except (OSError, ValueError, KeyError, TypeError):
        return None  # an unexpected layout: leave the judgement to the run's report
    out: dict[str, set[str]] = {}
    for name in names:
        parts = str(name).split(".")
        if len(parts) == 3 and parts[0] == "probes" and parts[1] != "base":
            out.setdefault(parts[1], set()).add(parts[2])
    return {family: frozenset(classes) for family, classes in out.items()} or None


def unknown(kind: str, value: str) -> str | None:
    """Why ``value`` (a ``family`` or a ``family.Class`` probe) is unknown, with a suggestion."""
    known = known_probes()
    if known is None or kind not in ("probe", "family"):
        return None
    if kind == "family":
        if value in known:
            return None
        return f"garak has no probe family {value!r}" + _hint(value, list(known))
    family, _, name = value.partition(".")
    if name in known.get(family, ()):
        return None
    names = [f"{f}.{c}" for f, classes in known.items() for c in sorted(classes)]
    return f"garak has no probe {value!r}" + _hint(value, names)


def _hint(value: str, candidates: list[str]) -> str:
    lowered = {c.lower(): c for c in candidates}
    if value.lower() in lowered:
        return f" (did you mean {lowered[value.lower()]}?)"
    close = difflib.get_close_matches(value, candidates, n=1, cutoff=0.6)
    return f" (did you mean {close[0]}?)" if close else " (see `garak --list_probes`)"
