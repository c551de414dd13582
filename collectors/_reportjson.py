"""Reading a tool's JSON report for the report-mode collectors (zap, modelscan, promptfoo, aif360).

Every one of them reads a file some other CI step wrote, so each needs the same guarantees: the
path stays inside the repository (``ctx.path`` refuses ``..`` and symlinks out), a missing,
oversized, truncated or non-UTF-8 file is an InputError naming the config key and the file (the
runner turns that into ``error`` findings, never a pass), and the shape checks name the JSON key.
Their config rules are in each collector's option spec (``settings.py``).
"""

from __future__ import annotations

import json
import shutil
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from aima_ci.plugin import CollectorContext, InputError

MAX_REPORT_BYTES = 64 << 20


@dataclass(frozen=True)
class Report:
    """A tool's JSON report as configured: where it is, what it holds, how messages cite it."""

    path: Path
    data: Any
    where: str  # "collectors.<name>.<key>: <path as configured>", the prefix of every message

    def keep(self, ctx: CollectorContext, name: str) -> Path:
        """Copy the report into the artefact folder: the evidence keeps exactly what was judged,
        even if the CI step overwrites its own file later."""
        copy = ctx.artefact(name)
        shutil.copyfile(self.path, copy)
        return copy


def read_report(ctx: CollectorContext, key: str = "report") -> Report:
    """Resolve ``collectors.<name>.<key>`` from the raw config and parse it as JSON; every
    failure is an InputError. For collectors that validate their config by hand; one with an
    option spec passes its parsed value to ``open_report``."""
    name = ctx.collector.name
    raw = ctx.config.get(key)
    if not isinstance(raw, str) or not raw.strip():
        raise InputError(f"collectors.{name}.{key}: set it to the path of the tool's JSON report")
    return open_report(ctx, raw, key)


def open_report(ctx: CollectorContext, value: str, key: str = "report") -> Report:
    """Resolve ``value`` (the already-validated ``collectors.<name>.<key>``, from a collector's
    option spec) and parse it as JSON; every failure is an InputError naming key and file."""
    path = ctx.path(value, key)
    where = f"collectors.{ctx.collector.name}.{key}: {value}"
    return Report(path, load_json(path, where), where)


def load_json(path: Path, where: str) -> Any:
    if not path.is_file():
        raise InputError(f"{where}: not a regular file")
    size = path.stat().st_size
    if size == 0:
        raise InputError(f"{where}: the file is empty (did the tool run?)")
    if size > MAX_REPORT_BYTES:
        raise InputError(f"{where}: {size} bytes is over the {MAX_REPORT_BYTES}-byte limit")
    try:
        return json.loads(path.read_bytes().decode("utf-8"))
    except UnicodeDecodeError:
        raise InputError(f"{where}: not UTF-8 text") from None
    except json.JSONDecodeError as exc:
        raise InputError(
            f"{where}: not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
        ) from None


def need(data: Any, key: str, kind: type | tuple[type, ...], where: str) -> Any:
    """``data[key]`` if ``data`` is an object and the value has the expected JSON type."""
    if not isinstance(data, Mapping):
        raise InputError(f"{where}: expected a JSON object")
    if key not in data:
        raise InputError(f"{where}: missing key '{key}'")
    value = data[key]
    if isinstance(value, bool) and bool not in (kind if isinstance(kind, tuple) else (kind,)):
        raise InputError(f"{where}: '{key}' has the wrong type (boolean)")
    if not isinstance(value, kind):
        expected = " or ".join(
            _json_type(k) for k in (kind if isinstance(kind, tuple) else (kind,))
        )
        raise InputError(f"{where}: '{key}' must be {expected}, not {_json_type(type(value))}")
    return value


def _json_type(kind: type) -> str:
    return {
        dict: "an object",
        list: "an array",
        str: "a string",
        int: "a number",
        float: "a number",
        bool: "a boolean",
        type(None): "null",
    }.get(kind, kind.__name__)
